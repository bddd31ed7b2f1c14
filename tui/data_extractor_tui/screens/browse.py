"""Browse: the schema tree with a filter, marks, and the detail pane of the table under the cursor."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, Static, Tree

from ..configured import configured_in
from ..errors import one_line
from ..messages import ColumnsLoaded, EngineFailed, SchemasLoaded, TablesFailed, TablesLoaded
from ..widgets.catalog_tree import CatalogTree, Item, TableItem
from ..widgets.table_detail import TableDetail
from ..widgets.top_bar import TopBar

if TYPE_CHECKING:
    from ..app import DataExtractorApp

FILTER_DELAY = 0.15  # seconds of quiet typing before the tree is filtered


class BrowseScreen(Screen[None]):
    app: DataExtractorApp

    BINDINGS = [
        Binding("slash", "filter", "filter"),
        Binding("p", "app.plan", "plan"),
        Binding("r", "app.run", "run"),
        Binding("escape", "clear_filter", "clear filter", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield TopBar(id="top-bar")
        with Horizontal(id="browse"):
            with Vertical(id="catalog-pane"):
                yield Input(placeholder="/ filter tables: ord  or  ord*", id="filter")
                yield CatalogTree(self.app.selection.__contains__, self._marks_toggled, id="catalog")
            yield TableDetail(id="detail")
        yield Static("", id="browse-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#catalog-pane").border_title = "Catalog"
        self._filter_timer: Timer | None = None
        self._detail_for: str | None = None
        self._schemas_loaded = False
        self._default_schema: str | None = None
        self._cursor_placed = False
        self.query_one(CatalogTree).focus()
        self.update_status()
        self.load_schemas()

    # ------------------------------------------------------------------ workers
    @work(thread=True, exclusive=True, group="schemas", exit_on_error=False)
    def load_schemas(self) -> None:
        ex = self.app.extractor
        try:
            schemas = ex.catalog.schemas()
            default = ex.catalog.default_schema()
        except Exception as exc:  # noqa: BLE001 - shown as a notification, and in the tree
            self.post_message(EngineFailed(one_line(exc), "Cannot read the catalog"))
            self.post_message(SchemasLoaded([], None))
            return
        self.post_message(SchemasLoaded(schemas, default))

    @work(thread=True, group="tables", exit_on_error=False)
    def load_tables(self, schema: str) -> None:
        try:
            tables = self.app.extractor.catalog.tables(schema)
        except Exception as exc:  # noqa: BLE001
            self.post_message(TablesFailed(schema, one_line(exc)))
            return
        self.post_message(TablesLoaded(schema, tables))

    @work(thread=True, exclusive=True, group="detail", exit_on_error=False)
    def load_columns(self, item: TableItem) -> None:
        ex = self.app.extractor
        try:  # the dialect directly: the name came from the catalog, so resolving it again (a full
            # listing of the schema) is not needed
            columns = ex.dialect.columns(ex.catalog.connection(), item.info.ref)
        except Exception as exc:  # noqa: BLE001
            self.post_message(EngineFailed(one_line(exc), f"Cannot read the columns of {item.name}"))
            return
        self.post_message(ColumnsLoaded(item.name, item.info, columns))

    # ----------------------------------------------------------------- handlers
    def on_schemas_loaded(self, message: SchemasLoaded) -> None:
        self._schemas_loaded = True
        self._default_schema = message.default
        first = message.default if message.default in message.schemas else next(iter(message.schemas), None)
        self.query_one(CatalogTree).set_schemas(message.schemas, first)
        self.update_status()

    @on(CatalogTree.TablesWanted)
    def _tables_wanted(self, message: CatalogTree.TablesWanted) -> None:
        self.load_tables(message.schema)
        self.update_status()

    def on_tables_loaded(self, message: TablesLoaded) -> None:
        entries = [t.name for t in self.app.extractor.config.tables]  # run these under the config's names
        self.app.configured.update(configured_in(entries, self._default_schema, message.schema, message.tables))
        tree = self.query_one(CatalogTree)
        tree.set_tables(message.schema, message.tables)
        if not self._cursor_placed:  # the first tables shown: put the cursor on the first of them
            self._cursor_placed = True
            self.call_after_refresh(tree.cursor_to_first_table)
        self.update_status()

    def on_tables_failed(self, message: TablesFailed) -> None:
        self.query_one(CatalogTree).set_failed(message.schema, message.reason)
        self.notify(message.reason, title=f"Cannot list the tables of {message.schema}", severity="error")
        self.update_status()

    def _marks_toggled(self, names: list[str]) -> None:
        for name in names:
            self.app.toggle_table(name)
        self.update_status()

    @on(Tree.NodeHighlighted)
    def _highlighted(self, event: Tree.NodeHighlighted[Item]) -> None:
        data = event.node.data
        detail = self.query_one(TableDetail)
        if not isinstance(data, TableItem):
            self._detail_for = None
            detail.show_hint()
            return
        self._detail_for = data.name
        cached = self.app.columns.get(data.name)
        if cached is not None:
            detail.show(data.name, data.info, cached, self.app.configured.get(data.name))
        else:
            detail.show_loading(data.name)
            self.load_columns(data)

    def on_columns_loaded(self, message: ColumnsLoaded) -> None:
        self.app.columns[message.table] = message.columns
        if message.table == self._detail_for:
            self.query_one(TableDetail).show(message.table, message.info, message.columns,
                                             self.app.configured.get(message.table))

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        if self._filter_timer is not None:
            self._filter_timer.stop()
        self._filter_timer = self.set_timer(FILTER_DELAY, lambda: self._apply_filter(event.value))

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        self._apply_filter(event.value)
        self.query_one(CatalogTree).focus()
        self.call_after_refresh(self.query_one(CatalogTree).cursor_to_first_table)

    def _apply_filter(self, pattern: str) -> None:
        self.query_one(CatalogTree).set_filter(pattern.strip())
        self.update_status()

    # ------------------------------------------------------------------ actions
    def action_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        if box.value:
            box.value = ""
            self._apply_filter("")
        self.query_one(CatalogTree).focus()

    def on_screen_resume(self) -> None:
        tree = self.query_one(CatalogTree)
        tree.refresh_marks(tree.visible_tables())
        self.update_status()

    def update_status(self) -> None:
        """Say what the user can do next."""
        tree = self.query_one(CatalogTree)
        selection = self.app.selection
        if not self._schemas_loaded:
            text = "Reading the catalog…"
        elif selection:
            text = (f"[b]{len(selection):,} selected[/]: {escape(selection.summary())}   "
                    "[b]p[/] plan  [b]r[/] run  [b]space[/] unmark")
        else:
            text = "Select tables with [b]space[/], then [b]p[/] to plan ([b]a[/] marks a whole schema)."
        if tree.pattern and tree.tables and not tree.visible_tables() and not tree.busy:
            text = f"No table matches [b]{escape(tree.pattern)}[/] in the loaded schemas: [b]esc[/] clears the filter."
        self.query_one("#browse-status", Static).update(text)
