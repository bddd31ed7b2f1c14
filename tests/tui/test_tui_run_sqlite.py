"""The journey on the demo SQLite database, extracted by local Spark."""

from __future__ import annotations

import sqlite3

import pytest
from tui_flow import assert_shown_and_written, extract_two_tables, history_lists
from tui_helpers import RecordingApp, demo_config

from manifests import read_manifest

pytestmark = [pytest.mark.spark, pytest.mark.asyncio]


async def test_filter_select_plan_run_on_sqlite_lands_every_row(tmp_path, spark):
    config, db = demo_config(tmp_path, rows=20_000)
    with sqlite3.connect(db) as conn:
        counts = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("customers", "orders")}
    app = RecordingApp(str(config), warm_spark=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await extract_two_tables(pilot, "ers", ["main.customers", "main.orders"], partitions=3)
        out = tmp_path / "extracts" / "main"
        # the config lists both tables, so they run under its names (and with its settings)
        assert_shown_and_written(pilot, {t: (counts[t], out / t) for t in counts}, {"orders": 3, "customers": 1})
        manifest = read_manifest(out / "orders")
        assert len(manifest["plan"]["partitions"]) == 3
        assert not [m for m, severity in app.notes if severity == "error"]
        await history_lists(pilot, ["customers", "orders"])
