"""Helpers for the verify tests: change one Parquet cell, the nearest other value of a type, run verify."""

from __future__ import annotations

import datetime as dt
import decimal
import math
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from data_extractor.ops.verify import verify_tables


def bump(value: Any, arrow_type: pa.DataType) -> Any:
    """A different value of the same type, as near as can be (floats: the next double/float by bits)."""
    if value is None:
        return "x" if pa.types.is_string(arrow_type) else None
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value - 1 if value > 0 else value + 1
    if isinstance(value, decimal.Decimal):
        unit = decimal.Decimal(1).scaleb(-arrow_type.scale)
        return value - unit if value > 0 else value + unit
    if isinstance(value, float):
        if pa.types.is_float32(arrow_type):
            bits = struct.unpack(">i", struct.pack(">f", value))[0]
            return struct.unpack(">f", struct.pack(">i", bits - 1 if bits > 0 else bits + 1))[0]
        return math.nextafter(value, 0.0) if value != 0 else 5e-324
    if isinstance(value, dt.datetime):
        step = dt.timedelta(microseconds=1)
        return value - step if value.year > 1 else value + step
    if isinstance(value, dt.date):
        return value - dt.timedelta(days=1) if value.year > 1 else value + dt.timedelta(days=1)
    if isinstance(value, bytes):
        return value[:-1] if value else b"\x00"
    if isinstance(value, str):
        return value[:-1] if value else "x"
    raise TypeError(type(value))


def file_of(folder: Path, key: str, key_value: Any) -> Path:
    for f in sorted(folder.glob("*.parquet")):
        if key_value in pq.read_table(f, columns=[key]).column(key).to_pylist():
            return f
    raise LookupError(key_value)


@contextmanager
def parquet_cell(folder: Path, key: str, key_value: Any, column: str, new: Any = "bump") -> Iterator[tuple]:
    """Change one cell of the published Parquet (restored afterwards); yields (old, new)."""
    path = file_of(folder, key, key_value)
    original = path.read_bytes()
    table = pq.read_table(path)
    keys = table.column(key).to_pylist()
    values = table.column(column).to_pylist()
    i = keys.index(key_value)
    field = table.schema.field(column)
    old = values[i]
    values[i] = bump(old, field.type) if new == "bump" else new
    table = table.set_column(table.schema.get_field_index(column), field, pa.array(values, field.type))
    pq.write_table(table, path)
    try:
        yield old, values[i]
    finally:
        path.write_bytes(original)


def verify_one(config: Any, table: str) -> Any:
    verdicts = verify_tables(config, [table])
    assert len(verdicts) == 1, verdicts
    return verdicts[0]


def only_difference(verdict: Any) -> tuple[dict, str, list]:
    """(key, kind, cells) of the single differing row a verdict names."""
    assert verdict.status == "differs", verdict.to_dict()
    rows = [r for p in verdict.differences for r in p.rows]
    assert len(rows) == 1, verdict.to_dict()
    return rows[0].key, rows[0].kind, rows[0].cells
