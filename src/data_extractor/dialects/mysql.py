"""MySQL and MariaDB through PyMySQL: catalog from information_schema, histograms, CRC32 hash splits.

Every connection speaks utf8mb4 and sets its session time zone to UTC, so TIMESTAMP columns (instants)
arrive as UTC and DATETIME columns (wall-clock) arrive as written. Rows stream through an unbuffered
server-side cursor.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import re
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import SourceError
from .base import (
    ColumnInfo,
    ConnectionHint,
    Dialect,
    Distribution,
    TableInfo,
    TableRef,
    explain_connect_error,
)

if TYPE_CHECKING:
    import pyarrow as pa

    from ..config import SourceConfig

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

# --------------------------------------------------------------------------- type mapping
_SIGNED = {"tinyint": "tinyint", "smallint": "smallint", "mediumint": "int", "int": "int",
           "integer": "int", "bigint": "bigint"}
# An unsigned type widens to the next signed Spark type.
_UNSIGNED = {"tinyint": "smallint", "smallint": "int", "mediumint": "int", "int": "bigint",
             "integer": "bigint", "bigint": "decimal(20,0)"}
_TEXT = {"char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set", "json",
         "national char", "nchar", "nvarchar", "long varchar"}
_BINARY = {"binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob"}
_GEOMETRY = {"geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon",
             "geometrycollection", "geomcollection"}
_PERSISTENT = "statistics from ANALYZE TABLE ... PERSISTENT FOR COLUMNS"
_TYPE = re.compile(r"\s*([a-z ]+?)\s*(?:\(([^)]*)\))?\s*((?:unsigned|signed|zerofill|\s)*)$")


def _parse(column_type: str) -> tuple[str, list[str], bool]:
    """'bigint(20) unsigned' -> ('bigint', ['20'], True); enum/set arguments are not split."""
    text = column_type.strip().lower()
    m = _TYPE.match(text)
    if not m or text.startswith(("enum", "set")):
        return text.split("(")[0].strip(), [], False
    args = [a.strip() for a in (m[2] or "").split(",") if a.strip()]
    return m[1].strip(), args, "unsigned" in (m[3] or "")


def spark_type_for(column_type: str, number_type: str = "decimal(38,10)") -> tuple[str, str | None]:
    """(Spark type, note) for an information_schema COLUMN_TYPE.

    Example: `spark_type_for("bigint(20) unsigned")` -> `("decimal(20,0)", None)`.
    """
    base, args, unsigned = _parse(column_type)
    if base == "tinyint" and args == ["1"] and not unsigned:
        return "boolean", "TINYINT(1) read as boolean: a value other than 0 and 1 fails the table"
    if base in _SIGNED:
        return (_UNSIGNED if unsigned else _SIGNED)[base], None
    if base in ("decimal", "numeric", "dec", "fixed"):
        p = int(args[0]) if args else 10
        s = int(args[1]) if len(args) > 1 else 0
        if p <= 38:
            return f"decimal({p},{s})", None
        return number_type, (f"{base.upper()}({p},{s}) is wider than Spark's 38 digits: read as "
                             f"{number_type} (source.number_type); a value that does not fit fails the table")
    if base == "float":
        return "float", None
    if base in ("double", "real", "double precision"):
        return "double", None
    if base == "bit":
        width = int(args[0]) if args else 1
        if width == 1:
            return "boolean", None
        return ("bigint", None) if width < 64 else ("decimal(20,0)", None)
    if base == "year":
        return "int", None
    if base == "date":
        return "date", "a zero or invalid date fails the table"
    if base == "datetime":
        return "timestamp_ntz", "DATETIME is a wall-clock time without time zone"
    if base == "timestamp":
        return "timestamp", "TIMESTAMP is an instant: read in UTC (session time_zone +00:00)"
    if base == "time":
        return "string", "TIME is a duration (-838:59:59 to 838:59:59): read as its text"
    if base in _TEXT:
        return "string", None
    if base in _BINARY:
        return "binary", None
    if base in _GEOMETRY:
        return "binary", "geometry read as WKB (ST_AsBinary; the SRID is dropped)"
    return "string", f"{column_type} read as text (CAST AS CHAR)"


def select_template(column_type: str) -> str | None:
    """The SELECT template ('{}' = quoted column) for a type, or None to select it as-is."""
    base, _, _ = _parse(column_type)
    if base in ("bit", "year"):
        return "CAST({} AS UNSIGNED)" if base == "bit" else "CAST({} AS SIGNED)"
    if base == "float":  # the text protocol sends FLOAT with 6 digits; as a double it arrives exact
        return "({} + 0E0)"
    if base in ("char", "nchar", "national char", "enum", "set"):
        return "CAST({} AS CHAR)"  # typed VARCHAR, so that Spark's JDBC reader does not pad it to the width
    if base in _GEOMETRY:
        return "ST_AsBinary({})"
    plain = {*_SIGNED, "decimal", "numeric", "dec", "fixed", "double", "real", "double precision",
             "date", "datetime", "timestamp", *_TEXT, *_BINARY}
    return None if base in plain else "CAST({} AS CHAR)"


def result_type(type_code: int, flags: int, charsetnr: int, length: int, scale: int) -> str:
    """A COLUMN_TYPE-like name for a result column from the protocol's field metadata.

    Example: `result_type(8, 32, 63, 20, 0)` -> `"bigint unsigned"`.
    """
    from pymysql.constants import FIELD_TYPE as F
    from pymysql.constants import FLAG

    unsigned = " unsigned" if flags & FLAG.UNSIGNED else ""
    ints = {F.TINY: "tinyint", F.SHORT: "smallint", F.INT24: "mediumint", F.LONG: "int", F.LONGLONG: "bigint"}
    if type_code == F.TINY and length == 1 and not unsigned:
        return "tinyint(1)"
    if type_code in ints:
        return ints[type_code] + unsigned
    if type_code in (F.DECIMAL, F.NEWDECIMAL):  # the display length counts the point and the sign
        p = length - (1 if scale else 0) - (0 if unsigned else 1)
        return f"decimal({max(p, 1)},{scale}){unsigned}"
    if type_code == F.BIT:
        return f"bit({length})"
    simple = {F.FLOAT: "float", F.DOUBLE: "double", F.DATE: "date", F.NEWDATE: "date", F.DATETIME: "datetime",
              F.TIMESTAMP: "timestamp", F.TIME: "time", F.YEAR: "year", F.JSON: "json", F.GEOMETRY: "geometry"}
    if type_code in simple:
        return simple[type_code]
    if flags & FLAG.ENUM:
        return "enum"
    if flags & FLAG.SET:
        return "set"
    binary = charsetnr == 63
    if type_code == F.STRING:
        return "binary" if binary else "char"
    if type_code in (F.VARCHAR, F.VAR_STRING):
        return "varbinary" if binary else "varchar"
    if type_code in (F.TINY_BLOB, F.BLOB, F.MEDIUM_BLOB, F.LONG_BLOB):
        return "blob" if binary else "text"
    return f"type {type_code}"


# ----------------------------------------------------------------------------- statistics
def _value_parser(column: ColumnInfo) -> Callable[[str], Any] | None:
    """How a histogram endpoint's text becomes a value of the column's type (None: not supported)."""
    base, _, _ = _parse(column.source_type)
    t = column.spark_type
    if base in ("bit", "timestamp"):  # BIT is selected as a number; TIMESTAMP text depends on a time zone
        return None
    if t in ("tinyint", "smallint", "int", "bigint"):
        return lambda s: int(decimal.Decimal(s))
    if t.startswith("decimal"):
        return decimal.Decimal
    if t in ("float", "double"):
        return float
    if t == "date":
        return lambda s: dt.date.fromisoformat(s[:10])
    if t == "timestamp_ntz":
        return lambda s: dt.datetime.fromisoformat(s.strip())
    return None


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes | bytearray) else str(value)


def mariadb_distribution(row: Sequence[Any], column: ColumnInfo) -> Distribution | None:
    """A CDF from a mysql.column_stats row (hist_type, histogram, min_value, max_value, nulls_ratio)."""
    hist_type, histogram, lo, hi, nulls = row
    parse = _value_parser(column)
    if parse is None or histogram is None:
        return None
    null_fraction = float(nulls or 0)
    if hist_type == "JSON_HB":
        buckets = json.loads(_text(histogram)).get("histogram_hb") or []
        if not buckets:
            return None
        points, acc = [], 0.0
        for bucket in buckets:
            points.append((parse(str(bucket["start"])), acc))
            acc += float(bucket["size"])
        points.append((parse(str(buckets[-1].get("end", buckets[-1]["start"]))), 1.0))
        return Distribution(points, null_fraction, "statistics", f"{_PERSISTENT} (JSON_HB)")
    if hist_type not in ("SINGLE_PREC_HB", "DOUBLE_PREC_HB") or lo is None or hi is None:
        return None
    if column.spark_type in ("date", "timestamp_ntz"):
        return None  # binary histograms place dates by their YYYYMMDD number, not linearly
    width = 2 if hist_type == "DOUBLE_PREC_HB" else 1
    data = bytes(histogram)
    top = 256**width - 1
    cuts = [int.from_bytes(data[i:i + width], "little") / top for i in range(0, len(data), width)]
    if not cuts:
        return None
    low, high = float(_text(lo)), float(_text(hi))

    def typed(x: float) -> Any:
        return parse(str(round(x)) if _integral(column) else repr(x))

    points = [(typed(low), 0.0)]
    points += [(typed(low + c * (high - low)), (i + 1) / (len(cuts) + 1)) for i, c in enumerate(cuts)]
    points.append((typed(high), 1.0))
    for i in range(1, len(points)):  # rounding may reorder neighbours by a hair
        if points[i][0] < points[i - 1][0]:
            points[i] = (points[i - 1][0], points[i][1])
    return Distribution(points, null_fraction, "statistics", f"{_PERSISTENT} ({hist_type})")


def _integral(column: ColumnInfo) -> bool:
    return column.spark_type in ("tinyint", "smallint", "int", "bigint") or column.spark_type.endswith(",0)")


def mysql_distribution(histogram: Any, column: ColumnInfo) -> Distribution | None:
    """A CDF from a MySQL 8 information_schema.COLUMN_STATISTICS histogram (JSON)."""
    doc = json.loads(_text(histogram)) if not isinstance(histogram, dict) else histogram
    if doc.get("data-type") not in ("int", "uint", "double", "decimal", "date", "datetime"):
        return None
    parse = _value_parser(column)
    buckets = doc.get("buckets") or []
    if parse is None or not buckets:
        return None
    top = float(buckets[-1][-1] if doc.get("histogram-type") == "singleton" else buckets[-1][2]) or 1.0
    points: list[tuple[Any, float]] = []
    if doc.get("histogram-type") == "singleton":
        for value, cum in buckets:
            points.append((parse(str(value)), float(cum) / top))
        points.insert(0, (points[0][0], 0.0))
    else:
        points.append((parse(str(buckets[0][0])), 0.0))
        for _lo, hi, cum, *_ in buckets:
            points.append((parse(str(hi)), float(cum) / top))
    nulls = float(doc.get("null-values") or 0.0)
    return Distribution(points, nulls, "statistics", "statistics from ANALYZE TABLE ... UPDATE HISTOGRAM")


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

        from ..typemap import rows_to_batches

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
