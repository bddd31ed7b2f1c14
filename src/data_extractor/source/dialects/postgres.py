"""PostgreSQL: psycopg 3 for the catalog, ADBC (libpq COPY, Arrow-native) for bulk reads."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

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
from data_extractor.source.dialects.pg_driver import driver_check, session_kept

if TYPE_CHECKING:
    import pyarrow as pa

    from data_extractor.config.models import SourceConfig

_HINTS = [
    ConnectionHint("password authentication failed", "the user name or password was refused; check source.user "
                   "and source.password"),
    ConnectionHint("connection refused", "nothing is listening there; check source.host and source.port, "
                   "and that the server is running"),
    ConnectionHint("timeout expired", "the server did not answer in time; check source.host, source.port and "
                   "the network"),
    ConnectionHint("does not exist", "the server has no such database or role; check source.database and "
                   "source.user"),
    ConnectionHint("no password supplied", "the server asks for a password; set source.password"),
    ConnectionHint("could not translate host name", "the host name is unknown; check source.host"),
]

SCHEMAS_SQL = """
SELECT n.nspname FROM pg_namespace n
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%%'
  AND has_schema_privilege(n.oid, 'USAGE')
ORDER BY 1"""

TABLES_SQL = """
SELECT n.nspname, c.relname,
       CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::bigint END,
       pg_total_relation_size(c.oid),
       CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'view' WHEN 'f' THEN 'foreign' ELSE 'table' END
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
ORDER BY c.relname"""

COLUMNS_SQL = """
SELECT a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull,
       (SELECT array_position(i.indkey::int2[], a.attnum) + 1 FROM pg_index i
         WHERE i.indrelid = c.oid AND i.indisprimary),
       EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indkey[0] = a.attnum),
       t.typtype, t.typcategory
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type t ON t.oid = a.atttypid
WHERE n.nspname = %s AND c.relname = %s
ORDER BY a.attnum"""

STATS_SQL = """
SELECT s.null_frac, s.most_common_vals::text, s.most_common_freqs, s.histogram_bounds::text,
       to_char(GREATEST(st.last_analyze, st.last_autoanalyze), 'YYYY-MM-DD HH24:MI')
FROM pg_stats s
LEFT JOIN pg_stat_all_tables st ON st.schemaname = s.schemaname AND st.relname = s.tablename
WHERE s.schemaname = %s AND s.tablename = %s AND s.attname = %s"""

_NUMERIC = re.compile(r"numeric\((\d+),(\d+)\)")
_SIMPLE = {
    "smallint": "smallint", "integer": "int", "bigint": "bigint", "real": "float",
    "double precision": "double", "boolean": "boolean", "text": "string", "bytea": "binary",
    "date": "date", "timestamp without time zone": "timestamp_ntz", "timestamp with time zone": "timestamp",
    "name": "string",
}
_TEXTUAL = ("character varying", "character", "text", "\"char\"", "citext")


# The earliest date and timestamp PostgreSQL stores (4713 BC), as days and microseconds since 1970. ADBC hands
# 'infinity' and '-infinity' over as sentinels that land below them (after wrapping around).
_FIRST_DAY = -2_440_588
_FIRST_MICROS = _FIRST_DAY * 86_400_000_000


def _no_infinity(batch: pa.RecordBatch) -> pa.RecordBatch:
    """The batch, or a failure naming the first date or timestamp column holding (-)infinity."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for field, column in zip(batch.schema, batch.columns, strict=True):
        if pa.types.is_date32(field.type):
            low = pc.min(column.cast(pa.int32())).as_py()
            first = _FIRST_DAY
        elif pa.types.is_timestamp(field.type):
            low = pc.min(column.cast(pa.int64())).as_py()
            first = _FIRST_MICROS
        else:
            continue
        if low is not None and low < first:
            raise ValueError(f"column {field.name!r}: a value is infinity or -infinity, which {field.type} cannot "
                             "hold; filter it out with where: or leave the column out of columns:")
    return batch


def spark_type_for(formatted: str, number_type: str) -> tuple[str, str | None]:
    """`format_type()` text -> (Spark type, note on how the value is converted)."""
    base = re.sub(r"\(\d+\)", "", formatted).strip()
    if formatted.endswith("[]"):
        return "string", "array, as PostgreSQL text"
    if base in _SIMPLE:
        return _SIMPLE[base], None
    if any(base.startswith(t) for t in _TEXTUAL):
        return "string", None
    m = _NUMERIC.fullmatch(formatted)
    if m:
        p, s = int(m[1]), int(m[2])
        if p <= 38:
            return f"decimal({p},{s})", None
        return number_type, f"numeric({p},{s}) is wider than Spark's 38 digits: read as {number_type}"
    if formatted == "numeric":
        return number_type, f"unconstrained numeric read as {number_type}; values that do not fit fail the table"
    return "string", f"{formatted}, as PostgreSQL text"


class PostgresDialect(Dialect):
    name = "postgres"
    reuse_readers = True  # ADBC readers run in autocommit: a finished COPY leaves nothing open
    driver_modules = ("adbc_driver_postgresql.dbapi",)
    default_port = 5432
    jdbc_driver = "org.postgresql.Driver"
    supports_physical = True

    @classmethod
    def required_keys(cls, source: SourceConfig) -> list[str]:
        return ["host", "database", "user"]

    def _conninfo(self) -> dict[str, Any]:
        s = self.source
        info: dict[str, Any] = {
            "host": s.host, "port": s.port or self.default_port, "dbname": s.database, "user": s.user,
            "application_name": "data-extractor", "connect_timeout": 10,
        }
        if s.password is not None:
            info["password"] = s.password.get_secret_value()
        info.update(s.options)
        return info

    def connect(self) -> Any:
        import psycopg

        try:
            return psycopg.connect(autocommit=True, **self._conninfo())
        except psycopg.Error as exc:
            raise SourceError(explain_connect_error(self.describe(), exc, _HINTS)) from None

    def adbc_uri(self) -> str:
        """A libpq URI for ADBC; carries the password, so it is never logged."""
        from urllib.parse import quote

        info = self._conninfo()
        auth = quote(str(info["user"]), safe="")
        if "password" in info:
            auth += ":" + quote(str(info["password"]), safe="")
        extra = {k: v for k, v in info.items() if k not in ("host", "port", "dbname", "user", "password")}
        query = "&".join(f"{k}={quote(str(v), safe='')}" for k, v in extra.items())
        return f"postgresql://{auth}@{quote(str(info['host']), safe='')}:{info['port']}/" \
               f"{quote(str(info['dbname']), safe='')}?{query}"

    def describe(self) -> str:
        s = self.source
        return f"postgres://{s.user}@{s.host}:{s.port or self.default_port}/{s.database}"

    def jdbc_url(self) -> str | None:
        s = self.source
        return f"jdbc:postgresql://{s.host}:{s.port or self.default_port}/{s.database}"

    # The JDBC driver turns dates and timestamps into java.sql values in the JVM's zone (a wall clock that
    # zone skips moves, year 1 shifts): the jdbc reader takes their text instead, in UTC.
    jdbc_temporal_as_text = True

    def jdbc_properties(self) -> dict[str, str]:
        return {**super().jdbc_properties(), "sessionInitStatement": "SET TimeZone TO 'UTC'"}

    def timestamp_literal(self, value: dt.datetime) -> str:
        kind = "timestamptz" if value.tzinfo else "timestamp"
        return f"'{value.isoformat(sep=' ')}'::{kind}"

    # snapshots: an exported snapshot, as pg_dump -j does
    def open_snapshot(self, snapshot: Any) -> tuple[Any, str]:
        conn = self.connect()
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        token = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        return conn, token

    def use_snapshot(self, conn: Any, token: str | None) -> None:
        if not token:
            return
        if not re.fullmatch(r"[0-9A-Fa-f-]+", token):
            raise ValueError(f"not a PostgreSQL snapshot id: {token!r}")
        cur = conn.cursor()
        try:
            cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            cur.execute(f"SET TRANSACTION SNAPSHOT '{token}'")
        finally:
            cur.close()

    # catalog
    def doctor_checks(self, conn: Any, config: Any) -> list[Any]:
        return [driver_check()]

    def schemas(self, conn: Any) -> list[str]:
        return [r[0] for r in self.fetch_all(conn, SCHEMAS_SQL)]

    def default_schema(self, conn: Any) -> str | None:
        return self.fetch_one(conn, "SELECT current_schema()")[0]

    def tables(self, conn: Any, schema: str | None) -> list[TableInfo]:
        rows = self.fetch_all(conn, TABLES_SQL, (schema or self.default_schema(conn),))
        return [TableInfo(*r) for r in rows]

    def columns(self, conn: Any, table: TableRef) -> list[ColumnInfo]:
        out = []
        for name, formatted, nullable, pk, indexed, typtype, _cat in self.fetch_all(
            conn, COLUMNS_SQL, (table.schema, table.name)
        ):
            spark, note = spark_type_for(formatted, self.source.number_type)
            if typtype == "d" or typtype == "e":  # domains and enums: as text
                spark, note = "string", f"{formatted}, as PostgreSQL text"
            out.append(ColumnInfo(name, formatted, spark, nullable, pk, indexed, note))
        return out

    # statistics
    def sampled_table_sql(self, table: TableRef, fraction: float) -> str:
        if fraction >= 1.0 or table.query:
            return self.table_sql(table)
        return f"{self.table_sql(table)} TABLESAMPLE BERNOULLI ({fraction * 100:.6f}) REPEATABLE (42)"

    def statistics_distribution(self, conn: Any, table: TableRef, column: ColumnInfo) -> Distribution | None:
        rows = self.fetch_all(conn, STATS_SQL, (table.schema, table.name, column.name))
        if not rows or (rows[0][3] is None and rows[0][1] is None):
            return None
        null_frac, mcv_text, mcv_freqs, hist_text, analyzed = rows[0]
        cast = column.source_type
        mcvs = self._parse_array(conn, mcv_text, cast) if mcv_text else []
        hist = self._parse_array(conn, hist_text, cast) if hist_text else []
        freqs = list(mcv_freqs or [])
        nonnull = max(1.0 - float(null_frac), 1e-12)
        weights: dict[Any, float] = {}
        for v, f in zip(mcvs, freqs, strict=False):
            weights[v] = weights.get(v, 0.0) + f / nonnull
        rest = max(0.0, 1.0 - sum(weights.values()))
        if len(hist) >= 2:
            share = rest / (len(hist) - 1)
            for v in hist[1:]:
                weights[v] = weights.get(v, 0.0) + share
            weights.setdefault(hist[0], 0.0)
        points, acc = [], 0.0
        for v in sorted(weights):
            acc += weights[v]
            points.append((v, min(acc, 1.0)))
        note = f"statistics from ANALYZE at {analyzed}" if analyzed else "statistics from ANALYZE"
        return Distribution(points, float(null_frac), "statistics", note)

    def _parse_array(self, conn: Any, text: str, cast: str) -> list[Any]:
        # The array's text is cast back to the column's own type, so psycopg returns real values.
        rows = self.fetch_all(conn, f"SELECT unnest(%s::text::{cast}[])", (text,))
        return [r[0] for r in rows]

    def query_columns(self, conn: Any, query: str) -> list[ColumnInfo]:
        """Result columns typed by the server's own `format_type`, as the catalog's columns are."""
        cur = conn.execute(f"SELECT * FROM ({query}) dx_q WHERE 1 = 0")
        desc = list(cur.description or [])
        mods = [getattr(d, "_fmod", -1) for d in desc]
        names = [r[0] for r in self.fetch_all(
            conn, "SELECT format_type(x.o, NULLIF(x.m, -1)) FROM unnest(%s::oid[], %s::int[]) WITH ORDINALITY "
                  "AS x(o, m, i) ORDER BY x.i", ([d.type_code for d in desc], mods))]
        out = []
        for d, formatted in zip(desc, names, strict=True):
            spark, note = spark_type_for(formatted, self.source.number_type)
            out.append(ColumnInfo(d.name, formatted, spark, True, None, False, note))
        return out

    # profile
    def unconstrained_number(self, column: ColumnInfo) -> bool:
        return column.source_type == "numeric"

    def numeric_profile_sql(self, table: TableRef, column: str, fraction: float) -> str | None:
        q = self.quote(column)
        return (f"SELECT max(length(trunc(abs({q}))::text)) FILTER (WHERE trunc(abs({q})) <> 0), max(scale({q})), "
                f"count({q}) FROM {self.sampled_table_sql(table, fraction)} WHERE {q} IS NOT NULL "
                f"AND {q} <> 'NaN'::numeric")

    # partitions
    def hash_predicates(self, column: ColumnInfo, n: int) -> list[str]:
        q = self.quote(column.name)
        preds = [f"mod(hashtext({q}::text)::bigint + 2147483648, {n}) = {i}" for i in range(n)]
        preds[0] = f"{preds[0]} OR {q} IS NULL"
        return preds

    def physical_reads_once(self, conn: Any) -> bool:
        """TID range scans (PostgreSQL 14+) read only a ctid range's pages. Key ranges need not: for a few
        partitions of a big table the server's planner scans the whole table for each (measured on TPC-H
        lineitem: 6 balanced partitions 11.0 s, 6 ctid ranges 9.9 s)."""
        return int(self.fetch_one(conn, "SELECT current_setting('server_version_num')")[0]) >= 140000

    def physical_predicates(self, conn: Any, table: TableRef, n: int) -> list[str] | None:
        """Ranges of heap pages by ctid (TID range scans since PostgreSQL 14)."""
        pages = self.fetch_one(
            conn,
            "SELECT GREATEST(pg_relation_size(c.oid) / current_setting('block_size')::int, 1) "
            "FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace "
            "WHERE s.nspname = %s AND c.relname = %s AND c.relkind IN ('r', 'm')",
            (table.schema, table.name),
        )[0]
        n = max(1, min(n, int(pages)))
        if n == 1:
            return ["ctid IS NOT NULL"]
        step = -(-int(pages) // n)
        cuts = [step * i for i in range(1, n)]
        preds = [f"ctid < '({cuts[0]},0)'::tid"]
        preds += [f"ctid >= '({a},0)'::tid AND ctid < '({b},0)'::tid" for a, b in zip(cuts, cuts[1:], strict=False)]
        preds.append(f"ctid >= '({cuts[-1]},0)'::tid")
        return preds

    # reading
    def select_expression(self, column: ColumnInfo) -> str:
        q = self.quote(column.name)
        textual = any(column.source_type.startswith(t) for t in _TEXTUAL) and not column.source_type.endswith("]")
        if column.spark_type == "string" and not textual:
            return f"{q}::text AS {q}"
        return q

    def read_sql(
        self, table: TableRef, columns: Sequence[ColumnInfo], predicate: str | None, where: str | None,
        snapshot: str | None = None,
    ) -> str:
        """As `select_sql`, with numerics sent as their text: ADBC decodes binary numerics into strings
        slowly (measured: a third of a task's time on a numeric(12,2) column), while the server's own text
        is the same digits for a fraction of the cost; `read_arrow` then casts them to the exact decimal."""
        def expression(c: ColumnInfo) -> str:
            if c.spark_type.startswith("decimal") and c.source_type.startswith("numeric"):
                return f"{self.quote(c.name)}::text AS {self.quote(c.name)}"
            return self.select_expression(c)

        cols = ", ".join(expression(c) for c in columns)
        return f"SELECT {cols} FROM {self._filtered(table, where, predicate)}"

    def read_arrow(self, conn: Any, sql: str, schema: pa.Schema, fetch_size: int) -> Iterator[pa.RecordBatch]:
        """Arrow batches through ADBC (binary COPY under the hood), cast to `schema`."""
        from data_extractor.source.arrow_cast import cast_batch

        cur = conn.cursor()
        try:
            cur.execute(sql)
            yield from (_no_infinity(cast_batch(batch, schema)) for batch in session_kept(cur.fetch_record_batch()))
        finally:
            cur.close()

    def connect_reader(self) -> Any:
        """An ADBC connection for bulk reads."""
        import adbc_driver_postgresql.dbapi as adbc

        try:
            conn = adbc.connect(self.adbc_uri(), autocommit=True)
        except Exception as exc:  # noqa: BLE001 - driver errors vary; the text is explained below
            raise SourceError(explain_connect_error(self.describe(), exc, _HINTS)) from None
        _jit_off(conn)
        return conn


def _jit_off(conn: Any) -> None:
    """Turn off JIT compilation for a bulk-read session.

    A partition's query costs far above `jit_above_cost`, so the server compiles its expressions and tuple
    deforming with LLVM; for a scan streamed out by COPY that costs more than it saves (measured: 7-12% of the
    backend's CPU for half of TPC-H lineitem, 3 M rows). Set after connecting rather than as a startup
    `options`, which connection poolers such as PgBouncer refuse; servers before 11 have no `jit` to set.
    """
    cur = conn.cursor()
    try:
        cur.execute("SET jit = off")
    except Exception:  # noqa: BLE001 - no such setting (PostgreSQL < 11) or not allowed: read with the default
        pass
    finally:
        cur.close()
