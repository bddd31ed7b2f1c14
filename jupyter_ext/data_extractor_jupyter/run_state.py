"""One run as the panel sees it, built from the engine's events. Pure data: the Run and Logs tabs render it."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from data_extractor import humanize
from data_extractor.run import events as ev

from .formatting import short_path

LOG_LIMIT = 5_000
ENDED = ("done", "failed", "cancelled")


@dataclass
class TableRow:
    name: str
    status: str = "waiting"  # waiting | queued | planned | running | cancelling | done | failed | cancelled
    partitions_done: int = 0
    partitions_total: int = 0
    estimated_rows: int | None = None
    rows: int | None = None
    rows_per_second: float | None = None
    seconds: float | None = None
    path: str | None = None
    error: str | None = None
    finished_rows: int = 0  # of the windows already published, for an incremental table
    finished_seconds: float = 0.0

    @property
    def ended(self) -> bool:
        return self.status in ENDED

    @property
    def fraction(self) -> float:
        if self.status == "done":
            return 1.0
        return min(self.partitions_done / self.partitions_total, 1.0) if self.partitions_total else 0.0


class RunState:
    """The rows of one run, its log, and how it ended. `apply` takes every event; `version` counts changes."""

    def __init__(self, tables: list[str], output: str | None = None) -> None:
        self.rows: dict[str, TableRow] = {name: TableRow(name) for name in tables}
        self.output = output
        self.run_id: str | None = None
        self.spark_seconds: float | None = None
        self.finished = False
        self.seconds: float | None = None
        self.cancel_requested = False
        self.start_error: str | None = None
        self.logs: deque[ev.LogLine] = deque(maxlen=LOG_LIMIT)
        self.version = 0

    # ------------------------------------------------------------------ events
    def apply(self, e: ev.Event) -> None:
        handler = getattr(self, f"_on_{e.kind}", None)
        if handler is not None:
            handler(e)
            self.version += 1

    def row(self, label: str) -> TableRow | None:
        """The row of an event's table; a window of an incremental table (`orders [2026-01-01]`) is its table's."""
        return self.rows.get(label) or self.rows.get(label.split(" [", 1)[0])

    def _on_RunStarted(self, e: ev.RunStarted) -> None:  # noqa: N802 - named after the event
        self.run_id, self.output = e.run_id, e.output

    def _on_SparkReady(self, e: ev.SparkReady) -> None:  # noqa: N802
        self.spark_seconds = e.seconds
        for r in self.rows.values():
            if r.status == "waiting":
                r.status = "queued"

    def _on_TablePlanned(self, e: ev.TablePlanned) -> None:  # noqa: N802
        if (r := self.row(e.table)) and r.status in ("waiting", "queued"):
            r.status, r.partitions_total, r.estimated_rows = "planned", e.partitions, e.estimated_rows

    def _on_TableStarted(self, e: ev.TableStarted) -> None:  # noqa: N802
        r = self.row(e.table)
        if r is None or (r.ended and not (e.table != r.name and r.status == "done")):
            return  # ended, unless this is the next window of an incremental table
        r.partitions_done, r.partitions_total, r.estimated_rows = 0, e.partitions, e.estimated_rows
        if r.status != "cancelling":
            r.status = "running"

    def _on_TableProgress(self, e: ev.TableProgress) -> None:  # noqa: N802
        if (r := self.row(e.table)) and not r.ended:
            r.partitions_done, r.partitions_total = e.partitions_done, e.partitions_total or r.partitions_total
            r.rows = None if e.rows is None else r.finished_rows + e.rows
            r.rows_per_second = e.rows_per_second

    def _on_TableFinished(self, e: ev.TableFinished) -> None:  # noqa: N802
        if r := self.row(e.table):
            r.finished_rows += e.rows  # windows of an incremental table add up
            r.finished_seconds += e.seconds
            r.rows, r.seconds = r.finished_rows, r.finished_seconds
            r.status, r.path, r.partitions_done = "done", e.path, max(r.partitions_total, 1)
            r.partitions_total = r.partitions_done
            r.rows_per_second = r.rows / r.seconds if r.seconds else None

    def _on_TableFailed(self, e: ev.TableFailed) -> None:  # noqa: N802
        if r := self.row(e.table):
            cancelled = e.error == "cancelled"
            r.status, r.seconds = ("cancelled" if cancelled else "failed"), e.seconds
            r.error = None if cancelled else e.error

    def _on_TableCancelled(self, e: ev.TableCancelled) -> None:  # noqa: N802
        if r := self.row(e.table):
            r.status, r.seconds, r.error = "cancelled", e.seconds, None

    def _on_LogLine(self, e: ev.LogLine) -> None:  # noqa: N802
        self.logs.append(e)

    def _on_RunFinished(self, e: ev.RunFinished) -> None:  # noqa: N802
        self.finished, self.seconds = True, e.seconds
        for r in self.rows.values():
            if r.ended:
                continue
            if r.name in e.cancelled or self.cancel_requested:
                r.status = "cancelled"  # cancelled before it started
            elif r.name in e.succeeded:
                r.status, r.rows = "done", r.rows or 0  # e.g. an incremental table with no window due
            else:
                r.status, r.error = "failed", r.error or "the run ended without finishing this table"

    # ------------------------------------------------------------------ views
    def request_cancel(self, table: str | None = None) -> None:
        targets = [self.rows[table]] if table in self.rows else list(self.rows.values()) if table is None else []
        if table is None:
            self.cancel_requested = True
        for r in targets:
            if not r.ended:
                r.status = "cancelling"
        self.version += 1

    @property
    def overall(self) -> float:
        """Fraction done, each table weighted by its estimated rows when every estimate is known."""
        rows = list(self.rows.values())
        if not rows or self.start_error:
            return 0.0
        if self.finished:
            return 1.0
        weights = [r.estimated_rows for r in rows]
        if any(w is None for w in weights) or not sum(w or 0 for w in weights):
            weights = [1] * len(rows)
        fractions = [1.0 if r.ended else r.fraction for r in rows]
        return sum(f * (w or 0) for f, w in zip(fractions, weights, strict=True)) / sum(w or 0 for w in weights)

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.rows.values())

    def summary(self) -> tuple[str, str]:
        """(kind, sentence) saying where the run is and what happens next; kind is hint, ok, warn or error."""
        n = len(self.rows)
        total_rows = sum(r.rows or 0 for r in self.rows.values())
        if self.start_error:
            return "error", f"the run did not start: {self.start_error}"
        if not self.finished:
            if self.run_id is None or self.spark_seconds is None:
                return "hint", (f"starting Spark for {n} table(s) (the first run in a session takes a few "
                                "seconds); Cancel stops the run")
            done = self.count("done")
            verb = "cancelling" if self.cancel_requested else "extracting"
            return "hint", (f"{verb} {n} table(s): {done} done, {humanize.count(total_rows)} rows so far; "
                            "Cancel stops them (nothing half-written is ever published)")
        failed, cancelled, done = self.count("failed"), self.count("cancelled"), self.count("done")
        took = humanize.duration(self.seconds)
        where = f" into {short_path(self.output)}" if self.output else ""
        if failed:
            return "error", (f"{failed} of {n} table(s) failed (reason in red above, full log in the Logs tab); "
                             f"{done} done{where}. Fix the cause and Run again")
        if cancelled:
            return "warn", (f"cancelled after {took}: {done} table(s) done, {cancelled} cancelled and not published "
                            "(earlier extracts are untouched). Run to start again")
        return "ok", (f"done: {done} table(s), {total_rows:,} rows in {took}{where}. "
                      "Select other tables or Run again")
