"""Logs: the run's log lines, filterable by table."""

from __future__ import annotations

import threading
from collections.abc import Callable

import ipywidgets as widgets

from data_extractor.run.model import RunModel, base_name

from .compat import classed, text_widget
from .formatting import logs_html

ALL = ""
RUN_ONLY = "\x00run"  # lines about the run as a whole (no table)


class LogsTab:
    """`on_filter` redraws through the run's bridge, so the log is never read while the run appends to it."""

    def __init__(self, on_filter: Callable[[], None]) -> None:
        self.filter = classed(widgets.Dropdown(options=[("all tables", ALL)], value=ALL, description="Table",
                                               style={"description_width": "initial"},
                                               layout=widgets.Layout(width="320px")), "dx-log-filter")
        self.output = text_widget(logs_html([]), "dx-logs", width="100%")
        self.widget = widgets.VBox([self.filter, self.output])
        self.state: RunModel | None = None
        self._lock = threading.Lock()
        self.filter.observe(lambda _: on_filter(), names="value")

    def prepare(self, state: RunModel) -> None:
        """A new run's tables in the filter (main thread)."""
        keep = self.filter.value if self.filter.value in state.tables else ALL
        self.filter.options = [("all tables", ALL), *((name, name) for name in state.tables),
                               ("the run (no table)", RUN_ONLY)]
        self.filter.value = keep
        self.render(state)

    def render(self, state: RunModel) -> None:
        with self._lock:
            self.state = state
            wanted = self.filter.value
            lines = list(state.logs)
            if wanted == RUN_ONLY:
                lines = [line for line in lines if not line.table]
            elif wanted:
                lines = [line for line in lines if line.table and base_name(line.table) == wanted]
            self.output.value = logs_html(lines)
