"""Oracle through python-oracledb (thin mode): catalog, type mapping, splits and Arrow reads.

References are to /work/shared/ORACLE.md. Every read can carry a flashback clause (`as_of`, e.g.
"SCN 123") so that all partitions of a table see one consistent snapshot.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from data_extractor.errors import SourceError, UserError
from data_extractor.source.dialects.base import (
    ColumnInfo,
    ConnectionHint,
    Dialect,
    Distribution,
    TableInfo,
    TableRef,
    explain_connect_error,
)
from data_extractor.source.dialects.checks import Check
from data_extractor.source.dialects.oracle_rowid import _rowid_chunks
from data_extractor.source.dialects.oracle_rowid import (
    encode_rowid as encode_rowid,  # re-exported: part of the dialect's public helpers
)
from data_extractor.source.dialects.oracle_types import DEFAULT_NUMBER_TYPE as DEFAULT_NUMBER_TYPE
from data_extractor.source.dialects.oracle_types import (
    _source_type,
    base_type,
    conversion_template,
    spark_type_for,
    spark_type_for_fetch_info,
)

if TYPE_CHECKING:
    import pyarrow as pa

    from data_extractor.config.models import SourceConfig

BLOCK_SIZE = 8192  # assumed db_block_size for size estimates (the usual default)

# ------------------------------------------------------------------- catalog SQL (named binds only)
SCHEMAS_SQL = (
    "SELECT u.username FROM all_users u WHERE u.oracle_maintained = 'N'"
    " AND EXISTS (SELECT 1 FROM all_tables t WHERE t.owner = u.username) ORDER BY u.username"
)
# Hides recycle-bin, nested and IOT overflow/mapping tables.
TABLES_SQL = (
    "SELECT table_name, num_rows, blocks, avg_row_len FROM all_tables WHERE owner = :owner"
    " AND dropped = 'NO' AND nested = 'NO' AND (iot_type IS NULL OR iot_type = 'IOT') ORDER BY table_name"
)
COLUMNS_SQL = (
    "SELECT column_name, data_type, data_precision, data_scale, nullable FROM all_tab_cols"
    " WHERE owner = :owner AND table_name = :tab AND hidden_column = 'NO' ORDER BY column_id"
)
PRIMARY_KEY_SQL = (
    "SELECT cc.column_name, cc.position FROM all_constraints c JOIN all_cons_columns cc"
    " ON cc.owner = c.owner AND cc.constraint_name = c.constraint_name AND cc.table_name = c.table_name"
    " WHERE c.owner = :owner AND c.table_name = :tab AND c.constraint_type = 'P' ORDER BY cc.position"
)
INDEXED_SQL = (
    "SELECT DISTINCT column_name FROM all_ind_columns"
    " WHERE table_owner = :owner AND table_name = :tab AND column_position = 1"
)
DEFAULT_SCHEMA_SQL = "SELECT SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA') FROM dual"
CURRENT_SCN_SQL = "SELECT DBMS_FLASHBACK.GET_SYSTEM_CHANGE_NUMBER FROM dual"
COLUMN_STATS_SQL = (
    "SELECT s.histogram, s.num_nulls, t.num_rows FROM all_tab_col_statistics s JOIN all_tables t"
    " ON t.owner = s.owner AND t.table_name = s.table_name"
    " WHERE s.owner = :owner AND s.table_name = :tab AND s.column_name = :col"
)
HISTOGRAM_SQL = (
    "SELECT endpoint_number, endpoint_value FROM all_tab_histograms"
    " WHERE owner = :owner AND table_name = :tab AND column_name = :col ORDER BY endpoint_number"
)
# One row per extent of every table (sub)partition segment; needs DBA views (ORACLE.md §2).
EXTENTS_SQL = (
    "SELECT o.data_object_id, e.relative_fno, e.block_id, e.blocks, ts.bigfile FROM all_objects o"
    " JOIN dba_extents e ON e.owner = o.owner AND e.segment_name = o.object_name"
    " AND e.segment_type = o.object_type"
    " AND (e.partition_name = o.subobject_name OR (e.partition_name IS NULL AND o.subobject_name IS NULL))"
    " JOIN dba_tablespaces ts ON ts.tablespace_name = e.tablespace_name"
    " WHERE o.owner = :owner AND o.object_name = :tab AND o.data_object_id IS NOT NULL"
    " AND o.object_type IN ('TABLE', 'TABLE PARTITION', 'TABLE SUBPARTITION')"
    " ORDER BY o.data_object_id, e.relative_fno, e.block_id"
)

def _julian_to_datetime(value: float) -> dt.datetime:
    """A DATE histogram endpoint (Julian day + fraction) as a datetime (ORACLE.md §1)."""
    day = math.floor(value)
    seconds = round((value - day) * 86400)
    return dt.datetime.fromordinal(day - 1_721_425) + dt.timedelta(seconds=seconds)


class OracleDialect(Dialect):
    name = "oracle"
    ping_sql = "SELECT 1 FROM DUAL"
    driver_modules = ("oracledb",)
    default_port = 1521
    jdbc_driver = "oracle.jdbc.OracleDriver"
    supports_physical = True

    # ------------------------------------------------------------- connection
    @classmethod
    def required_keys(cls, source: SourceConfig) -> list[str]:
        keys = ["user", "password"]
        if not source.dsn:
            keys += ["host", "sid" if source.sid else "service_name"]
        return keys

    @property
    def _port(self) -> int:
        return self.source.port or self.default_port

    def _dsn(self) -> str:
        src = self.source
        if src.dsn:
            return src.dsn
        if src.sid:  # Easy Connect cannot name a SID
            import oracledb

            return oracledb.makedsn(src.host, self._port, sid=src.sid)
        return f"{src.host}:{self._port}/{src.service_name}"

    def _public_dsn(self) -> str:
        # A dsn may be written "user/password@host/service": drop the credentials.
        return re.sub(r"^[^@/]*/[^@]*@", "", self.source.dsn or "")

    def describe(self) -> str:
        src = self.source
        if src.dsn:
            return f"oracle://{src.user}@{self._public_dsn()}"
        if src.sid:
            return f"oracle://{src.user}@{src.host}:{self._port} (SID {src.sid})"
        return f"oracle://{src.user}@{src.host}:{self._port}/{src.service_name}"

    def jdbc_url(self) -> str:
        src = self.source
        if src.dsn:
            return "jdbc:oracle:thin:@" + self._public_dsn()
        if src.sid:
            return f"jdbc:oracle:thin:@{src.host}:{self._port}:{src.sid}"
        return f"jdbc:oracle:thin:@//{src.host}:{self._port}/{src.service_name}"

    _HINTS = (
        ConnectionHint("ORA-01017", "user name or password refused: check source.user and the password"),
        ConnectionHint("ORA-12514", "the listener does not know this service: check source.service_name"),
        ConnectionHint("ORA-12505", "the listener does not know this SID: check source.sid"),
        ConnectionHint("DPY-4027", "the dsn was read as a TNS alias (a JDBC-style host:port:SID is not"
                                   " a dsn): set source.host, source.port and source.sid instead"),
        ConnectionHint("ORA-12541", "no listener answered: check source.host and source.port"),
        ConnectionHint("refused", "no listener answered: check source.host and source.port"),
        ConnectionHint("DPY-6005", "the listener could not be reached: check source.host and source.port"),
    )

    def connect(self) -> Any:
        import oracledb

        secret = self.source.password.get_secret_value() if self.source.password else ""
        try:
            return oracledb.connect(
                user=self.source.user, password=secret, dsn=self._dsn(), **self.source.options
            )
        except (oracledb.Error, TypeError) as exc:
            message = explain_connect_error(self.describe(), exc, self._HINTS)
            raise SourceError(message.replace(secret, "***") if secret else message) from None

    # ---------------------------------------------------------- identifiers
    def timestamp_literal(self, value: dt.datetime) -> str:
        zone = ""
        if value.tzinfo is not None:  # an instant: written in UTC with its offset
            value, zone = value.astimezone(dt.timezone.utc).replace(tzinfo=None), " +00:00"
        return f"TIMESTAMP '{value.isoformat(sep=' ', timespec='microseconds')}{zone}'"

    # --------------------------------------------------------------- catalog
    def schemas(self, conn: Any) -> list[str]:
        return [r[0] for r in self.fetch_all(conn, SCHEMAS_SQL, {})]

    def default_schema(self, conn: Any) -> str | None:
        return self.fetch_one(conn, DEFAULT_SCHEMA_SQL)[0]

    def _owner(self, conn: Any, schema: str | None) -> str:
        return schema or self.default_schema(conn) or ""

    def tables(self, conn: Any, schema: str | None) -> list[TableInfo]:
        owner = self._owner(conn, schema)
        out = []
        for name, num_rows, blocks, avg_row_len in self.fetch_all(conn, TABLES_SQL, {"owner": owner}):
            size = None
            if blocks is not None:
                size = int(blocks) * BLOCK_SIZE
            elif num_rows is not None and avg_row_len is not None:
                size = int(num_rows) * int(avg_row_len)
            out.append(TableInfo(owner, name, None if num_rows is None else int(num_rows), size))
        return out

    def columns(self, conn: Any, table: TableRef) -> list[ColumnInfo]:
        binds = {"owner": self._owner(conn, table.schema), "tab": table.name}
        pk = {name: int(pos) for name, pos in self.fetch_all(conn, PRIMARY_KEY_SQL, binds)}
        indexed = {r[0] for r in self.fetch_all(conn, INDEXED_SQL, binds)}
        out = []
        for name, data_type, precision, scale, nullable in self.fetch_all(conn, COLUMNS_SQL, binds):
            spark, note = spark_type_for(data_type, precision, scale, self.source.number_type)
            out.append(ColumnInfo(name, _source_type(data_type, precision, scale), spark, nullable != "N",
                                  pk.get(name), name in indexed, note))
        return out

    def current_scn_sql(self) -> str:
        """The SCN to pass as `as_of=as_of_scn(scn)` to every read of one extract (needs EXECUTE on
        DBMS_FLASHBACK). Capture it before planning physical splits."""
        return CURRENT_SCN_SQL

    @staticmethod
    def as_of_scn(scn: int) -> str:
        return f"SCN {int(scn)}"

    # ------------------------------------------------------------ statistics
    def _as_of(self, as_of: str | None) -> str:
        if not as_of:
            return ""
        if not re.match(r"\s*(SCN|TIMESTAMP)\s+\S", as_of, re.I):
            raise ValueError(f"as_of must start with SCN or TIMESTAMP, got {as_of!r}")
        return f" AS OF {as_of.strip()}"

    def _filtered(
        self, table: TableRef, where: str | None, extra: str | None = None, as_of: str | None = None
    ) -> str:
        conds = [f"({c})" for c in (where, extra) if c]
        if as_of and table.query:
            raise UserError(f"a flashback snapshot cannot wrap the custom query {table.name}: "
                            "write AS OF inside the query, or remove snapshot from the config")
        return self.table_sql(table) + self._as_of(as_of) + (" WHERE " + " AND ".join(conds) if conds else "")

    def count_sql(
        self, table: TableRef, where: str | None = None, predicate: str | None = None,
        snapshot: str | None = None, *, as_of: str | None = None,
    ) -> str:
        return f"SELECT COUNT(*) FROM {self._filtered(table, where, predicate, as_of or snapshot)}"

    def doctor_checks(self, conn: Any, config: Any) -> list[Any]:
        """Privileges for the features the config uses: flashback (an SCN) and ROWID splits (extents)."""
        wanted = []
        if config.snapshot.consistent:
            wanted.append(("flashback SCN", self.current_scn_sql(),
                           "GRANT EXECUTE ON DBMS_FLASHBACK (and FLASHBACK on the tables) to source.user"))
        physical = config.defaults.partitioning.strategy == "physical" or any(
            t.partitioning and t.partitioning.strategy == "physical" for t in config.tables)
        if physical:
            wanted.append(("DBA_EXTENTS", "SELECT COUNT(*) FROM dba_extents WHERE ROWNUM = 1",
                           "GRANT SELECT_CATALOG_ROLE (or SELECT on SYS.DBA_EXTENTS); without it splits fall "
                           "back to ORA_HASH(ROWID)"))
        if config.snapshot.enabled:
            wanted.append(("V$DATABASE", "SELECT current_scn FROM v$database",
                           "GRANT SELECT ON SYS.V_$DATABASE to source.user"))
        out = []
        for name, sql, fix in wanted:
            try:
                self.fetch_one(conn, sql)
                out.append(Check(name, True, "readable"))
            except Exception as exc:  # noqa: BLE001 - the ORA- code is the useful part
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                out.append(Check(name, False, first, fix))
        return out

    def described_type(self, item: Any) -> tuple[str, str, str | None]:
        spark, note = spark_type_for_fetch_info(item, self.source.number_type)
        return str(getattr(item.type_code, "name", item.type_code)), spark, note

    def unconstrained_number(self, column: ColumnInfo) -> bool:
        return column.source_type == "NUMBER"

    def numeric_profile_sql(self, table: TableRef, column: str, fraction: float) -> str | None:
        # Integer digits from the magnitude; scale from the digits after the point in TO_CHAR's text form.
        q = self.quote(column)
        frac = f"ABS({q}) - TRUNC(ABS({q}))"
        return (f"SELECT MAX(CASE WHEN TRUNC(ABS({q})) <> 0 THEN LENGTH(TO_CHAR(TRUNC(ABS({q})))) END), "
                f"MAX(CASE WHEN {frac} <> 0 THEN LENGTH(TO_CHAR({frac})) - 1 ELSE 0 END), COUNT({q}) "
                f"FROM {self.sampled_table_sql(table, fraction)} WHERE {q} IS NOT NULL")

    # Flashback: the run's snapshot token is the AS OF clause itself ("SCN 123" or "TIMESTAMP ...").
    snapshot_outlives_session = True  # usable by any later session while undo retains it
    def open_snapshot(self, snapshot: Any) -> tuple[Any, str]:
        if snapshot.scn is not None:
            return None, self.as_of_scn(snapshot.scn)
        if snapshot.timestamp:
            ts = dt.datetime.fromisoformat(snapshot.timestamp.replace("Z", "+00:00").replace("T", " "))
            return None, f"TIMESTAMP {self.timestamp_literal(ts.replace(tzinfo=None))}"
        conn = self.connect()
        try:
            scn = self.fetch_one(conn, self.current_scn_sql())[0]
        finally:
            conn.close()
        return None, self.as_of_scn(int(scn))

    def bounds_sql(
        self, table: TableRef, column: str, where: str | None = None, *, as_of: str | None = None
    ) -> str:
        q = self.quote(column)
        source = self._filtered(table, where, None, as_of)
        return f"SELECT MIN({q}), MAX({q}), COUNT(*), COUNT({q}) FROM {source}"

    def sampled_table_sql(self, table: TableRef, fraction: float) -> str:
        if fraction >= 1.0 or table.query:
            return self.table_sql(table)
        pct = min(max(fraction * 100, 0.000001), 99.999999)  # Oracle wants [0.000001, 100)
        return f"{self.table_sql(table)} SAMPLE BLOCK ({pct:.6f}) SEED (42)"

    def sample_sql(
        self, table: TableRef, column: str, buckets: int, where: str | None, fraction: float,
        *, as_of: str | None = None,
    ) -> str:
        q = self.quote(column)
        source = self.sampled_table_sql(table, fraction) + self._as_of(as_of)  # SAMPLE comes before AS OF
        conds = " AND ".join(f"({c})" for c in (f"{q} IS NOT NULL", where) if c)
        return (
            f"SELECT b, MIN(v), MAX(v), COUNT(*) FROM (SELECT {q} AS v, NTILE({int(buckets)})"
            f" OVER (ORDER BY {q}) AS b FROM {source} WHERE {conds}) s GROUP BY b ORDER BY b"
        )

    def statistics_distribution(self, conn: Any, table: TableRef, column: ColumnInfo) -> Distribution | None:
        """A CDF from the column's histogram (NUMBER, FLOAT and DATE only), or None without one."""
        kind = base_type(column.source_type)
        if kind not in ("NUMBER", "FLOAT", "DATE"):
            return None
        binds = {"owner": self._owner(conn, table.schema), "tab": table.name, "col": column.name}
        stats = self.fetch_all(conn, COLUMN_STATS_SQL, binds)
        if not stats or stats[0][0] in (None, "NONE"):
            return None  # without a histogram the view holds only min and max
        histogram, num_nulls, num_rows = stats[0]
        rows = [r for r in self.fetch_all(conn, HISTOGRAM_SQL, binds) if None not in r]
        top = max((en for en, _ in rows), default=0)
        if len(rows) < 2 or not top:
            return None
        try:  # endpoint numbers are cumulative counts or bucket numbers: both give EN/max as a CDF
            points = [(_julian_to_datetime(ev) if kind == "DATE" else ev, en / top) for en, ev in rows]
        except (ValueError, OverflowError):
            return None
        nulls = min(num_nulls / num_rows, 1.0) if num_nulls and num_rows else 0.0
        return Distribution(points, nulls, "statistics", f"{histogram} histogram")

    # ------------------------------------------------------------ partitions
    def hash_predicates(self, column: ColumnInfo, n: int) -> list[str]:
        q = self.quote(column.name)
        return [f"ORA_HASH({q}, {n - 1}) = {i}" + (f" OR {q} IS NULL" if i == 0 else "") for i in range(n)]

    def physical_predicates(self, conn: Any, table: TableRef, n: int) -> list[str] | None:
        """ROWID ranges from DBA_EXTENTS balanced by blocks, or ORA_HASH(ROWID) buckets when those
        views cannot be read or the table has no segment (e.g. never loaded, or index-organized).

        Ranges cover the extents that exist now: take the snapshot SCN before calling this.
        """
        import oracledb

        fallback = [f"ORA_HASH(ROWID, {n - 1}) = {i}" for i in range(n)]
        try:
            binds = {"owner": self._owner(conn, table.schema), "tab": table.name}
            extents = self.fetch_all(conn, EXTENTS_SQL, binds)
        except oracledb.DatabaseError:  # no access to DBA_EXTENTS / DBA_TABLESPACES
            return fallback
        return _rowid_chunks(extents, n) or fallback

    # --------------------------------------------------------------- reading
    def select_expression(self, column: ColumnInfo) -> str:
        q = self.quote(column.name)
        template = conversion_template(column.source_type)
        return f"{template.format(q)} AS {q}" if template else q

    def select_sql(
        self, table: TableRef, columns: Sequence[ColumnInfo], predicate: str | None, where: str | None,
        snapshot: str | None = None, *, as_of: str | None = None,
    ) -> str:
        cols = ", ".join(self.select_expression(c) for c in columns)
        return f"SELECT {cols} FROM {self._filtered(table, where, predicate, as_of or snapshot)}"

    def read_arrow(self, conn: Any, sql: str, schema: pa.Schema, fetch_size: int) -> Iterator[pa.RecordBatch]:
        import oracledb
        import pyarrow as pa

        # Ask the driver for zone-less timestamps (SYS_EXTRACT_UTC gives UTC), then cast to `schema`.
        untz = [pa.timestamp(f.type.unit) if pa.types.is_timestamp(f.type) else f.type for f in schema]
        requested = pa.schema([pa.field(f.name, t) for f, t in zip(schema, untz, strict=True)])
        try:
            for frame in conn.fetch_df_batches(statement=sql, size=fetch_size, requested_schema=requested):
                batch = pa.table(frame)
                if batch.num_rows:
                    yield from batch.rename_columns(schema.names).cast(schema).to_batches()
        except oracledb.Error as exc:
            if "DPY-4042" not in str(exc):
                raise
            raise ValueError(
                f"a NUMBER value does not fit its decimal type ({str(exc).splitlines()[0]}): set"
                " source.number_type to a wider decimal, or declare the column's precision (NUMBER(p,s))"
            ) from None
