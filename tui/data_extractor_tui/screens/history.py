"""History: the tables published under the output path, newest first, from their manifests."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from ..errors import one_line
from ..formatting import size_text
from ..messages import EngineFailed, HistoryLoaded
from ..widgets.top_bar import TopBar

if TYPE_CHECKING:
    from data_extractor.history import PublishedTable

    from ..app import DataExtractorApp


class HistoryScreen(Screen[None]):
    app: DataExtractorApp

    BINDINGS = [
        Binding("escape", "app.pop_screen", "back"),
        Binding("f5", "reload", "reload"),
    ]

    def compose(self) -> ComposeResult:
        yield TopBar(id="top-bar")
        with Vertical(id="history-pane"):
            yield Static("Reading the manifests…", id="history-summary")
            table: DataTable[Text] = DataTable(id="history-table", cursor_type="row", zebra_stripes=True)
            for label, key in (("finished", "finished"), ("table", "table"), ("rows", "rows"), ("size", "size"),
                               ("files", "files"), ("time", "time"), ("strategy", "strategy"),
                               ("parts", "parts"), ("run id", "run")):
                table.add_column(label, key=key)
            yield table
            yield Static("", id="history-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.entries: list[PublishedTable] = []
        self.query_one("#history-pane").border_title = "History"
        self.query_one(DataTable).focus()
        self.action_reload()

    def action_reload(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="history", exit_on_error=False)
    def load(self) -> None:
        ex = self.app.extractor
        try:
            tables = ex.history()
        except Exception as exc:  # noqa: BLE001
            self.post_message(EngineFailed(one_line(exc), "Cannot read the history"))
            tables = []
        self.post_message(HistoryLoaded(tables, ex.config.output.path))

    def on_history_loaded(self, message: HistoryLoaded) -> None:
        self.entries = message.tables
        table = self.query_one(DataTable)
        table.clear()
        clock = self.app.clock
        for i, t in enumerate(message.tables):
            table.add_row(Text(clock.minute_of_iso(t.finished_at)), Text(t.table),
                          Text(f"{t.rows:,}", justify="right"), Text(size_text(t.bytes), justify="right"),
                          Text(str(t.files), justify="right"), Text(f"{t.seconds:.1f} s", justify="right"),
                          Text(t.strategy or ""), Text(str(t.partitions or ""), justify="right"),
                          Text(t.run_id), key=str(i))
        summary = self.query_one("#history-summary", Static)
        if message.tables:
            runs = len({t.run_id for t in message.tables})
            summary.update(Text(f"{len(message.tables)} published table(s) from {runs} run(s) under "
                                f"{message.root}"))
        else:
            summary.update(Text(f"Nothing published under {message.root} yet: in Browse, mark tables with "
                                "space and press r to run them."))
        self._show_detail()

    @on(DataTable.RowHighlighted, "#history-table")
    def _show_detail(self) -> None:
        table = self.query_one(DataTable)
        detail = self.query_one("#history-detail", Static)
        if not self.entries or not table.row_count:
            detail.update("")
            return
        t = self.entries[table.cursor_row]
        detail.update(Text(f"{t.table} → {t.path}\nRead it with pyarrow.parquet.read_table({t.path!r}) "
                           f"or spark.read.parquet({t.path!r})."))
