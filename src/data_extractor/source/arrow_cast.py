"""Make a driver's Arrow batch match the declared schema exactly, or fail naming the column."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc


def _storage(arr: pa.Array) -> pa.Array:
    # ADBC hands PostgreSQL numeric over as an opaque extension type backed by strings.
    return arr.storage if isinstance(arr.type, pa.ExtensionType) or hasattr(arr, "storage") else arr


def _too_wide(arr: pa.Array, target: pa.Decimal128Type) -> bool:
    """Whether a number written out in plain notation has more digits than `target` holds.

    pyarrow's string-to-decimal cast wraps around instead of failing for some values of over 38 digits.
    """
    p, s = target.precision, target.scale
    longest = pc.max(pc.binary_length(arr)).as_py()
    if longest is None or longest <= 38:  # at most 38 digits: the cast itself checks precision and scale exactly
        return False
    plain = pc.match_substring_regex(arr, r"^[+-]?[0-9]*(\.[0-9]*)?$")
    fits = pc.match_substring_regex(arr, rf"^[+-]?0*[0-9]{{0,{p - s}}}(\.[0-9]{{0,{s}}}0*)?$")
    return bool(pc.any(pc.and_(plain, pc.invert(fits))).as_py())


def cast_array(arr: pa.Array, target: pa.DataType, name: str) -> pa.Array:
    arr = _storage(arr)
    if arr.type == target:
        return arr
    try:
        if pa.types.is_timestamp(target) and pa.types.is_timestamp(arr.type):
            if (arr.type.tz is None) != (target.tz is None):
                raise ValueError(f"time zone mismatch ({arr.type} vs {target})")
        if pa.types.is_decimal(target) and (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
            if _too_wide(arr, target):
                raise ValueError("more digits than it holds")
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
