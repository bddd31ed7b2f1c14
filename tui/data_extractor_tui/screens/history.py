"""History: the tables published under the output path (from their manifests), newest first, and
each table's watermark and last run (from the engine's state)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
from ..palette import tone
from ..widgets.top_bar import TopBar

if TYPE_CHECKING:
    from data_extractor.output.history import PublishedTable

    from ..app import DataExtractorApp

PUBLISHED = (("finished", "finished"), ("table", "table"), ("format", "format"), ("rows", "rows"), ("size", "size"),
             ("files", "files"), ("time", "time"), ("strategy", "strategy"), ("parts", "parts"), ("run id", "run"))
STATE = (("table", "table"), ("watermark", "watermark"), ("last run", "finished"), ("outcome", "outcome"),
         ("rows", "rows"), ("window / error", "detail"))


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
            published: DataTable[Text] = DataTable(id="history-table", cursor_type="row", zebra_stripes=True)
            for label, key in PUBLISHED:
                published.add_column(label, key=key)
            yield published
            yield Static("", id="history-detail")
        with Vertical(id="state-pane"):
            state: DataTable[Text] = DataTable(id="state-table", cursor_type="row", zebra_stripes=True)
            for label, key in STATE:
                state.add_column(label, key=key)
            yield state
            yield Static("", id="state-summary")
        yield Footer()

    def on_mount(self) -> None:
        self.entries: list[PublishedTable] = []
        self.query_one("#history-pane").border_title = "Published tables"
        self.query_one("#state-pane").border_title = "Watermarks and last runs"
        self.query_one("#history-table").focus()
        self.action_reload()

    def action_reload(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="history", exit_on_error=False)
    def load(self) -> None:
        ex = self.app.extractor
        try:
            tables = ex.history()
        except Exception as exc:  # noqa: BLE001
            self.post_message(EngineFailed(one_line(exc), "Cannot read the manifests"))
            tables = []
        try:
            states = [s for s in ex.status() if s.watermark or s.history]
        except Exception as exc:  # noqa: BLE001
            self.post_message(EngineFailed(one_line(exc), "Cannot read the state"))
            states = []
        self.post_message(HistoryLoaded(tables, ex.config.output.path, states))

    def on_history_loaded(self, message: HistoryLoaded) -> None:
        self.entries = message.tables
        table = self.query_one("#history-table", DataTable)
        table.clear()
        clock = self.app.clock
        for i, t in enumerate(message.tables):
            table.add_row(Text(clock.minute_of_iso(t.finished_at)), Text(t.table), Text(t.format_text),
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
        self._show_states(message)
        self._show_detail()

    def _show_states(self, message: HistoryLoaded) -> None:
        table = self.query_one("#state-table", DataTable)
        table.clear()
        clock = self.app.clock
        for s in message.states:
            last: dict[str, Any] = s.last or {}
            outcome = str(last.get("outcome", ""))
            style = tone(self.app, "text-error" if outcome == "failed" else "text-success") if outcome else ""
            window = last.get("window")
            detail = last.get("error") or (" to ".join(window) if window else "")
            table.add_row(Text(s.table), Text(s.watermark or "—"),
                          Text(clock.minute_of_iso(str(last.get("finished_at", ""))) if last else ""),
                          Text(outcome, style=style), Text(f"{last['rows']:,}" if "rows" in last else "",
                                                           justify="right"),
                          Text(str(detail)))
        self.query_one("#state-pane").display = bool(message.states)
        self.query_one("#state-summary", Static).update(
            "Incremental tables move their watermark once a window is published." if message.states else "")

    @on(DataTable.RowHighlighted, "#history-table")
    def _show_detail(self) -> None:
        table = self.query_one("#history-table", DataTable)
        detail = self.query_one("#history-detail", Static)
        if not self.entries or not table.row_count:
            detail.update("")
            return
        t = self.entries[table.cursor_row]
        detail.update(Text(f"{t.table} → {t.path}\n{read_hint(t)}"))


def read_hint(t: PublishedTable) -> str:
    """How to read a published table back, in its format."""
    if t.format == "delta":
        return f"Read it with deltalake.DeltaTable({t.path!r}) or spark.read.format('delta').load({t.path!r})."
    if t.format == "iceberg":
        return (f"Read it from the catalog as {t.identifier}, or with "
                f"pyiceberg StaticTable.from_metadata({t.metadata_location!r}).")
    return f"Read it with pyarrow.parquet.read_table({t.path!r}) or spark.read.parquet({t.path!r})."
