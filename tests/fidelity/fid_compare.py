"""Exact, value-by-value comparison of extracted Parquet with rows read independently from the source.

Exact means: Decimal equality (and a Decimal on both sides), float bit patterns (NaN, -0.0 and
subnormals included), aware datetimes as the same instant, naive ones as the same wall clock, bytes.
"""

from __future__ import annotations

import datetime as dt
import math
import struct
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pyarrow.parquet as pq


def float_bits(value: float) -> bytes:
    return struct.pack(">d", value)


def same(source: Any, out: Any) -> bool:
    """Whether the Parquet value `out` is exactly the source value `source`."""
    if source is None or out is None:
        return source is None and out is None
    if isinstance(source, float):
        return isinstance(out, float) and float_bits(source) == float_bits(out)
    if isinstance(source, Decimal):
        return isinstance(out, Decimal) and out == source
    if isinstance(source, dt.datetime):
        if not isinstance(out, dt.datetime) or (source.tzinfo is None) != (out.tzinfo is None):
            return False
        return out == source
    if isinstance(source, dt.date):
        return type(out) is dt.date and out == source
    if isinstance(source, memoryview | bytearray | bytes):
        return isinstance(out, bytes) and out == bytes(source)
    if isinstance(source, bool):
        return out is source
    if isinstance(source, int):
        return type(out) is int and out == source
    return type(out) is type(source) and out == source


def show(value: Any) -> str:
    """A short, unambiguous rendering of a value for failure messages (large values abridged)."""
    if isinstance(value, float):
        return f"{value!r} (bits {float_bits(value).hex()})" if not math.isnan(value) else \
            f"nan (bits {float_bits(value).hex()})"
    if isinstance(value, str | bytes | memoryview) and len(value) > 80:
        head = value[:20] if isinstance(value, str) else bytes(value[:20])
        return f"{type(value).__name__} of length {len(value)} starting {head!r}"
    return repr(value)


def parquet_rows(folder: str, key: str = "id") -> tuple[list[str], dict[Any, dict[str, Any]]]:
    table = pq.read_table(folder)
    return table.column_names, {r[key]: r for r in table.to_pylist()}


def differences(source: dict[Any, dict[str, Any]], out: dict[Any, dict[str, Any]], columns: Sequence[str],
                label: str = "") -> list[str]:
    """Every (row, column) where the extracted value differs from the source, as readable lines."""
    problems = []
    if set(source) != set(out):
        problems.append(f"{label}rows differ: missing {sorted(set(source) - set(out))}, "
                        f"extra {sorted(set(out) - set(source))}")
    for key in sorted(set(source) & set(out)):
        for col in columns:
            s, p = source[key][col], out[key].get(col, "<column missing>")
            if not same(s, p):
                problems.append(f"{label}row {key} column {col}: source {show(s)} != extracted {show(p)}")
    return problems
