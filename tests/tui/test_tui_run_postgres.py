"""The journey on a real PostgreSQL server, extracted by local Spark."""

from __future__ import annotations

import pytest
from tui_flow import assert_shown_and_written, extract_two_tables
from tui_helpers import RecordingApp

pytestmark = [pytest.mark.spark, pytest.mark.postgres, pytest.mark.asyncio]

TABLES = {"tui_alpha": 6_000, "tui_beta": 2_500}


@pytest.fixture(scope="module")
def two_tables(pg_conn):
    for name, rows in TABLES.items():
        pg_conn.execute(f"DROP TABLE IF EXISTS {name}")
        pg_conn.execute(f"CREATE TABLE {name} (id bigint PRIMARY KEY, label text, amount numeric(12,2), "
                        "created timestamp, note text)")
        pg_conn.execute(f"INSERT INTO {name} SELECT g, 'row ' || g, g * 1.5, TIMESTAMP '2026-01-01' + g * "
                        f"interval '1 minute', CASE WHEN g % 7 = 0 THEN NULL ELSE 'ü ' || g END "
                        f"FROM generate_series(1, {rows}) g")
        pg_conn.execute(f"ANALYZE {name}")
    return TABLES


async def test_filter_select_plan_run_on_postgres_lands_every_row(pg, pg_conn, two_tables, tmp_path, spark):
    config = {"source": pg.source(), "spark": {"master": "local[2]"}, "output": {"path": str(tmp_path / "out")},
              "defaults": {"parallel_tables": 2}}
    counts = {f"public.{t}": pg_conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in two_tables}
    app = RecordingApp(config, warm_spark=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await extract_two_tables(pilot, "tui_", list(counts), partitions=4)
        assert_shown_and_written(
            pilot, {name: (rows, tmp_path / "out" / "public" / name.split(".")[1]) for name, rows in counts.items()},
            {"public.tui_beta": 4})
        assert app.source_label.startswith("postgres://extractor@127.0.0.1:")
        assert not [m for m, severity in app.notes if severity == "error"]
