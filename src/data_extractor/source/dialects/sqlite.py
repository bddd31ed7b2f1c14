"""SQLite: the embedded demo source. Types follow SQLite's affinity rules on the declared type."""

from __future__ import annotations

import datetime as dt
import decimal
import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from data_extractor.errors import SourceError, UserError
from data_extractor.source.dialects.base import ColumnInfo, Dialect, TableInfo, TableRef
from data_extractor.source.typemap import rows_to_batches

if TYPE_CHECKING:
    import pyarrow as pa

    from data_extractor.config.models import SourceConfig

_DECIMAL = re.compile(r"(?:DECIMAL|NUMERIC|NUMBER)\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)", re.I)


def spark_type_for(declared: str) -> str:
    """SQLite declared type -> Spark type (affinity rules, plus DATE/TIMESTAMP/BOOLEAN/DECIMAL names)."""
    t = (declared or "").upper()
    m = _DECIMAL.search(t)
    if m:
        p, s = int(m[1]), int(m[2] or 0)
        return f"decimal({min(p, 38)},{min(s, 38)})"
    if "INT" in t:
        return "bigint"
    if "BOOL" in t:
        return "boolean"
    if "TIMESTAMP" in t or "DATETIME" in t:
        return "timestamp_ntz"
    if "DATE" in t:
        return "date"
    if any(k in t for k in ("CHAR", "CLOB", "TEXT")):
        return "string"
    if "BLOB" in t or t == "":
        return "binary" if "BLOB" in t else "string"
    if any(k in t for k in ("REAL", "FLOA", "DOUB")):
        return "double"
    return "string"


def _converter(column: ColumnInfo) -> Callable[[Any], Any] | None:
    t = column.spark_type
    if t.startswith("decimal"):
        scale = int(t[t.index(",") + 1 : -1])
        quantum = decimal.Decimal(1).scaleb(-scale)

        def to_decimal(v: Any) -> decimal.Decimal:
            d = decimal.Decimal(repr(v) if isinstance(v, float) else str(v))
            q = d.quantize(quantum)
            if q != d and not (isinstance(v, float) and float(q) == v):
                raise ValueError(f"column {column.name!r}: {v!r} has more than {scale} decimals ({t})")
            return q

        return to_decimal
    if t == "date":
        return lambda v: v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v)[:10])
    if t == "timestamp_ntz":
        def to_wall_clock(v: Any) -> dt.datetime:
            d = v if isinstance(v, dt.datetime) else dt.datetime.fromisoformat(str(v))
            if d.utcoffset():  # pyarrow would move it to UTC: another wall clock than the one stored
                raise ValueError(f"column {column.name!r}: {v!r} carries a UTC offset, which a wall-clock "
                                 "timestamp cannot keep; store UTC or local times, or leave the column out")
            return d.replace(tzinfo=None)

        return to_wall_clock
    if t == "boolean":
        def to_bool(v: Any) -> bool:
            if isinstance(v, int | float) and float(v).is_integer():
                return v != 0  # SQLite's own truth: any non-zero number
            raise ValueError(f"column {column.name!r}: {v!r} is not a number, so not a SQLite boolean "
                             "(0 or 1); convert it in the database or leave the column out")

        return to_bool
    if t == "string":
        return lambda v: v if isinstance(v, str) else (v.decode() if isinstance(v, bytes) else str(v))
    return None


class SQLiteDialect(Dialect):
    name = "sqlite"
    jdbc_driver = "org.sqlite.JDBC"
    supports_physical = True

    @classmethod
    def required_keys(cls, source: SourceConfig) -> list[str]:
        return ["path"]

    def connect(self) -> sqlite3.Connection:
        path = Path(self.source.path or "")
        if not path.is_file():
            raise SourceError(f"SQLite database {path} does not exist; check source.path")
        try:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
            conn.execute("SELECT 1 FROM sqlite_master LIMIT 1")
        except sqlite3.DatabaseError as exc:
            raise SourceError(f"cannot open SQLite database {path}: {exc}; check source.path") from None
        return conn

    def describe(self) -> str:
        return f"sqlite://{self.source.path}"

    def jdbc_url(self) -> str | None:
        return f"jdbc:sqlite:{self.source.path}"

    def table_sql(self, table: TableRef) -> str:
        if table.query:
            return super().table_sql(table)
        if table.schema and table.schema != "main":
            return f"{self.quote(table.schema)}.{self.quote(table.name)}"
        return self.quote(table.name)

    def date_literal(self, value: dt.date) -> str:
        return f"'{value.isoformat()}'"

    def timestamp_literal(self, value: dt.datetime) -> str:
        return f"'{value.isoformat(sep=' ')}'"

    # catalog
    def schemas(self, conn: Any) -> list[str]:
        return [r[1] for r in self.fetch_all(conn, "PRAGMA database_list") if r[1] != "temp"]

    def default_schema(self, conn: Any) -> str | None:
        return "main"

    def tables(self, conn: Any, schema: str | None) -> list[TableInfo]:
        schema = schema or "main"
        if schema not in self.schemas(conn):
            return []
        master = f"{self.quote(schema)}.sqlite_master"
        names = self.fetch_all(
            conn,
            f"SELECT name, type FROM {master} WHERE type IN ('table', 'view') "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        sizes = self._sizes(conn, schema)
        out = []
        for name, kind in names:
            ref = TableRef(schema, name)
            rows = self.fetch_one(conn, self.count_sql(ref))[0]  # exact and cheap enough for SQLite
            out.append(TableInfo(schema, name, rows, sizes.get(name), kind))
        return out

    def table_info(self, conn: Any, table: TableRef) -> TableInfo:
        rows = self.fetch_one(conn, self.count_sql(table))[0]
        kind = self.fetch_one(conn, f"SELECT type FROM {self.quote(table.schema or 'main')}.sqlite_master "
                                    "WHERE name = ?", (table.name,))
        return TableInfo(table.schema, table.name, rows, self._sizes(conn, table.schema or "main").get(table.name),
                         kind[0] if kind else "table")

    def table_names(self, conn: Any, schema: str | None) -> list[str]:
        schema = schema or "main"
        if schema not in self.schemas(conn):
            return []
        return [r[0] for r in self.fetch_all(
            conn, f"SELECT name FROM {self.quote(schema)}.sqlite_master WHERE type IN ('table', 'view') "
                  "AND name NOT LIKE 'sqlite_%' ORDER BY name")]

    def _sizes(self, conn: Any, schema: str) -> dict[str, int]:
        try:
            rows = self.fetch_all(
                conn, "SELECT name, SUM(pgsize) FROM dbstat WHERE schema = ? GROUP BY name", (schema,)
            )
        except sqlite3.DatabaseError:  # dbstat is not compiled into every SQLite
            return {}
        return {name: int(size) for name, size in rows}

    def columns(self, conn: Any, table: TableRef) -> list[ColumnInfo]:
        schema = self.quote(table.schema or "main")
        info = self.fetch_all(conn, f"PRAGMA {schema}.table_xinfo({self.literal(table.name)})")
        indexed: set[str] = set()
        for idx in self.fetch_all(conn, f"PRAGMA {schema}.index_list({self.literal(table.name)})"):
            first = self.fetch_all(conn, f"PRAGMA {schema}.index_info({self.literal(idx[1])})")
            indexed.update(r[2] for r in first if r[0] == 0)
        cols = []
        for _cid, name, declared, notnull, _default, pk, hidden in info:
            if hidden not in (0, None):
                continue
            spark = spark_type_for(declared)
            is_rowid_alias = pk == 1 and (declared or "").upper() == "INTEGER"
            cols.append(
                ColumnInfo(
                    name=name,
                    source_type=declared or "(none)",
                    spark_type=spark,
                    nullable=not notnull and not pk,
                    primary_key=pk or None,
                    indexed=name in indexed or is_rowid_alias or pk == 1,
                )
            )
        return cols

    def query_columns(self, conn: Any, query: str) -> list[ColumnInfo]:
        """Declared types flow through a view for plain column references: look at a temporary view."""
        name = f"dx_query_{abs(hash(query)) % 10**12}"
        conn.execute(f"CREATE TEMP VIEW IF NOT EXISTS {self.quote(name)} AS {query}")
        try:
            info = self.fetch_all(conn, f"PRAGMA temp.table_xinfo({self.literal(name)})")
        finally:
            conn.execute(f"DROP VIEW IF EXISTS temp.{self.quote(name)}")
        return [ColumnInfo(r[1], r[2] or "(expression)", spark_type_for(r[2]) if r[2] else "string", True, None,
                           False, None if r[2] else "no declared type (an expression): read as text")
                for r in info]

    # partitions
    def sample_sql(self, table: TableRef, column: str, buckets: int, where: str | None, fraction: float) -> str:
        return super().sample_sql(table, column, buckets, where, 1.0)  # SQLite: exact, one pass

    def hash_predicates(self, column: ColumnInfo, n: int) -> list[str]:
        q = self.quote(column.name)
        if column.spark_type not in ("bigint", "int", "smallint", "tinyint"):
            raise UserError(
                f"hash partitioning on SQLite needs an integer column, and {column.name} is {column.source_type};"
                " choose an integer column or strategy balanced"
            )
        preds = [f"(({q} % {n}) + {n}) % {n} = {i}" for i in range(n)]
        preds[0] = f"{preds[0]} OR {q} IS NULL"
        return preds

    def physical_predicates(self, conn: Any, table: TableRef, n: int) -> list[str] | None:
        """Ranges of rowid, balanced by an exact NTILE (rowid tables only)."""
        try:
            rows = self.fetch_all(
                conn,
                f"SELECT b, MIN(r) FROM (SELECT rowid AS r, NTILE({int(n)}) OVER (ORDER BY rowid) AS b "
                f"FROM {self.table_sql(table)}) GROUP BY b ORDER BY b",
            )
        except sqlite3.DatabaseError:  # WITHOUT ROWID table
            return None
        if any(r[1] is None for r in rows):  # a view: no rowid
            return None
        cuts = sorted({r[1] for r in rows[1:]})
        if not cuts:
            return ["rowid IS NOT NULL"]
        preds = [f"rowid < {cuts[0]}"]
        preds += [f"rowid >= {a} AND rowid < {b}" for a, b in zip(cuts, cuts[1:], strict=False)]
        preds.append(f"rowid >= {cuts[-1]}")
        return preds

    # reading
    def read_arrow(self, conn: Any, sql: str, schema: pa.Schema, fetch_size: int) -> Iterator[pa.RecordBatch]:
        cols = self._columns_for(schema)
        converters = [_converter(c) for c in cols]
        cur = conn.execute(sql)
        try:
            while rows := cur.fetchmany(fetch_size):
                yield from rows_to_batches(rows, schema, converters)
        finally:
            cur.close()

    @staticmethod
    def _columns_for(schema: pa.Schema) -> Sequence[ColumnInfo]:
        import pyarrow as pa

        def spark(t: pa.DataType) -> str:
            if pa.types.is_decimal(t):
                return f"decimal({t.precision},{t.scale})"
            if pa.types.is_date(t):
                return "date"
            if pa.types.is_timestamp(t):
                return "timestamp_ntz" if t.tz is None else "timestamp"
            if pa.types.is_boolean(t):
                return "boolean"
            if pa.types.is_large_string(t) or pa.types.is_string(t):
                return "string"
            return "other"

        return [ColumnInfo(f.name, "", spark(f.type)) for f in schema]
