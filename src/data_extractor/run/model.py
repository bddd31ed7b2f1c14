"""The run model every face renders: one run folded from its event stream. Pure data, standard library only.

`RunModel.apply(event)` takes each event of `run/events.py`; the CLI, the TUI and the notebook panel
read the same numbers from it (rows so far and expected, partitions, rate, ETA, status, the failure
reason, the log) and only decide how to draw them.

Example:
    >>> from data_extractor.run import events as ev
    >>> m = RunModel(["orders"])
    >>> m.apply(ev.TableStarted("r1", "orders", 8, 800_000))
    >>> m.apply(ev.TableProgress("r1", "orders", 2, 8, 150_000, 50_000.0, 3.0))
    >>> round(m.tables["orders"].fraction, 4), m.tables["orders"].status
    (0.1875, 'running')
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field

from data_extractor.run import events as ev

LOG_LIMIT = 5_000
QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED = "queued", "running", "succeeded", "failed", "cancelled"
ENDED = (SUCCEEDED, FAILED, CANCELLED)
NEVER_COMPLETE = 0.99  # the most a table (or the run) shows until it has succeeded


def base_name(label: str) -> str:
    """The table of an event's label: `orders [2026-01-05]` (one window of an incremental table) is `orders`."""
    return label.split(" [", 1)[0] if label.endswith("]") else label


@dataclass
class Progress:
    """One table, or one window of an incremental table."""

    name: str
    status: str = QUEUED  # queued | running | succeeded | failed | cancelled
    spark_ready: bool = False  # queued behind Spark's start, or behind other tables
    planned: bool = False
    cancelling: bool = False  # a cancel was asked for and has not landed yet
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
    error: str | None = None  # the failure reason (None when cancelled)
    note: str | None = None  # e.g. "up to date": an incremental table with no window due

    @property
    def ended(self) -> bool:
        return self.status in ENDED

    @property
    def expected_rows(self) -> int | None:
        """The rows this table should reach: its estimate, or the rows read when they passed the estimate."""
        if self.status == SUCCEEDED and self.rows is not None:
            return self.rows
        if self.estimated_rows is None:
            return None
        return max(self.estimated_rows, self.rows or 0)

    @property
    def fraction(self) -> float:
        """0..1 by rows (by partitions when no estimate exists); only a success reaches 1."""
        if self.status == SUCCEEDED:
            return 1.0
        if self.estimated_rows and self.rows is not None:
            f = self.rows / self.estimated_rows
        elif self.partitions_total:
            f = self.partitions_done / self.partitions_total
        else:
            f = 0.0
        return min(f, NEVER_COMPLETE)

    @property
    def percent(self) -> int:
        return int(self.fraction * 100)

    @property
    def eta(self) -> float | None:
        """Seconds left at the current rate, while running, when an estimate exists."""
        if self.status != RUNNING or not self.rows_per_second or self.estimated_rows is None:
            return None
        return max(self.estimated_rows - (self.rows or 0), 0) / self.rows_per_second


@dataclass
class TableRun(Progress):
    """A table of the run; an incremental table's windows are in `windows` and add up into it."""

    windows: dict[str, Progress] = field(default_factory=dict)

    def fold_windows(self) -> None:
        """The table's numbers from its windows: rows and estimates add up, the latest window sets the rest."""
        ws = list(self.windows.values())
        if not ws:
            return
        last = ws[-1]
        self.rows = None if all(w.rows is None for w in ws) else sum(w.rows or 0 for w in ws)
        known = [w.estimated_rows for w in ws if w.estimated_rows is not None]
        self.estimated_rows = sum(known) if known else None
        self.partitions_done = sum(w.partitions_done for w in ws)
        self.partitions_total = sum(w.partitions_total or 0 for w in ws) or None
        self.seconds = sum(w.seconds or 0.0 for w in ws) if any(w.seconds is not None for w in ws) else None
        self.files = sum(w.files or 0 for w in ws)
        self.bytes = sum(w.bytes or 0 for w in ws)
        self.path = last.path or self.path
        self.strategy, self.column, self.planned = last.strategy, last.column, last.planned
        self.rows_per_second = last.rows_per_second if last.status == RUNNING else (
            self.rows / self.seconds if self.rows and self.seconds else None)
        failed = next((w for w in ws if w.status == FAILED), None)
        if failed is not None:
            self.status, self.error = FAILED, failed.error
        elif any(w.status == CANCELLED for w in ws):
            self.status, self.error = CANCELLED, None
        else:  # succeeded so far when every window due yet did; the next window, if any, reopens it
            self.status = SUCCEEDED if all(w.status == SUCCEEDED for w in ws) else RUNNING


class RunModel:
    """One run: a `TableRun` per table, the log, how it ended, and the overall numbers.

    `apply` takes every engine event; `version` grows with each change, so a face redraws only
    when something changed (and no more often than its own timer).
    """

    def __init__(self, tables: list[str], output: str | None = None) -> None:
        self.tables: dict[str, TableRun] = {name: TableRun(name) for name in tables}
        self.run_id: str | None = None
        self.output = output
        self.started_at: float | None = None
        self.spark_seconds: float | None = None
        self.finished = False
        self.seconds: float | None = None
        self.cancel_requested = False
        self.start_error: str | None = None
        self.logs: deque[ev.LogLine] = deque(maxlen=LOG_LIMIT)
        self.logs_dropped = 0
        self.version = 0

    # ------------------------------------------------------------------ events
    def apply(self, e: ev.Event) -> None:
        handler = getattr(self, f"_on_{e.kind}", None)
        if handler is not None:
            handler(e)
            self.version += 1

    def table(self, label: str) -> TableRun:
        """The table of an event's label (a window's label finds its table); an unknown name is added."""
        name = label if label in self.tables else base_name(label)
        if name not in self.tables:
            self.tables[name] = TableRun(name, spark_ready=self.spark_seconds is not None)
        return self.tables[name]

    def _part(self, label: str) -> tuple[TableRun, Progress]:
        """(table, what the event is about): the table itself, or one of its windows."""
        t = self.table(label)
        if label == t.name:
            return t, t
        if label not in t.windows:
            t.windows[label] = Progress(label, spark_ready=True, cancelling=t.cancelling)
        return t, t.windows[label]

    def _on_RunStarted(self, e: ev.RunStarted) -> None:  # noqa: N802 - named after the event
        self.run_id, self.output, self.started_at = e.run_id, e.output, e.at

    def _on_SparkReady(self, e: ev.SparkReady) -> None:  # noqa: N802
        self.spark_seconds = e.seconds
        for t in self.tables.values():
            t.spark_ready = True

    def _on_TablePlanned(self, e: ev.TablePlanned) -> None:  # noqa: N802
        t, p = self._part(e.table)
        if not p.ended:
            p.strategy, p.column, p.partitions_total, p.estimated_rows = (e.strategy, e.column, e.partitions,
                                                                          e.estimated_rows)
            p.planned = p.spark_ready = True
        self._fold(t)

    def _on_TableStarted(self, e: ev.TableStarted) -> None:  # noqa: N802
        t, p = self._part(e.table)
        if not p.ended:
            p.partitions_total, p.estimated_rows, p.status, p.spark_ready = (e.partitions, e.estimated_rows,
                                                                             RUNNING, True)
        self._fold(t)

    def _on_TableProgress(self, e: ev.TableProgress) -> None:  # noqa: N802
        t, p = self._part(e.table)
        if not p.ended:
            p.status = RUNNING
            p.partitions_done, p.partitions_total = e.partitions_done, e.partitions_total or p.partitions_total
            p.rows, p.rows_per_second = e.rows, e.rows_per_second
        self._fold(t)

    def _on_TableFinished(self, e: ev.TableFinished) -> None:  # noqa: N802
        t, p = self._part(e.table)
        p.status, p.rows, p.files, p.bytes, p.seconds, p.path = SUCCEEDED, e.rows, e.files, e.bytes, e.seconds, e.path
        p.partitions_done = p.partitions_total or p.partitions_done
        p.rows_per_second, p.cancelling = (e.rows / e.seconds if e.seconds else None), False
        self._fold(t)

    def _on_TableFailed(self, e: ev.TableFailed) -> None:  # noqa: N802
        t, p = self._part(e.table)
        if e.error == "cancelled" or p.cancelling:
            self._cancelled(t, p, e.seconds)
            return
        p.status, p.error, p.seconds, p.rows_per_second, p.cancelling = FAILED, e.error, e.seconds, None, False
        self._fold(t)
        if not any(line.level == "error" and line.table and base_name(line.table) == t.name
                   and e.error in line.message for line in self.logs):  # a table refused before its read logs nothing
            self._log(ev.LogLine(e.run_id, "error", f"failed: {e.error}", table=e.table, at=e.at))

    def _on_TableCancelled(self, e: ev.TableCancelled) -> None:  # noqa: N802
        t, p = self._part(e.table)
        self._cancelled(t, p, e.seconds)

    def _cancelled(self, t: TableRun, p: Progress, seconds: float) -> None:
        p.status, p.error, p.seconds, p.rows_per_second, p.cancelling = CANCELLED, None, seconds, None, False
        self._fold(t)

    def _on_LogLine(self, e: ev.LogLine) -> None:  # noqa: N802
        self._log(e)

    def _log(self, line: ev.LogLine) -> None:
        if len(self.logs) == self.logs.maxlen:
            self.logs_dropped += 1
        self.logs.append(line)

    def _on_RunFinished(self, e: ev.RunFinished) -> None:  # noqa: N802
        for label in e.cancelled:
            t, p = self._part(label)
            if not p.ended:
                self._cancelled(t, p, p.seconds or 0.0)
        for t in self.tables.values():
            if t.ended:
                continue
            if t.name in e.succeeded:  # nothing to extract: an incremental table already up to date
                t.status, t.note, t.rows = SUCCEEDED, "up to date", t.rows or 0
            elif self.cancel_requested or t.name in e.cancelled:
                t.status = CANCELLED
            else:  # never started and not reported: say so rather than spin forever
                t.status, t.error = FAILED, t.error or "the run ended before this table ran"
            t.cancelling = False
        self.finished, self.seconds = True, e.seconds

    @staticmethod
    def _fold(t: TableRun) -> None:
        t.fold_windows()

    # ----------------------------------------------------------- user requests
    def request_cancel(self, table: str | None = None) -> list[str]:
        """Mark `table` (or every table) as being cancelled; returns the names that were still going."""
        if table is None:
            self.cancel_requested = True
        name = None if table is None else base_name(table)
        targets = [t for t in self.tables.values() if (name is None or t.name == name) and not t.ended]
        for t in targets:
            t.cancelling = True
            for w in t.windows.values():
                w.cancelling = not w.ended
        self.version += 1
        return [t.name for t in targets]

    def launch_failed(self, reason: str) -> None:
        """The run never started (e.g. a bad override): every table fails with `reason`."""
        self.start_error = reason
        for t in self.tables.values():
            t.status, t.error = FAILED, reason
        self.finished = True
        self.version += 1

    # --------------------------------------------------------------- summaries
    def lines(self) -> Iterator[Progress]:
        """What a face shows a line for: each table, or each window of an incremental table in its place."""
        for t in self.tables.values():
            yield from (t.windows.values() if t.windows else (t,))

    @property
    def fraction(self) -> float:
        """The run's share done, each table weighted by its expected rows; only a full success reaches 1."""
        runs = list(self.tables.values())
        if not runs:
            return 0.0
        known = [t.expected_rows for t in runs if t.expected_rows]
        default = sum(known) / len(known) if known else 1  # a table with no estimate weighs as an average one
        weights = [t.expected_rows or default for t in runs]
        f = sum(t.fraction * w for t, w in zip(runs, weights, strict=True)) / sum(weights)
        return 1.0 if all(t.status == SUCCEEDED for t in runs) else min(f, NEVER_COMPLETE)

    @property
    def percent(self) -> int:
        return int(self.fraction * 100)

    @property
    def rows(self) -> int:
        return sum(t.rows or 0 for t in self.tables.values())

    @property
    def expected_rows(self) -> int | None:
        known = [t.expected_rows for t in self.tables.values()]
        return None if any(k is None for k in known) else sum(k or 0 for k in known)

    @property
    def rows_per_second(self) -> float:
        return sum(t.rows_per_second or 0 for t in self.tables.values() if t.status == RUNNING)

    def count(self, status: str) -> int:
        return sum(1 for t in self.tables.values() if t.status == status)

    @property
    def ended_count(self) -> int:
        return sum(1 for t in self.tables.values() if t.ended)

    def counts(self) -> dict[str, int]:
        """How many tables are in each status, in a fixed order, leaving out the ones at zero."""
        found = {s: self.count(s) for s in (SUCCEEDED, FAILED, CANCELLED, RUNNING, QUEUED)}
        return {s: n for s, n in found.items() if n}
