"""The schema tree: schemas load their tables lazily, tables are added in chunks, marks show as [x].

The tree owns only what it shows. It asks for tables with `TablesWanted` (the screen fetches them in
a thread worker) and hands marks to `on_marks` at once, so a key pressed right after (r, p) sees them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from data_extractor.source.dialects.base import TableInfo

from ..formatting import fit, matches, qualified, rows_text, size_text

CHUNK = 400  # tables added per frame: a 10,000-table schema fills in without freezing the screen
NAME_MIN, NAME_MAX = 8, 22


@dataclass(frozen=True)
class SchemaItem:
    schema: str


@dataclass(frozen=True)
class TableItem:
    info: TableInfo

    @property
    def name(self) -> str:
        return qualified(self.info.schema, self.info.name)


@dataclass(frozen=True)
class NoteItem:
    text: str


Item = SchemaItem | TableItem | NoteItem


class CatalogTree(Tree[Item]):
    BINDINGS = [
        Binding("space", "toggle_mark", "select", tooltip="Mark or unmark the table under the cursor"),
        Binding("a", "mark_all", "select all", show=False),
    ]

    @dataclass
    class TablesWanted(Message):
        schema: str

    def __init__(self, is_marked: Callable[[str], bool], on_marks: Callable[[list[str]], None],
                 **kwargs: object) -> None:
        super().__init__("catalog", **kwargs)  # type: ignore[arg-type]
        self.on_marks = on_marks
        self.show_root = False
        self.guide_depth = 2
        self.is_marked = is_marked
        self.schemas: list[str] = []
        self.tables: dict[str, list[TableInfo]] = {}
        self.failed: dict[str, str] = {}
        self.loading: set[str] = set()
        self.expanded: set[str] = set()
        self.pattern = ""
        self._generation = 0
        self._schema_nodes: dict[str, TreeNode[Item]] = {}
        self._table_nodes: dict[str, TreeNode[Item]] = {}
        self._pending = 0  # chunks still to add
        self._widths: dict[str, int] = {}  # name column width per schema

    # ------------------------------------------------------------------ inputs
    def set_schemas(self, schemas: list[str], expand: str | None) -> None:
        self.schemas = list(schemas)
        if expand in schemas:
            self.expanded.add(expand)
        self.rebuild()

    def set_tables(self, schema: str, tables: list[TableInfo]) -> None:
        self.loading.discard(schema)
        self.failed.pop(schema, None)
        self.tables[schema] = tables
        self._widths.pop(schema, None)
        node = self._schema_nodes.get(schema)
        if node is not None:
            self._fill(schema, node, self._generation)

    def set_failed(self, schema: str, reason: str) -> None:
        self.loading.discard(schema)
        self.failed[schema] = reason
        node = self._schema_nodes.get(schema)
        if node is not None:
            self._fill(schema, node, self._generation)

    def set_filter(self, pattern: str) -> None:
        if pattern != self.pattern:
            self.pattern = pattern
            self.rebuild()

    @property
    def busy(self) -> bool:
        """Whether tables are still being fetched or added."""
        return bool(self.loading) or self._pending > 0

    def visible_tables(self) -> list[str]:
        return list(self._table_nodes)

    def cursor_to_first_table(self) -> None:
        first = next(iter(self._table_nodes.values()), None)
        line = self._line_of(first) if first is not None else None
        if line is not None:
            self.move_cursor_to_line(line)  # by line: node lines are only known once the tree is drawn

    def _line_of(self, target: TreeNode[Item]) -> int | None:
        line = 0
        for schema_node in self.root.children:
            if schema_node is target:
                return line
            line += 1
            if schema_node.is_expanded:
                for child in schema_node.children:
                    if child is target:
                        return line
                    line += 1
        return None

    def refresh_marks(self, names: list[str]) -> None:
        """Redraw after marks changed. A mark is drawn with its line (`render_label`), so 10,000 marks cost
        one redraw of the visible lines, not a new label per table."""
        if names:
            self._clear_line_cache()
            self.refresh()

    # ---------------------------------------------------------------- building
    def rebuild(self) -> None:
        """Redraw every schema from what is loaded (after a filter change, or new schemas)."""
        cursor = self.cursor_node.data if self.cursor_node is not None else None
        self._generation += 1
        self._pending = 0
        self.clear()
        self._schema_nodes.clear()
        self._table_nodes.clear()
        if not self.schemas:
            self.root.add_leaf(Text("no schemas visible: check that source.user may read the catalog",
                                    style="italic"), NoteItem("empty"))
            return
        for schema in self.schemas:
            node = self.root.add(self._schema_label(schema), SchemaItem(schema), expand=schema in self.expanded)
            self._schema_nodes[schema] = node
            if schema in self.tables or schema in self.failed:
                self._fill(schema, node, self._generation)
            elif schema in self.expanded:
                self._want(schema, node)
        if isinstance(cursor, TableItem) and cursor.name in self._table_nodes:  # stay on the same table
            line = self._line_of(self._table_nodes[cursor.name])
            if line is not None:
                self.move_cursor_to_line(line)

    def _want(self, schema: str, node: TreeNode[Item]) -> None:
        node.remove_children()
        node.add_leaf(Text("loading…", style="italic"), NoteItem("loading"))
        node.set_label(self._schema_label(schema))
        if schema not in self.loading:
            self.loading.add(schema)
            self.post_message(self.TablesWanted(schema))

    def _fill(self, schema: str, node: TreeNode[Item], generation: int) -> None:
        node.remove_children()
        for name in [n for n, t in self._table_nodes.items() if t.parent is node]:
            del self._table_nodes[name]
        node.set_label(self._schema_label(schema))
        if schema in self.failed:
            node.add_leaf(Text(f"could not list tables: {self.failed[schema]}", style="italic"), NoteItem("failed"))
            return
        shown = [t for t in self.tables[schema] if matches(t.name, self.pattern)]
        if not shown:
            text = f"no table matches {self.pattern!r}" if self.pattern else "no tables in this schema"
            node.add_leaf(Text(text, style="italic"), NoteItem("none"))
            return
        width = self._name_width(schema)
        self._pending += 1
        self._add_chunk(node, shown, 0, width, generation)

    def _add_chunk(self, node: TreeNode[Item], shown: list[TableInfo], start: int, width: int,
                   generation: int) -> None:
        if generation != self._generation:
            return  # the tree was rebuilt meanwhile (the filter changed)
        for info in shown[start:start + CHUNK]:
            item = TableItem(info)
            self._table_nodes[item.name] = node.add_leaf(self._table_label(info, width), item)
        if start + CHUNK < len(shown):
            self.call_after_refresh(self._add_chunk, node, shown, start + CHUNK, width, generation)
        else:
            self._pending -= 1

    # ------------------------------------------------------------------ labels
    def _name_width(self, schema: str | None) -> int:
        """The width of a schema's name column (kept: every drawn line asks for it)."""
        key = schema or ""
        if key not in self._widths:
            names = [len(t.name) for t in self.tables.get(key, [])]
            self._widths[key] = min(max(names + [NAME_MIN]), NAME_MAX)
        return self._widths[key]

    def _schema_label(self, schema: str) -> Text:
        label = Text()
        label.append(schema, style="bold")
        if schema in self.loading:
            label.append("  (loading…)", style="italic")
        elif schema in self.failed:
            label.append("  (failed)", style="italic")
        elif schema in self.tables:
            total = len(self.tables[schema])
            shown = sum(1 for t in self.tables[schema] if matches(t.name, self.pattern))
            label.append(f"  ({shown:,} of {total:,})" if self.pattern else f"  ({total:,})", style="dim")
        return label

    def _table_label(self, info: TableInfo, width: int) -> Text:
        """A table's line after its mark: name, estimated rows and size."""
        label = Text()
        label.append(fit(info.name, width))
        label.append(f" {rows_text(info.rows):>7} {size_text(info.bytes):>8}", style="dim")
        if info.kind != "table":
            label.append(f" {info.kind}", style="italic dim")
        return label

    def render_label(self, node: TreeNode[Item], base_style: Style, style: Style) -> Text:
        """A table's line as shown: `[x] ` and a bold name when marked, read from the selection at draw time."""
        text = super().render_label(node, base_style, style)
        if not isinstance(node.data, TableItem):
            return text
        marked = self.is_marked(node.data.name)
        if marked:
            text.stylize("bold", 0, len(fit(node.data.info.name, self._name_width(node.data.info.schema))))
        return Text.assemble(("[x] " if marked else "[ ] ", "bold" if marked else "dim"), text)

    def shown_label(self, node: TreeNode[Item]) -> str:
        """The plain text of a node's line, mark included."""
        return self.render_label(node, Style(), Style()).plain

    def get_label_width(self, node: TreeNode[Item]) -> int:
        """The label's width without rendering it: the tree asks for every line on each rebuild."""
        mark = 4 if isinstance(node.data, TableItem) else 0
        return node.label.cell_len + mark + (2 if node.allow_expand else 0)  # type: ignore[union-attr]

    # ----------------------------------------------------------------- events
    def _on_tree_node_expanded(self, event: Tree.NodeExpanded[Item]) -> None:
        data = event.node.data
        if isinstance(data, SchemaItem):
            self.expanded.add(data.schema)
            if data.schema not in self.tables and data.schema not in self.failed:
                self._want(data.schema, event.node)

    def _on_tree_node_collapsed(self, event: Tree.NodeCollapsed[Item]) -> None:
        if isinstance(event.node.data, SchemaItem):
            self.expanded.discard(event.node.data.schema)

    def action_toggle_mark(self) -> None:
        node = self.cursor_node
        if node is None:
            return
        if isinstance(node.data, TableItem):
            self._toggle([node.data.name])
            if node.next_sibling is not None:
                self.action_cursor_down()
        elif isinstance(node.data, SchemaItem):
            node.toggle()

    def action_mark_all(self) -> None:
        """Mark every table shown under the cursor's schema (unmark them if all are marked)."""
        node = self.cursor_node
        if node is None:
            return
        schema_node = node if isinstance(node.data, SchemaItem) else node.parent
        if schema_node is None:
            return
        names = [c.data.name for c in schema_node.children if isinstance(c.data, TableItem)]
        if names:
            self._toggle(names if all(self.is_marked(n) for n in names) else
                         [n for n in names if not self.is_marked(n)])

    def _toggle(self, names: list[str]) -> None:
        self.on_marks(names)
        self.refresh_marks(names)
