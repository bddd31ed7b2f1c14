"""The app: owns the session's state (selection, plan choices, the run) and bridges the engine.

Workers never touch widgets: they post messages, and the handlers here and on the screens
change state. The run's events arrive on the engine's threads and are posted as messages.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from data_extractor import Extractor
from data_extractor.config.models import ExtractorConfig
from data_extractor.run import events as ev
from data_extractor.run.model import RunModel, base_name

from .choices import PlanChoice, with_choices
from .clock import Clock
from .errors import one_line
from .messages import EngineFailed, RunEventReceived, RunLaunched, RunLaunchFailed, SparkWarmed
from .screens.browse import BrowseScreen
from .screens.help import HelpScreen
from .screens.history import HistoryScreen
from .screens.plan import PlanScreen
from .screens.run import RunScreen
from .selection import Selection
from .widgets.run_table import summary


class DataExtractorApp(App[int]):
    """The terminal dashboard.

    Args:
        config: a config file path, a config dict or `ExtractorConfig`, or a ready `Extractor`.
        warm_spark: start Spark in the background once the first screen is drawn.
        clock: how time is read and shown (tests pass a `FrozenClock`).
        console_log: the file Spark's console output is sent to, to point users at it.

    Example:
        >>> DataExtractorApp("config.yaml").run()  # doctest: +SKIP
    """

    TITLE = "Data Extractor"
    CSS_PATH = str(Path(__file__).with_name("dashboard.tcss"))  # absolute: subclasses live elsewhere
    BINDINGS = [
        Binding("h", "history", "history"),
        Binding("question_mark", "help", "help"),
        Binding("q", "quit", "quit"),
    ]

    spark_status: reactive[str] = reactive("not started")
    run_status: reactive[str] = reactive("")

    def __init__(self, config: str | dict[str, Any] | ExtractorConfig | Extractor, *, warm_spark: bool = True,
                 clock: Clock | None = None, console_log: Path | None = None) -> None:
        super().__init__()
        self.console_log = console_log  # where Spark's own console output goes, if redirected
        self.extractor = config if isinstance(config, Extractor) else Extractor(config)
        self.warm_spark = warm_spark
        self.clock = clock or Clock()
        self.source_label = self.extractor.dialect.describe()
        self.selection = Selection()
        self.choices: dict[str, PlanChoice] = {}  # by the name the run takes
        self.configured: dict[str, str] = {}  # qualified name -> the config's own name
        self.columns: dict[str, list[Any]] = {}  # qualified name -> ColumnInfo list
        self.run_model: RunModel | None = None
        self.run_handle: Any = None
        self.run_extractor: Extractor | None = None
        self._pending_cancel: list[str | None] = []

    # ----------------------------------------------------------------- start-up
    def get_default_screen(self) -> Screen[Any]:
        return BrowseScreen()

    def on_mount(self) -> None:
        started = self.extractor.spark_started()
        if self.warm_spark and not started:
            self.spark_status = "warming…"
            self.call_after_refresh(self.warm_up)  # after the first frame: it is drawn without pyspark
        elif started:
            self.spark_status = "ready"
        else:
            self.spark_status = "starts with the first run"

    @work(thread=True, exclusive=True, group="spark", exit_on_error=False)
    def warm_up(self) -> None:
        try:
            seconds = self.extractor.warm_up()
        except Exception as exc:  # noqa: BLE001 - the run will say it again if it matters
            self.post_message(SparkWarmed(None, one_line(exc)))
            return
        self.post_message(SparkWarmed(seconds))

    def on_spark_warmed(self, message: SparkWarmed) -> None:
        if message.seconds is None:
            self.spark_status = "failed to start"
            self.notify(message.error or "", title="Spark did not start", severity="error", timeout=10)
        else:
            self.spark_status = f"ready ({message.seconds:.1f} s)"

    # --------------------------------------------------------------- selection
    def run_name(self, table: str) -> str:
        """The name a table is planned and run under: the config's, when the config lists it."""
        return self.configured.get(table, table)

    def toggle_table(self, table: str) -> None:
        self.selection.toggle(table)

    # ------------------------------------------------------------------ actions
    def action_plan(self) -> None:
        if not self.selection:
            self.notify("Select tables with space, then p to plan.", title="Nothing selected", severity="warning")
            return
        self.push_screen(PlanScreen(list(self.selection)))

    def action_history(self) -> None:
        if not isinstance(self.screen, HistoryScreen):
            self.push_screen(HistoryScreen())

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_run(self) -> None:
        """Run the selected tables with the plans chosen for them (or show the run in progress)."""
        if self.run_model is not None and not self.run_model.finished:
            self.notify("A run is in progress: here it is.", severity="information")
            self._show_run()
            return
        if not self.selection:
            self.notify("Select tables with space, then r to run (or p to see their plans first).",
                        title="Nothing selected", severity="warning")
            return
        names = [self.run_name(t) for t in self.selection]
        choices = {n: c for n, c in self.choices.items() if n in names}
        self.run_model = RunModel(names)
        self.run_handle = None
        self._pending_cancel = []
        self.run_status = f"run: 0 of {len(names)} done"
        self._show_run()
        self.launch(names, choices)

    def _show_run(self) -> None:
        while len(self.screen_stack) > 1 and not isinstance(self.screen, RunScreen):
            self.pop_screen()
        if not isinstance(self.screen, RunScreen):
            self.push_screen(RunScreen())

    @work(thread=True, group="run", exit_on_error=False)
    def launch(self, names: list[str], choices: dict[str, PlanChoice]) -> None:
        """Start the run (its own threads do the work; this returns at once)."""
        try:
            ex = type(self.extractor)(with_choices(self.extractor.config, choices))
            handle = ex.start(names, on_event=self._forward)
        except Exception as exc:  # noqa: BLE001
            self.post_message(RunLaunchFailed(one_line(exc)))
            return
        self.post_message(RunLaunched(handle, ex))

    def _forward(self, event: ev.Event) -> None:
        """Called on the run's threads: hand the event to the UI thread as a message."""
        self.post_message(RunEventReceived(event))

    def on_run_launched(self, message: RunLaunched) -> None:
        self.run_handle, self.run_extractor = message.handle, message.extractor
        for table in self._pending_cancel:
            self._cancel(message.handle, table)
        self._pending_cancel = []

    def on_run_launch_failed(self, message: RunLaunchFailed) -> None:
        if self.run_model is not None:
            self.run_model.launch_failed(message.reason)
        self.run_status = "run: failed to start"
        self.notify(message.reason, title="The run did not start", severity="error", timeout=10)

    def on_run_event_received(self, message: RunEventReceived) -> None:
        model, e = self.run_model, message.event
        if model is None:
            return
        model.apply(e)
        screen = self.screen_stack[-1] if self.screen_stack else None  # none left while the app exits
        if isinstance(e, (ev.TableFinished, ev.TableFailed, ev.TableCancelled, ev.RunFinished)) \
                and isinstance(screen, RunScreen):
            screen.redraw()  # an end shows at once, in the same frame as the header's count
        if isinstance(e, ev.SparkReady) and not self.spark_status.startswith("ready"):
            self.spark_status = f"ready ({e.seconds:.1f} s)"
        if isinstance(e, ev.RunFinished):
            self._finished(model, e)
        elif isinstance(e, (ev.TableFinished, ev.TableFailed, ev.TableCancelled, ev.RunStarted)):
            self.run_status = f"run: {model.ended_count} of {len(model.tables)} done"

    def _finished(self, model: RunModel, e: ev.RunFinished) -> None:
        self.run_status = f"last run: {summary(model)}"
        if e.failed:
            self.notify(f"{len(e.failed)} of {len(model.tables)} table(s) failed: {', '.join(e.failed)}",
                        title="Run finished", severity="error", timeout=10)
        elif e.cancelled:
            self.notify(f"{len(e.cancelled)} table(s) cancelled; nothing was published for them.",
                        title="Run finished", severity="warning")
        else:
            self.notify(f"{len(e.succeeded)} table(s) extracted in {e.seconds:.1f} s.", title="Run finished")
        self.release_run(self.run_handle, self.run_extractor)

    @work(thread=True, group="run", exit_on_error=False)
    def release_run(self, handle: Any, ex: Extractor | None) -> None:
        """Close the run's catalog connections once its threads are done."""
        if handle is not None:
            handle.wait(10)
        if ex is not None:
            ex.close()

    def cancel_run(self, table: str | None) -> None:
        model = self.run_model
        if model is None or model.finished:
            self.notify("No run in progress.", severity="warning")
            return
        table = base_name(table) if table else None  # a window's row cancels its table
        targets = model.request_cancel(table)
        if not targets:
            self.notify(f"{table} has already ended." if table else "Every table has already ended.",
                        severity="warning")
            return
        self.notify(f"Cancelling {table or 'the run'}…", severity="warning")
        if self.run_handle is None:
            self._pending_cancel.append(table)
        else:
            self._cancel(self.run_handle, table)

    @work(thread=True, group="cancel", exit_on_error=False)
    def _cancel(self, handle: Any, table: str | None) -> None:
        try:
            handle.cancel(table)
        except Exception as exc:  # noqa: BLE001
            self.post_message(EngineFailed(one_line(exc), "Cancel failed"))

    async def action_quit(self) -> None:
        if self.run_handle is not None and self.run_model is not None and not self.run_model.finished:
            self.run_handle.cancel(None)
        warming = any(w.group == "spark" and w.is_running for w in self.workers)
        # a thread cannot be interrupted: say why the prompt takes a few seconds to come back
        self.exit(0, message="Spark is still starting; it stops as soon as it has." if warming else None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "history" and isinstance(self.screen, HistoryScreen):
            return False  # already here: keep it out of the footer
        return True

    # ------------------------------------------------------------------ errors
    def on_engine_failed(self, message: EngineFailed) -> None:
        self.notify(message.message, title=message.title, severity="error", timeout=10)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Any exception a worker did not catch: one line, never a traceback."""
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.notify(one_line(event.worker.error), title="Error", severity="error", timeout=10)

    # ----------------------------------------------------------- command palette
    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Plan selected tables", "Show the partition plan of the marked tables",
                            self.action_plan)
        yield SystemCommand("Run selected tables", "Extract the marked tables now", self.action_run)
        yield SystemCommand("History", "Tables published under the output path", self.action_history)
        yield SystemCommand("Help", "Every key, by screen", self.action_help)
        if self.run_model is not None and not self.run_model.finished:
            yield SystemCommand("Cancel the run", "Cancel every table of the run in progress",
                                lambda: self.cancel_run(None))
