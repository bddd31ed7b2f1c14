"""`verify` on a real PostgreSQL: an exact extraction of every type verifies equal; one changed value, on either
side and in any column type, is found with its key and column; deleted and inserted rows are found."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "fidelity"))

from fid_common import cli, config, write_yaml  # noqa: E402
from fid_pg_types import BERLIN, create  # noqa: E402
from verify_helpers import only_difference, parquet_cell, verify_one  # noqa: E402

from data_extractor import Extractor  # noqa: E402
from data_extractor.ops.verify import verify_tables  # noqa: E402

pytestmark = pytest.mark.spark

DATABASE = "verify"
TYPES = "public.vt_types"
ORDERS = "public.vt_orders"
ORDER_ROWS = 60_000


@pytest.fixture(scope="module")
def extracted(pg, spark, tmp_path_factory):
    """Both tables extracted once (4 range partitions of the orders); yields (config dict, output folder, conn)."""
    with pg.admin("postgres") as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DATABASE} OWNER {pg.user}")
        conn.execute(f"ALTER DATABASE {DATABASE} SET TimeZone = '{BERLIN}'")
    out = tmp_path_factory.mktemp("verify-pg")
    with pg.admin(DATABASE) as conn:
        create(conn, "vt_types")
        conn.execute(f"""CREATE TABLE vt_orders AS SELECT g AS id, (g % 977)::int AS customer_id,
            (g % 100000) / 100.0::numeric(12,2) AS amount, 'status ' || (g % 7) AS status,
            CASE WHEN g % 5 = 0 THEN NULL ELSE 'note ' || g END AS note,
            timestamp '2024-01-01' + g * interval '1 second' AS created_at, g % 2 = 0 AS flag,
            g * 1.000001::float8 AS score FROM generate_series(1, {ORDER_ROWS}) g""")
        conn.execute("ALTER TABLE vt_orders ADD PRIMARY KEY (id)")
        conn.execute("ANALYZE vt_orders")
        cfg = config(pg.source(database=DATABASE), out / "out",
                     [TYPES, {"name": ORDERS, "partitioning": {"strategy": "range", "partitions": 4}}],
                     parallel_tables=2)
        result = Extractor(cfg).run()
        assert result.ok, result.to_dict()
        yield cfg, out / "out" / "public", conn


def test_an_exact_extraction_of_every_type_verifies_equal(extracted):
    cfg, _out, _conn = extracted
    verdicts = {v.table: v for v in verify_tables(cfg)}
    assert verdicts[TYPES].status == "equal", verdicts[TYPES].to_dict()
    assert verdicts[ORDERS].status == "equal", verdicts[ORDERS].to_dict()
    assert verdicts[ORDERS].partitions == 4


def test_the_cli_exits_0_when_equal_and_1_with_the_key_when_not(extracted, tmp_path):
    cfg, out, _conn = extracted
    path = write_yaml(tmp_path / "c.yaml", cfg)
    ok = cli("verify", "-c", path, "-t", ORDERS)
    assert ok.returncode == 0, ok.stderr
    assert f"{ORDERS}: equal (60,000 rows, 4 partition(s))" in ok.stdout
    with parquet_cell(out / "vt_orders", "id", 31_337, "status", "changed"):
        bad = cli("verify", "-c", path, "-t", ORDERS, "--json")
    assert bad.returncode == 1, bad.stderr
    report = json.loads(bad.stdout)[0]
    row = report["differences"][0]["rows"][0]
    assert row["key"] == {"id": "31337"} and row["cells"] == [
        {"column": "status", "source": "status 5", "parquet": "changed"}]
    unknown = cli("verify", "-c", path, "-t", "public.nope")
    assert unknown.returncode == 2 and "public.nope is not in the config" in unknown.stderr


def _columns(out: Path) -> list[str]:
    return [n for n in pq.read_schema(next((out / "vt_types").glob("*.parquet"))).names if n != "id"]


TYPE_COLUMNS = ["label", "num_38_10", "num_38_0", "num_bare", "num_12_2", "i2", "i4", "i8", "f4", "f8", "txt",
                "vchar", "chr", "flag", "day", "ts", "tstz", "bin", "ivl", "uid", "js", "jsb", "ints", "texts",
                "tm", "tmtz", "mood"]


@pytest.mark.parametrize("column", TYPE_COLUMNS)
def test_one_changed_parquet_value_of_any_type_is_found(extracted, column):
    cfg, out, _conn = extracted
    assert set(TYPE_COLUMNS) == set(_columns(out))
    table = pq.read_table(out / "vt_types", columns=["id", column]).to_pylist()
    filled = [r["id"] for r in table if r[column] is not None]
    key = min([k for k in filled if k not in (2, 3)] or filled)  # not the extremes, where there is another
    with parquet_cell(out / "vt_types", "id", key, column) as (old, new):
        verdict = verify_one(cfg, TYPES)
        key_found, kind, cells = only_difference(verdict)
    assert key_found == {"id": str(key)} and kind == "changed", (old, new)
    assert [c.column for c in cells] == [column]
    assert cells[0].source != cells[0].parquet
    assert verdict.differences[0].columns == [column]  # the per-column checksums agree on every other type


def test_null_and_empty_string_are_told_apart(extracted):
    cfg, out, _conn = extracted
    with parquet_cell(out / "vt_types", "id", 4, "txt", None) as (old, _new):
        assert old == ""
        key, _kind, cells = only_difference(verify_one(cfg, TYPES))
    assert key == {"id": "4"} and [(c.column, c.source, c.parquet) for c in cells] == [("txt", "", None)]


def test_negative_zero_is_told_from_zero_by_its_bits(extracted):
    cfg, out, _conn = extracted
    with parquet_cell(out / "vt_types", "id", 4, "f8", 0.0) as (old, _new):
        assert str(old) == "-0.0"
        _key, _kind, cells = only_difference(verify_one(cfg, TYPES))
    assert [(c.column, c.source, c.parquet) for c in cells] == [("f8", str(-(2**63)), "0")]


# column -> SQL that changes it in the row with that id
SOURCE_CHANGES = {
    "num_38_10": "num_38_10 + 0.0000000001", "num_bare": "num_bare + 0.0000000001", "num_12_2": "num_12_2 + 0.01",
    "i2": "i2 + 1", "i8": "i8 + 1", "f4": "CASE WHEN f4 = 0 THEN 1 ELSE f4 / 2 END",
    "f8": "CASE WHEN f8 = 0 THEN 5e-324::float8 ELSE f8 * (1 + 2.2e-16) END", "txt": "txt || 'x'",
    "chr": "'zz'", "flag": "NOT flag", "day": "day - 1", "ts": "ts + interval '1 microsecond'",
    "tstz": "tstz + interval '1 microsecond'", "bin": "bin || '\\x00'::bytea", "uid": "gen_random_uuid()",
    "jsb": "'{\"a\": 1}'", "ivl": "ivl + interval '1 microsecond'",
    "mood": "CASE WHEN mood = 'sad' THEN 'ok'::fid_mood ELSE 'sad'::fid_mood END",
}


@pytest.mark.parametrize("column", list(SOURCE_CHANGES))
def test_one_changed_source_value_of_any_type_is_found(extracted, column):
    cfg, _out, conn = extracted
    key = conn.execute(f"SELECT coalesce(min(id) FILTER (WHERE id NOT IN (2, 3, 200)), min(id)) FROM vt_types "
                       f"WHERE {column} IS NOT NULL").fetchone()[0]
    try:
        conn.execute(f"UPDATE vt_types SET {column} = {SOURCE_CHANGES[column]} WHERE id = %s", (key,))
        verdict = verify_one(cfg, TYPES)
    finally:
        _restore(conn, column, key)
    key_found, kind, cells = only_difference(verdict)
    assert key_found == {"id": str(key)} and kind == "changed"
    assert [c.column for c in cells] == [column]
    assert verdict.differences[0].columns == [column]


def _restore(conn, column: str, key: int) -> None:
    """Undo a source change from the copy taken after the extraction."""
    conn.execute(f"UPDATE vt_types t SET {column} = s.{column} FROM vt_saved s WHERE s.id = t.id AND t.id = %s",
                 (key,))


@pytest.fixture(scope="module", autouse=True)
def _saved_copy(extracted):
    _cfg, _out, conn = extracted
    conn.execute("DROP TABLE IF EXISTS vt_saved")
    conn.execute("CREATE TABLE vt_saved AS SELECT * FROM vt_types")
    yield


def test_deleted_and_inserted_source_rows_are_found_by_bisection(extracted):
    cfg, _out, conn = extracted
    deleted = conn.execute("SELECT * FROM vt_orders WHERE id = 12345").fetchone()
    conn.execute("DELETE FROM vt_orders WHERE id = 12345")
    conn.execute("INSERT INTO vt_orders SELECT id + 100000, customer_id, amount, status, note, created_at, flag, "
                 "score FROM vt_orders WHERE id = 40000")
    try:
        verdict = verify_one(cfg, ORDERS)
    finally:
        conn.execute("DELETE FROM vt_orders WHERE id = 140000")
        conn.execute("INSERT INTO vt_orders VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", deleted)
    assert verdict.status == "differs"
    found = {(r.kind, r.key["id"]) for p in verdict.differences for r in p.rows}
    assert found == {("not in the source", "12345"), ("missing from the Parquet", "140000")}
    first = next(p for p in verdict.differences if any(r.key["id"] == "12345" for r in p.rows))
    lo, hi = (int(x) for x in first.key_range)  # bisected well below the 15,000-row partition
    assert lo <= 12345 < hi and hi - lo < 2_000
    assert verify_one(cfg, ORDERS).status == "equal"


def test_a_changed_source_row_in_a_large_partition_is_found_with_its_column(extracted, monkeypatch):
    from data_extractor.ops.verify import table

    monkeypatch.setattr(table, "LEAF", 100)  # segments of ~470 rows are bisected once more before rows are fetched
    cfg, _out, conn = extracted
    conn.execute("UPDATE vt_orders SET score = score + 1e-9 WHERE id = 50001")
    try:
        verdict = verify_one(cfg, ORDERS)
    finally:
        conn.execute("UPDATE vt_orders SET score = 50001 * 1.000001::float8 WHERE id = 50001")
    key, kind, cells = only_difference(verdict)
    assert key == {"id": "50001"} and kind == "changed" and [c.column for c in cells] == ["score"]
    assert [p.fetches for p in verdict.differences] == [1]  # bisection led to the one range holding the row
    assert any("read as it is now" in n for n in verdict.notes)


def test_each_published_window_is_verified_on_its_own(pg, spark, tmp_path):
    import datetime as dt

    with pg.admin(DATABASE) as conn:
        conn.execute("DROP TABLE IF EXISTS vt_events")
        conn.execute("CREATE TABLE vt_events AS SELECT g AS id, timestamp '2026-01-01' + g * interval '10 second' "
                     "AS updated_at, 'v' || g AS v FROM generate_series(1, 20000) g")
        conn.execute("ALTER TABLE vt_events ADD PRIMARY KEY (id)")
        inc = {"column": "updated_at", "window": "24h", "start": "2026-01-01"}
        cfg = config(pg.source(database=DATABASE), tmp_path / "out",
                     [{"name": "public.vt_events", "incremental": inc}])
        assert Extractor(cfg).run(date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 1, 2)).ok
        conn.execute("UPDATE vt_events SET v = 'changed' WHERE id = 9000")  # 2026-01-02 01:00
        verdicts = {v.table: v for v in verify_tables(cfg)}
    assert sorted(verdicts) == ["public.vt_events [2026-01-01]", "public.vt_events [2026-01-02]"]
    assert verdicts["public.vt_events [2026-01-01]"].status == "equal"
    key, kind, cells = only_difference(verdicts["public.vt_events [2026-01-02]"])
    assert key == {"id": "9000"} and [(c.column, c.source, c.parquet) for c in cells] == [("v", "changed", "v9000")]
