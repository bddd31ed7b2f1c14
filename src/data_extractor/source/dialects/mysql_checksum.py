"""MySQL/MariaDB's canonical forms for `verify` (see `checksum.py`).

MySQL has no way to read a double's bits, so they are computed: the exponent from LOG2 (corrected by one either
way, as LOG2 may round across a power of two), the mantissa by dividing by that power of two (exact). MariaDB
does not keep -0.0 apart from 0.0, so both give the bits of 0.0.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from data_extractor.source.dialects.base import ColumnInfo
from data_extractor.source.dialects.checksum import ChecksumSQL, decimal_scale, kind_of

TWO_52 = "4503599627370496"


def double_bits(x: str) -> str:
    """SQL for the IEEE-754 bits of double `x` as a signed 64-bit integer."""
    ax = f"ABS({x})"
    e0 = f"CAST(LEAST(FLOOR(LOG2({ax})), 1023) AS SIGNED)"  # LOG2 of the largest doubles rounds up to 1024
    e = f"({e0} + ({e0} < 1023 AND {ax} >= POW(2, {e0} + ({e0} < 1023))) - ({ax} < POW(2, {e0})))"
    normal = f"(({e} + 1023) * {TWO_52} + CAST(({ax} / POW(2, {e}) - 1) * {TWO_52} AS SIGNED))"
    subnormal = f"CAST({ax} * POW(2, 1022) * {TWO_52} AS SIGNED)"
    positive = f"(CASE WHEN {ax} >= POW(2, -1022) THEN {normal} ELSE {subnormal} END)"
    return (f"CASE WHEN {x} IS NULL THEN NULL WHEN {x} = 0 THEN 0 "
            f"WHEN {x} < 0 THEN {positive} + (-9223372036854775807 - 1) ELSE {positive} END")


class MySQLChecksum(ChecksumSQL):
    def text_literal(self, text: str) -> str:
        return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"

    def concat(self, parts: Sequence[str]) -> str:
        return f"CONCAT({', '.join(parts)})" if len(parts) > 1 else parts[0]

    def hash_int(self, text_sql: str) -> str:
        return f"CAST(CONV(RIGHT(MD5({text_sql}), 12), 16, 10) AS UNSIGNED)"

    def prepare(self, conn: Any) -> None:
        cur = conn.cursor()
        try:
            cur.execute("SET NAMES utf8mb4")
            cur.execute("SET time_zone = '+00:00'")
            cur.execute("SET SESSION sql_mode = REPLACE(@@sql_mode, 'NO_BACKSLASH_ESCAPES', '')")
        finally:
            cur.close()

    def canonical(self, expr: str, column: ColumnInfo) -> str:
        kind = kind_of(column.spark_type)
        if kind == "int":
            return f"CAST({expr} AS CHAR)"
        if kind == "bool":
            return f"CAST(({expr}) <> 0 AS CHAR)"
        if kind == "decimal":
            p, s = decimal_scale(column.spark_type)
            return f"CAST(CAST({expr} AS DECIMAL({p},{s})) AS CHAR)"
        if kind == "float":
            return f"CAST({double_bits(expr)} AS CHAR)"
        if kind == "binary":
            return f"LOWER(HEX({expr}))"
        if kind == "date":
            return f"DATE_FORMAT({expr}, '%Y-%m-%d')"
        if kind in ("timestamp", "ntz"):
            return f"DATE_FORMAT({expr}, '%Y-%m-%d %H:%i:%s.%f')"
        return self.escaped(f"CONVERT({expr} USING utf8mb4)")
