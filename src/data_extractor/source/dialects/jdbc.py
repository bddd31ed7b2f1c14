"""Generic JDBC (`type: jdbc`): any database with a JDBC driver, through Spark's JVM.

The catalog comes from `java.sql.DatabaseMetaData`, partitions are ranges from MIN/MAX (or balanced
from an NTILE where the database has window functions), and rows are read by Spark's JDBC source.
The JVM starts for `browse` and `plan` too: the driver lives there.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import TYPE_CHECKING, Any

from data_extractor.errors import SourceError, UserError
from data_extractor.source.dialects.base import ColumnInfo, Dialect, TableInfo, TableRef

if TYPE_CHECKING:
    from data_extractor.config.models import SourceConfig

# java.sql.Types codes -> Spark types
_TYPES = {
    -7: "boolean", 16: "boolean", -6: "smallint", 5: "smallint", 4: "int", -5: "bigint", 7: "float", 6: "double",
    8: "double", 91: "date", 93: "timestamp_ntz", 2014: "timestamp", -2: "binary", -3: "binary", -4: "binary",
    2004: "binary",
}
_TEXT = {1, 12, -1, -15, -9, -16, 2005, 2011}


def spark_type_for(jdbc_type: int, precision: int | None, scale: int | None, number_type: str
                   ) -> tuple[str, str | None]:
    if jdbc_type in (2, 3):  # NUMERIC, DECIMAL
        if precision and 0 < precision <= 38 and scale is not None and 0 <= scale <= precision:
            return f"decimal({precision},{scale})", None
        return number_type, f"NUMERIC without a usable precision: read as {number_type}"
    if jdbc_type in _TYPES:
        return _TYPES[jdbc_type], None
    if jdbc_type in _TEXT:
        return "string", None
    return "string", f"JDBC type {jdbc_type}: read as text"


class _Cursor:
    """Just enough DB-API over a java.sql.Connection for metadata and bound queries."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self._rows: list[tuple] = []
        self.description: list[tuple] | None = None

    def execute(self, sql: str, params: Any = None) -> None:
        if params:
            raise UserError("the generic JDBC dialect takes no bound parameters")
        stmt = self._conn.createStatement()
        try:
            rs = stmt.executeQuery(sql)
            meta = rs.getMetaData()
            n = meta.getColumnCount()
            self.description = [(meta.getColumnLabel(i), meta.getColumnType(i)) for i in range(1, n + 1)]
            rows = []
            while rs.next():
                rows.append(tuple(_value(rs.getObject(i)) for i in range(1, n + 1)))
            self._rows = rows
        finally:
            stmt.close()

    def fetchone(self) -> tuple | None:
        return self._rows.pop(0) if self._rows else None

    def fetchall(self) -> list[tuple]:
        rows, self._rows = self._rows, []
        return rows

    def close(self) -> None:
        self._rows = []


def _value(obj: Any) -> Any:
    """A Java value as Python: py4j converts numbers and strings; dates and timestamps come as text."""
    if obj is None or isinstance(obj, int | float | str | bool | decimal.Decimal | bytes | bytearray):
        return obj
    text = str(obj.toString())
    for parse in (dt.datetime.fromisoformat, dt.date.fromisoformat):
        try:
            return parse(text)
        except ValueError:
            continue
    return text


class _Connection:
    def __init__(self, jconn: Any) -> None:
        self.j = jconn

    def cursor(self) -> _Cursor:
        return _Cursor(self.j)

    def close(self) -> None:
        self.j.close()


class JdbcDialect(Dialect):
    name = "jdbc"
    has_python_driver = False

    @classmethod
    def required_keys(cls, source: SourceConfig) -> list[str]:
        return ["url", "driver"]

    def _spark(self) -> Any:
        from data_extractor.config.models import SparkConfig
        from data_extractor.spark import jdbc, session

        spark = session.get_session(SparkConfig(jdbc_jars=list(self.source.jars)))
        if getattr(spark, "_jvm", None) is None:
            raise UserError("type: jdbc needs classic Spark (a JVM); it cannot run over Spark Connect")
        for jar in jdbc._missing_jars(spark, list(self.source.jars)):
            spark.sql(f"ADD JAR '{jar}'")  # a session started without the driver (a notebook's, the tests')
        return spark

    def connect(self) -> _Connection:
        spark = self._spark()
        jvm = spark._jvm
        props = jvm.java.util.Properties()
        for k, v in self.jdbc_properties().items():
            if k != "driver":
                props.setProperty(k, v)
        try:
            loader = spark._jsparkSession.sharedState().jarClassLoader()
            driver = jvm.java.lang.Class.forName(self.source.driver, True, loader).newInstance()
            jconn = driver.connect(self.source.url, props)
            if jconn is None:
                raise SourceError(f"cannot connect to {self.describe()}: the driver {self.source.driver} does not "
                                  "accept this URL; check source.url")
            return _Connection(jconn)
        except SourceError:
            raise
        except Exception as exc:  # noqa: BLE001 - Py4J wraps the driver's SQLException
            text = str(exc)
            reason = next((ln.split(":", 1)[1].strip() for ln in text.splitlines()
                           if "Exception:" in ln and ("SQLException" in ln or "ClassNotFound" in ln)), None)
            if "ClassNotFound" in text:
                reason = f"driver class {self.source.driver} not found; list its jar under source.jars"
            raise SourceError(f"cannot connect to {self.describe()}: {reason or 'the JDBC driver refused'}") from None

    def describe(self) -> str:
        return (self.source.url or "").split("?")[0]

    def jdbc_url(self) -> str | None:
        return self.source.url

    def jdbc_properties(self) -> dict[str, str]:
        props = super().jdbc_properties()
        props["driver"] = self.source.driver or ""
        props.update({k: str(v) for k, v in self.source.options.items()})
        return props

    # catalog through DatabaseMetaData
    def _meta(self, conn: _Connection) -> Any:
        return conn.j.getMetaData()

    def _rows(self, rs: Any, *cols: str) -> list[tuple]:
        out = []
        while rs.next():
            out.append(tuple(_value(rs.getObject(c)) for c in cols))
        rs.close()
        return out

    def schemas(self, conn: Any) -> list[str]:
        return sorted(r[0] for r in self._rows(self._meta(conn).getSchemas(), "TABLE_SCHEM"))

    def default_schema(self, conn: Any) -> str | None:
        return conn.j.getSchema()

    def tables(self, conn: Any, schema: str | None) -> list[TableInfo]:
        rows = self._rows(self._meta(conn).getTables(None, schema, "%", None), "TABLE_SCHEM", "TABLE_NAME",
                          "TABLE_TYPE")
        keep = [r for r in rows if str(r[2]).upper() in ("TABLE", "VIEW", "BASE TABLE", "PARTITIONED TABLE")]
        return [TableInfo(s, n, None, None, "view" if "VIEW" in str(k).upper() else "table") for s, n, k in keep]

    def columns(self, conn: Any, table: TableRef) -> list[ColumnInfo]:
        meta = self._meta(conn)
        pks = {r[0]: r[1] for r in self._rows(meta.getPrimaryKeys(None, table.schema, table.name), "COLUMN_NAME",
                                               "KEY_SEQ")}
        cols = self._rows(meta.getColumns(None, table.schema, table.name, "%"), "COLUMN_NAME", "DATA_TYPE",
                          "TYPE_NAME", "COLUMN_SIZE", "DECIMAL_DIGITS", "NULLABLE")
        out = []
        for name, jtype, type_name, size, digits, nullable in cols:
            spark, note = spark_type_for(int(jtype), size, digits, self.source.number_type)
            source = f"{type_name}({size},{digits})" if int(jtype) in (2, 3) else str(type_name)
            out.append(ColumnInfo(name, source, spark, nullable != 0, pks.get(name), name in pks, note))
        return out

    def query_columns(self, conn: Any, query: str) -> list[ColumnInfo]:
        stmt = conn.j.createStatement()
        try:
            meta = stmt.executeQuery(f"SELECT * FROM ({query}) dx_q WHERE 1 = 0").getMetaData()
            out = []
            for i in range(1, meta.getColumnCount() + 1):
                spark, note = spark_type_for(meta.getColumnType(i), meta.getPrecision(i), meta.getScale(i),
                                             self.source.number_type)
                out.append(ColumnInfo(meta.getColumnLabel(i), meta.getColumnTypeName(i), spark, True, None, False,
                                      note))
            return out
        finally:
            stmt.close()

    def hash_predicates(self, column: ColumnInfo, n: int) -> list[str]:
        raise UserError("hash partitioning is not known for a generic JDBC source; use range or balanced")
