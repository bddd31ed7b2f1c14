"""A batch starts its largest tables first, so a big table never runs alone at the end while other slots idle."""

from __future__ import annotations

import pytest
from pgdata import assert_parquet_equals_source, make_typed

from data_extractor import Extractor
from data_extractor.run import events as ev

pytestmark = pytest.mark.spark


def test_the_largest_tables_start_first_and_results_keep_the_config_order(pg, pg_conn, tmp_path, spark):
    sizes = {"order_small": 200, "order_mid": 2_000, "order_big": 20_000}
    for name, rows in sizes.items():
        make_typed(pg_conn, name, rows)
    tables = [f"public.{t}" for t in sizes]  # smallest first in the config
    cfg = {"source": pg.source(), "spark": {"master": "local[2]"}, "output": {"path": str(tmp_path / "out")},
           "defaults": {"parallel_tables": 2, "driver_read_rows": 0}, "tables": tables}
    seen: list[ev.Event] = []
    result = Extractor(cfg).run(on_event=seen.append)
    assert result.ok, result.to_dict()
    assert [t.table for t in result.tables] == tables
    assert [t.rows for t in result.tables] == list(sizes.values())
    started = [e.table for e in seen if isinstance(e, ev.TableStarted)]
    assert started[-1] == "public.order_small", started  # the two bigger ones took the two slots first
    for name in sizes:
        assert_parquet_equals_source(pg_conn, name, str(tmp_path / "out" / "public" / name))
