"""One recorded event stream, one run model, three faces: each shows the same rows, percent, status and reason.

The stream (tests/data/run_events.jsonl, made by tests/record_run_events.py) is a real run of the demo
database: orders (400,000 rows in 8 partitions), customers, products, and `gone`, a table that vanished
before its read. It is checked half way (orders 179,999 rows in with 2 of 8 partitions done) and at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import re
from html import unescape

from rich.console import Console
from textual.app import App, ComposeResult

from data_extractor.cli.run_view import RunView
from data_extractor.run import events as ev
from data_extractor.run.model import RunModel
from data_extractor_jupyter.formatting import short_path
from data_extractor_jupyter.logs_tab import LogsTab
from data_extractor_jupyter.run_tab import BAR_MAX, RunTab
from data_extractor_tui.clock import FrozenClock
from data_extractor_tui.widgets.log_pane import LogPane
from data_extractor_tui.widgets.run_table import RunTable
from record_run_events import load

EVENTS = load()
TABLES = ["orders", "customers", "gone", "products"]
GONE = "table 'gone' was not found in schema 'main'"
HALF_WAY = next(i for i, e in enumerate(EVENTS) if isinstance(e, ev.TableProgress) and e.rows == 179_999) + 1


def plain(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", html)).replace("\u00a0", " ").strip()


def model_after(n: int) -> RunModel:
    model = RunModel(TABLES, output=short_path("/data/extracts"))
    for e in EVENTS[:n]:
        model.apply(e)
    return model


class Host(App[None]):
    """The TUI's run table and log pane, alone, drawing one model."""

    def __init__(self, model: RunModel) -> None:
        super().__init__()
        self.model = model

    def compose(self) -> ComposeResult:
        yield RunTable(id="t")
        yield LogPane(FrozenClock(), id="log")

    def on_mount(self) -> None:
        self.query_one(RunTable).draw(self.model)
        self.query_one(LogPane).add(self.model.logs)


def tui_face(model: RunModel) -> tuple[dict[str, dict[str, str]], str]:
    """Each row's cells as the TUI draws them, and the log pane's text."""
    async def run() -> tuple[dict[str, dict[str, str]], str]:
        app = Host(model)
        async with app.run_test(size=(160, 30)) as pilot:
            await pilot.pause()
            table = app.query_one(RunTable)
            cells = {name: {col: table.get_cell(name, col).plain for col in ("progress", "rows", "status")}
                     for name in model.tables}
            log = " ".join(" ".join(s.text.split()) for s in app.query_one(LogPane).lines)
            return cells, log
    return asyncio.run(run())


def panel_face(model: RunModel) -> tuple[RunTab, LogsTab]:
    tab, logs = RunTab(lambda: None, lambda _: None), LogsTab(lambda: None)
    tab.prepare(model)
    logs.prepare(model)
    tab.render(model)
    return tab, logs


def cli_face(n: int) -> tuple[RunView, str]:
    """The CLI's live bars (their fields) and its plain lines, fed the same events."""
    live = RunView(Console(file=io.StringIO(), force_terminal=True, width=160), live=True)
    for e in EVENTS[:n]:
        live(e)
    lines = io.StringIO()
    plain_view = RunView(Console(file=lines, force_terminal=False, width=160), live=False)
    with contextlib.redirect_stderr(lines):
        for e in EVENTS[:n]:
            plain_view(e)
    return live, lines.getvalue()


def cli_fields(view: RunView, name: str) -> dict[str, str]:
    task = next(t for t in view.progress.tasks if t.id == view.tasks[name])
    return {**task.fields, "completed": task.completed, "total": task.total}


def test_half_way_every_face_shows_rows_by_rows_and_the_vanished_tables_reason():
    model = model_after(HALF_WAY)
    orders, gone = model.tables["orders"], model.tables["gone"]
    assert (orders.rows, orders.partitions_done, orders.percent, orders.status) == (179_999, 2, 44, "running")
    assert (gone.status, gone.error.startswith(GONE)) == ("failed", True)
    assert model.percent == 34  # rows-weighted: 185,499 of ~540,667 (gone weighs as an average table)

    cells, log = tui_face(model)
    assert cells["orders"]["rows"] == "180.0 k / 400.0 k" and cells["orders"]["progress"].endswith(" 44%")
    assert cells["orders"]["status"] == "running"
    assert cells["customers"]["rows"] == "5,000" and cells["customers"]["progress"].endswith("100%")
    assert cells["gone"]["status"] == "failed" and cells["gone"]["progress"].endswith("  0%")
    assert f"gone ERROR failed: {GONE}" in log

    tab, logs = panel_face(model)
    assert plain(tab.rows["orders"].pct.value) == "44%" and tab.rows["orders"].bar.value == 450 == 0.45 * BAR_MAX
    assert plain(tab.rows["orders"].rows.value) == "180.0 k rows"
    assert plain(tab.rows["orders"].status.value) == "running"
    assert plain(tab.rows["customers"].pct.value) == "100%"
    assert plain(tab.rows["gone"].status.value).startswith(f"failed: {GONE}")
    assert plain(tab.overall_text.value).startswith("34%  2 of 4 table(s) done")
    logs.filter.value = "gone"
    logs.render(model)
    assert f"failed: {GONE}" in plain(logs.output.value)

    live, lines = cli_face(HALF_WAY)
    f = cli_fields(live, "orders")
    assert (f["pct"], f["rows"], f["status"], f["completed"]) == ("44%", "180.0 k / 400.0 k", "running", 450)
    assert cli_fields(live, "customers")["pct"] == "100%"
    assert f"gone: FAILED: {GONE}" in lines


def test_at_the_end_a_failed_table_keeps_every_face_below_full():
    model = model_after(len(EVENTS))
    assert model.finished and model.percent == 75 and model.tables["orders"].rows == 400_000  # gone adds nothing

    cells, log = tui_face(model)
    assert cells["orders"]["rows"] == "400,000" and cells["orders"]["progress"].endswith("100%")
    assert cells["orders"]["status"].startswith("done ")
    assert cells["gone"]["status"] == "failed"
    assert f"gone ERROR failed: {GONE}" in log

    tab, _ = panel_face(model)
    assert plain(tab.rows["orders"].rows.value) == "400,000 rows" and tab.rows["orders"].bar.value == BAR_MAX
    assert tab.overall.value < BAR_MAX and plain(tab.overall_text.value).startswith("75%  3 of 4 table(s) done")
    assert "1 of 4 table(s) failed" in plain(tab.summary.value)

    live, _ = cli_face(len(EVENTS))
    f = cli_fields(live, "orders")
    assert (f["pct"], f["rows"], f["completed"]) == ("100%", "400,000", BAR_MAX)
