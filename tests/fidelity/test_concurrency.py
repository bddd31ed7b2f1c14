"""Sixteen tables, eight at a time: every log line carries the table it is about, every output equals its source."""

from __future__ import annotations

import re

import pyarrow.parquet as pq
import pytest
from fid_common import config

from data_extractor import Extractor
from data_extractor.run import events as ev

pytestmark = pytest.mark.spark

NAMES = [f"conc_{i:02d}" for i in range(16)]


@pytest.fixture(scope="module")
def sixteen(pg_conn):
    for i, name in enumerate(NAMES):
        pg_conn.execute(f"DROP TABLE IF EXISTS {name}")
        pg_conn.execute(f"CREATE TABLE {name} (id int PRIMARY KEY, v text, amount numeric(12,2))")
        pg_conn.execute(f"INSERT INTO {name} SELECT g, '{name}-' || g, g * {i + 1} / 7.0 "
                        f"FROM generate_series(1, {500 + 137 * i}) g")
        pg_conn.execute(f"ANALYZE {name}")
    return [f"public.{n}" for n in NAMES]


def test_sixteen_tables_eight_at_a_time_keep_their_log_context_and_equal_their_sources(pg, pg_conn, sixteen,
                                                                                        tmp_path, spark):
    cfg = config(pg.source(), tmp_path / "out", sixteen, parallel_tables=8,
                 partitioning={"strategy": "balanced", "partitions": 2})
    seen: list[ev.Event] = []
    result = Extractor(cfg).run(on_event=seen.append)
    assert result.ok, [(t.table, t.error) for t in result.tables if t.status != "succeeded"]

    mention = re.compile(r"\bconc_\d\d\b")
    tagged = 0
    for e in seen:
        if isinstance(e, ev.LogLine):
            named = set(mention.findall(e.message))
            if named:
                assert e.table is not None and {e.table.split(".")[-1]} == named, (e.table, e.message)
                tagged += 1
    assert tagged >= len(NAMES)  # at least the publish line of each table
    planned = {e.table for e in seen if isinstance(e, ev.LogLine) and e.message.startswith("plan:")}
    assert planned == set(sixteen)  # each table's plan line is tagged with it, though it names no table

    finished = {e.table: e for e in seen if isinstance(e, ev.TableFinished)}
    assert set(finished) == set(sixteen)
    for name in NAMES:
        source = pg_conn.execute(f"SELECT id, v, amount FROM {name} ORDER BY id").fetchall()
        table = pq.read_table(tmp_path / "out" / "public" / name).sort_by("id")
        out = list(zip(*(table[c].to_pylist() for c in ("id", "v", "amount")), strict=True))
        assert out == source, name
        assert finished[f"public.{name}"].rows == len(source)
