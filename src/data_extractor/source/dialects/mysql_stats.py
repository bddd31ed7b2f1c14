"""MySQL 8 and MariaDB histograms as distributions for balanced splits."""

from __future__ import annotations

import datetime as dt
import decimal
import json
from collections.abc import Callable, Sequence
from typing import Any

from data_extractor.source.dialects.base import ColumnInfo, Distribution
from data_extractor.source.dialects.mysql_types import _parse

_PERSISTENT = "statistics from ANALYZE TABLE ... PERSISTENT FOR COLUMNS"


def _value_parser(column: ColumnInfo) -> Callable[[str], Any] | None:
    """How a histogram endpoint's text becomes a value of the column's type (None: not supported)."""
    base, _, _ = _parse(column.source_type)
    t = column.spark_type
    if base in ("bit", "timestamp"):  # BIT is selected as a number; TIMESTAMP text depends on a time zone
        return None
    if t in ("tinyint", "smallint", "int", "bigint"):
        return lambda s: int(decimal.Decimal(s))
    if t.startswith("decimal"):
        return decimal.Decimal
    if t in ("float", "double"):
        return float
    if t == "date":
        return lambda s: dt.date.fromisoformat(s[:10])
    if t == "timestamp_ntz":
        return lambda s: dt.datetime.fromisoformat(s.strip())
    return None


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes | bytearray) else str(value)


def mariadb_distribution(row: Sequence[Any], column: ColumnInfo) -> Distribution | None:
    """A CDF from a mysql.column_stats row (hist_type, histogram, min_value, max_value, nulls_ratio)."""
    hist_type, histogram, lo, hi, nulls = row
    parse = _value_parser(column)
    if parse is None or histogram is None:
        return None
    null_fraction = float(nulls or 0)
    if hist_type == "JSON_HB":
        buckets = json.loads(_text(histogram)).get("histogram_hb") or []
        if not buckets:
            return None
        points, acc = [], 0.0
        for bucket in buckets:
            points.append((parse(str(bucket["start"])), acc))
            acc += float(bucket["size"])
        points.append((parse(str(buckets[-1].get("end", buckets[-1]["start"]))), 1.0))
        return Distribution(points, null_fraction, "statistics", f"{_PERSISTENT} (JSON_HB)")
    if hist_type not in ("SINGLE_PREC_HB", "DOUBLE_PREC_HB") or lo is None or hi is None:
        return None
    if column.spark_type in ("date", "timestamp_ntz"):
        return None  # binary histograms place dates by their YYYYMMDD number, not linearly
    width = 2 if hist_type == "DOUBLE_PREC_HB" else 1
    data = bytes(histogram)
    top = 256**width - 1
    cuts = [int.from_bytes(data[i:i + width], "little") / top for i in range(0, len(data), width)]
    if not cuts:
        return None
    low, high = float(_text(lo)), float(_text(hi))

    def typed(x: float) -> Any:
        return parse(str(round(x)) if _integral(column) else repr(x))

    points = [(typed(low), 0.0)]
    points += [(typed(low + c * (high - low)), (i + 1) / (len(cuts) + 1)) for i, c in enumerate(cuts)]
    points.append((typed(high), 1.0))
    for i in range(1, len(points)):  # rounding may reorder neighbours by a hair
        if points[i][0] < points[i - 1][0]:
            points[i] = (points[i - 1][0], points[i][1])
    return Distribution(points, null_fraction, "statistics", f"{_PERSISTENT} ({hist_type})")


def _integral(column: ColumnInfo) -> bool:
    return column.spark_type in ("tinyint", "smallint", "int", "bigint") or column.spark_type.endswith(",0)")


def mysql_distribution(histogram: Any, column: ColumnInfo) -> Distribution | None:
    """A CDF from a MySQL 8 information_schema.COLUMN_STATISTICS histogram (JSON)."""
    doc = json.loads(_text(histogram)) if not isinstance(histogram, dict) else histogram
    if doc.get("data-type") not in ("int", "uint", "double", "decimal", "date", "datetime"):
        return None
    parse = _value_parser(column)
    buckets = doc.get("buckets") or []
    if parse is None or not buckets:
        return None
    top = float(buckets[-1][-1] if doc.get("histogram-type") == "singleton" else buckets[-1][2]) or 1.0
    points: list[tuple[Any, float]] = []
    if doc.get("histogram-type") == "singleton":
        for value, cum in buckets:
            points.append((parse(str(value)), float(cum) / top))
        points.insert(0, (points[0][0], 0.0))
    else:
        points.append((parse(str(buckets[0][0])), 0.0))
        for _lo, hi, cum, *_ in buckets:
            points.append((parse(str(hi)), float(cum) / top))
    nulls = float(doc.get("null-values") or 0.0)
    return Distribution(points, nulls, "statistics", "statistics from ANALYZE TABLE ... UPDATE HISTOGRAM")
