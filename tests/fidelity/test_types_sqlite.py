"""Type fidelity on SQLite: each declared type at its edges, through both python-reader paths, exactly.

SQLite stores what its affinity rules make of a value (a DECIMAL is an INTEGER or a REAL, a NaN becomes
NULL, -0.0 becomes 0.0), so "the source" is what `sqlite3` returns, converted as the README documents:
DECIMAL from the integer, text or the float's shortest repr; DATE/DATETIME from ISO text; BOOLEAN 0/1.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fid_common import config
from fid_compare import differences, parquet_rows
from fid_pg_types import UNICODE

from data_extractor import Extractor

pytestmark = pytest.mark.spark

DDL = """CREATE TABLE fid_types (
  id INTEGER PRIMARY KEY, i BIGINT, dec DECIMAL(38,10), dec0 DECIMAL(38,0), dec2 DECIMAL(10,2), r REAL,
  d DOUBLE, t TEXT, vc VARCHAR(20), b BLOB, flag BOOLEAN, day DATE, ts DATETIME, ts2 TIMESTAMP)"""
COLUMNS = ["id", "i", "dec", "dec0", "dec2", "r", "d", "t", "vc", "b", "flag", "day", "ts", "ts2"]
BIG = 5 * 1024 * 1024
ROWS: list[dict[str, Any]] = [
    {"id": 1},
    {"id": 2, "i": 2**63 - 1, "dec": "99999.9999999999", "dec0": str(2**63 - 1), "dec2": "99999999.99",
     "r": 1.7976931348623157e308, "d": float("inf"), "flag": 1, "day": "9999-12-31",
     "ts": "9999-12-31 23:59:59.999999", "ts2": "9999-12-31T23:59:59.999999"},
    {"id": 3, "i": -(2**63), "dec": "-1234.5678901234", "dec0": str(-(2**63)), "dec2": "-0.01",
     "r": -1.7976931348623157e308, "d": float("-inf"), "flag": 0, "day": "0001-01-01",
     "ts": "0001-01-01 00:00:00", "ts2": "0001-01-01"},
    {"id": 4, "i": 0, "dec": "0.0000000001", "dec0": "0", "dec2": "0", "r": 5e-324, "d": -0.0,
     "t": "", "vc": "", "b": b"", "flag": 7},
    {"id": 5, "r": float("nan"), "d": 2.2250738585072014e-308, "t": UNICODE, "vc": "נ😀ب",
     "b": bytes(range(256)), "ts": "2024-03-31 02:30:00", "ts2": "2024-10-27 02:30:00.5"},
    {"id": 6, "t": "x" * 3 + "€😀" * (BIG // 8), "b": bytes(range(256)) * (BIG // 256), "dec": 0.1, "dec2": 12.5},
]

# table -> (declared type, stored value): each fails its table naming the column.
MISFITS = {
    "bad_decimal_scale": ("DECIMAL(10,2)", 1.005),
    "bad_decimal_text": ("DECIMAL(10,2)", "twelve"),
    "bad_decimal_infinite": ("DECIMAL(10,2)", float("inf")),
    "bad_boolean_text": ("BOOLEAN", "false"),
    "bad_date": ("DATE", "2024-02-30"),
    "bad_datetime_offset": ("DATETIME", "2024-10-27 02:30:00+01:00"),
    "bad_integer_text": ("BIGINT", "abc"),
}


def expected(column: str, value: Any) -> Any:
    """The documented Parquet value of what sqlite3 returned for `column`."""
    if value is None:
        return None
    if column.startswith("dec"):
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if column == "flag":
        return value != 0
    if column == "day":
        return dt.date.fromisoformat(value)
    if column in ("ts", "ts2"):
        return dt.datetime.fromisoformat(value)
    return value


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("sqlite-types") / "types.db"
    conn = sqlite3.connect(path)
    conn.execute(DDL)
    for row in ROWS:
        conn.execute(f"INSERT INTO fid_types ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                     list(row.values()))
    for name, (kind, value) in MISFITS.items():
        conn.execute(f"CREATE TABLE {name} (id INTEGER PRIMARY KEY, v_{name} {kind})")
        conn.execute(f"INSERT INTO {name} (v_{name}) VALUES (?)", (value,))
    conn.commit()
    stored = {r[0]: dict(zip(COLUMNS, r, strict=True)) for r in conn.execute("SELECT * FROM fid_types")}
    conn.close()
    return {"path": path, "stored": stored,
            "rows": {k: {c: expected(c, v) for c, v in r.items()} for k, r in stored.items()}}


def test_sqlite_stores_nan_as_null_and_negative_zero_as_zero(db):
    """What the matrix compares against: SQLite's own storage, not what was inserted."""
    assert db["stored"][5]["r"] is None
    assert str(db["stored"][4]["d"]) == "0.0"


@pytest.mark.parametrize("writer", ["arrow", "spark"])
def test_every_declared_type_and_edge_value_arrives_exactly(db, tmp_path, spark, writer):
    cfg = config({"type": "sqlite", "path": str(db["path"])}, tmp_path / "out", ["fid_types"], "python", writer)
    result = Extractor(cfg).run()
    assert result.ok, result.to_dict()
    folder = tmp_path / "out" / "main" / "fid_types"
    names, rows = parquet_rows(str(folder))
    assert names == COLUMNS
    assert differences(db["rows"], rows, names, f"{writer}: ") == []
    for key, row in db["stored"].items():  # a DECIMAL from a REAL is the very same double
        for col in ("dec", "dec2"):
            if isinstance(row[col], float):
                assert float(rows[key][col]) == row[col]
    schema = {f.name: f.type for f in pq.read_schema(next(folder.glob("*.parquet")))}
    assert schema["dec"] == pa.decimal128(38, 10) and schema["ts"] == pa.timestamp("us")
    assert schema["flag"] == pa.bool_() and schema["day"] == pa.date32() and schema["b"] == pa.binary()


@pytest.mark.parametrize("writer", ["arrow", "spark"])
def test_a_value_its_declared_type_cannot_hold_fails_the_table_naming_the_column(db, tmp_path, spark, writer):
    # the spark writer reads through the very code the arrow writer does: two cases suffice
    names = list(MISFITS) if writer == "arrow" else ["bad_decimal_scale", "bad_datetime_offset"]
    cfg = config({"type": "sqlite", "path": str(db["path"])}, tmp_path / "out", names, "python", writer,
                 parallel_tables=4)
    result = Extractor(cfg).run()
    assert len(result.tables) == len(names)
    for t in result.tables:
        assert t.status == "failed", (t.table, "extracted instead of failing")
        assert f"'v_{t.table}'" in t.error and "\n" not in t.error, t.error
    assert not (tmp_path / "out" / "main").exists()
