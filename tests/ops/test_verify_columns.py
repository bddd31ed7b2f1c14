"""`verify` on a real PostgreSQL, the cheap second look: per-column checksums name the differing columns (even when
the rows are too many to fetch), a partition split over several connections, and a table without a primary key
compared as a multiset of rows."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "fidelity"))

from fid_common import config  # noqa: E402
from verify_helpers import parquet_cell, verify_one  # noqa: E402

from data_extractor import Extractor  # noqa: E402
from data_extractor.ops.verify import table as verify_table  # noqa: E402
from data_extractor.ops.verify.report import render  # noqa: E402
from data_extractor.ops.verify.table import _runs  # noqa: E402
from data_extractor.source.dialects.postgres_checksum import PostgresChecksum  # noqa: E402

pytestmark = pytest.mark.spark

DATABASE = "verify_cols"
ORDERS = "public.vc_orders"
NOKEY = "public.vc_nokey"


@pytest.fixture(scope="module")
def extracted(pg, spark, tmp_path_factory):
    """vc_orders (keyed, one partition) and vc_nokey (no key, rows repeated) extracted once; yields (cfg, out, conn)."""
    with pg.admin("postgres") as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DATABASE} OWNER {pg.user}")
    out = tmp_path_factory.mktemp("verify-cols")
    with pg.admin(DATABASE) as conn:
        conn.execute("""CREATE TABLE vc_orders AS SELECT g AS id, 'status ' || (g % 7) AS status,
            CASE WHEN g % 5 = 0 THEN NULL ELSE 'note ' || g END AS note, (g % 1000) / 10.0::numeric(8,1) AS amount,
            g * 1.5::float8 AS score FROM generate_series(1, 20000) g""")
        conn.execute("ALTER TABLE vc_orders ADD PRIMARY KEY (id)")
        conn.execute("""CREATE TABLE vc_nokey AS SELECT g % 1000 AS n, 'v' || (g % 1000) AS v
            FROM generate_series(1, 3000) g""")  # every row three times
        conn.execute("ANALYZE")
        cfg = config(pg.source(database=DATABASE), out / "out",
                     [{"name": ORDERS, "partitioning": {"strategy": "none"}}, NOKEY], parallel_tables=3)
        result = Extractor(cfg).run()
        assert result.ok, result.to_dict()
        yield cfg, out / "out" / "public", conn


def test_segments_split_into_contiguous_runs():
    assert _runs(32, 3) == [(0, 11), (11, 21), (21, 32)]
    assert _runs(1, 3) == [(0, 1)]
    assert _runs(5, 1) == [(0, 5)]


@pytest.mark.parametrize("row_hash", ["pg_lookup3", "md5"])
def test_a_partition_read_on_several_connections_verifies_equal_and_finds_a_change(extracted, monkeypatch,
                                                                                   row_hash):
    monkeypatch.setattr(PostgresChecksum, "row_hash", row_hash)
    cfg, _out, conn = extracted
    assert cfg["defaults"]["parallel_tables"] == 3  # 1 partition, its 32 segments summed on 3 connections
    equal = verify_one(cfg, ORDERS)
    assert equal.status == "equal" and equal.partitions == 1, equal.to_dict()
    conn.execute("UPDATE vc_orders SET note = 'changed' WHERE id = 19999")
    try:
        verdict = verify_one(cfg, ORDERS)
    finally:
        conn.execute("UPDATE vc_orders SET note = 'note 19999' WHERE id = 19999")
    [diff] = verdict.differences
    assert diff.columns == ["note"]
    assert [(r.key, r.kind, [c.column for c in r.cells]) for r in diff.rows] == [({"id": "19999"}, "changed", ["note"])]


@pytest.mark.parametrize("row_hash", ["pg_lookup3", "md5"])
def test_the_columns_are_named_when_the_rows_are_too_many_to_fetch(extracted, monkeypatch, row_hash):
    monkeypatch.setattr(PostgresChecksum, "row_hash", row_hash)
    monkeypatch.setattr(verify_table, "FETCH_CAP", 10)  # no segment's rows are fetched
    cfg, _out, conn = extracted
    conn.execute("UPDATE vc_orders SET status = 'x', score = -0.0 WHERE id = 777")
    try:
        verdict = verify_one(cfg, ORDERS)
    finally:
        conn.execute("UPDATE vc_orders SET status = 'status 0', score = 777 * 1.5 WHERE id = 777")
    [diff] = verdict.differences
    assert diff.rows == [] and "not fetched" in (diff.note or "")
    assert diff.columns == ["status", "score"]
    assert "columns that differ: status, score" in render([verdict], {})


def test_a_value_moved_to_another_row_is_named_by_its_column(extracted):
    cfg, out, _conn = extracted
    # both cells of the Parquet swapped: every column's multiset of values is unchanged, its key-bound sums are not
    with parquet_cell(out / "vc_orders", "id", 101, "note", "note 102"), \
            parquet_cell(out / "vc_orders", "id", 102, "note", "note 101"):
        verdict = verify_one(cfg, ORDERS)
    [diff] = verdict.differences
    assert diff.columns == ["note"]
    assert [r.key["id"] for r in diff.rows] == ["101", "102"]


def test_a_table_without_a_key_is_compared_as_a_multiset(extracted):
    cfg, _out, conn = extracted
    assert verify_one(cfg, NOKEY).status == "equal"
    conn.execute("UPDATE vc_nokey SET v = 'changed' WHERE ctid = (SELECT min(ctid) FROM vc_nokey WHERE n = 5)")
    conn.execute("INSERT INTO vc_nokey VALUES (7, 'v7')")  # a fourth copy
    try:
        verdict = verify_one(cfg, NOKEY)
    finally:
        conn.execute("DELETE FROM vc_nokey WHERE ctid = (SELECT max(ctid) FROM vc_nokey WHERE n = 7)")
        conn.execute("UPDATE vc_nokey SET v = 'v5' WHERE v = 'changed'")
    assert verdict.status == "differs" and any("multiset" in n for n in verdict.notes)
    rows = sorted((r.kind, tuple(c.source if c.source is not None else c.parquet for c in r.cells))
                  for p in verdict.differences for r in p.rows)
    assert rows == [("missing from the Parquet", ("5", "changed")),
                    ("missing from the Parquet (1 more time(s) than on the other side)", ("7", "v7")),
                    ("not in the source (1 more time(s) than on the other side)", ("5", "v5"))]
    assert sum(p.source_rows for p in verdict.differences) == sum(p.parquet_rows for p in verdict.differences) + 1
    text = render([verdict], {})
    assert "row: missing from the Parquet" in text


def test_a_large_table_without_a_key_names_the_partition_and_columns(extracted, monkeypatch):
    monkeypatch.setattr(verify_table, "MULTISET_CAP", 100)
    cfg, _out, conn = extracted
    conn.execute("UPDATE vc_nokey SET v = 'changed' WHERE ctid = (SELECT min(ctid) FROM vc_nokey WHERE n = 5)")
    try:
        verdict = verify_one(cfg, NOKEY)
    finally:
        conn.execute("UPDATE vc_nokey SET v = 'v5' WHERE v = 'changed'")
    [diff] = verdict.differences
    assert diff.rows == [] and "more than the 100 compared as a multiset" in (diff.note or "")
    assert diff.columns == ["v"] and diff.source_rows == diff.parquet_rows
