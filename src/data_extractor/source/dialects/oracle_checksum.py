"""Oracle's canonical forms for `verify`, written from Oracle's documentation (no server runs here; the SQL is
parsed with sqlglot's Oracle dialect in the tests).

- Reads `AS OF` the extraction's flashback snapshot (SCN or TIMESTAMP) when the manifest recorded one.
- Numbers through explicit format models (a literal `.`; `TM9` for integers), never the NLS defaults.
- Doubles by their bits: `UTL_RAW.CAST_FROM_BINARY_DOUBLE`, read as hex, made signed.
- md5 via `STANDARD_HASH(..., 'MD5')` (12c and later; a plain SQL function that needs no grant).
- Oracle stores '' as NULL, so its extracts hold no empty strings to tell apart.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from data_extractor.source.dialects.base import ColumnInfo, TableRef
from data_extractor.source.dialects.checksum import ChecksumSQL, decimal_scale, kind_of

SESSION = ("ALTER SESSION SET NLS_NUMERIC_CHARACTERS = '.,' NLS_DATE_FORMAT = 'YYYY-MM-DD HH24:MI:SS' "
           "NLS_TIMESTAMP_FORMAT = 'YYYY-MM-DD HH24:MI:SS.FF6' TIME_ZONE = 'UTC'")


def number_format(precision: int, scale: int) -> str:
    """`FM99…90.00…`: every digit a decimal(p,s) can hold, one leading zero, exactly `scale` decimals."""
    whole = max(precision - scale, 1)
    model = "9" * (whole - 1) + "0"
    return "FM" + model + ("." + "0" * scale if scale else "")


class OracleChecksum(ChecksumSQL):
    def hash_int(self, text_sql: str) -> str:
        return f"TO_NUMBER(SUBSTR(RAWTOHEX(STANDARD_HASH({text_sql}, 'MD5')), 21), 'XXXXXXXXXXXX')"

    def prepare(self, conn: Any) -> None:
        cur = conn.cursor()
        try:
            cur.execute(SESSION)
        finally:
            cur.close()

    def as_of(self, snapshot: str | None) -> str | None:
        if snapshot and re.match(r"\s*(SCN|TIMESTAMP)\s+\S", snapshot, re.I):
            return snapshot.strip()
        return None

    def table_sql(self, table: TableRef, where: Sequence[str | None], as_of: str | None) -> str:
        conds = [c for c in where if c]
        return self.dialect._filtered(table, " AND ".join(f"({c})" for c in conds) or None, None,  # type: ignore[attr-defined]
                                      as_of)

    def canonical(self, expr: str, column: ColumnInfo) -> str:
        kind = kind_of(column.spark_type)
        if kind in ("int", "bool"):
            return f"TO_CHAR({expr}, 'TM9')"
        if kind == "decimal":
            p, s = decimal_scale(column.spark_type)
            return f"TO_CHAR({expr}, '{number_format(p, s)}')"
        if kind == "float":
            u = f"TO_NUMBER(RAWTOHEX(UTL_RAW.CAST_FROM_BINARY_DOUBLE(TO_BINARY_DOUBLE({expr}))), 'XXXXXXXXXXXXXXXX')"
            return (f"TO_CHAR(CASE WHEN {u} >= 9223372036854775808 THEN {u} - 18446744073709551616 ELSE {u} END, "
                    "'TM9')")
        if kind == "binary":
            return f"LOWER(RAWTOHEX({expr}))"
        if kind == "date":
            return f"TO_CHAR({expr}, 'YYYY-MM-DD')"
        if kind in ("timestamp", "ntz"):
            if column.source_type.upper().startswith("DATE"):
                return f"TO_CHAR({expr}, 'YYYY-MM-DD HH24:MI:SS') || '.000000'"
            return f"TO_CHAR({expr}, 'YYYY-MM-DD HH24:MI:SS.FF6')"
        return self.escaped(f"TO_CHAR({expr})")
