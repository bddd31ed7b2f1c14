"""Browse: schema picker, search box, the table list with estimated rows, and the details of a table."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import ipywidgets as widgets

from .compat import classed, text_widget
from .formatting import details_html, hint_html, matches, table_label

if TYPE_CHECKING:
    from data_extractor import Extractor
    from data_extractor.source.dialects.base import TableInfo, TableRef

    from .messages import MessageLine

NAME_WIDTH = 32
UNREADABLE = "the catalog could not be read (the red line below says why): fix the cause, then press the reload button"
PICK = "select a table to see its columns and types"


def engine_name(schema: str | None, name: str) -> str:
    """A name `Extractor.start` resolves back to this table, quoting parts that hold a dot or a quote."""
    def part(text: str) -> str:
        return '"' + text.replace('"', '""') + '"' if "." in text or '"' in text else text

    return f"{part(schema)}.{part(name)}" if schema else part(name)


class BrowseTab:
    """The catalog. Selection is kept by engine name across schemas and searches."""

    def __init__(self, extractor: Extractor | None, messages: MessageLine,
                 on_selection: Callable[[list[str]], None]) -> None:
        self.extractor = extractor
        self.messages = messages
        self.on_selection = on_selection
        self.selected: list[str] = []
        self.infos: dict[str, TableInfo] = {}  # the current schema's tables by engine name
        self._configured: dict[TableRef, str] | None = None
        self._syncing = False

        wide = {"description_width": "initial"}
        self.schema = classed(widgets.Dropdown(description="Schema", style=wide,
                                               layout=widgets.Layout(width="240px")), "dx-schema")
        self.search = classed(widgets.Text(description="Search", placeholder="part of a name, or a glob: ord*",
                                           continuous_update=True, style=wide,
                                           layout=widgets.Layout(width="320px")), "dx-search")
        self.refresh = classed(widgets.Button(icon="refresh", tooltip="Read the catalog again",
                                              layout=widgets.Layout(width="40px")), "dx-refresh")
        self.tables = classed(widgets.SelectMultiple(rows=12, layout=widgets.Layout(width="auto")), "dx-tables")
        self.selection = text_widget("", "dx-selection")
        self.plan_button = classed(widgets.Button(description="Plan selected", icon="list"), "dx-plan-selected")
        self.run_button = classed(widgets.Button(description="Run selected", icon="play", button_style="primary"),
                                  "dx-run-selected")
        self.details = text_widget(hint_html(PICK), "dx-details")
        self.readable: bool | None = None  # whether the last read of the catalog worked (None: not read yet)
        left = widgets.VBox([self.tables, self.selection, widgets.HBox([self.plan_button, self.run_button])],
                            layout=widgets.Layout(flex="0 0 44%"))
        right = widgets.VBox([self.details], layout=widgets.Layout(flex="1 1 auto", margin="0 0 0 16px"))
        self.widget = widgets.VBox([widgets.HBox([self.schema, self.search, self.refresh]),
                                    widgets.HBox([left, right])])

        self.schema.observe(lambda _: self.load_tables(), names="value")
        self.search.observe(lambda _: self.show_tables(), names="value")
        self.refresh.on_click(lambda _: self.load())
        self.tables.observe(self._on_pick, names="value")

    # ------------------------------------------------------------------ loading
    def load(self) -> bool:
        """Read the schemas and the current schema's tables (metadata queries, quick); returns whether it worked."""
        if self.extractor is None:
            return False
        with self.messages.guard("reading the schemas") as outcome:
            schemas = self.extractor.catalog.schemas()
            default = self.extractor.catalog.default_schema()
        if outcome.failed:
            self._unreadable()
            return False
        current = self.schema.value if self.schema.value in schemas else default
        self._syncing = True
        try:
            self.schema.options = schemas
            self.schema.value = current if current in schemas else (schemas[0] if schemas else None)
        finally:
            self._syncing = False
        return self.load_tables()

    def _unreadable(self) -> None:
        self.readable = False
        self.details.value = hint_html(UNREADABLE)

    def load_tables(self) -> bool:
        if self.extractor is None or self._syncing:
            return False
        schema = self.schema.value
        with self.messages.guard(f"listing the tables of {schema}") as outcome:
            found = self.extractor.catalog.tables(schema)
            configured = self._configured_names()
        if outcome.failed:
            self.infos = {}
            self.show_tables()
            self._unreadable()
            return False
        self.infos = {configured.get(t.ref) or self._name(t): t for t in found}
        self.messages.clear()
        if self.readable is False:  # read again after a failure: the old advice no longer holds
            self.details.value = hint_html(PICK)
        self.readable = True
        self.show_tables()
        return True

    def _name(self, info: TableInfo) -> str:
        default = self.extractor.catalog.default_schema() if self.extractor else None
        return engine_name(None if info.schema == default else info.schema, info.name)

    def _configured_names(self) -> dict[TableRef, str]:
        """The config's own names of its tables, so a run of a configured table uses its settings."""
        if self._configured is None and self.extractor is not None:
            self._configured = {}
            for entry in self.extractor.config.tables:
                try:
                    self._configured[self.extractor.catalog.resolve(entry.name)] = entry.name
                except Exception:  # noqa: BLE001 - `validate` reports configured tables that are missing
                    continue
        return self._configured or {}

    # ------------------------------------------------------------------ showing
    def show_tables(self) -> None:
        """Fill the list with the tables matching the search, keeping the selection."""
        pattern = self.search.value
        shown = [name for name, info in self.infos.items() if matches(info.name, pattern)]
        width = min(max((len(n) for n in shown), default=0), NAME_WIDTH)
        self._syncing = True
        try:
            self.tables.options = [(table_label(n, self.infos[n].rows, self.infos[n].bytes, width), n)
                                   for n in shown]
            self.tables.value = tuple(n for n in shown if n in self.selected)
        finally:
            self._syncing = False
        if not self.infos:
            self.details.value = hint_html(f"schema {self.schema.value} has no tables: pick another schema"
                                           if self.schema.value is not None else "no schemas to show")
        elif not shown:
            self.details.value = hint_html(f"no table matches {pattern!r}: change or clear the search")
        self._show_selection()

    def _on_pick(self, change: dict) -> None:
        if self._syncing:
            return
        shown = {value for _, value in self.tables.options}
        picked = [n for n in change["new"] if n not in change["old"]]
        self.selected = [n for n in self.selected if n not in shown or n in change["new"]] + [
            n for n in change["new"] if n not in self.selected]
        if picked:
            self.show_details(picked[-1])
        self._show_selection()
        self.on_selection(list(self.selected))

    def set_selection(self, names: list[str]) -> None:
        self.selected = list(dict.fromkeys(names))
        self.show_tables()
        self.on_selection(list(self.selected))

    def show_details(self, name: str) -> None:
        if self.extractor is None:
            return
        info = self.infos.get(name)
        with self.messages.guard(f"reading the columns of {name}") as outcome:
            info = info or self.extractor.catalog.estimate(name)
            columns = self.extractor.catalog.columns(info.ref)
        if outcome.failed:
            self.details.value = hint_html(f"no details for {name}: see the message below")
            return
        self.details.value = details_html(info, columns)

    def _show_selection(self) -> None:
        self.selection.value = hint_html(self._selection_hint())

    def _selection_hint(self) -> str:
        if not self.selected:
            return "select tables (Ctrl- or Shift-click for several), then Run; Plan shows how each is split"
        names = ", ".join(self.selected[:6]) + (f" and {len(self.selected) - 6} more" if len(self.selected) > 6
                                                else "")
        return f"{len(self.selected)} selected: {names}. Run extracts them; Plan shows how each is split"
