"""Run: a row per table with live progress, an overall bar, the log, and cancel.

Events reach the app's handler, which folds them into the engine's `RunModel`; this screen renders
the model on a timer, a few times a second at most, and only what changed (a table's or the run's
end at once, so the header and the rows never disagree).
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from rich.markup import escape
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from data_extractor.run.model import Progress, RunModel

from ..formatting import bar, plural, size_text
from ..palette import tone
from ..widgets.log_pane import LogPane
from ..widgets.run_table import BAR_WIDTH, RunTable, summary
from ..widgets.top_bar import TopBar

if TYPE_CHECKING:
    from ..app import DataExtractorApp

REDRAWS_PER_SECOND = 4


class RunScreen(Screen[None]):
    app: DataExtractorApp
    _drawn_version = -1
    _drawn_finished = False
    _detail_key: tuple[object, ...] | None = None

    BINDINGS = [
        Binding("c", "cancel_table", "cancel table"),
        Binding("C", "cancel_all", "cancel all"),
        Binding("l", "cycle_logs", "filter logs"),
        Binding("escape", "app.pop_screen", "back"),
    ]

    def compose(self) -> ComposeResult:
        yield TopBar(id="top-bar")
        with Vertical(id="run-pane"):
            yield RunTable(id="run-tables")
            yield Static("", id="run-overall")
            yield Static("", id="run-detail")
        with Vertical(id="log-pane"):
            yield LogPane(self.app.clock, id="run-log")
        yield Footer()

    @property
    def model(self) -> RunModel | None:
        return self.app.run_model

    def on_mount(self) -> None:
        self._drawn_version = -1
        self._drawn_finished = False
        self._detail_key: tuple[object, ...] | None = None
        self.query_one("#log-pane").border_title = "Logs (all tables)"
        self.query_one(RunTable).focus()
        self.redraw()
        self.set_interval(1 / REDRAWS_PER_SECOND, self.redraw)

    def redraw(self) -> None:
        """Bring the view up to date with the model, if it changed."""
        model = self.model
        if model is None or model.version == self._drawn_version or not self.query("#run-pane"):
            return  # nothing new, or not composed yet (an end can arrive before the screen is)
        finished = model.finished
        self._drawn_version = model.version
        if finished != self._drawn_finished:
            self._drawn_finished = finished
            self.refresh_bindings()  # cancel keys leave the footer once the run has ended
        self.query_one("#run-pane").border_title = self._title(model)
        self.query_one(RunTable).draw(model)
        self.query_one("#run-overall", Static).update(self._overall(model))
        self._show_detail()
        log = self.query_one(LogPane)
        total = len(model.logs) + model.logs_dropped
        new = min(total - log.seen, len(model.logs))
        if new > 0:
            log.add(itertools.islice(model.logs, len(model.logs) - new, None))
        log.seen = total

    def _title(self, model: RunModel) -> str:
        if model.run_id is None:
            return "Run: starting…"
        when = self.app.clock.minute(model.started_at) if model.started_at else ""
        return f"Run {when} (run id {model.run_id}) → {model.output}"

    def _overall(self, model: RunModel) -> Text:
        filled, empty = bar(model.fraction, BAR_WIDTH)  # rows, each table weighted by its rows
        failed = model.count("failed")
        done_tone = "error" if failed else ("warning" if model.count("cancelled") else "success")
        line = Text("overall  ")
        line.append(filled, style=tone(self.app, done_tone if model.finished else "accent"))
        line.append(empty, style=tone(self.app, "foreground-muted"))
        line.append(f" {model.percent:>3d}%   {summary(model)}")
        if model.finished:
            took = f" in {model.seconds:.1f} s" if model.seconds is not None else ""
            line.append(f"\nRun finished{took}. ", style="bold")
            line.append("esc back to browse, h history" + (", l filters the log to one table" if failed else ""))
        elif model.run_id is None:
            line.append("\nStarting: Spark starts (or is reused) before the first table runs.")
        return line

    # ------------------------------------------------------------ the cursor row
    @on(DataTable.RowHighlighted, "#run-tables")
    def _row_highlighted(self) -> None:
        self._detail_key = None
        self._show_detail()

    def _show_detail(self) -> None:
        model, name = self.model, self.query_one(RunTable).selected_table()
        run = None if model is None else next((p for p in model.lines() if p.name == name), None)
        if run is None:
            return
        key = (name, run.status, run.cancelling, run.error, run.partitions_done, run.partitions_total)
        if key == self._detail_key:
            return
        self._detail_key = key
        self.query_one("#run-detail", Static).update(self._describe(run))

    def _describe(self, run: Progress) -> Text:
        name = run.name
        if run.status == "succeeded":
            took = f" in {run.seconds:.1f} s" if run.seconds is not None else ""
            return Text(f"{name}: {run.rows or 0:,} rows, {plural(run.files or 0, 'file')}, "
                        f"{size_text(run.bytes)}{took} → {run.path}")
        if run.status == "failed":
            text = Text()
            text.append(f"{name} failed: {run.error}", style=tone(self.app, "text-error", bold=True))
            text.append("\nNothing was published for it. Its log: press l until the log pane shows "
                        f"{name.rsplit('.', 1)[-1]}.")
            if self.app.console_log:
                text.append(f" Spark's own output: {self.app.console_log}")
            return text
        if run.status == "cancelled" or run.cancelling:
            state = "cancelled" if run.ended else "cancelling"
            return Text(f"{name}: {state}. Nothing is published for a cancelled table; "
                        "its previous output, if any, is untouched.")
        if run.status == "running":
            how = ""
            if run.strategy and run.strategy != "none":
                how = f", {run.strategy}" + (f" on {run.column}" if run.column else "")
            return Text(f"{name}: running, {run.partitions_done} of {plural(run.partitions_total or 0, 'partition')}"
                        f" done{how}. c cancels it, C cancels the whole run.")
        if run.planned:
            return Text(f"{name}: planned ({plural(run.partitions_total or 0, 'partition')}), starting.")
        if run.spark_ready:
            return Text(f"{name}: queued; it starts when a slot frees (defaults.parallel_tables).")
        return Text(f"{name}: waiting for Spark to start.")

    # ------------------------------------------------------------------ actions
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("cancel_table", "cancel_all"):
            return self.model is not None and not self.model.finished  # nothing left to cancel
        return True

    def action_cancel_table(self) -> None:
        name = self.query_one(RunTable).selected_table()
        if name is not None:
            self.app.cancel_run(name)

    def action_cancel_all(self) -> None:
        self.app.cancel_run(None)

    def action_cycle_logs(self) -> None:
        model = self.model
        if model is None:
            return
        order: list[str | None] = [None, *(p.name for p in model.lines())]
        log = self.query_one(LogPane)
        nxt = order[(order.index(log.only) + 1) % len(order)] if log.only in order else None
        log.show_only(nxt, model.logs)
        self.query_one("#log-pane").border_title = f"Logs ({escape(nxt) if nxt else 'all tables'})"
