"""Spark sessions: one shared context, a child session per worker thread, progress per table.

- Classic Spark: child sessions from `newSession()`, a job group (`run_id:table`) and a scheduler pool
  per table; progress from the status tracker.
- Spark Connect (Databricks serverless and shared clusters, `spark.remote`): child sessions from
  `cloneSession()`, an operation tag per table; progress from `registerProgressHandler`.
On Databricks, or wherever a session is already active, that session is reused and never stopped.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
import warnings
from typing import TYPE_CHECKING, Any

from data_extractor.spark.features import require_pyspark
from data_extractor.spark.jvm import launching

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from data_extractor.config.models import SparkConfig

_lock = threading.Lock()
_state: dict[str, Any] = {"session": None, "owned": False, "seconds": None, "warmed": False}

DEFAULT_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.scheduler.mode": "FAIR",
    "spark.ui.showConsoleProgress": "false",
    # Dates before 1582 as they are (proleptic Gregorian): Spark 4's default, Spark 3.5 would refuse them.
    "spark.sql.parquet.datetimeRebaseModeInWrite": "CORRECTED",
    "spark.sql.parquet.int96RebaseModeInWrite": "CORRECTED",
}
LOCAL_CONF = {
    "spark.ui.enabled": "false",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.memory": "2g",
    "spark.connect.grpc.binding.address": "127.0.0.1",
}


def is_databricks() -> bool:
    return "DATABRICKS_RUNTIME_VERSION" in os.environ


def is_connect(session: Any) -> bool:
    """Whether `session` is a Spark Connect client session (no SparkContext there)."""
    return type(session).__module__.startswith("pyspark.sql.connect")


def resolve_mode(cfg: SparkConfig) -> str:
    if cfg.mode != "auto":
        return cfg.mode
    if is_databricks():
        return "databricks"
    if cfg.remote:
        return "connect"
    return "local" if cfg.master.startswith("local") else "cluster"


def use_session(session: SparkSession) -> None:
    """Adopt a session the caller owns (a notebook's `spark`): reused, never stopped by us."""
    with _lock:
        _state.update(session=session, owned=False, seconds=0.0)


def get_session(cfg: SparkConfig) -> SparkSession:
    """The process's Spark session, started on first use (or the active one, reused)."""
    with _lock:
        if _state["session"] is not None:
            return _state["session"]
        t0 = time.monotonic()
        require_pyspark()
        from pyspark.sql import SparkSession

        active = SparkSession.getActiveSession()
        if active is not None:
            _state.update(session=active, owned=False, seconds=time.monotonic() - t0)
            return active
        mode = resolve_mode(cfg)
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
        builder = SparkSession.builder.appName("data-extractor")
        conf = dict(DEFAULT_CONF)
        local = (cfg.remote or cfg.master).startswith("local")
        if local:
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
            conf.update(LOCAL_CONF)
            conf["spark.local.dir"] = os.path.join(tempfile.gettempdir(), "data-extractor-spark")
            if "spark.driver.extraJavaOptions" not in cfg.conf:
                from data_extractor.spark.jvm import driver_options

                log4j = os.path.join(os.path.dirname(__file__), "resources", "log4j2.properties")
                conf["spark.driver.extraJavaOptions"] = f"-Dlog4j2.configurationFile=file:{log4j} {driver_options()}"
        if mode == "connect":
            builder = builder.remote(cfg.remote or "local[*]")
            if not local:
                conf = {}  # a remote server has its own configuration
        elif mode in ("local", "cluster"):
            builder = builder.master(cfg.master)
        if cfg.jdbc_jars:
            conf["spark.jars"] = ",".join(cfg.jdbc_jars)
        conf.update({k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in cfg.conf.items()})
        for k, v in conf.items():
            builder = builder.config(k, v)
        with warnings.catch_warnings():
            # A local Connect server takes the static settings at start; the client's echo of them warns.
            warnings.simplefilter("ignore", UserWarning)
            with launching():  # the JVM's start-up notices stay off the console
                session = builder.getOrCreate()
        if is_connect(session):
            session.conf.get("spark.sql.session.timeZone")  # the server learns the session (cloneSession needs it)
        else:
            session.sparkContext.setLogLevel("FATAL")  # task errors come back to us as exceptions
        _state.update(session=session, owned=True, seconds=time.monotonic() - t0)
        return session


def _classic_local(session: Any) -> bool:
    return not is_connect(session) and session.sparkContext.master.startswith("local")


def prewarm(session: SparkSession, modules: tuple[str, ...] = ()) -> None:
    """Start the Python workers of a local session now, on a thread, with `modules` imported in them.

    A local session's first Python job pays for its Python daemon, its workers and their imports (about
    3 s on 2 cores); a run starts this as soon as Spark is up so it overlaps the run's own preparation
    (snapshot, plans, staging), and the first table's tasks find the workers ready (they are reused).
    """
    with _lock:
        if _state["warmed"] or not _classic_local(session):
            return
        _state["warmed"] = True
    slots = max(1, min(session.sparkContext.defaultParallelism, 16))
    mods = ("pyarrow.parquet", "data_extractor.spark.arrow_writer", *modules)

    def run() -> None:
        try:
            sc = session.sparkContext
            sc.setLocalProperty("spark.scheduler.pool", "dx-prewarm")
            sc.parallelize(range(slots), slots).mapPartitions(_import_task(mods)).collect()
        except Exception:  # noqa: BLE001 - only a head start: the real tasks start workers themselves
            pass

    threading.Thread(target=run, daemon=True, name="dx-prewarm").start()


def _import_task(modules: tuple[str, ...]) -> Any:
    def task(items: Any) -> Any:
        import importlib

        for m in modules:
            try:
                importlib.import_module(m)
            except ImportError:
                pass
        for _ in items:
            yield True
    return task


def local_owned() -> bool:
    """Whether this process started a classic local session (the only kind the JVM tuning applies to)."""
    session = _state["session"]
    return bool(_state["owned"] and session is not None and _classic_local(session))


def startup_seconds() -> float | None:
    return _state["seconds"]


def mark_warm() -> None:
    """The session was started for an earlier run (the warm daemon): later runs pay nothing for it."""
    if _state["session"] is not None:
        _state["seconds"] = 0.0


def thread_session(cfg: SparkConfig) -> SparkSession:
    """A child session for the calling worker thread: its own SQL conf and temp views, shared context."""
    root = get_session(cfg)
    return root.cloneSession() if is_connect(root) else root.newSession()


class TableProgress:
    """Tasks done / total for one table's Spark work, from whichever source the session offers."""

    def __init__(self, session: SparkSession, group: str, description: str) -> None:
        self.session = session
        self.group = group
        self.connect = is_connect(session)
        self._stages: dict[int, tuple[int, int]] = {}
        if self.connect:
            session.addTag(_tag(group))
            session.registerProgressHandler(self._on_progress)
        else:
            sc = session.sparkContext
            sc.setJobGroup(group, description, interruptOnCancel=True)
            sc.setLocalProperty("spark.scheduler.pool", group.split(":", 1)[-1])

    def _on_progress(self, stages: Any = None, **_: Any) -> None:
        for st in stages or []:
            sid = getattr(st, "stage_id", None)
            total = int(getattr(st, "num_tasks", 0) or 0)
            done = int(getattr(st, "num_completed_tasks", 0) or 0)
            if sid is not None:
                self._stages[sid] = (done, total)

    def poll(self) -> tuple[int, int]:
        if self.connect:
            stages = list(self._stages.values())
            return sum(d for d, _ in stages), sum(t for _, t in stages)
        tracker = self.session.sparkContext.statusTracker()
        done = total = 0
        for job_id in tracker.getJobIdsForGroup(self.group):
            job = tracker.getJobInfo(job_id)
            for stage_id in job.stageIds if job else []:
                stage = tracker.getStageInfo(stage_id)
                if stage is not None:
                    done += stage.numCompletedTasks
                    total += stage.numTasks
        return done, total

    def cancel(self) -> None:
        if self.connect:
            self.session.interruptTag(_tag(self.group))
        else:
            self.session.sparkContext.cancelJobGroup(self.group)

    def close(self) -> None:
        if self.connect:
            try:
                self.session.removeProgressHandler(self._on_progress)
                self.session.removeTag(_tag(self.group))
                release(self.session)
            except Exception:  # noqa: BLE001 - releasing is best effort
                pass
        else:
            sc = self.session.sparkContext
            sc.setLocalProperty("spark.jobGroup.id", None)  # type: ignore[arg-type]
            sc.setLocalProperty("spark.scheduler.pool", None)  # type: ignore[arg-type]


def _tag(group: str) -> str:
    # Tags may not contain commas; keep them short and plain.
    return "dx-" + "".join(c if c.isalnum() or c in "-_" else "_" for c in group)[:100]


def release(child: Any) -> None:
    """Release a Spark Connect child session (otherwise stopping the root hangs the process)."""
    if child is not _state["session"] and is_connect(child):
        child.client.release_session()
        child.client.close()


def stop() -> None:
    """Stop the session if this process started it (never a reused one)."""
    with _lock:
        session, owned = _state["session"], _state["owned"]
        _state.update(session=None, owned=False, warmed=False)
    if session is not None and owned:
        session.stop()
