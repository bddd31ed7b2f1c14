"""How `data-extractor run` shows a run: rich progress bars on a terminal, plain lines elsewhere."""

from __future__ import annotations

import json
import os
import sys
import threading

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn
from rich.table import Table
from rich.text import Text

from data_extractor import humanize
from data_extractor.run import events as ev
from data_extractor.run.model import Progress as ModelProgress
from data_extractor.run.model import RunModel
from data_extractor.run.results import RunResult


class RunView:
    """Renders the run model folded from the event stream. Called from the run's threads; one event at a time.

    Bars and percentages are the model's (rows, or partitions when no estimate exists); only a table that
    succeeded reaches 100%.
    """

    def __init__(self, console: Console | None = None, live: bool | None = None, quiet_logs: bool = False) -> None:
        self.console = console or Console(stderr=True, highlight=False)
        self.live = self.console.is_terminal if live is None else live
        self.quiet_logs = quiet_logs
        self._lock = threading.Lock()
        self.model = RunModel([])
        self.tasks: dict[str, TaskID] = {}
        self.progress = Progress(
            TextColumn("{task.description:<28}"),
            BarColumn(bar_width=30),
            TextColumn("{task.fields[pct]:>4}"),
            TextColumn("{task.fields[rows]:>19}"),
            TextColumn("{task.fields[rate]:>10}"),
            TextColumn("{task.fields[eta]:>8}"),
            TextColumn("{task.fields[status]}"),
            console=self.console,
            transient=False,
            disable=not self.live,
        )

    def __enter__(self) -> RunView:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def _say(self, text: str) -> None:
        if self.live:
            self.progress.console.print(text, highlight=False, markup=False)
        else:
            print(text, file=sys.stderr, flush=True)

    def __call__(self, e: ev.Event) -> None:
        with self._lock:
            if isinstance(e, ev.RunStarted):
                self.model = RunModel(list(e.tables), e.output)
            self.model.apply(e)
            self._handle(e)

    def _line(self, label: str) -> ModelProgress | None:
        return next((p for p in self.model.lines() if p.name == label), None)

    def _draw(self, label: str) -> None:
        """The bar of `label` (a table, or a window of an incremental one) as the model has it now."""
        p = self._line(label)
        if p is None or not self.live:
            return
        fields = {"pct": f"{p.percent}%", "rows": _rows(p), "rate": _rate(p.rows_per_second),
                  "eta": humanize.duration(p.eta) if p.eta is not None else "", "status": _status(p)}
        if label not in self.tasks:
            self.tasks[label] = self.progress.add_task(label, total=BAR_STEPS, **fields)
        self.progress.update(self.tasks[label], completed=round(p.fraction * BAR_STEPS), **fields)

    def _handle(self, e: ev.Event) -> None:
        label = getattr(e, "table", None)
        if isinstance(e, (ev.TableStarted, ev.TableProgress, ev.TableFinished, ev.TableFailed, ev.TableCancelled)):
            self._draw(label)
        p = self._line(label) if label else None
        if isinstance(e, ev.SparkReady):
            self._say(f"Spark ready in {e.seconds:.1f} s ({e.master})")
        elif isinstance(e, ev.TableStarted) and not self.live:
            self._say(f"{e.table}: started, {e.partitions} partition(s), ~{humanize.count(e.estimated_rows)} rows")
        elif isinstance(e, ev.TableFinished) and not self.live:
            self._say(f"{e.table}: done, {e.rows:,} rows, {e.files} file(s), {humanize.size(e.bytes)} in "
                      f"{e.seconds:.1f} s -> {e.path}")
        elif p is not None and isinstance(e, (ev.TableCancelled, ev.TableFailed)) and p.status == "cancelled":
            self._say(f"{e.table}: cancelled, nothing published")
        elif isinstance(e, ev.TableFailed) and p is not None:
            self._say(f"{e.table}: FAILED: {p.error}")
        elif isinstance(e, ev.LogLine) and not self.quiet_logs:
            if e.level in ("debug", "info"):
                return  # the bars and lines say it; warnings and errors still show
            if e.level == "error" and e.table:
                return  # TableFailed says it in one line
            self._say(f"{e.level.upper():<7} {e.table + ' ' if e.table else ''}{e.message}")

    def summary(self, result: RunResult, root: str | None = None) -> None:
        table = Table(title=f"Run {result.run_id}: {'ok' if result.ok else 'FAILED'} in {result.seconds:.1f} s"
                      + (f" (Spark start {result.spark_seconds:.1f} s)" if result.spark_seconds else ""),
                      title_justify="left")
        for name, justify in (("table", "left"), ("status", "left"), ("rows", "right"), ("files", "right"),
                              ("size", "right"), ("seconds", "right"), ("output / error", "left")):
            table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
        for t in result.tables:
            colour = {"succeeded": "green", "failed": "red"}.get(t.status, "yellow")
            table.add_row(t.table, f"[{colour}]{t.status}[/]", f"{t.rows:,}", str(t.files), humanize.size(t.bytes),
                          f"{t.seconds:.1f}", Text(_short(t.path, root) or t.error or ""))  # not markup
        if root:
            table.caption, table.caption_justify = f"output under {root}", "left"
        Console(highlight=False).print(table)


BAR_STEPS = 1000


def _rows(p: ModelProgress) -> str:
    if p.status == "succeeded":
        return f"{p.rows or 0:,}"
    if p.expected_rows is not None and p.status == "running":
        return f"{humanize.count(p.rows or 0)} / {humanize.count(p.expected_rows)}"
    return humanize.count(p.rows) if p.rows is not None else ""


def _rate(rows_per_second: float | None) -> str:
    return f"{humanize.count(rows_per_second)}/s" if rows_per_second else ""


def _status(p: ModelProgress) -> str:
    if p.status == "succeeded":
        return f"[green]done[/] {p.seconds:.1f} s" if p.seconds is not None else "[green]done[/]"
    if p.status == "failed":
        return "[red]failed[/]"
    if p.status == "cancelled":
        return "[yellow]cancelled[/]"
    return "[yellow]cancelling[/]" if p.cancelling else p.status


def _short(path: str | None, root: str | None) -> str | None:
    if path and root:
        rel = os.path.relpath(path, root)
        return path if rel.startswith("..") else rel
    return path


def print_json(result: RunResult) -> None:
    sys.stdout.write(json.dumps(result.to_dict(), indent=2, default=str) + "\n")


