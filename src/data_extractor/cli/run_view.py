"""How `data-extractor run` shows a run: rich progress bars on a terminal, plain lines elsewhere."""

from __future__ import annotations

import json
import os
import sys
import threading

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from data_extractor import humanize
from data_extractor.run import events as ev
from data_extractor.run.results import RunResult


class RunView:
    """Renders the event stream. Called from the run's threads; rich's Progress is thread-safe."""

    def __init__(self, console: Console | None = None, live: bool | None = None, quiet_logs: bool = False) -> None:
        self.console = console or Console(stderr=True, highlight=False)
        self.live = self.console.is_terminal if live is None else live
        self.quiet_logs = quiet_logs
        self._lock = threading.Lock()
        self.tasks: dict[str, TaskID] = {}
        self.progress = Progress(
            TextColumn("{task.description:<28}"),
            BarColumn(bar_width=30),
            TextColumn("{task.percentage:>3.0f}%"),
            TextColumn("{task.fields[rows]:>10}"),
            TextColumn("{task.fields[rate]:>10}"),
            TimeRemainingColumn(),
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
            self._handle(e)

    def _handle(self, e: ev.Event) -> None:
        if isinstance(e, ev.SparkReady):
            self._say(f"Spark ready in {e.seconds:.1f} s ({e.master})")
        elif isinstance(e, ev.TableStarted):
            self.tasks[e.table] = self.progress.add_task(e.table, total=e.partitions, rows="", rate="",
                                                         status="running")
            if not self.live:
                self._say(f"{e.table}: started, {e.partitions} partition(s), ~{humanize.count(e.estimated_rows)} rows")
        elif isinstance(e, ev.TableProgress) and e.table in self.tasks:
            self.progress.update(self.tasks[e.table], completed=e.partitions_done, total=e.partitions_total,
                                 rows=humanize.count(e.rows) if e.rows else "",
                                 rate=f"{humanize.count(e.rows_per_second)}/s" if e.rows_per_second else "")
        elif isinstance(e, ev.TableFinished):
            if e.table in self.tasks:
                task = self.tasks[e.table]
                total = self.progress.tasks[self._index(task)].total
                self.progress.update(task, completed=total, rows=humanize.count(e.rows),
                                     rate=f"{humanize.count(e.rows / e.seconds if e.seconds else None)}/s",
                                     status=f"[green]done[/] {e.seconds:.1f} s")
            if not self.live:
                self._say(f"{e.table}: done, {e.rows:,} rows, {e.files} file(s), {humanize.size(e.bytes)} in "
                          f"{e.seconds:.1f} s -> {e.path}")
        elif isinstance(e, ev.TableCancelled):
            if e.table in self.tasks:
                self.progress.update(self.tasks[e.table], status="[yellow]cancelled[/]")
            self._say(f"{e.table}: cancelled, nothing published")
        elif isinstance(e, ev.TableFailed):
            if e.table in self.tasks:
                self.progress.update(self.tasks[e.table], status="[red]failed[/]")
            self._say(f"{e.table}: FAILED: {e.error}")
        elif isinstance(e, ev.LogLine) and not self.quiet_logs:
            if e.level in ("debug", "info"):
                return  # the bars and lines say it; warnings and errors still show
            if e.level == "error" and e.table:
                return  # TableFailed says it in one line
            self._say(f"{e.level.upper():<7} {e.table + ' ' if e.table else ''}{e.message}")

    def _index(self, task: TaskID) -> int:
        return next(i for i, t in enumerate(self.progress.tasks) if t.id == task)

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


def _short(path: str | None, root: str | None) -> str | None:
    if path and root:
        rel = os.path.relpath(path, root)
        return path if rel.startswith("..") else rel
    return path


def print_json(result: RunResult) -> None:
    sys.stdout.write(json.dumps(result.to_dict(), indent=2, default=str) + "\n")


