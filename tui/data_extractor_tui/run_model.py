"""The state of one run, built from the engine's events. Pure data: the dashboard only renders it."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from data_extractor.run import events as ev

LOG_LIMIT = 5_000
ENDED = ("done", "failed", "cancelled")


def base_name(label: str) -> str:
    """The table of a row: `orders [2026-01-05]` (one window of an incremental table) is `orders`."""
    return label.split(" [", 1)[0] if label.endswith("]") else label


@dataclass
class TableRun:
    name: str
    status: str = "waiting"  # waiting | queued | planned | running | cancelling | done | failed | cancelled
    strategy: str | None = None
    column: str | None = None
    partitions_done: int = 0
    partitions_total: int | None = None
    estimated_rows: int | None = None
    rows: int | None = None
    rows_per_second: float | None = None
    seconds: float | None = None
    files: int | None = None
    bytes: int | None = None
    path: str | None = None
    error: str | None = None
    note: str | None = None

    @property
    def ended(self) -> bool:
        return self.status in ENDED

    @property
    def fraction(self) -> float:
        if self.ended:
            return 1.0 if self.status == "done" else self._progress()
        return self._progress()

    def _progress(self) -> float:
        if self.partitions_total:
            return min(self.partitions_done / self.partitions_total, 1.0)
        return 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left at the current rate, while running and when it can be told."""
        if self.status != "running" or not self.rows_per_second or self.estimated_rows is None:
            return None
        return max(self.estimated_rows - (self.rows or 0), 0) / self.rows_per_second


class RunModel:
    """One run: a `TableRun` per table, the log, and whether it has ended.

    `apply` takes every engine event; `version` grows with each change, so a view redraws
    only when something changed (and no more often than its own timer).
    """

    def __init__(self, tables: list[str]) -> None:
        self.tables: dict[str, TableRun] = {name: TableRun(name) for name in tables}
        self.run_id: str | None = None
        self.output: str | None = None
        self.started_at: float | None = None
        self.spark_seconds: float | None = None
        self.finished = False
        self.seconds: float | None = None
        self.cancel_requested = False
        self.logs: deque[ev.LogLine] = deque(maxlen=LOG_LIMIT)
        self.logs_dropped = 0
        self.version = 0

    # ------------------------------------------------------------------ events
    def apply(self, e: ev.Event) -> None:
        handler = getattr(self, f"_on_{e.kind}", None)
        if handler is not None:
            handler(e)
            self.version += 1

    def _table(self, name: str) -> TableRun:
        """The row of `name`; an incremental table's windows (`orders [2026-01-05]`) take its place."""
        if name not in self.tables:
            base = base_name(name)
            parent = self.tables.get(base)
            if parent is not None and base != name and parent.status in ("waiting", "queued"):
                self.tables = {(name if k == base else k): (TableRun(name) if k == base else v)
                               for k, v in self.tables.items()}
            else:
                self.tables[name] = TableRun(name)
        return self.tables[name]

    def _on_RunStarted(self, e: ev.RunStarted) -> None:  # noqa: N802 - named after the event
        self.run_id, self.output, self.started_at = e.run_id, e.output, e.at

    def _on_SparkReady(self, e: ev.SparkReady) -> None:  # noqa: N802
        self.spark_seconds = e.seconds
        for t in self.tables.values():
            if t.status == "waiting":
                t.status = "queued"

    def _on_TablePlanned(self, e: ev.TablePlanned) -> None:  # noqa: N802
        t = self._table(e.table)
        t.strategy, t.column, t.partitions_total, t.estimated_rows = e.strategy, e.column, e.partitions, \
            e.estimated_rows
        if not t.ended and t.status != "cancelling":
            t.status = "planned"

    def _on_TableStarted(self, e: ev.TableStarted) -> None:  # noqa: N802
        t = self._table(e.table)
        t.partitions_total, t.estimated_rows = e.partitions, e.estimated_rows
        if not t.ended and t.status != "cancelling":
            t.status = "running"

    def _on_TableProgress(self, e: ev.TableProgress) -> None:  # noqa: N802
        t = self._table(e.table)
        if t.ended:
            return
        t.partitions_done, t.partitions_total = e.partitions_done, e.partitions_total or t.partitions_total
        t.rows, t.rows_per_second = e.rows, e.rows_per_second

    def _on_TableFinished(self, e: ev.TableFinished) -> None:  # noqa: N802
        t = self._table(e.table)
        t.status, t.rows, t.files, t.bytes, t.seconds, t.path = "done", e.rows, e.files, e.bytes, e.seconds, e.path
        t.partitions_done = t.partitions_total or t.partitions_done
        t.rows_per_second = e.rows / e.seconds if e.seconds else None

    def _on_TableFailed(self, e: ev.TableFailed) -> None:  # noqa: N802
        t = self._table(e.table)
        cancelled = e.error == "cancelled" or t.status == "cancelling"
        t.status = "cancelled" if cancelled else "failed"
        t.error = None if cancelled else e.error
        t.seconds, t.rows_per_second = e.seconds, None

    def _on_TableCancelled(self, e: ev.TableCancelled) -> None:  # noqa: N802
        t = self._table(e.table)
        t.status, t.error, t.seconds, t.rows_per_second = "cancelled", None, e.seconds, None

    def _on_LogLine(self, e: ev.LogLine) -> None:  # noqa: N802
        if len(self.logs) == self.logs.maxlen:
            self.logs_dropped += 1
        self.logs.append(e)

    def _on_RunFinished(self, e: ev.RunFinished) -> None:  # noqa: N802
        for name in e.cancelled:
            t = self._table(name)
            t.status, t.error = "cancelled", None
        for name in e.succeeded:
            t = self.tables.get(name)
            if t is not None and not t.ended:  # nothing to extract (an incremental table up to date)
                t.status, t.note = "done", "up to date"
        for t in self.tables.values():
            if not t.ended:  # never started and not reported: say so rather than spin forever
                t.status = "cancelled" if self.cancel_requested else "failed"
                t.error = t.error or (None if self.cancel_requested else "the run ended before this table ran")
        self.finished, self.seconds = True, e.seconds

    # ----------------------------------------------------------- user requests
    def request_cancel(self, table: str | None) -> list[str]:
        """Mark `table` (or every table) as being cancelled; returns the names that were still going."""
        if table is None:
            self.cancel_requested = True
        targets = [t for t in self.tables.values()
                   if (table is None or base_name(t.name) == base_name(table)) and not t.ended]
        for t in targets:
            t.status = "cancelling"
        self.version += 1
        return [t.name for t in targets]

    def launch_failed(self, reason: str) -> None:
        """The run never started (e.g. a bad override): every table fails with `reason`."""
        for t in self.tables.values():
            t.status, t.error = "failed", reason
        self.finished = True
        self.version += 1

    # --------------------------------------------------------------- summaries
    @property
    def fraction(self) -> float:
        runs = list(self.tables.values())
        return sum(t.fraction for t in runs) / len(runs) if runs else 0.0

    def count(self, status: str) -> int:
        return sum(1 for t in self.tables.values() if t.status == status)

    @property
    def ended_count(self) -> int:
        return sum(1 for t in self.tables.values() if t.ended)

    def summary(self) -> str:
        """`2 done, 1 failed, 1 running`: the statuses present, in a fixed order."""
        order = ("done", "failed", "cancelled", "running", "cancelling", "planned", "queued", "waiting")
        parts = [f"{self.count(s)} {s}" for s in order if self.count(s)]
        return ", ".join(parts)
