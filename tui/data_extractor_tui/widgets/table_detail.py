"""The detail pane: a table's estimated size and its columns, with the type each lands as."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from data_extractor.source.dialects.base import ColumnInfo, TableInfo

from ..formatting import plural, size_text

HINT = ("Move the cursor onto a table to see its columns.\n"
        "space marks it ([x]); p plans the marked tables; r runs them.")


class TableDetail(Vertical):
    def compose(self) -> ComposeResult:
        yield Static(Text(HINT), id="detail-summary")  # Text: markup would eat "[x]"
        table: DataTable[str | Text] = DataTable(id="detail-columns", cursor_type="row", zebra_stripes=True)
        table.add_columns("column", "type", "lands as", "null", "key", "note")
        yield table

    def on_mount(self) -> None:
        self.border_title = "Table"
        self.query_one(DataTable).display = False

    def show_hint(self) -> None:
        self.border_title = "Table"
        self.query_one("#detail-summary", Static).update(Text(HINT))
        self.query_one(DataTable).display = False

    def show_loading(self, name: str) -> None:
        self.border_title = name
        self.query_one("#detail-summary", Static).update("loading columns…")
        self.query_one(DataTable).display = False

    def show(self, name: str, info: TableInfo, columns: list[ColumnInfo], configured: str | None) -> None:
        self.border_title = f"{info.name} ({info.schema})" if info.schema else info.name
        pk = [c.name for c in sorted((c for c in columns if c.primary_key), key=lambda c: c.primary_key or 0)]
        parts = [f"{info.rows:,} rows (est.)" if info.rows is not None else "rows unknown (no statistics)"]
        if info.bytes is not None:
            parts.append(size_text(info.bytes))
        parts.append(plural(len(columns), "column"))
        parts.append(f"PK: {', '.join(pk)}" if pk else "no primary key")
        if info.kind != "table":
            parts.append(info.kind)
        summary = Text("   ".join(parts))
        summary.append("\n")
        if configured:
            summary.append(f"in the config as {configured!r}", style="dim")
        else:
            summary.append("not in the config: runs with the default settings", style="dim")
        self.query_one("#detail-summary", Static).update(summary)
        table = self.query_one(DataTable)
        table.clear()
        for c in columns:
            key = f"PK{c.primary_key}" if c.primary_key else ("idx" if c.indexed else "")
            table.add_row(Text(c.name), Text(c.source_type), Text(c.spark_type), "yes" if c.nullable else "no",
                          key, Text(c.note or "", style="dim"))
        table.display = True
