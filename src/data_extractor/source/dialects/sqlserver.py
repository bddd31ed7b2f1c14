"""SQL Server through pymssql (FreeTDS): catalog from sys views, CHECKSUM hash splits, T-SQL literals.

Types the driver cannot hand over exactly are converted in the SELECT: DATETIMEOFFSET to its UTC instant,
UNIQUEIDENTIFIER, TIME, XML and SQL_VARIANT to text, IMAGE to VARBINARY(MAX), spatial types to WKB.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from data_extractor.errors import SourceError, UserError
from data_extractor.source.dialects.base import (
    ColumnInfo,
    ConnectionHint,
    Dialect,
    TableInfo,
    TableRef,
    explain_connect_error,
)
from data_extractor.source.typemap import rows_to_batches

if TYPE_CHECKING:
    import pyarrow as pa

    from data_extractor.config.models import SourceConfig

SNAPSHOT_NOTE = (
    "SQL Server cannot share one snapshot across connections: each partition reads the table as of its own "
    "start; pause writes, or extract from a database snapshot (CREATE DATABASE ... AS SNAPSHOT OF ...), "
    "for a consistent copy"
)

# Catalog SQL: pymssql's named parameters (%(name)s), sent as N'...' literals.
SCHEMAS_SQL = (
    "SELECT s.name FROM sys.schemas AS s WHERE s.schema_id < 16384"
    " AND s.name NOT IN ('sys', 'INFORMATION_SCHEMA', 'guest')"
    " AND EXISTS (SELECT 1 FROM sys.objects AS o WHERE o.schema_id = s.schema_id AND o.type IN ('U', 'V')"
    " AND o.is_ms_shipped = 0) ORDER BY s.name"
)
DEFAULT_SCHEMA_SQL = "SELECT SCHEMA_NAME()"
# Row counts and sizes from sys.dm_db_partition_stats (needs VIEW DATABASE STATE).
TABLES_SQL = (
    "SELECT o.name,"
    " (SELECT SUM(ps.row_count) FROM sys.dm_db_partition_stats AS ps"
    " WHERE ps.object_id = o.object_id AND ps.index_id IN (0, 1)),"
    " (SELECT SUM(ps.reserved_page_count) * 8192 FROM sys.dm_db_partition_stats AS ps"
    " WHERE ps.object_id = o.object_id),"
    " CASE o.type WHEN 'V' THEN 'view' ELSE 'table' END"
    " FROM sys.objects AS o JOIN sys.schemas AS s ON s.schema_id = o.schema_id"
    " WHERE s.name = %(schema)s AND o.type IN ('U', 'V') AND o.is_ms_shipped = 0 ORDER BY o.name"
)
# Without VIEW DATABASE STATE: row counts from sys.partitions, no sizes.
TABLES_FALLBACK_SQL = (
    "SELECT o.name,"
    " (SELECT SUM(p.rows) FROM sys.partitions AS p WHERE p.object_id = o.object_id AND p.index_id IN (0, 1)),"
    " NULL, CASE o.type WHEN 'V' THEN 'view' ELSE 'table' END"
    " FROM sys.objects AS o JOIN sys.schemas AS s ON s.schema_id = o.schema_id"
    " WHERE s.name = %(schema)s AND o.type IN ('U', 'V') AND o.is_ms_shipped = 0 ORDER BY o.name"
)
# A custom query's result columns, as the server would declare them (SQL Server 2012+).
QUERY_COLUMNS_SQL = (
    "SELECT name, system_type_name, is_hidden, error_message"
    " FROM sys.dm_exec_describe_first_result_set(%(query)s, NULL, 0) ORDER BY column_ordinal"
)
# Alias types resolve to their base type; CLR types (geometry, hierarchyid) keep their own name.
COLUMNS_SQL = (
    "SELECT c.name, COALESCE(bt.name, t.name), c.max_length, c.precision, c.scale, c.is_nullable,"
    " (SELECT ic.key_ordinal FROM sys.indexes AS i JOIN sys.index_columns AS ic"
    " ON ic.object_id = i.object_id AND ic.index_id = i.index_id"
    " WHERE i.object_id = c.object_id AND i.is_primary_key = 1 AND ic.column_id = c.column_id),"
    " CASE WHEN EXISTS (SELECT 1 FROM sys.index_columns AS ix WHERE ix.object_id = c.object_id"
    " AND ix.column_id = c.column_id AND ix.key_ordinal = 1) THEN 1 ELSE 0 END"
    " FROM sys.columns AS c"
    " JOIN sys.objects AS o ON o.object_id = c.object_id"
    " JOIN sys.schemas AS s ON s.schema_id = o.schema_id"
    " JOIN sys.types AS t ON t.user_type_id = c.user_type_id"
    " LEFT JOIN sys.types AS bt ON bt.user_type_id = t.system_type_id AND t.is_user_defined = 1"
    " AND t.is_assembly_type = 0"
    " WHERE s.name = %(schema)s AND o.name = %(table)s ORDER BY c.column_id"
)

_HINTS = [
    ConnectionHint("cannot open database", "the server has no such database, or the user may not use it; "
                   "check source.database"),  # SQL Server adds "Login failed" to this one: test it first
    ConnectionHint("login failed", "the user name or password was refused; check source.user and "
                   "source.password (SQL Server authentication must be enabled on the server)"),
    ConnectionHint("connection refused", "nothing is listening there; check source.host and source.port, "
                   "and that TCP/IP is enabled on the server"),
    ConnectionHint("timed out", "the server did not answer in time; check source.host, source.port and "
                   "the network"),
    ConnectionHint("server is unavailable or does not exist", "the server could not be reached; check "
                   "source.host and source.port"),
]

# --------------------------------------------------------------------------- type mapping
_PLAIN = {
    "bit": "boolean", "tinyint": "smallint", "smallint": "smallint", "int": "int", "bigint": "bigint",
    "real": "float", "float": "double", "money": "decimal(19,4)", "smallmoney": "decimal(10,4)",
    "date": "date", **dict.fromkeys(("datetime", "smalldatetime", "datetime2"), "timestamp_ntz"),
    **dict.fromkeys(("char", "varchar", "nchar", "nvarchar", "sysname"), "string"),
    **dict.fromkeys(("binary", "varbinary", "timestamp", "rowversion"), "binary"),
}
_NOTES = {"tinyint": "TINYINT is unsigned (0 to 255): read as smallint",
          "datetime": "DATETIME is a wall-clock time without time zone (1/300 s steps)"}
# Types selected through a conversion: (Spark type, SELECT template, note).
_CONVERTED: dict[str, tuple[str, str, str]] = {
    "datetimeoffset": ("timestamp", "CONVERT(DATETIME2(7), SWITCHOFFSET({}, '+00:00'))",
                       "selected as its UTC instant (SWITCHOFFSET to +00:00)"),
    "uniqueidentifier": ("string", "CONVERT(NVARCHAR(36), {})", "selected as text (CONVERT NVARCHAR(36))"),
    "time": ("string", "CONVERT(NVARCHAR(16), {})", "TIME selected as its text (hh:mm:ss.fffffff)"),
    "xml": ("string", "CONVERT(NVARCHAR(MAX), {})", "XML selected as text"),
    "text": ("string", "CONVERT(NVARCHAR(MAX), {})", "deprecated TEXT selected as NVARCHAR(MAX)"),
    "ntext": ("string", "CONVERT(NVARCHAR(MAX), {})", "deprecated NTEXT selected as NVARCHAR(MAX)"),
    "image": ("binary", "CONVERT(VARBINARY(MAX), {})", "deprecated IMAGE selected as VARBINARY(MAX)"),
    "sql_variant": ("string", "CONVERT(NVARCHAR(MAX), {})", "SQL_VARIANT selected as text"),
    "hierarchyid": ("string", "CONVERT(NVARCHAR(4000), {})", "HIERARCHYID selected as its path text"),
    "geometry": ("binary", "{}.STAsBinary()", "selected as WKB (STAsBinary; the SRID is dropped)"),
    "geography": ("binary", "{}.STAsBinary()", "selected as WKB (STAsBinary; the SRID is dropped)"),
}
_FALLBACK = ("string", "CONVERT(NVARCHAR(MAX), {})")
_NOT_HASHABLE = {"text", "ntext", "image", "xml", "geometry", "geography", "sql_variant"}


def base_type(source_type: str) -> str:
    """'decimal(12,2)' -> 'decimal'."""
    return source_type.split("(")[0].strip().lower()


def render_type(name: str, max_length: int | None, precision: int | None, scale: int | None) -> str:
    """The declared type as written in T-SQL, from sys.columns (max_length in bytes, -1 for MAX)."""
    t = name.lower()
    if t in ("decimal", "numeric"):
        return f"{t}({precision},{scale})"
    if t in ("char", "varchar", "binary", "varbinary", "nchar", "nvarchar"):
        if max_length == -1:
            return f"{t}(max)"
        return f"{t}({(max_length or 0) // 2 if t.startswith('n') else max_length})"
    if t in ("datetime2", "datetimeoffset", "time"):
        return f"{t}({scale})"
    return t


def spark_type_for(source_type: str) -> tuple[str, str | None]:
    """(Spark type, note) for a rendered SQL Server type.

    Example: `spark_type_for("money")` -> `("decimal(19,4)", None)`.
    """
    t = base_type(source_type)
    m = re.search(r"\((\d+)(?:,\s*(\d+))?\)", source_type)
    digits = int(m[1]) if m else 7
    cut = f"{source_type}: digits past microseconds are truncated" if digits > 6 else None
    if t in ("decimal", "numeric"):
        p, s = (int(m[1]), int(m[2] or 0)) if m else (18, 0)
        return f"decimal({p},{s})", None
    if t == "datetime2":
        return "timestamp_ntz", cut
    if t in _PLAIN:
        return _PLAIN[t], _NOTES.get(t)
    if t in _CONVERTED:
        spark, _, note = _CONVERTED[t]
        return spark, "; ".join(n for n in (note, cut if t == "datetimeoffset" else None) if n)
    return _FALLBACK[0], f"{source_type} selected as text (CONVERT NVARCHAR(MAX))"


def select_template(source_type: str) -> str | None:
    """The SELECT template ('{}' = quoted column) for a type, or None to select it as-is."""
    t = base_type(source_type)
    if t in _PLAIN or t in ("decimal", "numeric"):
        return None
    return _CONVERTED[t][1] if t in _CONVERTED else _FALLBACK[1]


def _driver_text(exc: BaseException) -> str:
    """pymssql's ((code, b'DB-Lib ... message'),) as readable lines, without the DB-Lib banners."""
    arg = exc.args[0] if exc.args else exc
    raw = arg[1] if isinstance(arg, tuple) and len(arg) == 2 else arg
    text = raw.decode(errors="replace") if isinstance(raw, bytes | bytearray) else str(raw)
    lines = [ln.strip() for ln in re.split(r"\n|(?=DB-Lib error message)", text)]
    kept = [ln for ln in lines if ln and not ln.startswith("DB-Lib error message")]
    return "\n".join(dict.fromkeys(kept)) or type(exc).__name__


def _temporal(parse: Callable[[str], Any]) -> Callable[[Any], Any]:
    # Servers spoken to with TDS < 7.3 send DATE and DATETIME2 as text.
    return lambda v: parse(v) if isinstance(v, str) else v


class SQLServerDialect(Dialect):
    name = "sqlserver"
    driver_modules = ("pymssql",)
    default_port = 1433
    jdbc_driver = "com.microsoft.sqlserver.jdbc.SQLServerDriver"
    count_function = "COUNT_BIG"  # COUNT(*) is an INT and overflows past 2,147,483,647 rows
    snapshot_note: ClassVar[str] = SNAPSHOT_NOTE
    warns_snapshot: ClassVar[bool] = True  # a plan of several partitions says so in its warnings

    # ------------------------------------------------------------- connection
    @classmethod
    def required_keys(cls, source: SourceConfig) -> list[str]:
        return ["host", "database", "user"]

    def connect(self) -> Any:
        import pymssql

        s = self.source
        secret = s.password.get_secret_value() if s.password else ""
        kwargs: dict[str, Any] = {
            "server": s.host, "port": str(self.port), "user": s.user, "password": secret,
            "database": s.database, "login_timeout": 10, "charset": "UTF-8", "autocommit": True,
            "appname": "data-extractor", "tds_version": "7.4", **s.options,
        }
        try:
            return pymssql.connect(**kwargs)
        except (pymssql.Error, OSError) as exc:
            message = explain_connect_error(self.describe(), RuntimeError(_driver_text(exc)), _HINTS)
            raise SourceError(message.replace(secret, "***") if secret else message) from None

    def describe(self) -> str:
        s = self.source
        return f"sqlserver://{s.user}@{s.host}:{self.port}/{s.database}"

    def jdbc_url(self) -> str:
        s = self.source
        db = s.database or ""
        if re.search(r"[;={}]", db):
            db = "{" + db.replace("}", "}}") + "}"
        return f"jdbc:sqlserver://{s.host}:{self.port};databaseName={db};encrypt=true;trustServerCertificate=true"

    # ---------------------------------------------------------- identifiers
    def quote(self, ident: str) -> str:
        return "[" + ident.replace("]", "]]") + "]"

    def literal(self, value: Any) -> str:
        if isinstance(value, str):
            return "N'" + value.replace("'", "''") + "'"
        if isinstance(value, decimal.Decimal):
            return format(value, "f")
        return super().literal(value)

    def date_literal(self, value: dt.date) -> str:
        return f"CONVERT(DATE, '{value.isoformat()}', 23)"

    def timestamp_literal(self, value: dt.datetime) -> str:
        if value.tzinfo is not None:  # compared with DATETIMEOFFSET, a zone-less value counts as UTC
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return f"CONVERT(DATETIME2(7), '{value.isoformat(timespec='microseconds')}', 126)"

    # --------------------------------------------------------------- catalog
    def schemas(self, conn: Any) -> list[str]:
        return [r[0] for r in self.fetch_all(conn, SCHEMAS_SQL)]

    def default_schema(self, conn: Any) -> str | None:
        return self.fetch_one(conn, DEFAULT_SCHEMA_SQL)[0]

    def tables(self, conn: Any, schema: str | None) -> list[TableInfo]:
        import pymssql

        schema = schema or self.default_schema(conn)
        try:
            rows = self.fetch_all(conn, TABLES_SQL, {"schema": schema})
        except pymssql.Error:  # no VIEW DATABASE STATE: counts from sys.partitions
            rows = self.fetch_all(conn, TABLES_FALLBACK_SQL, {"schema": schema})
        return [TableInfo(schema, name, None if n is None else int(n), None if b is None else int(b), kind)
                for name, n, b, kind in rows]

    def columns(self, conn: Any, table: TableRef) -> list[ColumnInfo]:
        params = {"schema": table.schema or self.default_schema(conn), "table": table.name}
        out = []
        for name, type_name, max_length, precision, scale, nullable, pk, indexed in self.fetch_all(
            conn, COLUMNS_SQL, params
        ):
            source_type = render_type(type_name, max_length, precision, scale)
            spark, note = spark_type_for(source_type)
            out.append(ColumnInfo(name, source_type, spark, bool(nullable), None if pk is None else int(pk),
                                  bool(indexed), note))
        return out

    def query_columns(self, conn: Any, query: str) -> list[ColumnInfo]:
        """A custom query's result columns with the types the server itself declares for them."""
        out = []
        for name, system_type, hidden, error in self.fetch_all(conn, QUERY_COLUMNS_SQL, {"query": query}):
            if error:
                raise UserError(f"SQL Server cannot describe the query: {error}; fix its SQL")
            if hidden:
                continue
            source = re.sub(r"\s+", "", system_type.lower())
            spark, note = spark_type_for(source)
            out.append(ColumnInfo(name, source, spark, True, None, False, note))
        return out

    # ------------------------------------------------------------ statistics
    def sampled_table_sql(self, table: TableRef, fraction: float) -> str:
        if fraction >= 1.0 or table.query:  # TABLESAMPLE takes tables only
            return self.table_sql(table)
        pct = min(max(fraction * 100, 0.000001), 100.0)
        return f"{self.table_sql(table)} TABLESAMPLE SYSTEM ({pct:.6f} PERCENT) REPEATABLE (42)"

    def sample_sql(
        self, table: TableRef, column: str, buckets: int, where: str | None, fraction: float
    ) -> str:
        q = self.quote(column)
        conds = " AND ".join(f"({c})" for c in (f"{q} IS NOT NULL", where) if c)
        return (
            f"SELECT b, MIN(v), MAX(v), COUNT_BIG(*) FROM (SELECT {q} AS v, NTILE({int(buckets)})"
            f" OVER (ORDER BY {q}) AS b FROM {self.sampled_table_sql(table, fraction)} WHERE {conds}) AS s"
            " GROUP BY b ORDER BY b"
        )

    # ------------------------------------------------------------ partitions
    def hash_predicates(self, column: ColumnInfo, n: int) -> list[str]:
        """Buckets of CHECKSUM; CHECKSUM(NULL) is not NULL, so only bucket 0 takes NULL keys."""
        if base_type(column.source_type) in _NOT_HASHABLE:
            raise UserError(f"hash partitioning cannot use {column.name} ({column.source_type}): CHECKSUM does not "
                            "take that type; choose another column or strategy balanced")
        q = self.quote(column.name)
        bucket = f"ABS(CAST(CHECKSUM({q}) AS BIGINT)) % {int(n)}"
        return [f"{q} IS NULL OR {bucket} = 0"] + [f"{q} IS NOT NULL AND {bucket} = {i}" for i in range(1, n)]

    # --------------------------------------------------------------- reading
    def select_expression(self, column: ColumnInfo) -> str:
        q = self.quote(column.name)
        template = select_template(column.source_type)
        return f"{template.format(q)} AS {q}" if template else q

    def select_sql(
        self, table: TableRef, columns: Sequence[ColumnInfo], predicate: str | None, where: str | None,
        snapshot: str | None = None,
    ) -> str:
        cols = ", ".join(self.select_expression(c) for c in columns)
        return f"SELECT {cols} FROM {self._filtered(table, where, predicate)}"

    def read_arrow(self, conn: Any, sql: str, schema: pa.Schema, fetch_size: int) -> Iterator[pa.RecordBatch]:
        import pyarrow as pa


        def converter(t: pa.DataType) -> Callable[[Any], Any] | None:
            if pa.types.is_date(t):
                return _temporal(lambda v: dt.date.fromisoformat(v[:10]))
            if pa.types.is_timestamp(t):
                return _temporal(lambda v: dt.datetime.fromisoformat(v[:26]))
            return None

        converters = [converter(f.type) for f in schema]
        cur = conn.cursor()
        try:
            cur.execute(sql)
            while rows := cur.fetchmany(fetch_size):
                yield from rows_to_batches(rows, schema, converters)
        finally:
            cur.close()
