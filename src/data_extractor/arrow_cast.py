"""Make a driver's Arrow batch match the declared schema exactly, or fail naming the column."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc


def _storage(arr: pa.Array) -> pa.Array:
    # ADBC hands PostgreSQL numeric over as an opaque extension type backed by strings.
    return arr.storage if isinstance(arr.type, pa.ExtensionType) or hasattr(arr, "storage") else arr


def cast_array(arr: pa.Array, target: pa.DataType, name: str) -> pa.Array:
    arr = _storage(arr)
    if arr.type == target:
        return arr
    try:
        if pa.types.is_timestamp(target) and pa.types.is_timestamp(arr.type):
            if (arr.type.tz is None) != (target.tz is None):
                raise ValueError(f"time zone mismatch ({arr.type} vs {target})")
        return pc.cast(arr, target, safe=True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError) as exc:
        fix = ("widen source.number_type (e.g. decimal(38,18)) or give the column a precision"
               if pa.types.is_decimal(target) else "cast the column in a custom query or leave it out of columns:")
        raise ValueError(f"column {name!r}: a value cannot be represented exactly as {target} ({exc}); {fix}"
                         ) from None


def cast_batch(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    if batch.schema.equals(schema, check_metadata=False):
        return batch
    if batch.num_columns != len(schema):
        raise ValueError(f"the query returned {batch.num_columns} columns where {len(schema)} were expected")
    arrays = [cast_array(batch.column(i), f.type, f.name) for i, f in enumerate(schema)]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)
