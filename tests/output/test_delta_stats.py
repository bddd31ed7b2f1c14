"""Delta per-file statistics: bounds exact or wider, never narrower; columns whose bounds could mislead left out."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq

from data_extractor.output.delta_stats import file_stats

UTC = dt.timezone.utc


def stats_of(tmp_path, table: pa.Table, row_group_size: int | None = None) -> dict:
    path = tmp_path / "f.parquet"
    pq.write_table(table, path, row_group_size=row_group_size, store_schema=False)
    return json.loads(file_stats(pq.read_metadata(path)))


def test_bounds_span_every_row_group_and_nulls_are_counted(tmp_path):
    t = pa.table({"i": pa.array([5, None, -3, 9, None], pa.int64()), "d": pa.array(
        [dt.date(1, 1, 1), dt.date(2026, 1, 1), None, dt.date(9999, 12, 31), None]),
        "s": pa.array(["b", "a", None, "c", "z"], pa.large_string())})
    s = stats_of(tmp_path, t, row_group_size=2)
    assert s["numRecords"] == 5
    assert s["minValues"] == {"i": -3, "d": "0001-01-01", "s": "a"}
    assert s["maxValues"] == {"i": 9, "d": "9999-12-31", "s": "z"}
    assert s["nullCount"] == {"i": 2, "d": 2, "s": 1}


def test_timestamps_are_milliseconds_with_the_minimum_rounded_down_and_the_maximum_up(tmp_path):
    at = [dt.datetime(2026, 1, 1, 0, 0, 0, 123456, tzinfo=UTC), dt.datetime(2026, 1, 2, 0, 0, 0, 999999, tzinfo=UTC)]
    t = pa.table({"tz": pa.array(at, pa.timestamp("us", tz="UTC")),
                  "ntz": pa.array([a.replace(tzinfo=None) for a in at], pa.timestamp("us"))})
    s = stats_of(tmp_path, t)
    assert s["minValues"] == {"tz": "2026-01-01T00:00:00.123Z", "ntz": "2026-01-01T00:00:00.123"}
    assert s["maxValues"] == {"tz": "2026-01-02T00:00:01.000Z", "ntz": "2026-01-02T00:00:01.000"}


def test_floats_decimals_binary_booleans_long_strings_and_unroundable_maxima_have_no_bounds(tmp_path):
    t = pa.table({"f": [1.5, float("nan")], "dec": pa.array([Decimal("1.10"), Decimal("2.20")], pa.decimal128(5, 2)),
                  "b": [b"x", b"y"], "flag": [True, False], "long": ["x" * 33, "y"],
                  "end": pa.array([dt.datetime(9999, 12, 31, 23, 59, 59, 999999)] * 2, pa.timestamp("us"))})
    s = stats_of(tmp_path, t)
    assert s["minValues"] == {} and s["maxValues"] == {}
    assert s["nullCount"] == dict.fromkeys(t.column_names, 0)
