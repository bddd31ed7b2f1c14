"""Runs a set of tables: plans each, executes it on Spark, verifies, publishes, and reports events.

`Extractor.start()` returns a `RunHandle` at once; the run happens in background threads, with
`defaults.parallel_tables` tables at a time, each in its own Spark session and job group.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from data_extractor.errors import ExtractorError, UserError, one_line
from data_extractor.output import lakehouse
from data_extractor.output.fs import hadoop_fs, local_path, needs_hadoop
from data_extractor.output.names import INTERNAL
from data_extractor.output.publish import finish_run, mark_run
from data_extractor.output.stores import secret_values
from data_extractor.run import events as ev
from data_extractor.run.logs import attach, detach, run_id_var, table_var
from data_extractor.run.metrics import export
from data_extractor.run.results import RunResult, TableResult
from data_extractor.run.state import StateStore
from data_extractor.run.table_job import TableJob
from data_extractor.run.windows import windows_to_run
from data_extractor.spark import reader_pool
from data_extractor.spark.probe import check_executors, is_cluster
from data_extractor.spark.ship import ship

if TYPE_CHECKING:
    from data_extractor.api import Extractor

log = logging.getLogger("data_extractor.run")
EventSink = Callable[[ev.Event], None]


class RunHandle:
    """A run in progress. `wait()` blocks until it ends; `cancel()` stops one table or all."""

    def __init__(self, run: Run) -> None:
        self._run = run
        self.run_id = run.run_id

    def wait(self, timeout: float | None = None) -> RunResult | None:
        self._run.done.wait(timeout)
        return self._run.result

    @property
    def result(self) -> RunResult | None:
        return self._run.result if self._run.done.is_set() else None

    def done(self) -> bool:
        return self._run.done.is_set()

    def cancel(self, table: str | None = None) -> None:
        self._run.cancel(table)


class Run:
    def __init__(self, extractor: Extractor, tables: Sequence[str], on_event: EventSink | None,
                 run_date: dt.date | None = None, date_from: dt.date | None = None,
                 date_to: dt.date | None = None) -> None:
        self.extractor = extractor
        self.tables = list(tables)
        self.requested = list(tables)
        self.run_date, self.date_from, self.date_to = run_date, date_from, date_to
        self.state = StateStore(extractor.config.output.path, options=extractor.config.output.storage_options)
        self.snapshot_token: str | None = None
        self._snapshot_handle: Any = None
        self.session: Any = None
        self.run_id = time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
        self._sink = on_event or (lambda e: None)
        self._lock = threading.Lock()
        self.done = threading.Event()
        self.result: RunResult | None = None
        self.cancelled: set[str] = set()
        self.cancel_all = False
        self.jobs: dict[str, TableJob] = {}

    # -------------------------------------------------------------- events
    def emit(self, event: ev.Event) -> None:
        try:
            self._sink(event)
        except Exception:  # noqa: BLE001 - a face's bug must not break the run
            log.debug("event callback failed", exc_info=True)

    def cancel(self, table: str | None) -> None:
        with self._lock:
            if table is None:
                self.cancel_all = True
                targets = list(self.jobs)
            else:
                self.cancelled.add(table)
                targets = [k for k, j in self.jobs.items() if table in (k, j.table)]
        for name in targets:
            tracker = self.jobs[name].tracker
            if tracker is not None:
                tracker.cancel()

    def is_cancelled(self, table: str) -> bool:
        return self.cancel_all or table in self.cancelled

    # ------------------------------------------------------------------ run
    def start(self) -> RunHandle:
        ctx = contextvars.copy_context()
        threading.Thread(target=ctx.run, args=(self._main,), name=f"dx-run-{self.run_id}", daemon=True).start()
        return RunHandle(self)

    def _main(self) -> None:
        from data_extractor.spark import session as spark

        cfg = self.extractor.config
        run_id_var.set(self.run_id)
        secrets = [cfg.source.password.get_secret_value()] if cfg.source.password else []
        secrets += secret_values(cfg.output.storage_options) + cfg.output.secret_values()
        handler = attach(self.run_id, self.emit, secrets)
        t0 = time.monotonic()
        result = RunResult(self.run_id)
        stop = threading.Event()  # stops the progress monitor, however the run ends
        try:
            self.emit(ev.RunStarted(self.run_id, tuple(self.tables), cfg.output.path))
            log.info("run %s: %d table(s) -> %s", self.run_id, len(self.tables), cfg.output.path)
            log.debug("source %s; spark %s, reader %s; writer %s, %s; %d table(s) at a time, %d retries",
                      self.extractor.dialect.describe(), cfg.spark.mode, cfg.spark.reader, cfg.output.writer,
                      cfg.output.compression, cfg.defaults.parallel_tables, cfg.defaults.retries)

            try:
                refused = self.extractor.check_tables(self.tables)  # bad names fail here: no Spark, no output
            except ExtractorError as exc:  # the source cannot be reached: every table fails with that reason
                result.tables = [self._fail(t, str(exc), 0.0) for t in self.tables]
                return
            if refused:
                failed = {t: self._fail(t, reason, 0.0) for t, reason in refused.items()}
                self.tables = [t for t in self.tables if t not in refused]
                if not self.tables:
                    result.tables = [failed[t] for t in refused]
                    return
            options = cfg.output.storage_options
            if not needs_hadoop(cfg.output.path):
                mark_run(cfg.output.path, self.run_id, None, options)  # a bad output fails before Spark starts
            lakehouse.warm_up(cfg.output, {cfg.table(t).format or cfg.output.format for t in self.tables})
            try:
                self.session = spark.get_session(cfg.spark)
            except Exception as exc:  # noqa: BLE001 - reported as every table's failure
                reason = f"Spark did not start: {one_line(exc)}"
                log.error(reason)
                result.tables = [self._fail(t, reason, 0.0) for t in self.tables]
                return
            if needs_hadoop(cfg.output.path):
                mark_run(cfg.output.path, self.run_id, self.session)
            remote = local_path(cfg.output.path) is None
            if self.writer() == "spark" and remote and not spark.is_connect(self.session):
                hadoop_fs(self.session, cfg.output.path)  # Spark writes through Hadoop: a missing class fails here
            self._check_cluster()
            self.state.session = self.session
            result.spark_seconds = spark.startup_seconds()
            self.emit(ev.SparkReady(self.run_id, result.spark_seconds or 0.0, cfg.spark.master))
            self.extractor.prewarm_workers()  # Python workers start while the tables are planned
            if cfg.snapshot.enabled:
                self._snapshot_handle, self.snapshot_token = self.extractor.dialect.open_snapshot(cfg.snapshot)
                log.info("every partition of every table reads one snapshot: %s", self.snapshot_token)
            monitor = threading.Thread(target=self._monitor, args=(stop,), daemon=True, name="dx-progress")
            monitor.start()
            workers = max(1, min(cfg.defaults.parallel_tables, len(self.tables)))
            with ThreadPoolExecutor(workers, thread_name_prefix="dx-table") as pool:
                futures = {t: pool.submit(contextvars.copy_context().run, self._table_or_windows, t)
                           for t in self.largest_first(workers)}
                result.tables = [r for t in self.tables for r in futures[t].result()]
            if refused:
                result.tables = [failed[t] for t in refused] + result.tables
            stop.set()
            monitor.join(2)
        except Exception as exc:  # noqa: BLE001 - the run as a whole failed (output path, bookkeeping): one line
            reason = str(exc) if isinstance(exc, UserError) else one_line(exc)
            log.debug("run failed: %s", reason, exc_info=True)  # each table's failure line says it once
            done = {t.table for t in result.tables}
            result.tables += [self._fail(t, reason, 0.0) for t in self.tables if t not in done]
        finally:
            stop.set()
            try:
                self._wind_up(result, t0, handler)
            finally:
                self.result = result
                self.done.set()  # whatever failed above, a waiting face is released

    def _wind_up(self, result: RunResult, t0: float, handler: Any) -> None:
        """Close the snapshot, clear the run's staging, report and export; each step may fail on its own."""
        cfg = self.extractor.config
        try:
            if self._snapshot_handle is not None:
                self.extractor.dialect.close_snapshot(self._snapshot_handle)
            result.seconds = time.monotonic() - t0
            try:
                finish_run(cfg.output.path, self.run_id, self.session, cfg.output.storage_options)
            except Exception as exc:  # noqa: BLE001 - leftover staging is swept by the next run
                log.warning("could not clear this run's staging folder: %s", one_line(exc))
            reader_pool.drain()  # the driver's idle reader connections (small tables read here) end with the run
            ok = [t.table for t in result.tables if t.status == "succeeded"]
            bad = [t.table for t in result.tables if t.status == "failed"]
            cancelled = [t.table for t in result.tables if t.status == "cancelled"]
            log.info("run %s finished in %.1f s: %d succeeded, %d failed, %d cancelled",
                     self.run_id, result.seconds, len(ok), len(bad), len(cancelled))
            if cfg.metrics.textfile or cfg.metrics.pushgateway:
                export(result, cfg.metrics)
            self.emit(ev.RunFinished(self.run_id, tuple(ok), tuple(bad), tuple(cancelled), result.seconds))
        finally:
            detach(handler)

    def _check_cluster(self) -> None:
        """On a cluster: ship the package, then refuse a local output the executors cannot see, or a missing module."""
        if not is_cluster(self.session):
            return
        cfg = self.extractor.config
        ship(self.session)
        modules = ["data_extractor", "pyarrow"]
        if self.extractor.reader() == "python":
            modules += [type(self.extractor.dialect).__module__, *self.extractor.dialect.driver_modules]
        local = local_path(cfg.output.path)
        folder = os.path.join(local, INTERNAL, "staging", self.run_id) if local is not None else None
        log.info("executors: %s", check_executors(self.session, modules, cfg.output.path, folder))

    def writer(self) -> str:
        """The writer that really writes: arrow needs the python reader and a path pyarrow reaches."""
        cfg = self.extractor.config
        if cfg.output.writer == "arrow" and self.extractor.reader() == "python" and not needs_hadoop(cfg.output.path):
            return "arrow"
        return "spark"

    def largest_first(self, workers: int) -> list[str]:
        """The tables in the order they start: the largest first (by the catalog's estimate), so a big table never
        starts last and runs alone while the other slots idle. One slot, or no estimates: the config's order."""
        if workers < 2 or len(self.tables) <= workers:
            return list(self.tables)
        sizes = {}
        for name in self.tables:
            entry = self.extractor.config.table(name)
            try:  # statistics only; a custom query is never counted for this
                sizes[name] = 0 if entry.query else (self.extractor.catalog.estimate(name).rows or 0)
            except ExtractorError:
                sizes[name] = 0  # its own job reports the problem
        return sorted(self.tables, key=lambda name: -sizes[name])

    def _fail(self, table: str, reason: str, seconds: float) -> TableResult:
        self.emit(ev.TableFailed(self.run_id, table, reason, seconds))
        return TableResult(table, "failed", seconds=seconds, error=reason)

    def _table_or_windows(self, table: str) -> list[TableResult]:
        """One table, or each of its due windows in order (stopping at the first failure)."""
        table_var.set(table)
        entry = self.extractor.config.table(table)
        if entry.incremental is None:
            return [self._job(TableJob(self, table))]

        try:
            state = self.state.load(table)
            now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
            due = windows_to_run(entry.incremental, state.watermark, now, self.run_date, self.date_from,
                                 self.date_to)
        except ExtractorError as exc:
            return [self._fail(table, str(exc), 0.0)]
        if not due:
            log.info("up to date: watermark %s", state.watermark)
            return [TableResult(table, "succeeded", detail=f"up to date (watermark {state.watermark})")]
        log.info("%d window(s) due, %s to %s", len(due), due[0].start, due[-1].end)
        results = []
        for window in due:
            results.append(self._job(TableJob(self, table, window)))
            if results[-1].status != "succeeded":
                break
        return results

    def _job(self, job: TableJob) -> TableResult:
        label = job.label
        t0 = time.monotonic()
        if self.is_cancelled(job.table):
            log.info("cancelled before it started")
            self.emit(ev.TableCancelled(self.run_id, label, 0.0))
            return TableResult(label, "cancelled")
        with self._lock:
            self.jobs[label] = job
        try:
            return job.run()
        except Exception as exc:  # noqa: BLE001 - one table's failure never stops the others
            job.discard()
            if self.is_cancelled(job.table):
                log.warning("cancelled; nothing was published")
                self.emit(ev.TableCancelled(self.run_id, label, time.monotonic() - t0))
                return TableResult(label, "cancelled", seconds=time.monotonic() - t0)
            reason = one_line(exc)
            log.error("failed: %s", reason, exc_info=not isinstance(exc, ExtractorError))
            self._record_failure(job, reason)
            return self._fail(label, reason, time.monotonic() - t0)
        finally:
            job.release()
            with self._lock:
                self.jobs.pop(label, None)

    def _record_failure(self, job: TableJob, reason: str) -> None:
        entry = {"run_id": self.run_id, "outcome": "failed", "error": reason, "rows": 0,
                 "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        if job.window is not None:
            entry["window"] = [job.window.start.isoformat(), job.window.end.isoformat()]
        try:
            self.state.record(job.table, entry)
        except Exception:  # noqa: BLE001 - the failure is already reported
            log.debug("could not record the failure in the state", exc_info=True)

    def _monitor(self, stop: threading.Event) -> None:
        last: dict[str, tuple[int, int, int | None, int]] = {}
        while not stop.wait(0.5):
            with self._lock:
                jobs = [j for j in self.jobs.values() if j.tracker is not None]
            for job in jobs:
                try:
                    done, total = job.tracker.poll()
                except Exception:  # noqa: BLE001 - progress is best effort
                    continue
                event = job.progress_event(done, total)
                tick = int(time.monotonic() // 2)  # unchanged progress is repeated every 2 s (for rows/s)
                if last.get(job.label) != (done, total, event.rows, tick):
                    last[job.label] = (done, total, event.rows, tick)
                    self.emit(event)
