"""Delta per-file statistics (`numRecords`, `minValues`, `maxValues`, `nullCount`) from a Parquet footer.

Readers skip files by these bounds, so a bound that is not exact-or-wider is worse than none. Left out on
purpose: floats (NaN is not in Parquet's min/max but matches `> x` in Spark), decimals (delta-rs and Spark
have parsed JSON decimals as floats), binary, booleans, and strings longer than Spark's 32-character prefix.
Timestamps are written in milliseconds, as the protocol asks: the minimum rounded down, the maximum up.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pyarrow.parquet as pq

_MS = dt.timedelta(milliseconds=1)
STRING_PREFIX = 32


def _timestamp(value: dt.datetime, up: bool) -> str:
    aware = value.tzinfo is not None
    floor = value.replace(microsecond=value.microsecond - value.microsecond % 1000)
    if up and floor != value:
        floor += _MS  # OverflowError past year 9999: the caller leaves the bound out
    text = floor.replace(tzinfo=None).isoformat(timespec="milliseconds")
    return text + "Z" if aware else text


def _bound(value: Any, logical: str, up: bool) -> Any:
    """The JSON form of a min (up=False) or max (up=True), or None to leave it out."""
    if isinstance(value, bool) or logical.startswith("Decimal"):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, dt.datetime):
        return _timestamp(value, up)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return value if len(value) <= STRING_PREFIX else None
    return None


def file_stats(meta: pq.FileMetaData) -> str:
    """The `stats` JSON string of a Delta add action for one Parquet file."""
    mins: dict[str, Any] = {}
    maxs: dict[str, Any] = {}
    nulls: dict[str, int] = {}
    groups = [meta.row_group(g) for g in range(meta.num_row_groups)]
    for i in range(meta.num_columns):
        name = meta.schema.column(i).path
        if "." in name:  # nested: not produced by this tool; leave it out rather than guess its shape
            continue
        chunks = [rg.column(i) for rg in groups]
        stats = [c.statistics for c in chunks]
        if any(s is None for s in stats):
            continue
        nulls[name] = sum(s.null_count or 0 for s in stats)
        ranged = [s for s in stats if s.has_min_max]
        if not ranged or any(not s.has_min_max and s.num_values > 0 for s in stats):
            continue
        logical = str(ranged[0].logical_type)
        try:
            lo = _bound(min(s.min for s in ranged), logical, up=False)
            hi = _bound(max(s.max for s in ranged), logical, up=True)
        except (OverflowError, ValueError, TypeError):
            continue
        if lo is not None and hi is not None:
            mins[name], maxs[name] = lo, hi
    return json.dumps({"numRecords": meta.num_rows, "minValues": mins, "maxValues": maxs, "nullCount": nulls},
                      separators=(",", ":"))
