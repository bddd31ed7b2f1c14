"""Spark DDL type names (the dialects' common language) to Arrow types, and rows to Arrow batches.

Dialects map each source column to a Spark DDL type string (`bigint`, `decimal(12,2)`, `timestamp`,
`timestamp_ntz`, ...). Spark's `timestamp` is an instant (stored as UTC), `timestamp_ntz` a wall-clock time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

    from data_extractor.source.dialects.base import ColumnInfo

_DECIMAL = re.compile(r"decimal\((\d+),\s*(\d+)\)")


def arrow_type(spark_type: str) -> pa.DataType:
    import pyarrow as pa

    simple = {
        "boolean": pa.bool_(),
        "tinyint": pa.int8(),
        "smallint": pa.int16(),
        "int": pa.int32(),
        "bigint": pa.int64(),
        "float": pa.float32(),
        "double": pa.float64(),
        "string": pa.large_string(),
        "binary": pa.large_binary(),
        "date": pa.date32(),
        "timestamp": pa.timestamp("us", tz="UTC"),
        "timestamp_ntz": pa.timestamp("us"),
    }
    if spark_type in simple:
        return simple[spark_type]
    m = _DECIMAL.fullmatch(spark_type)
    if m:
        return pa.decimal128(int(m[1]), int(m[2]))
    raise ValueError(f"no Arrow type for Spark type {spark_type!r}")


def arrow_schema(columns: Sequence[ColumnInfo]) -> pa.Schema:
    import pyarrow as pa

    return pa.schema([pa.field(c.name, arrow_type(c.spark_type), nullable=True) for c in columns])


def spark_ddl(columns: Sequence[ColumnInfo]) -> str:
    """A Spark DDL schema string; names are back-quoted so any name survives."""
    return ", ".join(f"`{c.name.replace('`', '``')}` {c.spark_type}" for c in columns)


def rows_to_batches(
    rows: Sequence[Sequence[Any]],
    schema: pa.Schema,
    converters: Sequence[Callable[[Any], Any] | None] | None = None,
) -> Iterator[pa.RecordBatch]:
    """Turn DB-API rows into one record batch of `schema`, converting column values where asked."""
    import pyarrow as pa

    arrays = []
    for i, field in enumerate(schema):
        values = [r[i] for r in rows]
        conv = converters[i] if converters else None
        if conv is not None:
            try:
                values = [None if v is None else conv(v) for v in values]
            except (ValueError, TypeError, ArithmeticError) as exc:  # decimal.InvalidOperation: not a number
                text = str(exc) if isinstance(exc, ValueError | TypeError) else "a value is not a finite number"
                raise ValueError(text if text.startswith("column ") else f"column {field.name!r}: {text}") from None
        try:
            arrays.append(pa.array(values, type=field.type))
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as exc:
            raise ValueError(f"column {field.name!r}: a value does not fit {field.type}: {exc}") from None
    yield pa.RecordBatch.from_arrays(arrays, schema=schema)
