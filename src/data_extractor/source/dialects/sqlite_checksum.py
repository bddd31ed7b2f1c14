"""SQLite's canonical forms for `verify`: Python functions registered on the connection.

SQLite stores values by affinity, not by declared type, so each value goes through the same conversion the
extraction applied (`sqlite._converter`) and is then written in the canonical form. Sums run in Python integers.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import struct
from typing import Any

from data_extractor.source.dialects.base import ColumnInfo
from data_extractor.source.dialects.checksum import ChecksumSQL, kind_of
from data_extractor.source.dialects.sqlite import _converter


def canonical_text(kind: str, value: Any) -> str | None:
    """The canonical text of a Python value of `kind` (also the test oracle for the other sides)."""
    if value is None:
        return None
    if kind == "bool":
        return "1" if value else "0"
    if kind == "float":
        return str(struct.unpack(">q", struct.pack(">d", float(value)))[0])
    if kind == "binary":
        return bytes(value).hex()
    if kind == "date":
        return value.strftime("%Y-%m-%d") if isinstance(value, dt.date) else str(value)
    if kind in ("timestamp", "ntz"):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(value, dt.datetime) else str(value)
    if kind == "decimal" and isinstance(value, decimal.Decimal):
        return f"{value:f}"
    if kind in ("int", "decimal"):
        return str(value)
    return str(value).replace("\\", "\\\\").replace("|", "\\|")


def md5_int(text: str) -> int:
    return int(hashlib.md5(text.encode("utf-8")).hexdigest()[-12:], 16)


class _Sum:
    def __init__(self) -> None:
        self.total = 0

    def step(self, value: Any) -> None:
        if value is not None:
            self.total += int(value)

    def finalize(self) -> str:
        return str(self.total)  # as text: SQLite integers stop at 2**63


class SQLiteChecksum(ChecksumSQL):
    sum_function = "dx_sum"

    def __init__(self, dialect: Any) -> None:
        super().__init__(dialect)
        self.columns: dict[str, ColumnInfo] = {}

    def hash_int(self, text_sql: str) -> str:
        return f"dx_md5int({text_sql})"

    def prepare(self, conn: Any) -> None:
        conn.create_function("dx_md5int", 1, lambda s: None if s is None else md5_int(s), deterministic=True)
        conn.create_function("dx_canon", 2, self._canon, deterministic=True)
        conn.create_aggregate("dx_sum", 1, _Sum)

    def _canon(self, name: str, value: Any) -> str | None:
        column = self.columns[name]
        if value is None:
            return None
        convert = _converter(column)
        return canonical_text(kind_of(column.spark_type), convert(value) if convert else value)

    def canonical(self, expr: str, column: ColumnInfo) -> str:
        self.columns[column.name] = column
        return f"dx_canon({self.text_literal(column.name)}, {expr})"
