"""The dashboard as a new user found it (issue 16): what the run screen, the log and the catalog must show."""

from __future__ import annotations

import pytest
from textual.color import Color
from tui_fakes import OUTPUT, RUN_ID, T0, BigCatalogExtractor, ScriptedExtractor, ScriptedHandle
from tui_helpers import RecordingApp, catalog_loaded, cell_text, demo_config, wait_until

from data_extractor.run import events as ev
from data_extractor_tui.messages import RunEventReceived
from data_extractor_tui.screens.run import RunScreen
from data_extractor_tui.widgets.catalog_tree import CatalogTree
from data_extractor_tui.widgets.log_pane import LogPane
from data_extractor_tui.widgets.run_table import RunTable
from data_extractor_tui.widgets.table_detail import TableDetail

pytestmark = pytest.mark.asyncio


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return demo_config(tmp_path_factory.mktemp("demo"), rows=2_000)


def scripted(events: list[ev.Event]) -> type[ScriptedExtractor]:
    class Scripted(ScriptedExtractor):
        handles = []

        def start(self, tables=None, on_event=None):
            handle = ScriptedHandle(events, on_event or (lambda e: None))
            type(self).handles.append(handle)
            return handle

    return Scripted


def big_run_half_way() -> list[ev.Event]:
    """orders (800 k rows in 8 partitions) 150 k rows in, with 2 partitions finished; the run goes on."""
    return [ev.RunStarted(RUN_ID, ("orders",), OUTPUT, at=T0), ev.SparkReady(RUN_ID, 4.2, "local[2]", at=T0 + 4),
            ev.TablePlanned(RUN_ID, "orders", "balanced", "id", 8, 800_000, at=T0 + 5),
            ev.TableStarted(RUN_ID, "orders", 8, 800_000, at=T0 + 5),
            ev.TableProgress(RUN_ID, "orders", 2, 8, 150_000, 50_000.0, 3.0, at=T0 + 8)]


def shown_line(table: RunTable, y: int) -> str:
    """Line `y` of the table as drawn on screen (cells cut to their column's width)."""
    return table.render_line(y).text


async def start_run(pilot, *marks: str) -> RunTable:
    app = pilot.app
    await catalog_loaded(pilot)
    await pilot.press(*marks, "r")
    await wait_until(pilot, lambda: isinstance(app.screen, RunScreen), what="the run screen")
    return app.screen.query_one(RunTable)


async def test_an_800k_row_run_shows_both_row_counts_whole_and_a_row_based_bar(demo):
    config, _ = demo
    app = RecordingApp(scripted(big_run_half_way())(str(config)), warm_spark=False)
    async with app.run_test(size=(120, 40)) as pilot:
        table = await start_run(pilot, "down", "space")
        await wait_until(pilot, lambda: cell_text(table, "orders", "rows") == "150.0 k / 800.0 k", what="progress")
        await pilot.pause(0.3)
        assert "150.0 k / 800.0 k" in shown_line(table, 1)
        assert cell_text(table, "orders", "progress").endswith(" 18%")  # 150 k of 800 k rows, not 2 of 8 partitions
        overall = str(app.screen.query_one("#run-overall").render())
        assert overall.split("%")[0].endswith(" 18")


async def test_a_table_that_vanished_before_its_read_leaves_its_reason_in_the_log_pane(demo):
    config, _ = demo
    reason = "table 'orders' was not found in schema 'main'; check the name (data-extractor browse main)"
    events = [ev.RunStarted(RUN_ID, ("orders", "customers"), OUTPUT, at=T0),
              ev.TableFailed(RUN_ID, "orders", reason, 0.0, at=T0 + 1),  # refused before Spark: no log line of its own
              ev.SparkReady(RUN_ID, 4.2, "local[2]", at=T0 + 4),
              ev.TableStarted(RUN_ID, "customers", 1, 500, at=T0 + 5),
              ev.TableFinished(RUN_ID, "customers", 500, 1, 9000, 0.4, f"{OUTPUT}/main/customers", at=T0 + 6),
              ev.RunFinished(RUN_ID, ("customers",), ("orders",), (), 6.0, at=T0 + 6)]
    app = RecordingApp(scripted(events)(str(config)), warm_spark=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await start_run(pilot, "space", "space")
        await wait_until(pilot, lambda: app.run_model.finished, what="the run to end")
        await pilot.pause(0.3)
        log = app.screen.query_one(LogPane)
        shown = " ".join(" ".join(strip.text.split()) for strip in log.lines)  # wrapped lines joined again
        assert "orders ERROR failed: table 'orders' was not found in schema 'main'" in shown, shown
        assert not any("Traceback" in m for m, _ in app.notes)


async def test_the_header_never_says_the_run_ended_while_the_rows_still_run(demo):
    config, _ = demo
    app = RecordingApp(scripted(big_run_half_way())(str(config)), warm_spark=False)
    async with app.run_test(size=(120, 40)) as pilot:
        table = await start_run(pilot, "down", "space")
        await wait_until(pilot, lambda: cell_text(table, "orders", "status") == "running", what="the table to run")
        # the end arrives; before the screen's next timer tick, header and rows must already agree
        app.on_run_event_received(RunEventReceived(ev.TableFinished(RUN_ID, "orders", 800_000, 8, 1, 9.0, "/o")))
        app.on_run_event_received(RunEventReceived(ev.RunFinished(RUN_ID, ("orders",), (), (), 9.5)))
        assert app.run_status == "last run: 1 done"
        assert cell_text(table, "orders", "status") == "done 9.0 s"
        await pilot.pause(0.3)
        assert "c" not in app.screen.active_bindings and "C" not in app.screen.active_bindings


def contrast(a: Color, b: Color) -> float:
    """WCAG contrast ratio of two colours."""
    def lum(c: Color) -> float:
        def ch(v: int) -> float:
            s = v / 255
            return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4
        return 0.2126 * ch(c.r) + 0.7152 * ch(c.g) + 0.0722 * ch(c.b)
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


async def test_header_and_pane_titles_read_well_on_the_dark_theme(demo):
    config, _ = demo
    app = RecordingApp(ScriptedExtractor(str(config)), warm_spark=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await catalog_loaded(pilot)
        background = Color.parse(app.theme_variables["background"])
        title = app.screen.query_one("#top-title")
        bar = Color.parse(app.theme_variables["panel"])
        assert contrast(title.styles.color, bar) >= 7, title.styles.color
        for pane in ("#catalog-pane", "#detail"):
            colour = app.screen.query_one(pane).styles.border_title_color
            assert contrast(background + colour, background) >= 7, (pane, colour)
        await start_run(pilot, "space")
        for pane in ("#run-pane", "#log-pane"):
            colour = app.screen.query_one(pane).styles.border_title_color
            assert contrast(background + colour, background) >= 7, (pane, colour)


async def test_the_detail_hint_shows_the_mark_as_it_looks(demo):
    config, _ = demo
    app = RecordingApp(ScriptedExtractor(str(config)), warm_spark=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await catalog_loaded(pilot)
        app.screen.query_one(TableDetail).show_hint()  # what shows before the cursor reaches a table
        await pilot.pause()
        assert "space marks it ([x])" in str(app.screen.query_one("#detail-summary").render())


async def test_marking_a_whole_schema_of_ten_thousand_tables_counts_with_separators(demo):
    config, _ = demo
    app = RecordingApp(BigCatalogExtractor(str(config)), warm_spark=False)
    async with app.run_test(size=(120, 40)) as pilot:
        tree = app.screen.query_one(CatalogTree)
        await wait_until(pilot, lambda: "main" in tree.tables and not tree.busy, what="10,000 tables")
        await pilot.press("a")
        await wait_until(pilot, lambda: len(app.selection) == 10_000, what="the marks")
        status = str(app.screen.query_one("#browse-status").render())
        assert "10,000 selected" in status and "and 9,997 more" in status
        assert tree.shown_label(tree.get_node_at_line(1)).startswith("[x] ")
