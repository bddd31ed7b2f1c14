"""Plan on the demo SQLite database: the plan follows the strategy, column and partition count at once."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Select
from tui_helpers import RecordingApp, catalog_loaded, demo_config, wait_until

from data_extractor_tui.screens.plan import PlanScreen

pytestmark = pytest.mark.asyncio


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return demo_config(tmp_path_factory.mktemp("demo"), rows=2_000)


def summary(app) -> str:
    return str(app.screen.query_one("#plan-summary").render())


async def open_plan(pilot, *marks: str) -> PlanScreen:
    await catalog_loaded(pilot)
    for key in marks:
        await pilot.press(key)
    await pilot.press("p")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, PlanScreen), what="the plan screen")
    await wait_until(pilot, lambda: "partition" in summary(pilot.app), what="the first plan")
    return pilot.app.screen


async def test_changing_the_partition_count_and_strategy_replans_at_once(demo):
    config, _ = demo
    app = RecordingApp(str(config), warm_spark=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_plan(pilot, "down", "space")  # orders
        assert screen.tables == ["main.orders"]
        assert summary(app).startswith("none (chosen by auto)   1 partition   ~2,000 rows")
        parts = screen.query_one("#plan-partitions", DataTable)

        screen.query_one("#partitions").focus()
        await pilot.press("4")
        await wait_until(pilot, lambda: parts.row_count == 4, what="a plan of 4 partitions")
        assert summary(app).startswith("balanced on id (chosen by auto)   4 partitions   ~2,000 rows   skew 1.00")
        assert [str(parts.get_row_at(i)[1]) for i in range(4)] == ["500"] * 4
        assert str(parts.get_row_at(0)[3]).startswith('"id" < ') and str(parts.get_row_at(3)[3]).startswith('"id" >= ')
        assert app.choices == {"orders": type(app.choices["orders"])(partitions=4)}

        screen.query_one("#strategy", Select).value = "hash"
        await wait_until(pilot, lambda: summary(app).startswith("hash on id"), what="the hash plan")
        assert parts.row_count == 4 and "% 4" in str(parts.get_row_at(1)[3])
        notes = str(screen.query_one("#plan-notes").render())
        assert "warnings: none" in notes and "every partition scans the table" in notes

        columns = screen.query_one("#column", Select)
        assert [value for _, value in columns._options if isinstance(value, str)][:3] == ["id", "customer_id",
                                                                                          "product_id"]


async def test_an_impossible_plan_says_why_and_how_to_fix_it(demo):
    config, _ = demo
    app = RecordingApp(str(config), warm_spark=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_plan(pilot, "space")  # customers
        screen.query_one("#strategy", Select).value = "hash"
        await wait_until(pilot, lambda: screen.query_one("#column", Select)._options[1:], what="columns")
        screen.query_one("#column", Select).value = "name"
        await wait_until(pilot, lambda: "cannot be made" in summary(app), what="the failure")
        reason = "hash partitioning on SQLite needs an integer column, and name is TEXT;"
        assert reason in summary(app) and "Change the strategy" in summary(app)
        assert any(reason in m and s == "error" for m, s in app.notes)
        screen.query_one("#strategy", Select).value = "balanced"
        await wait_until(pilot, lambda: summary(app).startswith("balanced on name"), what="a working plan again")


async def test_a_partition_count_out_of_range_is_refused_in_place(demo):
    config, _ = demo
    app = RecordingApp(str(config), warm_spark=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_plan(pilot, "space")
        screen.query_one("#partitions").focus()
        await pilot.press("0")
        assert "whole number from 1 to 10,000" in summary(app)
        await pilot.press("backspace", "x", "h")  # letters are not typed; h opens the history
        await wait_until(pilot, lambda: type(app.screen).__name__ == "HistoryScreen", what="history")
        await pilot.press("escape")
        assert screen.query_one("#partitions").value == ""
        assert app.choices.get("customers") in (None, type(app.choices.get("customers"))())
