"""SQLServerDialect without a server: generated SQL must parse as T-SQL, catalog rows map as documented."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import pyarrow as pa
import pymssql
import pytest
import sqlglot
from pydantic import ValidationError

from data_extractor.config.models import SourceConfig
from data_extractor.errors import SourceError, UserError
from data_extractor.source.dialects import get_dialect
from data_extractor.source.dialects.base import ColumnInfo, TableRef
from data_extractor.source.dialects.sqlserver import (
    COLUMNS_SQL,
    DEFAULT_SCHEMA_SQL,
    QUERY_COLUMNS_SQL,
    SCHEMAS_SQL,
    SNAPSHOT_NOTE,
    TABLES_FALLBACK_SQL,
    TABLES_SQL,
    SQLServerDialect,
    render_type,
    select_template,
    spark_type_for,
)
from data_extractor.source.typemap import arrow_schema

PASSWORD = "Ms-s3cret-Pa55"
T = TableRef("sales", "Orders")


def source(**kw: Any) -> SourceConfig:
    base = dict(type="sqlserver", host="db", port=1433, database="shop", user="u", password=PASSWORD)
    return SourceConfig(**{**base, **kw})


@pytest.fixture
def d() -> SQLServerDialect:
    dialect = get_dialect(source())
    assert isinstance(dialect, SQLServerDialect)
    return dialect


def parses(sql: str, params: dict[str, Any] | None = None) -> None:
    """Parse as T-SQL (raises on a syntax error), with pymssql's %(name)s parameters filled in as N'...'."""
    if params is not None:
        sql = sql % {k: "N'" + str(v).replace("'", "''") + "'" for k, v in params.items()}
    sqlglot.parse_one(sql, read="tsql")


def col(name: str, source_type: str, spark: str | None = None) -> ColumnInfo:
    return ColumnInfo(name, source_type, spark or spark_type_for(source_type)[0])


class FakeCursor:
    def __init__(self, conn: FakeConnection) -> None:
        self.conn = conn
        self.rows: list[tuple] = []

    def execute(self, sql: str, params: Any = None) -> None:
        self.conn.executed.append((sql, params))
        for needle, result in self.conn.answers.items():
            if needle in sql:
                if isinstance(result, Exception):
                    raise result
                self.rows = list(result)
                return
        self.rows = []

    def fetchone(self) -> tuple | None:
        return self.rows[0] if self.rows else None

    def fetchall(self) -> list[tuple]:
        return self.rows

    def fetchmany(self, size: int) -> list[tuple]:
        out, self.rows = self.rows[:size], self.rows[size:]
        return out

    def close(self) -> None:
        self.conn.closed_cursors += 1


class FakeConnection:
    """Answers each statement with the canned rows of the first needle it contains."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = {"SCHEMA_NAME()": [("dbo",)], **answers}
        self.executed: list[tuple[str, Any]] = []
        self.closed_cursors = 0

    def cursor(self) -> FakeCursor:
        return FakeCursor(self)


def assert_all_parse(conn: FakeConnection) -> None:
    for sql, params in conn.executed:
        parses(sql, params)
        for value in (params or {}).values():
            assert f"'{value}'" not in sql  # values travel as parameters, never pasted


# ------------------------------------------------------------------------------ connection
def test_mssql_is_an_alias_of_sqlserver() -> None:
    assert isinstance(get_dialect(source(type="mssql")), SQLServerDialect)


@pytest.mark.parametrize("key", ["host", "database", "user"])
def test_required_keys_name_the_missing_key(key: str) -> None:
    with pytest.raises(ValidationError, match=f"source.{key}"):
        source(**{key: None})


def test_describe_and_jdbc_url_hold_no_password(d: SQLServerDialect) -> None:
    assert d.describe() == "sqlserver://u@db:1433/shop"
    assert d.jdbc_url() == "jdbc:sqlserver://db:1433;databaseName=shop;encrypt=true;trustServerCertificate=true"
    assert d.jdbc_driver == "com.microsoft.sqlserver.jdbc.SQLServerDriver"
    assert PASSWORD not in d.describe() + d.jdbc_url()
    assert d.jdbc_properties()["password"] == PASSWORD  # only in the properties Spark redacts


def test_jdbc_url_braces_a_database_name_with_separators() -> None:
    url = get_dialect(source(database="odd;name={x}", port=14330)).jdbc_url()
    assert url == ("jdbc:sqlserver://db:14330;databaseName={odd;name={x}}};"
                   "encrypt=true;trustServerCertificate=true")


def test_connect_passes_utf8_tds74_timeouts_and_options(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(pymssql, "connect", lambda **kw: calls.append(kw) or "conn")
    assert get_dialect(source(options={"encryption": "require", "login_timeout": 3})).connect() == "conn"
    assert calls == [{
        "server": "db", "port": "1433", "user": "u", "password": PASSWORD, "database": "shop",
        "login_timeout": 3, "charset": "UTF-8", "autocommit": True, "appname": "data-extractor",
        "tds_version": "7.4", "encryption": "require",
    }]


def test_refused_connection_is_one_sentence_without_the_password() -> None:
    dialect = get_dialect(source(host="127.0.0.1", port=1, options={"login_timeout": 2}))
    with pytest.raises(SourceError) as err:
        dialect.connect()
    message = str(err.value)
    assert message.startswith("cannot connect to sqlserver://u@127.0.0.1:1/shop: nothing is listening there")
    assert "\n" not in message and PASSWORD not in message and "DB-Lib" not in message


@pytest.mark.parametrize(
    ("driver_message", "hint"),
    [
        (b"Login failed for user 'u'.DB-Lib error message 20018, severity 14:\nGeneral SQL Server error",
         "user name or password was refused"),
        (b"Cannot open database \"shop\" requested by the login. The login failed.\n"
         b"Login failed for user 'u'.", "check source.database"),
        (b"DB-Lib error message 20003, severity 6:\nAdaptive Server connection timed out (db)\n",
         "did not answer in time"),
        (b"DB-Lib error message 20009, severity 9:\nUnable to connect: TDS server is unavailable or does not "
         b"exist (nohost)\n", "could not be reached"),
    ],
)
def test_connect_errors_get_a_fix_and_hide_the_password(
    monkeypatch: pytest.MonkeyPatch, driver_message: bytes, hint: str
) -> None:
    def fail(**kw: Any) -> None:
        raise pymssql.OperationalError((18456, driver_message + f" {kw['password']}".encode()))

    monkeypatch.setattr(pymssql, "connect", fail)
    with pytest.raises(SourceError, match=hint) as err:
        get_dialect(source()).connect()
    assert PASSWORD not in str(err.value) and "\n" not in str(err.value)


def test_an_unknown_message_keeps_its_first_meaningful_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(**kw: Any) -> None:
        raise pymssql.OperationalError((20002, b"DB-Lib error message 20002, severity 9:\nSomething new\n"))

    monkeypatch.setattr(pymssql, "connect", fail)
    with pytest.raises(SourceError, match=r"sqlserver://u@db:1433/shop: Something new$"):
        get_dialect(source()).connect()


def test_no_snapshot_across_connections(d: SQLServerDialect) -> None:
    assert d.snapshot_note == SNAPSHOT_NOTE and "SNAPSHOT OF" in SNAPSHOT_NOTE
    with pytest.raises(UserError, match="cannot share one snapshot"):
        d.open_snapshot(None)  # type: ignore[arg-type]


# -------------------------------------------------------------------------------- literals
def test_identifiers_are_bracketed_exactly(d: SQLServerDialect) -> None:
    assert d.table_sql(TableRef("Sales Data", "odd]name")) == "[Sales Data].[odd]]name]"
    parses(f"SELECT {d.quote('a]b')} FROM {d.table_sql(TableRef('Sales Data', 'odd]name'))}")


def test_literals_parse_and_keep_their_type(d: SQLServerDialect) -> None:
    aware = dt.datetime(2024, 1, 2, 5, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    expected = {
        "it's ünï": "N'it''s ünï'",
        dt.date(2024, 1, 2): "CONVERT(DATE, '2024-01-02', 23)",
        dt.datetime(2024, 1, 2, 3, 4, 5, 6): "CONVERT(DATETIME2(7), '2024-01-02T03:04:05.000006', 126)",
        dt.datetime(999, 1, 2): "CONVERT(DATETIME2(7), '0999-01-02T00:00:00.000000', 126)",
        aware: "CONVERT(DATETIME2(7), '2024-01-02T03:00:00.000000', 126)",
        decimal.Decimal("1E+3"): "1000",
        decimal.Decimal("-12.50"): "-12.50",
        12.5: "12.5",
        7: "7",
        True: "1",
        None: "NULL",
    }
    for value, sql in expected.items():
        assert d.literal(value) == sql
        parses(f"SELECT * FROM {d.table_sql(T)} WHERE [C] >= {sql}")


# --------------------------------------------------------------------------------- catalog
def test_catalog_statements_parse() -> None:
    parses(SCHEMAS_SQL)
    parses(DEFAULT_SCHEMA_SQL)
    parses(TABLES_SQL, {"schema": "dbo"})
    parses(TABLES_FALLBACK_SQL, {"schema": "dbo"})
    parses(COLUMNS_SQL, {"schema": "dbo", "table": "it's"})
    parses(QUERY_COLUMNS_SQL, {"query": "SELECT a FROM t WHERE b = 'x'"})


def test_schemas_and_default_schema(d: SQLServerDialect) -> None:
    conn = FakeConnection({"sys.schemas AS s WHERE": [("dbo",), ("sales",)]})
    assert d.schemas(conn) == ["dbo", "sales"]
    assert d.default_schema(conn) == "dbo"
    assert_all_parse(conn)


def test_tables_estimate_rows_and_bytes_from_partition_stats(d: SQLServerDialect) -> None:
    conn = FakeConnection({"sys.dm_db_partition_stats": [("Orders", 1000, 81920, "table"),
                                                         ("Recent", None, None, "view")]})
    tables = d.tables(conn, None)  # None: the login's default schema
    assert [(t.schema, t.name, t.rows, t.bytes, t.kind) for t in tables] == [
        ("dbo", "Orders", 1000, 81920, "table"), ("dbo", "Recent", None, None, "view"),
    ]
    assert conn.executed[-1][1] == {"schema": "dbo"}
    assert_all_parse(conn)


def test_tables_fall_back_to_sys_partitions_without_view_database_state(d: SQLServerDialect) -> None:
    denied = pymssql.OperationalError((300, b"VIEW DATABASE STATE permission denied in database 'shop'."))
    conn = FakeConnection({"sys.dm_db_partition_stats": denied,
                           "sys.partitions": [("Orders", 1000, None, "table")]})
    assert [(t.name, t.rows, t.bytes) for t in d.tables(conn, "sales")] == [("Orders", 1000, None)]
    assert [p for _, p in conn.executed] == [{"schema": "sales"}, {"schema": "sales"}]


def test_columns_with_primary_key_index_and_types(d: SQLServerDialect) -> None:
    conn = FakeConnection({"sys.columns": [
        ("id", "bigint", 8, 19, 0, False, 1, 1),
        ("line", "int", 4, 10, 0, False, 2, 0),
        ("amount", "money", 8, 19, 4, True, None, 0),
        ("name", "nvarchar", -1, 0, 0, True, None, 0),
        ("code", "nchar", 20, 0, 0, True, None, 1),
        ("at", "datetimeoffset", 10, 34, 7, True, None, 0),
        ("rate", "decimal", 9, 12, 2, True, None, 0),
        ("uid", "uniqueidentifier", 16, 0, 0, False, None, 0),
    ]})
    cols = d.columns(conn, T)
    assert [(c.name, c.source_type, c.spark_type, c.nullable, c.primary_key, c.indexed) for c in cols] == [
        ("id", "bigint", "bigint", False, 1, True),
        ("line", "int", "int", False, 2, False),
        ("amount", "money", "decimal(19,4)", True, None, False),
        ("name", "nvarchar(max)", "string", True, None, False),
        ("code", "nchar(10)", "string", True, None, True),
        ("at", "datetimeoffset(7)", "timestamp", True, None, False),
        ("rate", "decimal(12,2)", "decimal(12,2)", True, None, False),
        ("uid", "uniqueidentifier", "string", False, None, False),
    ]
    assert conn.executed[-1][1] == {"schema": "sales", "table": "Orders"}
    assert_all_parse(conn)


# ------------------------------------------------------------------------------ custom SQL
QUERY = "SELECT o.id, o.amount, c.name FROM sales.Orders AS o JOIN sales.Customers AS c ON c.id = o.customer_id"


def test_query_columns_take_the_types_the_server_declares(d: SQLServerDialect) -> None:
    conn = FakeConnection({"dm_exec_describe_first_result_set": [
        ("id", "bigint", False, None), ("amount", "decimal(12,2)", False, None),
        ("at", "datetimeoffset(7)", False, None), ("name", "nvarchar(50)", False, None),
        ("key", "int", True, None),  # a hidden browse-mode key column
    ]})
    cols = d.query_columns(conn, QUERY)
    assert [(c.name, c.source_type, c.spark_type) for c in cols] == [
        ("id", "bigint", "bigint"), ("amount", "decimal(12,2)", "decimal(12,2)"),
        ("at", "datetimeoffset(7)", "timestamp"), ("name", "nvarchar(50)", "string"),
    ]
    assert conn.executed[0][1] == {"query": QUERY}
    assert_all_parse(conn)


def test_a_query_the_server_cannot_describe_is_refused(d: SQLServerDialect) -> None:
    conn = FakeConnection({"dm_exec_describe_first_result_set": [(None, None, None, "Invalid object name 'x'.")]})
    with pytest.raises(UserError, match="cannot describe the query: Invalid object name 'x'."):
        d.query_columns(conn, "SELECT * FROM x")


def test_a_query_is_read_as_a_subquery_and_never_tablesampled(d: SQLServerDialect) -> None:
    ref = TableRef(None, "joined", QUERY)
    cols = [col("id", "bigint"), col("amount", "decimal(12,2)"), col("name", "nvarchar(50)")]
    assert "TABLESAMPLE" not in d.sample_sql(ref, "id", 100, None, 0.01)
    for predicate in (*d.range_predicates("id", [100]), *d.hash_predicates(cols[0], 2), None):
        sql = d.select_sql(ref, cols, predicate, None)
        assert f"FROM ({QUERY}) dx_q" in sql
        parses(sql)
    for sql in (d.sample_sql(ref, "id", 100, None, 0.01), d.count_sql(ref), d.bounds_sql(ref, "id")):
        parses(sql)


# ---------------------------------------------------------------------------- type mapping
@pytest.mark.parametrize(
    ("sys_type", "max_length", "precision", "scale", "rendered", "spark", "note"),
    [
        ("bit", 1, 1, 0, "bit", "boolean", None),
        ("tinyint", 1, 3, 0, "tinyint", "smallint", "0 to 255"),
        ("smallint", 2, 5, 0, "smallint", "smallint", None),
        ("int", 4, 10, 0, "int", "int", None),
        ("bigint", 8, 19, 0, "bigint", "bigint", None),
        ("real", 4, 24, 0, "real", "float", None),
        ("float", 8, 53, 0, "float", "double", None),
        ("decimal", 17, 38, 10, "decimal(38,10)", "decimal(38,10)", None),
        ("numeric", 5, 9, 0, "numeric(9,0)", "decimal(9,0)", None),
        ("money", 8, 19, 4, "money", "decimal(19,4)", None),
        ("smallmoney", 4, 10, 4, "smallmoney", "decimal(10,4)", None),
        ("date", 3, 10, 0, "date", "date", None),
        ("datetime", 8, 23, 3, "datetime", "timestamp_ntz", "wall-clock"),
        ("smalldatetime", 4, 16, 0, "smalldatetime", "timestamp_ntz", None),
        ("datetime2", 8, 27, 7, "datetime2(7)", "timestamp_ntz", "truncated"),
        ("datetime2", 7, 26, 6, "datetime2(6)", "timestamp_ntz", None),
        ("datetime2", 6, 19, 0, "datetime2(0)", "timestamp_ntz", None),
        ("datetimeoffset", 10, 34, 7, "datetimeoffset(7)", "timestamp", "UTC"),
        ("datetimeoffset", 9, 30, 3, "datetimeoffset(3)", "timestamp", "UTC"),
        ("time", 5, 16, 7, "time(7)", "string", "text"),
        ("char", 10, 0, 0, "char(10)", "string", None),
        ("varchar", -1, 0, 0, "varchar(max)", "string", None),
        ("nchar", 20, 0, 0, "nchar(10)", "string", None),
        ("nvarchar", 100, 0, 0, "nvarchar(50)", "string", None),
        ("nvarchar", -1, 0, 0, "nvarchar(max)", "string", None),
        ("sysname", 256, 0, 0, "sysname", "string", None),
        ("text", 16, 0, 0, "text", "string", "NVARCHAR(MAX)"),
        ("ntext", 16, 0, 0, "ntext", "string", "NVARCHAR(MAX)"),
        ("xml", -1, 0, 0, "xml", "string", "XML"),
        ("uniqueidentifier", 16, 0, 0, "uniqueidentifier", "string", "NVARCHAR(36)"),
        ("binary", 16, 0, 0, "binary(16)", "binary", None),
        ("varbinary", -1, 0, 0, "varbinary(max)", "binary", None),
        ("image", 16, 0, 0, "image", "binary", "VARBINARY(MAX)"),
        ("timestamp", 8, 0, 0, "timestamp", "binary", None),
        ("sql_variant", 8016, 0, 0, "sql_variant", "string", "SQL_VARIANT"),
        ("hierarchyid", 892, 0, 0, "hierarchyid", "string", "path"),
        ("geography", -1, 0, 0, "geography", "binary", "WKB"),
        ("geometry", -1, 0, 0, "geometry", "binary", "WKB"),
        ("vector", 100, 0, 0, "vector", "string", "as text"),
    ],
)
def test_sys_types_map(
    sys_type: str, max_length: int, precision: int, scale: int, rendered: str, spark: str, note: str | None
) -> None:
    assert render_type(sys_type, max_length, precision, scale) == rendered
    got_spark, got_note = spark_type_for(rendered)
    assert got_spark == spark
    if note is None:
        assert got_note is None
    else:
        assert got_note and note in got_note


# ------------------------------------------------------------------------------- selecting
ALL_KINDS = [
    col("id", "bigint"),
    col("name", "nvarchar(max)"),
    col("at", "datetimeoffset(7)"),
    col("uid", "uniqueidentifier"),
    col("span", "time(7)"),
    col("doc", "xml"),
    col("pic", "image"),
    col("v", "sql_variant"),
    col("node", "hierarchyid"),
    col("shape", "geography"),
    col("day", "date"),
    col("seen", "datetime2(7)"),
    col("amount", "money"),
    col("flag", "bit"),
    col("small", "tinyint"),
]


def test_select_expressions_convert_what_the_driver_cannot_hand_over(d: SQLServerDialect) -> None:
    assert [d.select_expression(c) for c in ALL_KINDS] == [
        "[id]",
        "[name]",
        "CONVERT(DATETIME2(7), SWITCHOFFSET([at], '+00:00')) AS [at]",
        "CONVERT(NVARCHAR(36), [uid]) AS [uid]",
        "CONVERT(NVARCHAR(16), [span]) AS [span]",
        "CONVERT(NVARCHAR(MAX), [doc]) AS [doc]",
        "CONVERT(VARBINARY(MAX), [pic]) AS [pic]",
        "CONVERT(NVARCHAR(MAX), [v]) AS [v]",
        "CONVERT(NVARCHAR(4000), [node]) AS [node]",
        "[shape].STAsBinary() AS [shape]",
        "[day]",
        "[seen]",
        "[amount]",
        "[flag]",
        "[small]",
    ]
    assert select_template("decimal(12,2)") is None


def test_select_sql_with_every_kind_of_predicate_parses(d: SQLServerDialect) -> None:
    predicates = [
        *d.range_predicates("id", [10, 20]),
        *d.range_predicates("seen", [dt.datetime(2024, 1, 1), dt.datetime(2024, 6, 1, 12, 30, 0, 5)]),
        *d.range_predicates("day", [dt.date(2024, 1, 1), dt.date(2024, 6, 1)]),
        *d.range_predicates("name", ["M", "it's"]),
        *d.range_predicates("amount", [decimal.Decimal("10.50")]),
        *d.hash_predicates(ALL_KINDS[0], 4),
        *d.hash_predicates(ALL_KINDS[1], 3),
    ]
    for predicate in predicates:
        sql = d.select_sql(T, ALL_KINDS, predicate, "[region] = N'EU'", snapshot=None)
        assert sql.endswith(f"WHERE ([region] = N'EU') AND ({predicate})")
        parses(sql)
    parses(d.select_sql(T, ALL_KINDS, None, None))


def test_hash_buckets_take_null_keys_in_bucket_zero_only(d: SQLServerDialect) -> None:
    # CHECKSUM(NULL) is a number, not NULL: without the IS NOT NULL guard a NULL key would match two buckets.
    assert d.hash_predicates(col("k", "int"), 3) == [
        "[k] IS NULL OR ABS(CAST(CHECKSUM([k]) AS BIGINT)) % 3 = 0",
        "[k] IS NOT NULL AND ABS(CAST(CHECKSUM([k]) AS BIGINT)) % 3 = 1",
        "[k] IS NOT NULL AND ABS(CAST(CHECKSUM([k]) AS BIGINT)) % 3 = 2",
    ]


@pytest.mark.parametrize("source_type", ["text", "ntext", "image", "xml", "geography"])
def test_hash_refuses_types_checksum_cannot_take(d: SQLServerDialect, source_type: str) -> None:
    with pytest.raises(UserError, match="CHECKSUM does not take that type; choose another column"):
        d.hash_predicates(col("c", source_type), 4)


def test_count_bounds_and_sample_sql_count_big(d: SQLServerDialect) -> None:
    count = d.count_sql(T, "[x] > 1", "[id] < 5")
    assert count == "SELECT COUNT_BIG(*) FROM [sales].[Orders] WHERE ([x] > 1) AND ([id] < 5)"
    bounds = d.bounds_sql(T, "id", "[x] > 1")
    assert bounds == ("SELECT MIN([id]), MAX([id]), COUNT_BIG(*), COUNT_BIG([id]) FROM [sales].[Orders]"
                      " WHERE ([x] > 1)")
    whole = d.sample_sql(T, "id", 100, None, 1.0)
    assert "TABLESAMPLE" not in whole and "NTILE(100) OVER (ORDER BY [id])" in whole
    sampled = d.sample_sql(T, "id", 10, "[x] > 1", 0.015)
    assert "[sales].[Orders] TABLESAMPLE SYSTEM (1.500000 PERCENT) REPEATABLE (42) WHERE" in sampled
    for sql in (count, bounds, whole, sampled, d.count_sql(T), d.bounds_sql(T, "id")):
        parses(sql)


@pytest.mark.parametrize(("fraction", "percent"), [(1e-12, "0.000001"), (0.9999999, "99.999990")])
def test_sample_percent_is_clamped(d: SQLServerDialect, fraction: float, percent: str) -> None:
    sql = d.sampled_table_sql(T, fraction)
    assert f"TABLESAMPLE SYSTEM ({percent} PERCENT)" in sql
    parses(f"SELECT * FROM {sql}")


def test_sample_distribution_reads_ntile_buckets_and_nulls(d: SQLServerDialect) -> None:
    conn = FakeConnection({"NTILE": [(1, 1, 10, 10), (2, 11, 40, 10)], "COUNT_BIG([id])": [(1, 40, 25, 20)]})
    dist = d.sample_distribution(conn, T, col("id", "int"), None, 25)
    assert dist.points == [(1, 0.0), (10, 0.5), (40, 1.0)] and dist.null_fraction == pytest.approx(0.2)
    assert d.statistics_distribution(conn, T, col("id", "int")) is None  # no histograms read: sampled
    assert_all_parse(conn)


# ------------------------------------------------------------------------------- reading
def test_read_arrow_yields_batches_of_the_declared_schema(d: SQLServerDialect) -> None:
    cols = [col("id", "bigint"), col("at", "datetimeoffset(7)"), col("day", "date"),
            col("seen", "datetime2(7)"), col("amount", "money"), col("flag", "bit"), col("small", "tinyint"),
            col("pic", "image"), col("name", "nvarchar(max)")]
    schema = arrow_schema(cols)
    rows = [
        (1, dt.datetime(2024, 1, 2, 3, 4, 5, 6), dt.date(2024, 1, 2), dt.datetime(2024, 1, 2, 3, 4, 5),
         decimal.Decimal("12.3400"), True, 255, b"\x00\xff", "näme 🚀"),
        (2, None, "2024-01-03", "2024-01-03 04:05:06.1234567", None, False, 0, None, None),  # TDS 7.1 text
        (3, None, None, None, None, None, None, None, None),
    ]
    conn = FakeConnection({"SELECT": rows})
    batches = list(d.read_arrow(conn, d.select_sql(T, cols, None, None), schema, 2))
    assert [b.num_rows for b in batches] == [2, 1] and all(b.schema == schema for b in batches)
    table = pa.Table.from_batches(batches)
    assert table.column("at")[0].as_py() == dt.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=dt.timezone.utc)
    assert table.column("day").to_pylist()[:2] == [dt.date(2024, 1, 2), dt.date(2024, 1, 3)]
    assert table.column("seen")[1].as_py() == dt.datetime(2024, 1, 3, 4, 5, 6, 123456)
    assert table.column("small").to_pylist() == [255, 0, None]
    assert table.column("amount")[0].as_py() == decimal.Decimal("12.3400")
    assert conn.closed_cursors == 1


def test_read_arrow_names_the_column_that_does_not_fit(d: SQLServerDialect) -> None:
    schema = arrow_schema([col("amount", "decimal(5,2)")])
    conn = FakeConnection({"SELECT": [(decimal.Decimal("1.234"),)]})
    with pytest.raises(ValueError, match="column 'amount'"):
        list(d.read_arrow(conn, "SELECT [amount] FROM [t]", schema, 10))
