"""Browse on the demo SQLite database: lazy tree, filter, marks, detail pane, and errors as notifications."""

from __future__ import annotations

import time

import pytest
from tui_fakes import BigCatalogExtractor
from tui_helpers import RecordingApp, catalog_loaded, demo_config, wait_until

from data_extractor_tui.widgets.catalog_tree import CHUNK, CatalogTree

pytestmark = pytest.mark.asyncio


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return demo_config(tmp_path_factory.mktemp("demo"), rows=2_000)


async def test_filter_marks_and_detail_pane(demo):
    config, _ = demo
    app = RecordingApp(str(config), warm_spark=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await catalog_loaded(pilot)
        tree = app.screen.query_one(CatalogTree)
        assert tree.visible_tables() == ["main.customers", "main.orders", "main.products"]
        status = app.screen.query_one("#browse-status")
        assert "Select tables with space" in str(status.render())

        await pilot.press("slash", *"ers", "enter")
        await wait_until(pilot, lambda: tree.visible_tables() == ["main.customers", "main.orders"], what="filter")
        await pilot.pause()
        await pilot.press("space", "space")
        assert list(app.selection) == ["main.customers", "main.orders"]
        assert tree.shown_label(tree.cursor_node).startswith("[x] orders")
        assert "2 selected" in str(status.render())

        detail = app.screen.query_one("#detail-columns")
        await wait_until(pilot, lambda: detail.display and detail.row_count == 9, what="the columns of orders")
        summary = str(app.screen.query_one("#detail-summary").render())
        assert "2,000 rows (est.)" in summary and "PK: id" in summary and "in the config as 'orders'" in summary
        assert [str(c) for c in detail.get_row_at(4)[:4]] == ["amount", "DECIMAL(12,2)", "decimal(12,2)", "no"]

        await pilot.press("escape")  # clears the filter; the cursor stays on its table
        await wait_until(pilot, lambda: len(tree.visible_tables()) == 3, what="the filter to clear")
        assert tree.cursor_node.data.name == "main.orders"
        await pilot.press("space")
        assert list(app.selection) == ["main.customers"]
        assert tree.shown_label(tree.cursor_node).startswith("[ ] products")


async def test_planning_with_nothing_selected_says_what_to_do(demo):
    config, _ = demo
    app = RecordingApp(str(config), warm_spark=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await catalog_loaded(pilot)
        await pilot.press("p")
        assert ("Select tables with space, then p to plan.", "warning") in app.notes
        await pilot.press("r")
        assert len(app.screen_stack) == 1 and app.run_model is None


async def test_an_unreachable_source_is_a_one_line_notification_not_a_traceback(tmp_path):
    config = {"source": {"type": "sqlite", "path": str(tmp_path / "gone.db")}}
    app = RecordingApp(config, warm_spark=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        errors = [m for m, severity in app.notes if severity == "error"]
        assert errors == [f"SQLite database {tmp_path / 'gone.db'} does not exist; check source.path"]
        assert "no schemas visible" in str(app.screen.query_one(CatalogTree).root.children[0].label)


async def test_ten_thousand_tables_fill_in_chunks_while_the_screen_answers(demo):
    config, _ = demo
    app = RecordingApp(BigCatalogExtractor(str(config)), warm_spark=False)
    async with app.run_test(size=(120, 40)) as pilot:
        tree = app.screen.query_one(CatalogTree)
        await wait_until(pilot, lambda: "main" in tree.tables, what="10,000 tables")
        # the handler added one chunk; the rest arrive a chunk per frame, with keys handled in between
        assert CHUNK <= len(tree.visible_tables()) < 10_000
        assert tree.busy
        await pilot.press("down", "down")
        assert tree.cursor_node.data.name == "main.t_00002"  # it started on the first table
        t0 = time.monotonic()
        await wait_until(pilot, lambda: not tree.busy, what="the tree to fill")
        assert len(tree.visible_tables()) == 10_000
        assert "(10,000)" in str(tree.root.children[0].label)
        assert str(tree.root.children[1].label) == "archive"  # not fetched until opened
        await pilot.press("slash", *"t_0999*", "enter")
        await wait_until(pilot, lambda: len(tree.visible_tables()) == 10, what="the filter")
        assert "(10 of 10,000)" in str(tree.root.children[0].label)
        assert time.monotonic() - t0 < 20
