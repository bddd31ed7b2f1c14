"""SQL Server's canonical forms for `verify`, written from Microsoft's documentation (no server runs here; the SQL
is parsed with sqlglot's T-SQL dialect in the tests).

- Row text is converted to a UTF-8 collation before hashing (SQL Server 2019+), since HASHBYTES hashes the bytes
  of its argument's type: nvarchar would hash UTF-16.
- Doubles by their bits: `CAST(float AS BINARY(8))` is the big-endian IEEE-754 value, read back as BIGINT.
- Sums of the 48-bit row hashes run in DECIMAL(38,0) (a BIGINT sum overflows past 2^15 rows of large hashes).
"""

from __future__ import annotations

from collections.abc import Sequence

from data_extractor.source.dialects.base import ColumnInfo
from data_extractor.source.dialects.checksum import ChecksumSQL, decimal_scale, kind_of

UTF8 = "Latin1_General_100_BIN2_UTF8"


class SQLServerChecksum(ChecksumSQL):
    concat_op = " + "

    def concat(self, parts: Sequence[str]) -> str:
        return f"CONCAT({', '.join(parts)})" if len(parts) > 1 else parts[0]

    def hash_int(self, text_sql: str) -> str:
        text = f"CAST(CAST({text_sql} AS NVARCHAR(MAX)) COLLATE {UTF8} AS VARCHAR(MAX))"
        hexed = f"RIGHT(CONVERT(VARCHAR(32), HASHBYTES('MD5', {text}), 2), 12)"
        return f"CAST(CONVERT(BIGINT, CONVERT(VARBINARY(8), {hexed}, 2)) AS DECIMAL(38, 0))"

    def canonical(self, expr: str, column: ColumnInfo) -> str:
        kind = kind_of(column.spark_type)
        if kind in ("int", "bool"):
            return f"CONVERT(VARCHAR(40), {expr})"
        if kind == "decimal":
            p, s = decimal_scale(column.spark_type)
            return f"CONVERT(VARCHAR(50), CAST({expr} AS DECIMAL({p}, {s})))"
        if kind == "float":
            return f"CONVERT(VARCHAR(20), CAST(CAST(CAST({expr} AS FLOAT) AS BINARY(8)) AS BIGINT))"
        if kind == "binary":
            return f"LOWER(CONVERT(VARCHAR(MAX), {expr}, 2))"
        if kind == "date":
            return f"CONVERT(CHAR(10), {expr}, 23)"
        if kind in ("timestamp", "ntz"):
            if "offset" in column.source_type.lower():
                expr = f"SWITCHOFFSET({expr}, '+00:00')"
            return f"CONVERT(VARCHAR(26), CAST({expr} AS DATETIME2(6)), 121)"
        return self.escaped(f"CAST({expr} AS NVARCHAR(MAX))")
