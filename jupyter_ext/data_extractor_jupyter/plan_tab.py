"""Plan: how each selected table will be split into parallel reads; strategy and partition count can change."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from .compat import classed, text_widget
from .formatting import hint_html, plan_error_html, plan_html

if TYPE_CHECKING:
    from data_extractor import Extractor

    from .messages import MessageLine

STRATEGIES = [("as configured", ""), ("auto", "auto"), ("none", "none"), ("range", "range"),
              ("balanced", "balanced"), ("hash", "hash"), ("physical", "physical")]


class PlanTab:
    def __init__(self, extractor: Extractor | None, messages: MessageLine) -> None:
        self.extractor = extractor
        self.messages = messages
        self.tables: list[str] = []
        self._shown: tuple[Any, ...] | None = None
        wide = {"description_width": "initial"}
        self.strategy = classed(widgets.Dropdown(options=STRATEGIES, value="", description="Strategy", style=wide,
                                                 layout=widgets.Layout(width="220px")), "dx-strategy")
        self.partitions = classed(widgets.IntText(value=0, description="Partitions", style=wide,
                                                  layout=widgets.Layout(width="160px")), "dx-partitions")
        self.help = text_widget(hint_html("0 partitions: as configured. The next Run uses these settings."))
        self.output = text_widget("", "dx-plan", width="100%")
        self.widget = widgets.VBox([widgets.HBox([self.strategy, self.partitions, self.help]), self.output])
        self.strategy.observe(lambda _: self.refresh(), names="value")
        self.partitions.observe(self._on_partitions, names="value")
        self.show([])

    def overrides(self) -> dict[str, Any]:
        """The strategy and partition count chosen here, for `Extractor.plan` and the next run."""
        out: dict[str, Any] = {}
        if self.strategy.value:
            out["strategy"] = self.strategy.value
        if self.partitions.value and self.partitions.value > 0:
            out["partitions"] = self.partitions.value
        return out

    def _on_partitions(self, change: dict) -> None:
        if change["new"] is None or change["new"] < 0:
            self.partitions.value = 0  # observed again with 0
            return
        self.refresh()

    def show(self, tables: list[str]) -> None:
        self.tables = list(tables)
        self.refresh(force=False)

    def refresh(self, force: bool = True) -> None:
        """Compute the plan of every selected table (metadata queries only); one table's error stays on its line."""
        key = (tuple(self.tables), tuple(sorted(self.overrides().items())))
        if not force and key == self._shown:
            return
        self._shown = key
        if not self.tables or self.extractor is None:
            self.output.value = hint_html("select tables in Browse to see how each is split into parallel reads")
            return
        parts, errors = [], 0
        for table in self.tables:
            with self.messages.guard(f"planning {table}") as outcome:
                parts.append(plan_html(self.extractor.plan(table, **self.overrides())))
            if outcome.failed:
                errors += 1
                parts.append(plan_error_html(table, outcome.error or ""))
        if not errors:
            self.messages.clear()
        self.output.value = '<hr style="margin:6px 0">'.join(parts)
