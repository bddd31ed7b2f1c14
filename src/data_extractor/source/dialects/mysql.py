"""MySQL and MariaDB through PyMySQL: catalog from information_schema, histograms, CRC32 hash splits.

Every connection speaks utf8mb4 and sets its session time zone to UTC, so TIMESTAMP columns (instants)
arrive as UTC and DATETIME columns (wall-clock) arrive as written. Rows stream through an unbuffered
server-side cursor.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from data_extractor.errors import SourceError
from data_extractor.source.dialects.base import (
    ColumnInfo,
    ConnectionHint,
    Dialect,
    Distribution,
    TableInfo,
    TableRef,
    explain_connect_error,
)
from data_extractor.source.dialects.mysql_stats import _text, _value_parser, mariadb_distribution, mysql_distribution
from data_extractor.source.dialects.mysql_types import result_type, select_template, spark_type_for
from data_extractor.source.typemap import rows_to_batches

if TYPE_CHECKING:
    import pyarrow as pa

    from data_extractor.config.models import SourceConfig

SNAPSHOT_NOTE = (
    "MySQL/MariaDB cannot share one consistent snapshot across connections: each partition reads the table "
    "as of its own start, so rows written during the run may be missed or seen twice; pause writes or "
    "extract from a replica for a consistent copy"
)
SESSION_SQL = "SET time_zone = '+00:00', net_write_timeout = 600"

SCHEMAS_SQL = (
    "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA"
    " WHERE SCHEMA_NAME NOT IN ('information_schema', 'mysql', 'performance_schema', 'sys')"
    " ORDER BY SCHEMA_NAME"
)
TABLES_SQL = (
    "SELECT TABLE_NAME, TABLE_ROWS, DATA_LENGTH + INDEX_LENGTH, TABLE_TYPE FROM information_schema.TABLES"
    " WHERE TABLE_SCHEMA = %s ORDER BY TABLE_NAME"
)
COLUMNS_SQL = (
    "SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE FROM information_schema.COLUMNS"
    " WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s ORDER BY ORDINAL_POSITION"
)
INDEXES_SQL = (
    "SELECT COLUMN_NAME, INDEX_NAME, SEQ_IN_INDEX FROM information_schema.STATISTICS"
    " WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s AND (INDEX_NAME = 'PRIMARY' OR SEQ_IN_INDEX = 1)"
)
# MariaDB: engine-independent statistics (ANALYZE TABLE t PERSISTENT FOR COLUMNS (...) INDEXES ()).
MARIADB_STATS_SQL = (
    "SELECT hist_type, histogram, min_value, max_value, nulls_ratio FROM mysql.column_stats"
    " WHERE db_name = %s AND table_name = %s AND column_name = %s"
)
# MySQL 8: ANALYZE TABLE t UPDATE HISTOGRAM ON c.
MYSQL_STATS_SQL = (
    "SELECT HISTOGRAM FROM information_schema.COLUMN_STATISTICS"
    " WHERE SCHEMA_NAME = %s AND TABLE_NAME = %s AND COLUMN_NAME = %s"
)

_HINTS = [
    ConnectionHint("to database", "the user may not use that database, or it does not exist; check "
                   "source.database and the user's grants"),
    ConnectionHint("access denied", "the user name or password was refused; check source.user and "
                   "source.password (and that the user may connect from this host)"),
    ConnectionHint("unknown database", "the server has no such database; check source.database"),
    ConnectionHint("connection refused", "nothing is listening there; check source.host and source.port, "
                   "and that the server is running"),
    ConnectionHint("name or service not known", "the host name is unknown; check source.host"),
    ConnectionHint("timed out", "the server did not answer in time; check source.host, source.port and "
                   "the network"),
]

# --------------------------------------------------------------------------------- reading
def _boolean(name: str) -> Callable[[Any], bool]:
    def to_bool(value: Any) -> bool:
        if value in (0, 1):
            return bool(value)
        raise ValueError(
            f"column {name!r} is read as boolean (TINYINT(1) or BIT(1)) but holds {value!r}; change the "
            "column to a wider TINYINT, or leave it out of the table's columns:"
        )

    return to_bool


def _explain(rows: Sequence[Sequence[Any]], schema: pa.Schema, error: ValueError) -> ValueError:
    """A clearer error for what MySQL can hold and Arrow cannot: zero dates, too-wide decimals."""
    import pyarrow as pa

    for i, field in enumerate(schema):
        if pa.types.is_date(field.type) or pa.types.is_timestamp(field.type):
            bad = next((r[i] for r in rows if isinstance(r[i], str | bytes)), None)
            if bad is not None:
                q = "`" + field.name.replace("`", "``") + "`"
                return ValueError(
                    f"column {field.name!r} holds {_text(bad)!r}, a zero or invalid date that Parquet cannot "
                    f"hold; set those values to NULL in the source (UPDATE ... SET {q} = NULL WHERE "
                    f"{q} = '{_text(bad)}') or filter them out with the table's where:"
                )
    text = str(error)
    if "decimal" in text:
        return ValueError(f"{text}; widen source.number_type (e.g. decimal(38,4)) if the column is wider "
                          "than 38 digits, or leave it out of the table's columns:")
    return error


class MySQLDialect(Dialect):
    name = "mysql"
    driver_modules = ("pymysql",)
    default_port = 3306
    jdbc_driver = "org.mariadb.jdbc.Driver"
    jdbc_jar: ClassVar[str] = "/usr/share/java/mariadb-java-client.jar"  # Debian's libmariadb-java
    snapshot_note: ClassVar[str] = SNAPSHOT_NOTE
    warns_snapshot: ClassVar[bool] = True  # a plan of several partitions says so in its warnings

    # ------------------------------------------------------------- connection
    @classmethod
    def required_keys(cls, source: SourceConfig) -> list[str]:
        return ["host", "database", "user"]

    def connect(self) -> Any:
        import pymysql

        s = self.source
        secret = s.password.get_secret_value() if s.password else ""
        kwargs: dict[str, Any] = {
            "host": s.host, "port": self.port, "user": s.user, "password": secret, "database": s.database,
            "charset": "utf8mb4", "connect_timeout": 10, "autocommit": True, "init_command": SESSION_SQL,
            "program_name": "data-extractor", **s.options,
        }
        try:
            return pymysql.connect(**kwargs)
        except (pymysql.MySQLError, OSError) as exc:
            driver_text = exc.args[1] if len(exc.args) == 2 and isinstance(exc.args[1], str) else str(exc)
            message = explain_connect_error(self.describe(), RuntimeError(driver_text), _HINTS)
            raise SourceError(message.replace(secret, "***") if secret else message) from None

    def describe(self) -> str:
        s = self.source
        return f"mysql://{s.user}@{s.host}:{self.port}/{s.database}"

    def jdbc_url(self) -> str:
        # The jdbc:mysql scheme makes Spark pick its MySQL dialect (backquoted names: with its default
        # dialect a column "id" is read as the text 'id'); MariaDB Connector/J 3 accepts that scheme
        # with permitMysqlScheme, 2.x always does.
        s = self.source
        return f"jdbc:mysql://{s.host}:{self.port}/{s.database}?permitMysqlScheme"

    def jdbc_properties(self) -> dict[str, str]:
        # Same session as the Python reader: TIMESTAMP values arrive as UTC wall-clock text.
        return {**super().jdbc_properties(), "sessionVariables": "time_zone='+00:00'"}

    # ---------------------------------------------------------- identifiers
    def quote(self, ident: str) -> str:
        return "`" + ident.replace("`", "``") + "`"

    def literal(self, value: Any) -> str:
        if isinstance(value, decimal.Decimal):
            return format(value, "f")
        if isinstance(value, str) and (re.search(r"[\\\x00-\x1f\x7f]", value)):
            # Backslashes mean different things under NO_BACKSLASH_ESCAPES: spell such text in hex.
            return "_utf8mb4 X'" + value.encode().hex().upper() + "'"
        return super().literal(value)

    def timestamp_literal(self, value: dt.datetime) -> str:
        if value.tzinfo is not None:  # sessions run in UTC; MariaDB literals take no offset
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return f"TIMESTAMP '{value.isoformat(sep=' ', timespec='microseconds')}'"

    # --------------------------------------------------------------- catalog
    def schemas(self, conn: Any) -> list[str]:
        return [_text(r[0]) for r in self.fetch_all(conn, SCHEMAS_SQL)]

    def default_schema(self, conn: Any) -> str | None:
        value = self.fetch_one(conn, "SELECT DATABASE()")[0]
        return None if value is None else _text(value)

    def tables(self, conn: Any, schema: str | None) -> list[TableInfo]:
        schema = schema or self.default_schema(conn)
        out = []
        for name, rows, size, kind in self.fetch_all(conn, TABLES_SQL, (schema,)):
            rows = None if rows is None else int(rows)
            if rows == 0 and size and int(size) > 65536:
                rows = None  # MySQL 8 caches TABLE_ROWS: 0 with data pages means not known yet
            kind = "view" if _text(kind).upper() == "VIEW" else "table"
            size = None if size is None else int(size)
            out.append(TableInfo(schema, _text(name), None if kind == "view" else rows, size, kind))
        return out

    def columns(self, conn: Any, table: TableRef) -> list[ColumnInfo]:
        schema = table.schema or self.default_schema(conn)
        pk: dict[str, int] = {}
        indexed: set[str] = set()
        for col, index, seq in self.fetch_all(conn, INDEXES_SQL, (schema, table.name)):
            col, index = _text(col), _text(index)
            if index == "PRIMARY":
                pk[col] = int(seq)
            if int(seq) == 1:
                indexed.add(col)
        out = []
        for name, column_type, nullable in self.fetch_all(conn, COLUMNS_SQL, (schema, table.name)):
            name, column_type = _text(name), _text(column_type)
            spark, note = spark_type_for(column_type, self.source.number_type)
            out.append(ColumnInfo(name, column_type, spark, _text(nullable) == "YES", pk.get(name),
                                  name in indexed, note))
        return out

    def query_columns(self, conn: Any, query: str) -> list[ColumnInfo]:
        """A custom query's result columns, typed from the protocol's field metadata (with its flags)."""
        cur = conn.cursor()
        try:
            cur.execute(f"SELECT * FROM ({query}) dx_q WHERE 1 = 0")
            fields = list(cur._result.fields)  # PyMySQL's description drops the UNSIGNED and ENUM flags
            cur.fetchall()
        finally:
            cur.close()
        out = []
        for f in fields:
            source = result_type(f.type_code, f.flags, f.charsetnr, f.length, f.scale)
            spark, note = spark_type_for(source, self.source.number_type)
            out.append(ColumnInfo(_text(f.name), source, spark, True, None, False, note))
        return out

    # ------------------------------------------------------------ statistics
    def sample_sql(
        self, table: TableRef, column: str, buckets: int, where: str | None, fraction: float
    ) -> str:
        """NTILE buckets over a Bernoulli sample by RAND(seed) (MySQL has no TABLESAMPLE)."""
        if fraction < 1.0:
            sample = f"RAND(42) < {fraction:.6f}"
            where = f"({where}) AND {sample}" if where else sample
        return super().sample_sql(table, column, buckets, where, 1.0)

    def statistics_distribution(self, conn: Any, table: TableRef, column: ColumnInfo) -> Distribution | None:
        """A CDF from MariaDB's mysql.column_stats or MySQL 8's COLUMN_STATISTICS, when readable."""
        import pymysql

        if _value_parser(column) is None:
            return None
        params = (table.schema or self.default_schema(conn), table.name, column.name)
        for sql, build in ((MARIADB_STATS_SQL, lambda r: mariadb_distribution(r, column)),
                           (MYSQL_STATS_SQL, lambda r: mysql_distribution(r[0], column))):
            try:
                rows = self.fetch_all(conn, sql, params)
            except pymysql.MySQLError:  # not this server's kind, or no privilege on it
                continue
            if rows:
                try:
                    return build(rows[0])
                except (ValueError, KeyError, TypeError, IndexError, decimal.InvalidOperation):
                    return None  # a histogram shape this code does not know: sample instead
        return None

    # ------------------------------------------------------------ partitions
    def hash_predicates(self, column: ColumnInfo, n: int) -> list[str]:
        q = self.quote(column.name)
        preds = [f"MOD(CRC32({q}), {int(n)}) = {i}" for i in range(n)]
        preds[0] = f"{preds[0]} OR {q} IS NULL"  # CRC32(NULL) is NULL
        return preds

    # --------------------------------------------------------------- reading
    def select_expression(self, column: ColumnInfo) -> str:
        q = self.quote(column.name)
        template = select_template(column.source_type)
        return f"{template.format(q)} AS {q}" if template else q

    def read_arrow(self, conn: Any, sql: str, schema: pa.Schema, fetch_size: int) -> Iterator[pa.RecordBatch]:
        """Stream rows through an unbuffered cursor (SSCursor), `fetch_size` at a time."""
        import pyarrow as pa
        import pymysql.cursors


        converters = [_boolean(f.name) if pa.types.is_boolean(f.type) else None for f in schema]
        cur = conn.cursor(pymysql.cursors.SSCursor)
        try:
            cur.execute(sql)
            while rows := cur.fetchmany(fetch_size):
                try:
                    yield from rows_to_batches(rows, schema, converters)
                except ValueError as exc:
                    raise _explain(rows, schema, exc) from None
        except BaseException:
            _abandon(conn, cur)
            raise
        cur.close()


def _abandon(conn: Any, cur: Any) -> None:
    """Drop an unfinished unbuffered read without reading its remaining rows (which closing the cursor
    would do): close the connection, then retire the cursor and its result so that nothing reads later."""
    try:
        conn.close()
    except Exception:  # noqa: BLE001 - already broken or closed
        pass
    result = getattr(cur, "_result", None)
    if result is not None:
        result.unbuffered_active = False
    cur.connection = None
