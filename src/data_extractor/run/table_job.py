"""One table (or one window of a table) of a run: plan, read on Spark, verify, publish, record state."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from data_extractor import __version__
from data_extractor.errors import ExtractorError, UserError, one_line
from data_extractor.output import resume
from data_extractor.output.lakehouse import open_output
from data_extractor.output.lock import hold
from data_extractor.output.publish import TableOutput
from data_extractor.run import events as ev
from data_extractor.run.results import TableResult
from data_extractor.source.catalog import split_name
from data_extractor.spark import python_reader
from data_extractor.spark.tasks import ReadSpec

if TYPE_CHECKING:
    from data_extractor.run.runner import Run
    from data_extractor.run.windows import Window

log = logging.getLogger("data_extractor.run")
DEBUG_PARTITIONS = 20  # partitions whose predicates are logged at debug level


def _iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t % 1 * 1000):03d}Z"


def schema_change(previous: list[dict[str, Any]] | None, current: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Added, dropped and retyped columns since the last successful extraction, or None."""
    if not previous:
        return None
    before = {c["name"]: c["type"] for c in previous}
    now = {c["name"]: c["type"] for c in current}
    change = {
        "added": [n for n in now if n not in before],
        "dropped": [n for n in before if n not in now],
        "changed": [f"{n}: {before[n]} -> {now[n]}" for n in now if n in before and before[n] != now[n]],
    }
    return change if any(change.values()) else None


def describe_change(change: dict[str, Any]) -> str:
    parts = [f"{k} {', '.join(v)}" for k, v in change.items() if v]
    return "schema changed since the last extraction: " + "; ".join(parts)


class TableJob:
    def __init__(self, run: Run, table: str, window: Window | None = None) -> None:
        self.owner = run
        self.table = table
        self.window = window
        self.label = table if window is None else f"{table} [{window.label.split('=', 1)[1]}]"
        self.group = f"{run.run_id}:{self.label}"
        self.started: float | None = None
        self.started_at = time.time()
        self.session_id: str | None = None
        self.estimated_rows: int | None = None
        self.partitions = 0
        self.output: Any = None
        self.lock: Any = None  # the output table's lock (output.lock), held until the runner releases it
        self.tracker: Any = None
        self.streamed: Callable[[], int | None] | None = None  # rows fetched so far, where tasks report them
        self.resumable = False  # finished partitions are recorded, and kept if the table fails
        self.taken = resume.TakeOver()  # partitions an earlier run finished, taken over (shown as done)

    def progress_event(self, done: int, total: int, rows: int | None = None) -> ev.TableProgress:
        """Progress now; rows are the given count, else what the tasks report, else estimated from tasks done."""
        elapsed = time.monotonic() - (self.started or time.monotonic())
        reused = len(self.taken.reused)
        if reused and total < self.partitions:  # Spark counts only the tasks this run started (none yet: 0)
            done, total = done + reused, total + reused if total else self.partitions
        total = total or self.partitions
        if rows is None and self.streamed is not None:
            rows = self.streamed()
        if rows is None:
            rows = round((self.estimated_rows or 0) * done / total) if total and self.estimated_rows else None
        rate = rows / elapsed if rows and elapsed > 0 else None
        return ev.TableProgress(self.owner.run_id, self.label, min(done, total), total, rows, rate, elapsed)

    def discard(self) -> None:
        if self.output is not None:
            self.output.discard()

    def release(self) -> None:
        if self.lock is not None:
            self.lock.release()
            self.lock = None

    def _window_where(self, key_type: str) -> str | None:
        if self.window is None:
            return None
        ex, entry = self.owner.extractor, self.owner.extractor.config.table(self.table)
        inc = entry.incremental
        assert inc is not None
        col = ex.catalog.select_columns(ex.catalog.resolve(entry.name), [inc.column])[0]
        start, end = self.window.start, self.window.end
        if col.spark_type == "timestamp":  # an instant: compare in UTC
            start, end = start.replace(tzinfo=dt.timezone.utc), end.replace(tzinfo=dt.timezone.utc)
        elif col.spark_type == "date":
            start, end = start.date(), end.date()
        q, lit = ex.dialect.quote(col.name), ex.dialect.literal
        return f"{q} >= {lit(start)} AND {q} < {lit(end)}"

    def run(self) -> TableResult:
        from data_extractor.spark import session as spark
        run = self.owner
        ex, cfg = run.extractor, run.extractor.config
        entry = cfg.table(self.table)
        t0 = time.monotonic()
        window_where = self._window_where("")
        plan = ex.plan(self.table, extra_where=window_where)
        where = entry.where if not window_where else (f"({entry.where}) AND ({window_where})" if entry.where
                                                      else window_where)
        run.emit(ev.TablePlanned(run.run_id, self.label, plan.strategy, plan.column, len(plan.partitions),
                                 plan.estimated_rows))
        log.info("plan: %s%s, %d partition(s), ~%s rows", plan.strategy,
                 f" on {plan.column}" if plan.column else "", len(plan.partitions), plan.estimated_rows)
        for w in plan.warnings:
            log.warning("plan: %s", w)
        for i, part in enumerate(plan.partitions[:DEBUG_PARTITIONS]):
            log.debug("partition %d: %s (~%s rows)", i, part.predicate or "whole table", part.estimated_rows)
        columns = ex.catalog.select_columns(plan.ref, entry.columns)
        current = [{"name": c.name, "type": c.spark_type} for c in columns]
        change = self._check_drift(current, entry)
        spec = ReadSpec(ex.dialect, plan.ref, columns, [p.predicate for p in plan.partitions], where,
                        entry.fetch_size or cfg.defaults.fetch_size, cfg.defaults.retries, cfg.defaults.retry_wait,
                        run.snapshot_token)
        schema_name, table_name = split_name(entry.name)
        session = spark.thread_session(cfg.spark)
        table_format = entry.format or cfg.output.format
        out = open_output(table_format, cfg.output, schema_name or plan.schema, table_name, run.run_id,
                          self.window.label if self.window else None, session, spec.schema())
        self.lock = hold(out, run.run_id, self.label)  # one run per output table; released by the runner
        self.output = out
        out.prepare()
        self.estimated_rows, self.partitions = plan.estimated_rows, len(plan.partitions)
        spec = self._take_over(out, spec)
        self.session_id = f"{id(session):x}"
        self.tracker = spark.TableProgress(session, self.group, f"data-extractor {self.label}")
        self.started = time.monotonic()
        self.started_at = time.time()
        run.emit(ev.TableStarted(run.run_id, self.label, len(plan.partitions), plan.estimated_rows))
        reader = ex.reader()
        counting = self._start_count(spec)  # the source count runs beside the read, not after it
        try:
            rows_read, partition_stats = self._execute(session, spec, out, reader)
        finally:
            self.tracker.close()
        if run.is_cancelled(self.table):
            raise ExtractorError("cancelled")
        for s in partition_stats:
            if (s.get("attempts") or 1) > 1:
                log.warning("partition %d was read again whole after %s (%d attempts)", s["partition"],
                            s.get("retried_after") or "a failure", s["attempts"])
        rows, size = out.written_rows()
        if rows_read is not None and rows != rows_read:
            raise ExtractorError(f"rows written ({rows:,}) differ from rows read ({rows_read:,}); "
                                 "nothing was published")
        source_count = self._reconcile(spec, rows, counting)
        seconds = time.monotonic() - t0
        files = out.files()
        manifest = self._manifest(plan, spec, rows, size, files, seconds, reader, partition_stats)
        manifest.update(source_count=source_count, rows_read=rows_read, schema_change=change)
        out.write_manifest(manifest)
        out.publish()
        self.output = None
        detail = None
        try:
            self._record_state(rows, current)
        except Exception as exc:  # noqa: BLE001 - the data is published: say so, and what the state missed
            detail = (f"published, but its state could not be recorded ({one_line(exc)}): " + (
                "the watermark did not move, so the next run extracts this window again" if self.window
                else "its history misses this run"))
            log.warning(detail)
        run.emit(self.progress_event(len(plan.partitions), len(plan.partitions), rows))
        run.emit(ev.TableFinished(run.run_id, self.label, rows, len(files), size, seconds, out.final))
        commit = getattr(out, "commit", None)
        log.info("published %d file(s), %s rows -> %s%s", len(files), f"{rows:,}", out.final,
                 f" ({commit.format} version {commit.version})" if commit else "")
        return TableResult(self.label, "succeeded", rows, len(files), size, seconds, out.final,
                           strategy=plan.strategy, partitions=len(plan.partitions), detail=detail,
                           format=table_format,
                           version=commit.version if commit else None,
                           identifier=commit.identifier if commit else None,
                           metadata_location=commit.metadata_location if commit else None,
                           partitions_retried=sum((s.get("attempts") or 1) > 1 for s in partition_stats
                                                  if not s.get("reused")),
                           partitions_reused=len(self.taken.reused))

    # ------------------------------------------------------------ checks
    def _check_drift(self, current: list[dict[str, Any]], entry: Any) -> dict[str, Any] | None:
        cfg = self.owner.extractor.config
        previous = self.owner.state.load(self.table).columns
        change = schema_change(previous, current)
        if change:
            policy = entry.on_schema_change or cfg.defaults.on_schema_change
            text = describe_change(change)
            if policy == "fail":
                raise UserError(f"{text}; nothing was read (set on_schema_change: warn or evolve to accept it)")
            (log.warning if policy == "warn" else log.info)("%s (on_schema_change: %s)", text, policy)
        return change

    def _take_over(self, out: Any, spec: ReadSpec) -> ReadSpec:
        """Arrow-written Parquet tables resume: take over the partitions an earlier run of this table finished."""
        cfg = self.owner.extractor.config
        self.resumable = (isinstance(out, TableOutput) and self.owner.writer() == "arrow" and len(spec.predicates) > 1
                          and not self.on_driver(spec))
        if not self.resumable:
            return spec
        self.taken = resume.begin(out, resume.digest(spec, cfg.output.compression, cfg.output.max_rows_per_file),
                                  spec.snapshot, spec.dialect.snapshot_outlives_session)
        return dataclasses.replace(spec, snapshot=self.taken.snapshot)

    def _start_count(self, spec: Any) -> Future[int] | None:
        if not self.owner.extractor.config.defaults.reconcile:
            return None

        def count() -> int:
            dialect = spec.dialect
            conn = dialect.connect()
            try:
                dialect.use_snapshot(conn, spec.snapshot)
                return int(dialect.fetch_one(conn, dialect.count_sql(spec.table, spec.where,
                                                                      snapshot=spec.snapshot))[0])
            finally:
                conn.close()

        pool = ThreadPoolExecutor(1, thread_name_prefix="dx-count")
        future = pool.submit(count)
        pool.shutdown(wait=False)
        return future

    def _reconcile(self, spec: Any, written: int, counting: Future[int] | None) -> int | None:
        """Compare the source count under the same filter (and snapshot) with the rows written."""
        if counting is None:
            return None
        counted = counting.result()
        if counted != written:
            if spec.snapshot:
                raise ExtractorError(f"rows written ({written:,}) differ from the source count at the snapshot "
                                     f"({counted:,}); nothing was published")
            log.warning("the source has %s rows now and %s were read: it changed during the read "
                        "(use snapshot.consistent: true for one point in time)", f"{counted:,}", f"{written:,}")
        return counted

    def _record_state(self, rows: int, columns: list[dict[str, Any]]) -> None:
        run = self.owner
        entry: dict[str, Any] = {"run_id": run.run_id, "rows": rows, "outcome": "succeeded",
                                 "finished_at": _iso(time.time())}
        watermark = None
        if self.window is not None:
            entry["window"] = [self.window.start.isoformat(), self.window.end.isoformat()]
            inc = run.extractor.config.table(self.table).incremental
            current = run.state.load(self.table).watermark
            mark = dt.datetime.fromisoformat(current) if current else inc.start  # type: ignore[union-attr]
            if self.window.start <= mark and self.window.end > mark:  # contiguous: no gap is skipped
                watermark = self.window.end.isoformat()
        run.state.record(self.table, entry, watermark, columns)

    def _execute(self, session: Any, spec: Any, out: Any, reader: str) -> tuple[int | None, list[dict[str, Any]]]:
        cfg = self.owner.extractor.config
        if self.owner.writer() == "arrow":
            from data_extractor.spark.arrow_writer import Target, run_arrow_native, run_on_driver, streamed_rows
            from data_extractor.spark.rows_listener import RowsListener, driver_host
            from data_extractor.spark.session import is_connect

            target = Target(out.staging, cfg.output.storage_options if not out.is_local else {}, self.owner.run_id,
                            resumable=self.resumable)
            if self.on_driver(spec):
                log.info("read on the driver: one partition of ~%s rows needs no Spark job", self.estimated_rows)
                stats = run_on_driver(spec, target, cfg.output.compression, cfg.output.max_rows_per_file)
                out.committed = [f for s in stats for f in s["files"]]
                return stats[0]["rows"], stats
            listener, taken = None, self.taken
            if out.is_local:
                self.streamed = lambda: (streamed_rows(out.staging) or 0) + taken.rows or None
            elif not is_connect(session):  # no shared disk for progress files: tasks send counts to the driver
                listener = RowsListener(driver_host(session))
                target.listener = listener.address
                self.streamed = lambda: (listener.rows() or 0) + taken.rows or None
            only = [i for i in range(len(spec.predicates)) if i not in taken.done] if taken.reused else None
            try:
                stats = run_arrow_native(session, spec, target, cfg.output.compression, cfg.output.max_rows_per_file,
                                         only)
            finally:
                if listener is not None:
                    listener.close()
            if self.resumable:
                resume.finish(out.fs, out.staging)
            stats = sorted(taken.reused + stats, key=lambda s: s["partition"])
            out.committed = [f for s in stats for f in s["files"]]
            return sum(s["rows"] for s in stats), stats
        if cfg.output.writer == "arrow":
            log.info("writer: spark (the arrow writer needs the python reader and a path pyarrow can reach)")
        if reader == "python":
            frame = python_reader.read_frame(session, spec)
        else:
            if spec.snapshot:
                raise UserError("the jdbc reader cannot join a shared snapshot; use spark.reader: python")
            from data_extractor.spark import jdbc

            frame = jdbc.read_frame(session, spec, cfg.spark.jdbc_jars + cfg.source.jars)
        from pyspark.sql import functions as F

        from data_extractor.spark.session import is_connect

        if is_connect(session):
            from pyspark.sql.connect.observation import Observation
        else:
            from pyspark.sql.observation import Observation
        seen = Observation(f"dx_rows_{id(self):x}")  # rows read, counted as Spark's writer consumes them
        writer = frame.observe(seen, F.count(F.lit(1)).alias("rows")).write.mode("overwrite")
        writer = writer.option("compression", cfg.output.compression)
        if cfg.output.max_rows_per_file:
            writer = writer.option("maxRecordsPerFile", cfg.output.max_rows_per_file)
        writer.parquet(out.staging)
        return int(seen.get["rows"]), []

    def on_driver(self, spec: Any) -> bool:
        """A small one-partition table: read and written here, with no Spark job (`defaults.driver_read_rows`)."""
        limit = self.owner.extractor.config.defaults.driver_read_rows
        return len(spec.predicates) == 1 and self.estimated_rows is not None and self.estimated_rows <= limit

    def _manifest(self, plan: Any, spec: Any, rows: int, size: int, files: list[str], seconds: float,
                  reader: str, stats: list[dict[str, Any]]) -> dict[str, Any]:
        run = self.owner
        cfg = run.extractor.config
        return {
            "run_id": run.run_id,
            "table": self.table,
            "window": [self.window.start.isoformat(), self.window.end.isoformat()] if self.window else None,
            "source": run.extractor.dialect.describe(),
            "source_table": str(plan.ref),
            "snapshot": spec.snapshot,
            "rows": rows,
            "bytes": size,
            "files": files,
            "columns": [{"name": c.name, "source_type": c.source_type, "type": c.spark_type,
                         "nullable": c.nullable, "note": c.note} for c in spec.columns],
            "where": spec.where,
            "plan": plan.to_dict(),
            "reader": reader,
            "writer": run.writer(),
            "on_driver": run.writer() == "arrow" and self.on_driver(spec),
            "compression": cfg.output.compression,
            "format": cfg.table(self.table).format or cfg.output.format,
            "partition_stats": stats,
            "seconds": round(seconds, 3),
            "spark_session": self.session_id,
            "started_at": _iso(self.started_at),
            "finished_at": _iso(time.time()),
            "version": __version__,
        }
