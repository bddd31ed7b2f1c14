"""Spark sessions: one shared context, a child session per worker thread, job groups for progress.

On Databricks, or wherever a session is already active, that session is reused and never stopped.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from ..config import SparkConfig

_lock = threading.Lock()
_state: dict[str, Any] = {"session": None, "owned": False, "seconds": None}

DEFAULT_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.scheduler.mode": "FAIR",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
}
LOCAL_CONF = {
    "spark.ui.enabled": "false",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.memory": "2g",
}


def is_databricks() -> bool:
    return "DATABRICKS_RUNTIME_VERSION" in os.environ


def resolve_mode(cfg: SparkConfig) -> str:
    if cfg.mode != "auto":
        return cfg.mode
    if is_databricks():
        return "databricks"
    return "local" if cfg.master.startswith("local") else "cluster"


def get_session(cfg: SparkConfig) -> SparkSession:
    """The process's Spark session, started on first use (or the active one, reused)."""
    with _lock:
        if _state["session"] is not None:
            return _state["session"]
        t0 = time.monotonic()
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
        if mode == "local":
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
            conf.update(LOCAL_CONF)
            conf["spark.local.dir"] = os.path.join(tempfile.gettempdir(), "data-extractor-spark")
            builder = builder.master(cfg.master)
        elif mode == "cluster":
            builder = builder.master(cfg.master)
        if mode == "local" and "spark.driver.extraJavaOptions" not in cfg.conf:
            log4j = os.path.join(os.path.dirname(__file__), "resources", "log4j2.properties")
            conf["spark.driver.extraJavaOptions"] = f"-Dlog4j2.configurationFile=file:{log4j}"
        if cfg.jdbc_jars:
            conf["spark.jars"] = ",".join(cfg.jdbc_jars)
        conf.update({k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in cfg.conf.items()})
        for k, v in conf.items():
            builder = builder.config(k, v)
        session = builder.getOrCreate()
        session.sparkContext.setLogLevel("ERROR")
        _state.update(session=session, owned=True, seconds=time.monotonic() - t0)
        return session


def startup_seconds() -> float | None:
    return _state["seconds"]


def thread_session(cfg: SparkConfig) -> SparkSession:
    """A child session for the calling worker thread: its own SQL conf and temp views, shared context."""
    return get_session(cfg).newSession()


def set_job_group(session: SparkSession, group: str, description: str, pool: str | None = None) -> None:
    sc = session.sparkContext
    sc.setJobGroup(group, description, interruptOnCancel=True)
    sc.setLocalProperty("spark.scheduler.pool", pool or group.split(":")[-1])


def clear_job_group(session: SparkSession) -> None:
    sc = session.sparkContext
    sc.setLocalProperty("spark.jobGroup.id", None)  # type: ignore[arg-type]
    sc.setLocalProperty("spark.scheduler.pool", None)  # type: ignore[arg-type]


def cancel_group(group: str) -> None:
    session = _state["session"]
    if session is not None:
        session.sparkContext.cancelJobGroup(group)


def group_progress(group: str) -> tuple[int, int]:
    """(tasks done, tasks total) over the jobs of a job group, from Spark's status tracker."""
    session = _state["session"]
    if session is None:
        return 0, 0
    tracker = session.sparkContext.statusTracker()
    done = total = 0
    for job_id in tracker.getJobIdsForGroup(group):
        job = tracker.getJobInfo(job_id)
        if job is None:
            continue
        for stage_id in job.stageIds:
            stage = tracker.getStageInfo(stage_id)
            if stage is not None:
                done += stage.numCompletedTasks
                total += stage.numTasks
    return done, total


def stop() -> None:
    """Stop the session if this process started it (never a reused one)."""
    with _lock:
        session, owned = _state["session"], _state["owned"]
        _state.update(session=None, owned=False)
    if session is not None and owned:
        session.stop()
