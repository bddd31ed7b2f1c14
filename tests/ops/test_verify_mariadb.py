"""`verify` on a real MariaDB: every type the MySQL dialect reads verifies equal; one changed value on either side,
in any column type, is found with its key and column; deleted and inserted rows are found."""

from __future__ import annotations

import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "spark"))

from test_extract_mysql import EXTREMES, TYPED_DDL, TYPED_FILL  # noqa: E402
from verify_helpers import only_difference, parquet_cell, verify_one  # noqa: E402

from data_extractor import Extractor  # noqa: E402
from data_extractor.ops.verify import verify_tables  # noqa: E402
from mysqlserver import MariaDBServer, shared_server  # noqa: E402

pytestmark = pytest.mark.spark

TABLE = "shop.typed"


@pytest.fixture(scope="module")
def extracted(request, spark, tmp_path_factory):
    server: MariaDBServer = shared_server(request.config)
    server.execute("DROP TABLE IF EXISTS typed", TYPED_DDL, TYPED_FILL.format(rows=6_000), EXTREMES,
                   "UPDATE typed SET ratio = -0.0, score = 5e-324 WHERE id = 7",
                   "DROP TABLE IF EXISTS typed_saved", "CREATE TABLE typed_saved AS SELECT * FROM typed")
    out = tmp_path_factory.mktemp("verify-maria") / "out"
    cfg = {"source": server.source(), "spark": {"master": "local[2]"}, "output": {"path": str(out)},
           "defaults": {"retries": 0, "retry_wait": 0},
           "tables": [{"name": TABLE, "partitioning": {"strategy": "range", "partitions": 3}}]}
    result = Extractor(cfg).run()
    assert result.ok, result.to_dict()
    yield cfg, out / "shop" / "typed", server


def test_an_exact_extraction_of_every_type_verifies_equal(extracted):
    cfg, _out, _server = extracted
    [verdict] = verify_tables(cfg)
    assert verdict.status == "equal", verdict.to_dict()
    assert verdict.rows == 6_001 and verdict.partitions == 3


def _columns(out: Path) -> list[str]:
    return [n for n in pq.read_schema(next(out.glob("*.parquet"))).names if n != "id"]


COLUMNS = ["flag", "tiny", "utiny", "small", "usmall", "medium", "umedium", "i", "ui", "big", "ubig", "amount",
           "wide", "ratio", "score", "bit1", "bits", "bit64", "day", "created", "seen", "span", "yr", "label",
           "code", "note", "emoji", "color", "tags", "doc", "payload", "raw", "fixed"]


@pytest.mark.parametrize("column", COLUMNS)
def test_one_changed_parquet_value_of_any_type_is_found(extracted, column):
    cfg, out, _server = extracted
    assert set(COLUMNS) == set(_columns(out))
    with parquet_cell(out, "id", 4321, column) as (old, new):
        verdict = verify_one(cfg, TABLE)
        key, kind, cells = only_difference(verdict)
    assert key == {"id": "4321"} and kind == "changed", (old, new)
    assert [c.column for c in cells] == [column]
    assert verdict.differences[0].columns == [column]  # the per-column checksums agree on every other type


SOURCE_CHANGES = {
    "flag": "1 - flag", "utiny": "utiny + 1", "ubig": "ubig - 1", "amount": "amount + 0.01",
    "wide": "wide + 0.0000000001", "ratio": "ratio * 2", "score": "score * (1 + 2e-16)", "bits": "bits + 1",
    "day": "day + INTERVAL 1 DAY", "created": "created + INTERVAL 1 MICROSECOND",
    "seen": "seen + INTERVAL 1 MICROSECOND", "span": "span + INTERVAL 1 SECOND", "label": "CONCAT(label, 'x')",
    "code": "'zz'", "note": "CONCAT(note, '|')", "color": "'red'", "doc": "JSON_OBJECT('a', 1)",
    "payload": "CONCAT(payload, x'00')", "fixed": "x'01020304'",
}


@pytest.mark.parametrize("column", list(SOURCE_CHANGES))
def test_one_changed_source_value_of_any_type_is_found(extracted, column):
    cfg, _out, server = extracted
    key = 1234 if column not in ("color", "fixed", "code") else 1235
    server.execute(f"UPDATE typed SET `{column}` = {SOURCE_CHANGES[column]} WHERE id = {key}")
    try:
        verdict = verify_one(cfg, TABLE)
    finally:
        server.execute(f"UPDATE typed t JOIN typed_saved s ON s.id = t.id SET t.`{column}` = s.`{column}` "
                       f"WHERE t.id = {key}")
    found, kind, cells = only_difference(verdict)
    assert found == {"id": str(key)} and kind == "changed"
    assert [c.column for c in cells] == [column]
    assert verdict.differences[0].columns == [column]


def test_null_and_empty_string_and_negative_zero(extracted):
    cfg, out, _server = extracted
    with parquet_cell(out, "id", 0, "note", None) as (old, _new):
        assert old == ""
        key, _kind, cells = only_difference(verify_one(cfg, TABLE))
    assert key == {"id": "0"} and [(c.column, c.source, c.parquet) for c in cells] == [("note", "", None)]
    [equal] = verify_tables(cfg)  # -0.0 and the smallest subnormal survived the trip, by their bits
    assert equal.status == "equal"


def test_deleted_and_inserted_source_rows_are_found(extracted):
    cfg, _out, server = extracted
    server.execute("DELETE FROM typed WHERE id = 2500", "DROP TABLE IF EXISTS typed_new",
                   "CREATE TABLE typed_new AS SELECT * FROM typed_saved WHERE id = 10",
                   "UPDATE typed_new SET id = 100000", "INSERT INTO typed SELECT * FROM typed_new")
    try:
        verdict = verify_one(cfg, TABLE)
    finally:
        server.execute("DELETE FROM typed WHERE id = 100000",
                       "INSERT INTO typed SELECT * FROM typed_saved WHERE id = 2500")
    found = {(r.kind, r.key["id"]) for p in verdict.differences for r in p.rows}
    assert found == {("not in the source", "2500"), ("missing from the Parquet", "100000")}
    assert verify_one(cfg, TABLE).status == "equal"
