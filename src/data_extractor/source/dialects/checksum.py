"""Canonical value forms and order-free checksums, in SQL, for `data-extractor verify` (spec version 1).

Every side (each source database, and DuckDB over the published Parquet) renders each value as the same text:

| kind (Spark type)        | canonical text                                          |
|--------------------------|---------------------------------------------------------|
| integers                 | decimal digits                                          |
| boolean                  | `1` / `0`                                               |
| decimal(p,s)             | exactly s decimals, leading `0`, no exponent            |
| float, double            | the IEEE-754 bits of the value as a double, as a signed 64-bit integer (exact) |
| string                   | the text, `\\` doubled and `|` escaped as `\\|`         |
| binary                   | lowercase hex                                           |
| date                     | `YYYY-MM-DD`                                            |
| timestamp (instants: UTC), timestamp_ntz | `YYYY-MM-DD HH:MM:SS.ffffff`            |

A row's text is its columns' texts joined by `|`, NULL written `\\N` (so NULL and '' differ). A row's hash is the
last 12 hex digits of the md5 of the row text's UTF-8 bytes, read as an integer (48 bits) (PostgreSQL can use its
own `hashtextextended` instead, see `pg_hash`); a segment's checksum is the count of rows and the exact sum of their
hashes, which no row order changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from data_extractor.errors import UserError

if TYPE_CHECKING:
    from data_extractor.source.dialects.base import ColumnInfo, Dialect, Literal, TableRef

SPEC_VERSION = 1
NULL_TEXT = "\\N"
_INTEGERS = ("tinyint", "smallint", "int", "bigint")


def kind_of(spark_type: str) -> str:
    """The canonical form a column takes: int, bool, decimal, float, string, binary, date, timestamp, ntz."""
    t = spark_type.lower()
    if t in _INTEGERS:
        return "int"
    if t in ("float", "double"):
        return "float"
    if t.startswith("decimal"):
        return "decimal"
    return {"boolean": "bool", "binary": "binary", "date": "date", "timestamp": "timestamp",
            "timestamp_ntz": "ntz"}.get(t, "string")


def decimal_scale(spark_type: str) -> tuple[int, int]:
    """(precision, scale) of `decimal(p,s)`."""
    p, _, s = spark_type[spark_type.index("(") + 1 : -1].partition(",")
    return int(p), int(s or 0)


class ChecksumSQL:
    """One database's half of the canonical forms. Subclasses render each kind; this class builds the queries."""

    concat_op: ClassVar[str] = " || "
    sum_function: ClassVar[str] = "SUM"
    row_hash: ClassVar[str] = "md5"  # or "pg_lookup3": PostgreSQL's hashtextextended (see `pg_hash`)

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect

    # ------------------------------------------------------------ per dialect
    def text_literal(self, text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    def concat(self, parts: Sequence[str]) -> str:
        return self.concat_op.join(parts) if len(parts) > 1 else parts[0]

    def hash_int(self, text_sql: str) -> str:
        """The row hash of a text as an integer: by default the last 12 hex digits of its md5."""
        raise NotImplementedError

    def canonical(self, expr: str, column: ColumnInfo) -> str:
        """SQL for the canonical text of `expr` (a value of `column`); NULL stays NULL."""
        raise NotImplementedError

    def prepare(self, conn: Any) -> None:
        """Pin the session (time zone, character set) and register helpers before the first query."""

    def as_of(self, snapshot: str | None) -> str | None:
        """The flashback clause that reads the source as the extraction saw it, or None (read it now)."""
        return None

    def table_sql(self, table: TableRef, where: Sequence[str | None], as_of: str | None) -> str:
        conds = [f"({c})" for c in where if c]
        return self.dialect.table_sql(table) + (" WHERE " + " AND ".join(conds) if conds else "")

    # ------------------------------------------------------------- shared
    def value(self, column: ColumnInfo) -> str:
        """The column as the extraction selected it (its conversion, without the alias)."""
        expr = self.dialect.select_expression(column)
        alias = " AS " + self.dialect.quote(column.name)
        return expr[: -len(alias)] if expr.endswith(alias) else expr

    def escaped(self, text_sql: str) -> str:
        """A string escaped for the row text: `\\` doubled, `|` as `\\|`."""
        bs = self.text_literal("\\")
        return (f"REPLACE(REPLACE({text_sql}, {bs}, {self.text_literal(chr(92) * 2)}), "
                f"{self.text_literal('|')}, {self.text_literal(chr(92) + '|')})")

    def field(self, column: ColumnInfo) -> str:
        return self.canonical(self.value(column), column)

    def row_text(self, columns: Sequence[ColumnInfo]) -> str:
        null = self.text_literal(NULL_TEXT)
        parts: list[str] = []
        for i, c in enumerate(columns):
            if i:
                parts.append(self.text_literal("|"))
            parts.append(f"COALESCE({self.field(c)}, {null})")
        return self.concat(parts)

    def segment_expr(self, key: str, cuts: Sequence[Literal], column: ColumnInfo | None = None) -> str:
        """0 for rows below the first cut, i for rows in [cut i-1, cut i), len(cuts) above the last."""
        if not cuts:
            return "0"
        whens = " ".join(f"WHEN {key} < {self.dialect.literal(c)} THEN {i}" for i, c in enumerate(cuts))
        return f"CASE {whens} ELSE {len(cuts)} END"

    def range_condition(self, key: str, lo: Literal, hi: Literal) -> str | None:
        conds = []
        if lo is not None:
            conds.append(f"{key} >= {self.dialect.literal(lo)}")
        if hi is not None:
            conds.append(f"{key} < {self.dialect.literal(hi)}")
        return " AND ".join(conds) or None

    def checksum_sql(self, table: TableRef, columns: Sequence[ColumnInfo], where: Sequence[str | None],
                     as_of: str | None = None, key: ColumnInfo | None = None,
                     cuts: Sequence[Literal] = ()) -> str:
        """Rows of (segment, count, sum of row hashes): one segment, or one per cut of `key`'s range."""
        seg = self.segment_expr(self.dialect.quote(key.name), cuts, key) if key is not None else "0"
        inner = (f"SELECT {seg} AS dx_seg, {self.hash_int(self.row_text(columns))} AS dx_h "
                 f"FROM {self.table_sql(table, where, as_of)}")
        count = self.dialect.count_function
        return (f"SELECT dx_seg, {count}(*), {self.sum_function}(dx_h) FROM ({inner}) dx_s "
                f"GROUP BY dx_seg")

    def column_texts(self, columns: Sequence[ColumnInfo], key: Sequence[ColumnInfo] = ()) -> list[str]:
        """Per column, the text its checksum hashes: the key's texts, then the column's (NULL as `\\N`), joined
        by `|`, so a value moved to another row changes the sums."""
        null = self.text_literal(NULL_TEXT)
        prefix: list[str] = []
        for k in key:
            prefix += [f"COALESCE({self.field(k)}, {null})", self.text_literal("|")]
        return [self.concat([*prefix, f"COALESCE({self.field(c)}, {null})"]) for c in columns]

    def columns_sql(self, table: TableRef, columns: Sequence[ColumnInfo], where: Sequence[str | None],
                    as_of: str | None = None, key: Sequence[ColumnInfo] = ()) -> str:
        """One row: the count, then per column the sum of the hashes of its `column_texts`."""
        sums = ", ".join(f"{self.sum_function}({self.hash_int(t)})" for t in self.column_texts(columns, key))
        return f"SELECT {self.dialect.count_function}(*), {sums} FROM {self.table_sql(table, where, as_of)}"

    def rows_sql(self, table: TableRef, columns: Sequence[ColumnInfo], where: Sequence[str | None],
                 as_of: str | None = None) -> str:
        """Every column's canonical text (NULL as NULL), for the rows a diff looks at."""
        fields = ", ".join(f"{self.field(c)} AS {self.dialect.quote('dx_' + str(i))}" for i, c in enumerate(columns))
        return f"SELECT {fields} FROM {self.table_sql(table, where, as_of)}"


def checksum_for(dialect: Dialect) -> ChecksumSQL:
    """The checksum SQL of a source dialect; a clear error for one that has none."""
    # imported here: each of these imports this module (a cycle at the top)
    from data_extractor.source.dialects import (
        mysql_checksum,
        oracle_checksum,
        postgres_checksum,
        sqlite_checksum,
        sqlserver_checksum,
    )

    by_name: dict[str, type[ChecksumSQL]] = {
        "postgres": postgres_checksum.PostgresChecksum, "mysql": mysql_checksum.MySQLChecksum,
        "sqlite": sqlite_checksum.SQLiteChecksum, "oracle": oracle_checksum.OracleChecksum,
        "sqlserver": sqlserver_checksum.SQLServerChecksum,
    }
    cls = by_name.get(dialect.name)
    if cls is None:
        raise UserError(f"verify has no checksum SQL for {dialect.name} sources; it supports "
                        f"{', '.join(sorted(by_name))}")
    return cls(dialect)
