"""Each screen as an SVG snapshot: the demo database, a scripted run and history, and a frozen clock.

Update after a deliberate change with `pytest tests/tui/test_tui_snapshots.py --snapshot-update`
and look at the SVGs in __snapshots__/ before committing them.
"""

from __future__ import annotations

import pytest
from tui_fakes import ScriptedExtractor
from tui_helpers import catalog_loaded, demo_config, wait_until

from data_extractor_tui.app import DataExtractorApp
from data_extractor_tui.clock import FrozenClock
from data_extractor_tui.screens.history import HistoryScreen
from data_extractor_tui.screens.plan import PlanScreen

SIZE = (120, 40)


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    return str(demo_config(tmp_path_factory.mktemp("demo"), rows=2_000)[0])


def make_app(config: str) -> DataExtractorApp:
    return DataExtractorApp(ScriptedExtractor(config), warm_spark=False, clock=FrozenClock())


async def settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause(0.3)  # a redraw tick of the run screen
    pilot.app.clear_notifications()
    await pilot.pause()


def test_browse_with_two_tables_marked(snap_compare, config):
    async def run_before(pilot) -> None:
        await catalog_loaded(pilot)
        await pilot.press("space", "space", "up")  # mark customers and orders, show orders
        await wait_until(pilot, lambda: pilot.app.screen.query_one("#detail-columns").row_count == 9,
                         what="the columns of orders")
        await settle(pilot)

    assert snap_compare(make_app(config), terminal_size=SIZE, run_before=run_before)


def test_plan_of_orders_in_four_partitions(snap_compare, config):
    async def run_before(pilot) -> None:
        await catalog_loaded(pilot)
        await pilot.press("down", "space", "p")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, PlanScreen), what="the plan screen")
        pilot.app.screen.query_one("#partitions").focus()
        await pilot.press("4", "enter")
        parts = pilot.app.screen.query_one("#plan-partitions")
        await wait_until(pilot, lambda: parts.row_count == 4, what="four partitions")
        await settle(pilot)

    assert snap_compare(make_app(config), terminal_size=SIZE, run_before=run_before)


def test_run_dashboard_after_one_success_and_one_failure(snap_compare, config):
    async def run_before(pilot) -> None:
        await catalog_loaded(pilot)
        await pilot.press("space", "space", "r")
        await wait_until(pilot, lambda: pilot.app.run_model and pilot.app.run_model.finished, what="the run")
        await pilot.press("down")  # the failed table: its reason shows below
        await settle(pilot)

    assert snap_compare(make_app(config), terminal_size=SIZE, run_before=run_before)


def test_history_of_published_tables(snap_compare, config):
    async def run_before(pilot) -> None:
        await catalog_loaded(pilot)
        await pilot.press("h")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, HistoryScreen) and
                         pilot.app.screen.query_one("#history-table").row_count == 3, what="the history")
        await settle(pilot)

    assert snap_compare(make_app(config), terminal_size=SIZE, run_before=run_before)


def test_help(snap_compare, config):
    async def run_before(pilot) -> None:
        await catalog_loaded(pilot)
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(make_app(config), terminal_size=SIZE, run_before=run_before)
