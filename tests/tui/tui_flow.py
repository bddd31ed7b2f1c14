"""The whole journey a user takes: filter, mark two tables, plan, change a partition count, run, watch."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
from textual.pilot import Pilot
from tui_helpers import catalog_loaded, cell_text, wait_until

from data_extractor_tui.screens.history import HistoryScreen
from data_extractor_tui.screens.plan import PlanScreen
from data_extractor_tui.screens.run import RunScreen
from data_extractor_tui.widgets.catalog_tree import CatalogTree
from data_extractor_tui.widgets.run_table import RunTable


async def extract_two_tables(pilot: Pilot, pattern: str, tables: list[str], partitions: int) -> None:
    """Filter by `pattern` (matching exactly `tables`), mark both, plan, give the second `partitions`, run."""
    app = pilot.app
    await catalog_loaded(pilot)
    await wait_until(pilot, lambda: app.spark_status.startswith("ready"), what="Spark")
    tree = app.screen.query_one(CatalogTree)
    await pilot.press("slash", *pattern, "enter")
    await wait_until(pilot, lambda: tree.visible_tables() == tables, what=f"the filter {pattern!r}")
    await pilot.pause()
    await pilot.press("space", "space")
    assert list(app.selection) == tables

    await pilot.press("p")
    await wait_until(pilot, lambda: isinstance(app.screen, PlanScreen), what="the plan screen")
    await pilot.press("down")
    await wait_until(pilot, lambda: app.screen.current == tables[1], what="the second table's plan")
    app.screen.query_one("#partitions").focus()
    await pilot.press(*str(partitions))
    parts = app.screen.query_one("#plan-partitions")
    await wait_until(pilot, lambda: parts.row_count == partitions, what=f"a plan of {partitions} partitions")

    await pilot.press("r")
    await wait_until(pilot, lambda: isinstance(app.screen, RunScreen), what="the run screen")
    await wait_until(pilot, lambda: app.run_model is not None and app.run_model.finished, timeout=120,
                     what="both tables to finish")
    await pilot.pause(0.5)  # one more redraw tick


def assert_shown_and_written(pilot: Pilot, expected: dict[str, tuple[int, Path]], partitions: dict[str, int]
                             ) -> None:
    """Each run row shows the source's row count, and its Parquet holds that many rows."""
    app = pilot.app
    table = app.screen.query_one(RunTable)
    for name, (rows, folder) in expected.items():
        assert cell_text(table, name, "status").startswith("done"), cell_text(table, name, "status")
        assert cell_text(table, name, "rows") == f"{rows:,}"
        assert cell_text(table, name, "progress").endswith("100%")
        assert pq.read_table(folder).num_rows == rows
    for name, n in partitions.items():
        assert app.run_model.tables[name].partitions_total == n
    overall = str(app.screen.query_one("#run-overall").render())
    assert "100%" in overall and "2 done" in overall and "Run finished" in overall
    assert any("published" in line.message for line in app.run_model.logs)


async def history_lists(pilot: Pilot, names: list[str]) -> None:
    await pilot.press("h")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, HistoryScreen) and
                     pilot.app.screen.query_one("#history-table").row_count >= len(names), what="the history")
    shown = {str(pilot.app.screen.query_one("#history-table").get_row_at(i)[1]) for i in range(len(names))}
    assert shown == set(names)
