"""`ExtractorPanel`: the notebook face of the engine, four tabs over one `Extractor`."""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from data_extractor import Extractor, humanize
from data_extractor.run.model import RunModel
from data_extractor.spark.jvm import cache_dir, send_console_to

from .bridge import ThrottledBridge
from .browse_tab import BrowseTab
from .compat import classed, mimebundle, set_tab_titles, text_widget
from .formatting import header_html, one_line, short_path
from .logs_tab import LogsTab
from .messages import MessageLine
from .plan_tab import PlanTab
from .run_tab import RunTab
from .styles import stylesheet

if TYPE_CHECKING:
    from data_extractor.config.models import ExtractorConfig
    from data_extractor.run.runner import RunHandle

BROWSE, PLAN, RUN, LOGS = range(4)


class ExtractorPanel:
    """Browse, plan and extract tables from a notebook (Jupyter, JupyterLab, Databricks).

    Args:
        config: a config file path, a dict, or an `ExtractorConfig`.
        spark: the notebook's Spark session, if any. The engine reuses the active session by itself;
            passing it documents that intent.
        tables: tables to select at the start.
        throttle: seconds between two redraws while a run goes.
        warm_up: start Spark in the background while the user browses, so the first Run starts sooner.

    Example:
        >>> panel = ExtractorPanel("demo_output/demo.yaml")
        >>> panel                      # shows it; or panel.display()
    """

    def __init__(self, config: ExtractorConfig | str | dict[str, Any], spark: Any = None, *,
                 tables: list[str] | None = None, throttle: float = 0.25, warm_up: bool = True) -> None:
        self.spark = spark
        self.throttle = throttle
        self.messages = MessageLine()
        self.extractor: Extractor | None = None
        self.handle: RunHandle | None = None
        self.state: RunModel | None = None
        self.bridge: ThrottledBridge | None = None
        self.spark_status = "starts with the first Run"
        # A kernel shows its process's console output under whichever cell ran last: the JVM's goes to a file.
        self.console_log = os.path.join(cache_dir(), "spark-console.log")
        send_console_to(self.console_log)
        with self.messages.guard("reading the config") as outcome:
            self.extractor = Extractor(config)

        self.browse = BrowseTab(self.extractor, self.messages, self._on_selection)
        self.plan = PlanTab(self.extractor, self.messages)
        self.run_tab = RunTab(self.start, self.cancel)
        self.logs = LogsTab(self._redraw)
        self.tabs = classed(widgets.Tab(), "dx-tabs")
        set_tab_titles(self.tabs, [self.browse.widget, self.plan.widget, self.run_tab.widget, self.logs.widget],
                       ["Browse", "Plan", "Run", "Logs"])
        self.tabs.selected_index = BROWSE
        self.header = text_widget(self._header(), "dx-header")
        self.widget = classed(widgets.VBox([stylesheet(), self.header, self.tabs, self.messages.widget]), "dx-panel")

        self.browse.plan_button.on_click(lambda _: self._show_tab(PLAN))
        self.browse.run_button.on_click(lambda _: self.start())
        self.tabs.observe(self._on_tab, names="selected_index")
        if outcome.failed:
            self.messages.error(f"{outcome.error}; fix the config and create the panel again")
            return
        readable = self.browse.load()
        if tables:
            self.select(tables)
        self._on_selection(self.browse.selected)
        if warm_up and readable:  # a source that cannot be read runs nothing: Spark would start for naught
            self.spark_status = "starting..."
            self.header.value = self._header()
            threading.Thread(target=self._warm_up, name="dx-panel-warm-up", daemon=True).start()

    # ------------------------------------------------------------------ display
    def display(self) -> None:
        from IPython.display import display

        display(self.widget)

    def _ipython_display_(self) -> None:
        self.display()

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        return mimebundle(self.widget, **kwargs)

    def _header(self) -> str:
        if self.extractor is None:
            return "<b>Data Extractor</b>"
        return header_html(self.extractor.dialect.describe(), str(self.extractor.config.output.path),
                           self.spark_status)

    def _warm_up(self) -> None:
        """Start Spark while the user browses (a background thread that only updates the header)."""
        assert self.extractor is not None
        try:
            seconds = self.extractor.warm_up()
            self.spark_status = f"ready ({humanize.duration(seconds)})"
        except Exception as exc:  # noqa: BLE001 - the Run tab reports it again with the run
            self.spark_status = f"did not start: {one_line(exc)}"
        self.header.value = self._header()

    # ------------------------------------------------------------------ selection and tabs
    @property
    def selected(self) -> list[str]:
        return list(self.browse.selected)

    def select(self, tables: list[str]) -> None:
        """Select tables by name (as in the config); an unknown name shows a message and is left out."""
        if self.extractor is None:
            return
        found = []
        for name in tables:
            with self.messages.guard(f"finding {name}") as outcome:
                self.extractor.catalog.resolve(name)
            if not outcome.failed:
                found.append(name)
        self.browse.set_selection(found)

    def _on_selection(self, tables: list[str]) -> None:
        self.run_tab.show_selection(tables, running=self.running)
        if self.tabs.selected_index == PLAN:
            self.plan.show(tables)

    def _show_tab(self, index: int) -> None:
        self.tabs.selected_index = index
        self._on_tab({"new": index})

    def _on_tab(self, change: dict) -> None:
        if change["new"] == PLAN:
            self.plan.show(self.selected)

    # ------------------------------------------------------------------ run
    @property
    def running(self) -> bool:
        return self.handle is not None and not self.handle.done()

    def start(self) -> RunHandle | None:
        """Extract the selected tables in the background; returns at once (the button handler)."""
        if self.extractor is None:
            return None
        tables = self.selected
        if not tables:
            self.messages.hint("select tables in Browse, then Run")
            self._show_tab(BROWSE)
            return None
        if self.running:
            self.messages.hint("a run is going: wait for it to end, or Cancel it")
            return None
        overrides = self.plan.overrides()  # what the Plan tab shows is what runs
        plans = {table: overrides for table in tables} if overrides else None
        state = RunModel(tables, output=short_path(str(self.extractor.config.output.path)))
        self.run_tab.prepare(state)
        self.logs.prepare(state)
        bridge = ThrottledBridge(state.apply, lambda: self._render(state), self.throttle)
        self.state, self.bridge = state, bridge
        self._show_tab(RUN)
        bridge.now(lambda: None)
        self.handle = None
        with self.messages.guard("starting the run") as outcome:
            self.handle = self.extractor.start(tables, on_event=bridge, plans=plans)
        if outcome.failed:
            bridge.now(lambda: state.launch_failed(outcome.error or ""))
            return None
        self.messages.clear()
        return self.handle

    def cancel(self, table: str | None = None) -> None:
        """Cancel the run, or one of its tables (the Cancel buttons)."""
        if not self.running or self.handle is None or self.bridge is None or self.state is None:
            self.messages.hint("no run is going")
            return
        state = self.state
        self.bridge.now(lambda: state.request_cancel(table))
        with self.messages.guard("cancelling"):
            self.handle.cancel(table)

    def close(self) -> None:
        """Cancel a run that is going and close the catalog's connections."""
        if self.running and self.handle is not None:
            self.handle.cancel()
        if self.extractor is not None:
            self.extractor.close()

    def wait(self, timeout: float | None = None) -> Any:
        """Block until the current run ends (for scripts and tests); returns its `RunResult`."""
        return self.handle.wait(timeout) if self.handle is not None else None

    def _render(self, state: RunModel) -> None:
        self.run_tab.render(state)
        self.logs.render(state)
        if state.spark_seconds is not None and not self.spark_status.startswith("ready"):
            self.spark_status = f"ready ({humanize.duration(state.spark_seconds)})"
            self.header.value = self._header()

    def _redraw(self) -> None:
        if self.bridge is not None:
            self.bridge.now(lambda: None)

