"""The dialect contract: everything the engine needs to know about one database.

A dialect owns all SQL text for its database: identifier quoting, literals, catalog queries,
statistics, partition predicates and the SELECT each partition runs. The engine's shared code
(catalog, planning, readers) calls only these methods.
"""

from __future__ import annotations

import datetime as dt
import decimal
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from data_extractor.errors import UserError
from data_extractor.source.dialects.checks import Check
from data_extractor.source.typemap import rows_to_batches

if TYPE_CHECKING:
    import pyarrow as pa

    from data_extractor.config.models import SnapshotConfig, SourceConfig


@dataclass(frozen=True)
class TableRef:
    """A table as the catalog spells it (exact case)."""

    schema: str | None
    name: str
    query: str | None = None  # a custom SELECT read as a subquery; `name` is then its output name

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name


@dataclass(frozen=True)
class TableInfo:
    schema: str | None
    name: str
    rows: int | None = None  # estimated, from statistics
    bytes: int | None = None  # estimated size on disk
    kind: str = "table"

    @property
    def ref(self) -> TableRef:
        return TableRef(self.schema, self.name)


@dataclass(frozen=True)
class ColumnInfo:
    """One column: the database's own type, and the Spark type it lands as."""

    name: str
    source_type: str
    spark_type: str  # Spark DDL: bigint, decimal(12,2), string, timestamp, timestamp_ntz, ...
    nullable: bool = True
    primary_key: int | None = None  # 1-based position in the primary key
    indexed: bool = False  # leads some index
    note: str | None = None  # how the value is converted, when it is not taken as-is

    @property
    def orderable(self) -> bool:
        """Can hold range and balanced splits (numbers, dates, timestamps, strings)."""
        t = self.spark_type
        return t in _ORDERABLE or t.startswith("decimal")

    @property
    def numeric_or_temporal(self) -> bool:
        return self.orderable and self.spark_type not in ("string",)


_ORDERABLE = {"tinyint", "smallint", "int", "bigint", "float", "double", "date", "timestamp", "timestamp_ntz",
              "string"}


@dataclass
class Distribution:
    """An empirical CDF of a column's non-NULL values: sorted (value, fraction of rows <= value)."""

    points: list[tuple[Any, float]]
    null_fraction: float = 0.0
    source: str = "sample"  # statistics | sample | exact
    note: str | None = None


Literal = int | float | decimal.Decimal | str | dt.date | dt.datetime | None


class Dialect(ABC):
    """Base class of every dialect. Subclasses are registered by entry point (see `dialects/__init__`)."""

    name: ClassVar[str]
    default_port: ClassVar[int | None] = None
    jdbc_driver: ClassVar[str | None] = None
    has_python_driver: ClassVar[bool] = True
    driver_modules: ClassVar[tuple[str, ...]] = ()  # what a reading task imports (preloaded in Spark's workers)
    supports_physical: ClassVar[bool] = False
    sample_buckets: ClassVar[int] = 100
    count_function: ClassVar[str] = "COUNT"  # SQL Server: COUNT_BIG (COUNT is an INT there)

    def __init__(self, source: SourceConfig) -> None:
        self.source = source

    @property
    def port(self) -> int | None:
        return self.source.port or self.default_port

    # ------------------------------------------------------------- connection
    @classmethod
    def required_keys(cls, source: SourceConfig) -> list[str]:
        """Config keys under `source` this dialect cannot do without."""
        return []

    @abstractmethod
    def connect(self) -> Any:
        """A DB-API connection; failures raise SourceError with one clear sentence, no secrets."""

    @abstractmethod
    def describe(self) -> str:
        """Where the source is, for humans and logs, without the password."""

    ping_sql: ClassVar[str] = "SELECT 1"  # the cheapest query that proves a connection still answers
    # Whether a reader connection whose read ended may serve the next read in the same process: only where a
    # finished read leaves no transaction open (one would hold locks, e.g. MySQL's metadata locks, against DDL).
    reuse_readers: ClassVar[bool] = False

    def connect_reader(self) -> Any:
        """The connection a partition reads through (`read_arrow`); by default the DB-API one."""
        return self.connect()

    def jdbc_url(self) -> str | None:
        return None

    def jdbc_properties(self) -> dict[str, str]:
        props: dict[str, str] = {}
        if self.source.user:
            props["user"] = self.source.user
        if self.source.password:
            props["password"] = self.source.password.get_secret_value()
        if self.jdbc_driver:
            props["driver"] = self.jdbc_driver
        return props

    # ---------------------------------------------------------- identifiers
    def quote(self, ident: str) -> str:
        return '"' + ident.replace('"', '""') + '"'

    def table_sql(self, table: TableRef) -> str:
        if table.query:
            return f"({table.query}) dx_q"
        if table.schema:
            return f"{self.quote(table.schema)}.{self.quote(table.name)}"
        return self.quote(table.name)

    def literal(self, value: Literal) -> str:
        """A SQL literal for a partition bound (values come from the database, never from the user)."""
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return "1" if value else "0"
        if isinstance(value, int | decimal.Decimal):
            return str(value)
        if isinstance(value, float):
            return repr(value)
        if isinstance(value, dt.datetime):
            return self.timestamp_literal(value)
        if isinstance(value, dt.date):
            return self.date_literal(value)
        return "'" + str(value).replace("'", "''") + "'"

    def date_literal(self, value: dt.date) -> str:
        return f"DATE '{value.isoformat()}'"

    def timestamp_literal(self, value: dt.datetime) -> str:
        return f"TIMESTAMP '{value.isoformat(sep=' ')}'"

    # --------------------------------------------------------------- catalog
    @abstractmethod
    def schemas(self, conn: Any) -> list[str]: ...

    @abstractmethod
    def tables(self, conn: Any, schema: str | None) -> list[TableInfo]: ...

    @abstractmethod
    def columns(self, conn: Any, table: TableRef) -> list[ColumnInfo]: ...

    def default_schema(self, conn: Any) -> str | None:
        """The schema an unqualified table name resolves to."""
        return None

    def table_info(self, conn: Any, table: TableRef) -> TableInfo:
        """One table's estimates."""
        for info in self.tables(conn, table.schema):
            if info.name == table.name:
                return info
        return TableInfo(table.schema, table.name)

    def table_names(self, conn: Any, schema: str | None) -> list[str]:
        """Just the names of a schema's tables (resolving a name needs no estimates)."""
        return [t.name for t in self.tables(conn, schema)]

    # ------------------------------------------------------------ statistics
    def _filtered(self, table: TableRef, where: str | None, extra: str | None = None) -> str:
        conds = [f"({c})" for c in (where, extra) if c]
        return self.table_sql(table) + (" WHERE " + " AND ".join(conds) if conds else "")

    # -------------------------------------------------------------- snapshots
    snapshot_note: ClassVar[str] = "this database cannot share one snapshot across connections"
    snapshot_outlives_session: ClassVar[bool] = False  # a token usable by later sessions (Oracle SCN): resume at it

    def open_snapshot(self, snapshot: SnapshotConfig) -> tuple[Any, str]:
        """Take one point in time for a whole run: (a handle to keep open until the run ends, a token)."""
        raise UserError(f"snapshot is not available for {self.name}: {self.snapshot_note}; "
                        "remove snapshot.consistent from the config")

    def use_snapshot(self, conn: Any, token: str | None) -> None:
        """Make a reader connection see the run's snapshot (before its first query)."""
        return None

    def close_snapshot(self, handle: Any) -> None:
        if handle is not None:
            try:
                handle.close()
            except Exception:  # noqa: BLE001 - closing is best effort
                pass

    def count_sql(self, table: TableRef, where: str | None = None, predicate: str | None = None,
                  snapshot: str | None = None) -> str:
        return f"SELECT {self.count_function}(*) FROM {self._filtered(table, where, predicate)}"

    def bounds_sql(self, table: TableRef, column: str, where: str | None = None) -> str:
        q = self.quote(column)
        count = self.count_function
        return f"SELECT MIN({q}), MAX({q}), {count}(*), {count}({q}) FROM {self._filtered(table, where)}"

    def sample_sql(self, table: TableRef, column: str, buckets: int, where: str | None, fraction: float) -> str:
        """Bucket boundaries of a column by NTILE over a (sampled) scan: rows of (bucket, min, max, n)."""
        q = self.quote(column)
        source = self.sampled_table_sql(table, fraction)
        conds = " AND ".join(f"({c})" for c in (f"{q} IS NOT NULL", where) if c)
        return (
            f"SELECT b, MIN(v), MAX(v), {self.count_function}(*) FROM (SELECT {q} AS v, NTILE({int(buckets)}) "
            f"OVER (ORDER BY {q}) AS b"
            f" FROM {source} WHERE {conds}) s GROUP BY b ORDER BY b"
        )

    def sampled_table_sql(self, table: TableRef, fraction: float) -> str:
        """The table, sampled to about `fraction` of its rows (1.0 = every row)."""
        return self.table_sql(table)

    # ----------------------------------------------------------- custom SQL
    def query_columns(self, conn: Any, query: str) -> list[ColumnInfo]:
        """The columns of a custom query's result, typed from the driver's result description."""
        cur = conn.cursor()
        try:
            cur.execute(f"SELECT * FROM ({query}) dx_q WHERE 1 = 0")
            description = list(cur.description or [])
            cur.fetchall()
        finally:
            cur.close()
        out = []
        for item in description:
            source, spark, note = self.described_type(item)
            out.append(ColumnInfo(item[0], source, spark, True, None, False, note))
        return out

    def described_type(self, item: Any) -> tuple[str, str, str | None]:
        """(source type, Spark type, note) for one `cursor.description` entry."""
        return "unknown", "string", "type not reported by the driver: read as text"

    def fetch_one(self, conn: Any, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> tuple:
        cur = conn.cursor()
        try:
            cur.execute(sql, params) if params is not None else cur.execute(sql)
            return tuple(cur.fetchone())
        finally:
            cur.close()

    def fetch_all(self, conn: Any, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> list[tuple]:
        cur = conn.cursor()
        try:
            cur.execute(sql, params) if params is not None else cur.execute(sql)
            return [tuple(r) for r in cur.fetchall()]
        finally:
            cur.close()

    def statistics_distribution(self, conn: Any, table: TableRef, column: ColumnInfo) -> Distribution | None:
        """A distribution from the optimizer's statistics, or None when there are none."""
        return None

    def sample_distribution(
        self, conn: Any, table: TableRef, column: ColumnInfo, where: str | None, est_rows: int | None
    ) -> Distribution:
        """A distribution from an NTILE over a sample of the table (exact for small tables)."""
        fraction = 1.0
        if est_rows and est_rows > 2_000_000:
            fraction = max(2_000_000 / est_rows, 0.0001)
        rows = self.fetch_all(conn, self.sample_sql(table, column.name, self.sample_buckets, where, fraction))
        total = sum(r[3] for r in rows) or 1
        points: list[tuple[Any, float]] = []
        seen = 0
        for _b, lo, hi, n in rows:
            if not points:
                points.append((lo, 0.0))
            seen += n
            points.append((hi, seen / total))
        lo_hi = self.fetch_one(conn, self.bounds_sql(table, column.name, where))
        nulls = (lo_hi[2] - lo_hi[3]) / lo_hi[2] if lo_hi[2] else 0.0
        how = "an exact NTILE scan" if fraction >= 1.0 else f"an NTILE over a {fraction:.2%} sample"
        return Distribution(points, nulls, "exact" if fraction >= 1.0 else "sample", how)

    def doctor_checks(self, conn: Any, config: Any) -> list[Check]:
        """Extra health checks for `data-extractor doctor` (privileges the configured features need)."""
        return []

    # --------------------------------------------------------------- profile
    def unconstrained_number(self, column: ColumnInfo) -> bool:
        """A number column declared without precision (its values decide what decimal holds them)."""
        return False

    def numeric_profile_sql(self, table: TableRef, column: str, fraction: float) -> str | None:
        """SQL returning (largest count of integer digits, largest scale, rows looked at), or None."""
        return None

    # ------------------------------------------------------------ partitions
    def range_predicates(self, column: str, cuts: Sequence[Literal]) -> list[str]:
        """Half-open ranges over sorted cut points; NULLs go to the first range. Covers every row once."""
        q = self.quote(column)
        if not cuts:
            return [None]  # type: ignore[list-item]
        lits = [self.literal(c) for c in cuts]
        preds = [f"{q} < {lits[0]} OR {q} IS NULL"]
        preds += [f"{q} >= {a} AND {q} < {b}" for a, b in zip(lits, lits[1:], strict=False)]
        preds.append(f"{q} >= {lits[-1]}")
        return preds

    @abstractmethod
    def hash_predicates(self, column: ColumnInfo, n: int) -> list[str]:
        """`n` predicates by a hash of the column; NULLs in the first. Covers every row once."""

    def physical_predicates(self, conn: Any, table: TableRef, n: int) -> list[str] | None:
        """`n` (or so) predicates over physical row addresses (ROWID, ctid), or None if unsupported."""
        return None

    def physical_reads_once(self, conn: Any) -> bool:
        """Whether each physical predicate reads only its own pages (so a split costs one scan in all).

        `auto` then prefers it over key ranges when the run reads one snapshot, which makes it exact.
        """
        return False

    # --------------------------------------------------------------- reading
    def select_expression(self, column: ColumnInfo) -> str:
        """How a column is selected so that it arrives exactly as its Spark type says."""
        return self.quote(column.name)

    def select_sql(
        self, table: TableRef, columns: Sequence[ColumnInfo], predicate: str | None, where: str | None,
        snapshot: str | None = None,
    ) -> str:
        cols = ", ".join(self.select_expression(c) for c in columns)
        return f"SELECT {cols} FROM {self._filtered(table, where, predicate)}"

    def read_sql(
        self, table: TableRef, columns: Sequence[ColumnInfo], predicate: str | None, where: str | None,
        snapshot: str | None = None,
    ) -> str:
        """The query a task of the Python reader runs (`read_arrow`); the same as `select_sql` unless the
        dialect's own driver wants other forms of some columns."""
        return self.select_sql(table, columns, predicate, where, snapshot=snapshot)

    def read_arrow(
        self, conn: Any, sql: str, schema: pa.Schema, fetch_size: int
    ) -> Iterator[pa.RecordBatch]:
        """Run `sql` and yield Arrow record batches matching `schema` exactly."""
        cur = conn.cursor()
        try:
            cur.arraysize = fetch_size
            cur.execute(sql)
            while True:
                rows = cur.fetchmany(fetch_size)
                if not rows:
                    break
                yield from rows_to_batches(rows, schema)
        finally:
            cur.close()


@dataclass
class ConnectionHint:
    """Turns a driver's failure message into one sentence with a fix (see `explain_connect_error`)."""

    needle: str
    sentence: str


def explain_connect_error(target: str, exc: BaseException, hints: Sequence[ConnectionHint]) -> str:
    text = str(exc)
    for hint in hints:
        if hint.needle.lower() in text.lower():
            return f"cannot connect to {target}: {hint.sentence}"
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return f"cannot connect to {target}: {first}"
