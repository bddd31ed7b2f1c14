"""PostgreSQL's canonical forms for `verify` (see `checksum.py`); measured equal to DuckDB over the Parquet."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from data_extractor.source.dialects.base import ColumnInfo, Literal
from data_extractor.source.dialects.checksum import ChecksumSQL, decimal_scale, kind_of

TS = "'YYYY-MM-DD HH24:MI:SS.US'"


class PostgresChecksum(ChecksumSQL):
    # PostgreSQL's md5 costs ~1.3 µs a call (OpenSSL's EVP layer), about half of the source side's time; its own
    # `hashtextextended` costs ~0.1 µs, and `pg_hash` mirrors it on the Parquet side in numpy (~0.5 µs a row
    # text). bench/bench_verify.py measures both: "pg_lookup3" is the default, "md5" (every other side's row
    # hash) stays available.
    row_hash = "pg_lookup3"

    def hash_int(self, text_sql: str) -> str:
        if self.row_hash == "md5":
            return f"('x' || RIGHT(MD5({text_sql}), 12))::bit(48)::bigint"
        return f"HASHTEXTEXTENDED(({text_sql}) COLLATE \"C\", 0)"

    def prepare(self, conn: Any) -> None:
        cur = conn.cursor()
        try:
            cur.execute("SET TimeZone = 'UTC'")
            cur.execute("SET DateStyle = 'ISO, YMD'")  # dates as YYYY-MM-DD by a plain cast (4x to_char's speed)
        finally:
            cur.close()

    def segment_expr(self, key: str, cuts: Sequence[Literal], column: ColumnInfo | None = None) -> str:
        """An integer or date key's segment by `width_bucket` (a binary search, one call) instead of a CASE of
        up to 31 comparisons a row: the same numbering, the count of cuts at or below the key."""
        source_type = (column.source_type if column else "").lower()
        base = {"smallint": "bigint", "integer": "bigint", "bigint": "bigint", "date": "date"}.get(source_type)
        if not cuts or base is None:
            return super().segment_expr(key, cuts, column)
        lits = ", ".join(self.dialect.literal(c) for c in cuts)
        return f"COALESCE(WIDTH_BUCKET(({key})::{base}, ARRAY[{lits}]::{base}[]), {len(cuts)})"

    def canonical(self, expr: str, column: ColumnInfo) -> str:
        kind = kind_of(column.spark_type)
        if kind == "int":
            return f"({expr})::text"
        if kind == "bool":
            return f"({expr})::int::text"
        if kind == "decimal":
            scale = decimal_scale(column.spark_type)[1]
            if column.source_type.replace(" ", "").endswith(f",{scale})") and "numeric" in column.source_type:
                return f"({expr})::text"  # already exactly that scale
            return f"ROUND(({expr})::numeric, {scale})::text"
        if kind == "float":  # the exact bits, read as a signed 64-bit integer
            return f"(('x' || ENCODE(FLOAT8SEND(({expr})::float8), 'hex'))::bit(64)::bigint)::text"
        if kind == "binary":
            return f"ENCODE({expr}, 'hex')"
        if kind == "date":
            return f"({expr})::text"
        if kind in ("timestamp", "ntz"):
            if "time zone" in column.source_type and "without" not in column.source_type:
                expr = f"({expr}) AT TIME ZONE 'UTC'"
            return f"TO_CHAR({expr}, {TS})"
        if column.source_type.startswith(("character(", "bpchar")) or column.source_type == "character":
            # char(n) as read, padded (a cast to text strips the padding)
            return self.escaped(f"CASE WHEN ({expr}) IS NOT NULL THEN CONCAT({expr}) END")
        return self.escaped(f"({expr})::text")
