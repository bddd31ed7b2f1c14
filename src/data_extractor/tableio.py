"""One table of a run: plan, read on Spark, write to staging, verify, write the manifest, publish."""

from __future__ import annotations

import logging
import re
import time
from typing import TYPE_CHECKING, Any

from . import events as ev
from .catalog import split_name
from .errors import ExtractorError

if TYPE_CHECKING:
    from .runner import Run, TableResult

log = logging.getLogger("data_extractor.run")


def one_line(exc: BaseException) -> str:
    """One sentence for a failure: our own message, or the root cause out of a Spark/Py4J dump."""
    if isinstance(exc, ExtractorError | ValueError) and "\n" not in str(exc):
        return str(exc)
    text = str(exc)
    ours = re.findall(r"(?:data_extractor\.errors\.)?(?:SourceError|UserError|ValueError): (.+)", text)
    if ours:
        return ours[-1].strip()
    missing = re.search(r"ClassNotFoundException: ([\w.]+)", text)
    if missing:
        return (f"the JDBC driver class {missing[1]} is not on Spark's classpath; "
                "list its jar under spark.jdbc_jars")
    causes = re.findall(r"^\s*(?:[\w.]+\.)?(\w+(?:Error|Exception)): (.+)$", text, re.M)
    for name, msg in reversed(causes):
        if name not in ("PythonException", "Py4JJavaError", "SparkException", "AnalysisException"):
            return f"{name}: {msg.strip()}"
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return first[:500]


class TableJob:
    def __init__(self, run: Run, table: str) -> None:
        self.owner = run
        self.table = table
        self.group = f"{run.run_id}:{table}"
        self.started: float | None = None
        self.estimated_rows: int | None = None
        self.partitions = 0
        self.output: Any = None

    def progress_event(self, done: int, total: int) -> ev.TableProgress:
        elapsed = time.monotonic() - (self.started or time.monotonic())
        total = total or self.partitions
        rows = round((self.estimated_rows or 0) * done / total) if total and self.estimated_rows else None
        rate = rows / elapsed if rows and elapsed > 0 else None
        return ev.TableProgress(self.owner.run_id, self.table, min(done, total), total, rows, rate, elapsed)

    def discard(self) -> None:
        if self.output is not None:
            self.output.discard()

    def run(self) -> TableResult:
        from .runner import TableResult
        from .spark import session as spark
        from .spark.tasks import ReadSpec
        from .writer import TableOutput

        ex, cfg, run = self.owner.extractor, self.owner.extractor.config, self.owner
        entry = cfg.table(self.table)
        t0 = time.monotonic()
        plan = ex.plan(self.table)
        run.emit(ev.TablePlanned(run.run_id, self.table, plan.strategy, plan.column, len(plan.partitions),
                                 plan.estimated_rows))
        log.info("plan: %s%s, %d partition(s), ~%s rows", plan.strategy,
                 f" on {plan.column}" if plan.column else "", len(plan.partitions), plan.estimated_rows)
        columns = ex.catalog.select_columns(plan.ref, entry.columns)
        spec = ReadSpec(ex.dialect, plan.ref, columns, [p.predicate for p in plan.partitions], entry.where,
                        entry.fetch_size or cfg.defaults.fetch_size)
        schema_name, table_name = split_name(entry.name)
        self.output = out = TableOutput(cfg.output.path, schema_name or plan.schema, table_name, run.run_id)
        out.prepare()
        self.estimated_rows, self.partitions = plan.estimated_rows, len(plan.partitions)
        session = spark.thread_session(cfg.spark)
        spark.set_job_group(session, self.group, f"data-extractor {self.table}")
        self.started = time.monotonic()
        self.started_at = time.time()
        self.session_id = f"{id(session):x}"
        run.emit(ev.TableStarted(run.run_id, self.table, len(plan.partitions), plan.estimated_rows))
        reader = self._reader()
        try:
            rows_read, partition_stats = self._execute(session, spec, out, reader)
        finally:
            spark.clear_job_group(session)
        if run.is_cancelled(self.table):
            raise ExtractorError("cancelled")
        rows, size = out.written_rows()
        if rows != rows_read:
            raise ExtractorError(f"rows written ({rows:,}) differ from rows read ({rows_read:,}); "
                                 "nothing was published")
        seconds = time.monotonic() - t0
        files = out.files()
        out.write_manifest(self._manifest(plan, spec, rows, size, files, seconds, reader, partition_stats))
        out.publish()
        self.output = None
        run.emit(self.progress_event(len(plan.partitions), len(plan.partitions)))
        run.emit(ev.TableFinished(run.run_id, self.table, rows, len(files), size, seconds, out.final))
        log.info("published %d file(s), %s rows -> %s", len(files), f"{rows:,}", out.final)
        return TableResult(self.table, "succeeded", rows, len(files), size, seconds, out.final,
                           strategy=plan.strategy, partitions=len(plan.partitions))

    def _reader(self) -> str:
        cfg = self.owner.extractor.config
        reader = cfg.spark.reader
        if reader == "auto":
            reader = "python" if self.owner.extractor.dialect.has_python_driver else "jdbc"
        return reader

    def _execute(self, session: Any, spec: Any, out: Any, reader: str) -> tuple[int, list[dict[str, Any]]]:
        cfg = self.owner.extractor.config
        if reader == "python" and cfg.output.writer == "arrow":
            from .spark.arrow_writer import run_arrow_native

            stats = run_arrow_native(session, spec, out.staging, cfg.output.compression,
                                     cfg.output.max_rows_per_file)
            return sum(s["rows"] for s in stats), stats
        if reader == "python":
            from .spark.datasource import read_frame

            frame = read_frame(session, spec)
        else:
            from .spark import jdbc

            frame = jdbc.read_frame(session, spec, cfg.spark.jdbc_jars)
        writer = frame.write.mode("overwrite").option("compression", cfg.output.compression)
        if cfg.output.max_rows_per_file:
            writer = writer.option("maxRecordsPerFile", cfg.output.max_rows_per_file)
        writer.parquet(out.staging)
        # Spark's writer reports no row count back: reconcile with the source under the same predicates.
        dialect, conn = spec.dialect, self.owner.extractor.catalog.connection()
        counted = sum(int(dialect.fetch_one(conn, dialect.count_sql(spec.table, spec.where, p))[0])
                      for p in spec.predicates)
        return counted, []

    def _manifest(self, plan: Any, spec: Any, rows: int, size: int, files: list[str], seconds: float,
                  reader: str, stats: list[dict[str, Any]]) -> dict[str, Any]:
        from . import __version__

        cfg = self.owner.extractor.config
        return {
            "run_id": self.owner.run_id,
            "table": self.table,
            "source": self.owner.extractor.dialect.describe(),
            "source_table": str(plan.ref),
            "rows": rows,
            "bytes": size,
            "files": files,
            "columns": [{"name": c.name, "source_type": c.source_type, "type": c.spark_type,
                         "nullable": c.nullable, "note": c.note} for c in spec.columns],
            "where": spec.where,
            "plan": plan.to_dict(),
            "reader": reader,
            "writer": cfg.output.writer if reader == "python" else "spark",
            "compression": cfg.output.compression,
            "partition_stats": stats,
            "seconds": round(seconds, 3),
            "spark_session": self.session_id,
            "started_at": _iso(self.started_at),
            "finished_at": _iso(time.time()),
            "version": __version__,
        }


def _iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t % 1 * 1000):03d}Z"
