"""OracleDialect without a server: generated SQL must parse as Oracle, catalog rows map as documented."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import oracledb
import pyarrow as pa
import pytest
import sqlglot
from pydantic import ValidationError

from data_extractor.config.models import SourceConfig
from data_extractor.errors import SourceError
from data_extractor.source.dialects import get_dialect
from data_extractor.source.dialects.base import ColumnInfo, TableRef
from data_extractor.source.dialects.oracle import (
    COLUMNS_SQL,
    CURRENT_SCN_SQL,
    DEFAULT_SCHEMA_SQL,
    EXTENTS_SQL,
    HISTOGRAM_SQL,
    INDEXED_SQL,
    PRIMARY_KEY_SQL,
    SCHEMAS_SQL,
    TABLES_SQL,
    OracleDialect,
    encode_rowid,
    spark_type_for,
    spark_type_for_fetch_info,
)
from data_extractor.source.typemap import arrow_schema

PASSWORD = "s3cret-Pa55"
T = TableRef("SALES", "ORDERS")


def source(**kw: Any) -> SourceConfig:
    base = dict(type="oracle", host="db", port=1521, service_name="ORCL", user="u", password="p")
    return SourceConfig(**{**base, **kw})


@pytest.fixture
def d() -> OracleDialect:
    dialect = get_dialect(source())
    assert isinstance(dialect, OracleDialect)
    return dialect


def parses(sql: str) -> None:
    sqlglot.parse_one(sql, read="oracle")  # raises on a syntax error


def col(name: str, source_type: str, spark: str) -> ColumnInfo:
    return ColumnInfo(name, source_type, spark)


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

    def close(self) -> None:
        pass


class FakeConnection:
    """Answers each statement with the canned rows of the first view name it mentions."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = {"SYS_CONTEXT": [("SALES",)], **answers}
        self.executed: list[tuple[str, Any]] = []

    def cursor(self) -> FakeCursor:
        return FakeCursor(self)


def assert_all_parse_with_binds(conn: FakeConnection) -> None:
    for sql, params in conn.executed:
        parses(sql)
        for value in (params or {}).values():
            assert f"'{value}'" not in sql  # values travel as binds, never pasted


# ------------------------------------------------------------------------------ connection
def test_required_keys_accept_service_name_sid_or_dsn() -> None:
    source()
    source(service_name=None, sid="ORCL")
    SourceConfig(type="oracle", dsn="db:1521/ORCL", user="u", password="p")


@pytest.mark.parametrize(
    ("kw", "missing"),
    [
        ({"host": None}, "source.host"),
        ({"service_name": None}, "source.service_name"),
        ({"user": None}, "source.user"),
        ({"password": None}, "source.password"),
    ],
)
def test_required_keys_name_the_missing_key(kw: dict[str, Any], missing: str) -> None:
    with pytest.raises(ValidationError, match=missing):
        source(**kw)


def test_describe_and_jdbc_url_for_service_sid_and_dsn() -> None:
    svc = get_dialect(source(password=PASSWORD))
    assert svc.describe() == "oracle://u@db:1521/ORCL"
    assert svc.jdbc_url() == "jdbc:oracle:thin:@//db:1521/ORCL"
    sid = get_dialect(source(service_name=None, sid="XE", password=PASSWORD))
    assert sid.jdbc_url() == "jdbc:oracle:thin:@db:1521:XE"
    assert "XE" in sid.describe()
    dsn = get_dialect(SourceConfig(type="oracle", dsn="db.example:1522/PDB1", user="u", password=PASSWORD))
    assert dsn.describe() == "oracle://u@db.example:1522/PDB1"
    assert dsn.jdbc_url() == "jdbc:oracle:thin:@db.example:1522/PDB1"
    for dialect in (svc, sid, dsn):
        assert PASSWORD not in dialect.describe() + dialect.jdbc_url()


def test_credentials_inside_a_dsn_are_not_shown() -> None:
    dialect = get_dialect(SourceConfig(type="oracle", dsn=f"u/{PASSWORD}@db/ORCL", user="u", password="p"))
    assert PASSWORD not in dialect.describe() + dialect.jdbc_url()


def test_connect_passes_easy_connect_dsn_password_and_options(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(oracledb, "connect", lambda **kw: calls.append(kw) or "conn")
    assert get_dialect(source(password=PASSWORD, options={"sdu": 65535})).connect() == "conn"
    assert calls == [{"user": "u", "password": PASSWORD, "dsn": "db:1521/ORCL", "sdu": 65535}]


def test_connect_builds_a_descriptor_for_a_sid(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(oracledb, "connect", lambda **kw: calls.append(kw))
    get_dialect(source(service_name=None, sid="XE")).connect()
    assert "(SID=XE)" in calls[0]["dsn"] and "(PORT=1521)" in calls[0]["dsn"]


def test_refused_connection_is_one_sentence_without_the_password() -> None:
    fast = {"tcp_connect_timeout": 1}
    dialect = get_dialect(source(host="127.0.0.1", port=1, password=PASSWORD, options=fast))
    with pytest.raises(SourceError) as err:
        dialect.connect()
    message = str(err.value)
    assert PASSWORD not in message
    assert message.startswith("cannot connect to oracle://u@127.0.0.1:1/ORCL:")
    assert "check source.host and source.port" in message


def test_jdbc_style_dsn_gets_the_sid_hint() -> None:
    dialect = get_dialect(SourceConfig(type="oracle", dsn="db:1521:ORCL", user="u", password=PASSWORD))
    with pytest.raises(SourceError, match="source.sid") as err:
        dialect.connect()
    assert PASSWORD not in str(err.value)


@pytest.mark.parametrize(
    ("driver_message", "hint"),
    [
        ("ORA-01017: invalid username/password; logon denied", "check source.user and the password"),
        ('DPY-6001: Service "X" is not registered (Similar to ORA-12514)', "check source.service_name"),
        ("ORA-12541: TNS:no listener", "check source.host and source.port"),
    ],
)
def test_connect_errors_get_a_fix(monkeypatch: pytest.MonkeyPatch, driver_message: str, hint: str) -> None:
    def fail(**kw: Any) -> None:
        raise oracledb.DatabaseError(f"{driver_message} for {kw['password']}")  # even if the driver echoed it

    monkeypatch.setattr(oracledb, "connect", fail)
    with pytest.raises(SourceError, match=hint) as err:
        get_dialect(source(password=PASSWORD)).connect()
    assert PASSWORD not in str(err.value)


# -------------------------------------------------------------------------------- literals
def test_date_and_timestamp_literals_parse(d: OracleDialect) -> None:
    assert d.literal(dt.date(2024, 1, 2)) == "DATE '2024-01-02'"
    assert d.literal(dt.datetime(2024, 1, 2, 3, 4, 5, 6)) == "TIMESTAMP '2024-01-02 03:04:05.000006'"
    assert d.literal(dt.datetime(999, 1, 2)) == "TIMESTAMP '0999-01-02 00:00:00.000000'"
    aware = dt.datetime(2024, 1, 2, 5, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert d.literal(aware) == "TIMESTAMP '2024-01-02 03:00:00.000000 +00:00'"
    for value in (dt.date(2024, 1, 2), dt.datetime(2024, 1, 2, 3, 4, 5, 6), aware, "it's", 12.5):
        parses(f"SELECT * FROM {d.table_sql(T)} WHERE \"C\" >= {d.literal(value)}")


def test_identifiers_are_quoted_exactly(d: OracleDialect) -> None:
    assert d.table_sql(TableRef("Sales", 'odd"name')) == '"Sales"."odd""name"'


# --------------------------------------------------------------------------------- catalog
def test_catalog_statements_parse() -> None:
    for sql in (SCHEMAS_SQL, TABLES_SQL, COLUMNS_SQL, PRIMARY_KEY_SQL, INDEXED_SQL, DEFAULT_SCHEMA_SQL,
                CURRENT_SCN_SQL, HISTOGRAM_SQL, EXTENTS_SQL):
        parses(sql)
        assert ":1" not in sql  # named binds only


def test_schemas_and_default_schema(d: OracleDialect) -> None:
    conn = FakeConnection({"all_users": [("HR",), ("SALES",)]})
    assert d.schemas(conn) == ["HR", "SALES"]
    assert d.default_schema(conn) == "SALES"
    assert "oracle_maintained = 'N'" in conn.executed[0][0]
    assert_all_parse_with_binds(conn)


def test_current_scn_sql(d: OracleDialect) -> None:
    assert d.current_scn_sql() == "SELECT DBMS_FLASHBACK.GET_SYSTEM_CHANGE_NUMBER FROM dual"
    parses(d.current_scn_sql())
    assert d.as_of_scn(123) == "SCN 123"


def test_tables_estimate_rows_and_bytes_from_statistics(d: OracleDialect) -> None:
    rows = [("ORDERS", 1000, 10, 50), ("LINES", 200, None, 30), ("NEW", None, None, None)]
    conn = FakeConnection({"all_tables": rows})
    tables = d.tables(conn, None)  # None: the session's current schema
    assert [(t.schema, t.name, t.rows, t.bytes) for t in tables] == [
        ("SALES", "ORDERS", 1000, 10 * 8192),
        ("SALES", "LINES", 200, 200 * 30),
        ("SALES", "NEW", None, None),
    ]
    assert conn.executed[-1][1] == {"owner": "SALES"}
    assert_all_parse_with_binds(conn)


def test_columns_with_primary_key_index_and_types(d: OracleDialect) -> None:
    conn = FakeConnection({
        "all_constraints": [("ID", 1), ("Line", 2)],
        "all_ind_columns": [("ID",), ("CREATED",)],
        "all_tab_cols": [
            ("ID", "NUMBER", 10, 0, "N"),
            ("Line", "NUMBER", None, 0, "N"),
            ("AMOUNT", "NUMBER", None, None, "Y"),
            ("CREATED", "DATE", None, None, "Y"),
            ("AT", "TIMESTAMP(6) WITH TIME ZONE", None, 6, "Y"),
            ("RATIO", "FLOAT", 126, None, "Y"),
        ],
    })
    cols = d.columns(conn, T)
    assert [(c.name, c.source_type, c.spark_type, c.nullable, c.primary_key, c.indexed) for c in cols] == [
        ("ID", "NUMBER(10,0)", "decimal(10,0)", False, 1, True),
        ("Line", "NUMBER(*,0)", "decimal(38,0)", False, 2, False),
        ("AMOUNT", "NUMBER", "decimal(38,10)", True, None, False),
        ("CREATED", "DATE", "timestamp_ntz", True, None, True),
        ("AT", "TIMESTAMP(6) WITH TIME ZONE", "timestamp", True, None, False),
        ("RATIO", "FLOAT(126)", "double", True, None, False),
    ]
    assert cols[2].note and "source.number_type" in cols[2].note
    assert all(p == {"owner": "SALES", "tab": "ORDERS"} for _, p in conn.executed)
    assert any("hidden_column = 'NO'" in sql for sql, _ in conn.executed)
    assert_all_parse_with_binds(conn)


def test_columns_use_the_configured_number_type() -> None:
    dialect = get_dialect(source(number_type="decimal(30, 4)"))
    conn = FakeConnection({"all_tab_cols": [("X", "NUMBER", None, None, "Y")]})
    assert dialect.columns(conn, T)[0].spark_type == "decimal(30,4)"


# ---------------------------------------------------------------------------- type mapping
NT = "decimal(38,10)"


@pytest.mark.parametrize(
    ("data_type", "precision", "scale", "spark", "note"),
    [
        ("NUMBER", 10, 2, "decimal(10,2)", None),
        ("NUMBER", 9, 0, "decimal(9,0)", None),
        ("NUMBER", 38, 0, "decimal(38,0)", None),
        ("NUMBER", 3, 5, "decimal(5,5)", None),
        ("NUMBER", 10, -2, "decimal(12,0)", None),
        ("NUMBER", 38, -5, "decimal(38,0)", None),
        ("NUMBER", None, None, NT, "source.number_type"),
        ("NUMBER", None, 0, "decimal(38,0)", None),
        ("NUMBER", None, 2, "decimal(38,2)", None),
        ("FLOAT", 126, None, "double", "double"),
        ("FLOAT", 24, None, "double", None),
        ("BINARY_FLOAT", None, None, "float", None),
        ("BINARY_DOUBLE", None, None, "double", None),
        ("CHAR", None, None, "string", None),
        ("NCHAR", None, None, "string", None),
        ("VARCHAR2", None, None, "string", None),
        ("NVARCHAR2", None, None, "string", None),
        ("CLOB", None, None, "string", None),
        ("NCLOB", None, None, "string", None),
        ("LONG", None, None, "string", None),
        ("RAW", None, None, "binary", None),
        ("LONG RAW", None, None, "binary", None),
        ("BLOB", None, None, "binary", None),
        ("DATE", None, None, "timestamp_ntz", "wall-clock"),
        ("TIMESTAMP(6)", None, 6, "timestamp_ntz", None),
        ("TIMESTAMP(0)", None, 0, "timestamp_ntz", None),
        ("TIMESTAMP(9)", None, 9, "timestamp_ntz", "truncated"),
        ("TIMESTAMP(6) WITH TIME ZONE", None, 6, "timestamp", "SYS_EXTRACT_UTC"),
        ("TIMESTAMP(9) WITH TIME ZONE", None, 9, "timestamp", "truncated"),
        ("TIMESTAMP(6) WITH LOCAL TIME ZONE", None, 6, "timestamp", "SYS_EXTRACT_UTC"),
        ("INTERVAL YEAR(2) TO MONTH", 2, 0, "string", "TO_CHAR"),
        ("INTERVAL DAY(2) TO SECOND(6)", 2, 6, "string", "TO_CHAR"),
        ("ROWID", None, None, "string", "ROWIDTOCHAR"),
        ("UROWID", None, None, "string", "ROWIDTOCHAR"),
        ("XMLTYPE", None, None, "string", "XMLSERIALIZE"),
        ("JSON", None, None, "string", "JSON_SERIALIZE"),
        ("BOOLEAN", None, None, "boolean", None),
        ("SDO_GEOMETRY", None, None, "string", "TO_CHAR"),
        ("BFILE", None, None, "string", "TO_CHAR"),
    ],
)
def test_all_tab_cols_types_map(data_type: str, precision: Any, scale: Any, spark: str, note: Any) -> None:
    got_spark, got_note = spark_type_for(data_type, precision, scale, NT)
    assert got_spark == spark
    if note is None:
        assert got_note is None
    else:
        assert got_note and note in got_note


def info(type_code: Any, precision: int = 0, scale: int = 0) -> SimpleNamespace:
    return SimpleNamespace(type_code=type_code, precision=precision, scale=scale)


@pytest.mark.parametrize(
    ("fetch_info", "spark", "note"),
    [
        (info(oracledb.DB_TYPE_NUMBER, 10, 2), "decimal(10,2)", None),
        (info(oracledb.DB_TYPE_NUMBER, 9, 0), "decimal(9,0)", None),
        (info(oracledb.DB_TYPE_NUMBER, 38, 0), "decimal(38,0)", None),  # INTEGER
        (info(oracledb.DB_TYPE_NUMBER, 10, -2), "decimal(12,0)", None),
        (info(oracledb.DB_TYPE_NUMBER, 0, -127), NT, "source.number_type"),  # bare NUMBER, COUNT(*)
        (info(oracledb.DB_TYPE_NUMBER, 126, -127), "double", "double"),  # FLOAT
        (info(oracledb.DB_TYPE_NUMBER, 63, -127), "double", "double"),  # REAL
        (info(oracledb.DB_TYPE_BINARY_FLOAT), "float", None),
        (info(oracledb.DB_TYPE_BINARY_DOUBLE), "double", None),
        (info(oracledb.DB_TYPE_CHAR), "string", None),
        (info(oracledb.DB_TYPE_NCHAR), "string", None),
        (info(oracledb.DB_TYPE_VARCHAR), "string", None),
        (info(oracledb.DB_TYPE_NVARCHAR), "string", None),
        (info(oracledb.DB_TYPE_CLOB), "string", None),
        (info(oracledb.DB_TYPE_NCLOB), "string", None),
        (info(oracledb.DB_TYPE_LONG), "string", None),
        (info(oracledb.DB_TYPE_RAW), "binary", None),
        (info(oracledb.DB_TYPE_LONG_RAW), "binary", None),
        (info(oracledb.DB_TYPE_BLOB), "binary", None),
        (info(oracledb.DB_TYPE_DATE), "timestamp_ntz", "wall-clock"),
        (info(oracledb.DB_TYPE_TIMESTAMP, 0, 6), "timestamp_ntz", None),
        (info(oracledb.DB_TYPE_TIMESTAMP, 0, 9), "timestamp_ntz", "truncated"),
        (info(oracledb.DB_TYPE_TIMESTAMP_TZ, 0, 6), "timestamp", "SYS_EXTRACT_UTC"),
        (info(oracledb.DB_TYPE_TIMESTAMP_LTZ, 0, 6), "timestamp", "SYS_EXTRACT_UTC"),
        (info(oracledb.DB_TYPE_INTERVAL_YM, 2, 0), "string", "TO_CHAR"),
        (info(oracledb.DB_TYPE_INTERVAL_DS, 2, 6), "string", "TO_CHAR"),
        (info(oracledb.DB_TYPE_ROWID), "string", "ROWIDTOCHAR"),
        (info(oracledb.DB_TYPE_UROWID), "string", "ROWIDTOCHAR"),
        (info(oracledb.DB_TYPE_XMLTYPE), "string", "XMLSERIALIZE"),
        (info(oracledb.DB_TYPE_JSON), "string", "JSON_SERIALIZE"),
        (info(oracledb.DB_TYPE_BOOLEAN), "boolean", None),
        (info(oracledb.DB_TYPE_OBJECT), "string", "TO_CHAR"),
    ],
)
def test_fetch_info_types_map(fetch_info: SimpleNamespace, spark: str, note: str | None) -> None:
    got_spark, got_note = spark_type_for_fetch_info(fetch_info, NT)
    assert got_spark == spark
    if note is None:
        assert got_note is None
    else:
        assert got_note and note in got_note


def test_both_mappings_agree_on_integer_columns() -> None:
    # ALL_TAB_COLS reports INTEGER as NUMBER(*,0); the driver reports it as (38, 0).
    from_driver = spark_type_for_fetch_info(info(oracledb.DB_TYPE_NUMBER, 38, 0))
    assert spark_type_for("NUMBER", None, 0, NT) == from_driver


# ------------------------------------------------------------------------------- selecting
ALL_KINDS = [
    col("ID", "NUMBER(10,0)", "decimal(10,0)"),
    col("name", "VARCHAR2", "string"),
    col("AT", "TIMESTAMP(6) WITH TIME ZONE", "timestamp"),
    col("LOCAL", "TIMESTAMP(6) WITH LOCAL TIME ZONE", "timestamp"),
    col("SPAN", "INTERVAL DAY(2) TO SECOND(6)", "string"),
    col("R", "ROWID", "string"),
    col("G", "SDO_GEOMETRY", "string"),
    col("D", "DATE", "timestamp_ntz"),
]


def test_select_expressions_convert_what_arrow_cannot_take(d: OracleDialect) -> None:
    assert [d.select_expression(c) for c in ALL_KINDS] == [
        '"ID"',
        '"name"',
        'SYS_EXTRACT_UTC("AT") AS "AT"',
        'SYS_EXTRACT_UTC("LOCAL") AS "LOCAL"',
        'TO_CHAR("SPAN") AS "SPAN"',
        'ROWIDTOCHAR("R") AS "R"',
        'TO_CHAR("G") AS "G"',
        '"D"',
    ]


def test_xml_and_json_are_emitted_raw(d: OracleDialect) -> None:
    # sqlglot 30 cannot parse XMLSERIALIZE / JSON_SERIALIZE ... RETURNING (ORACLE.md §6): checked by eye.
    assert d.select_expression(col("X", "XMLTYPE", "string")) == 'XMLSERIALIZE(CONTENT "X" AS CLOB) AS "X"'
    assert d.select_expression(col("J", "JSON", "string")) == 'JSON_SERIALIZE("J" RETURNING CLOB) AS "J"'


def test_select_sql_places_as_of_before_where(d: OracleDialect) -> None:
    sql = d.select_sql(T, ALL_KINDS, '"ID" < 10', "REGION = 'EU'", as_of="SCN 12345")
    assert ' FROM "SALES"."ORDERS" AS OF SCN 12345 WHERE (REGION = \'EU\') AND ("ID" < 10)' in sql
    parses(sql)
    parses(d.select_sql(T, ALL_KINDS, None, None, as_of="SCN :scn"))
    parses(d.select_sql(T, ALL_KINDS, None, None, as_of="TIMESTAMP SYSTIMESTAMP - INTERVAL '1' HOUR"))
    assert " AS OF " not in d.select_sql(T, ALL_KINDS, None, None)


def test_select_sql_with_every_kind_of_predicate_parses(d: OracleDialect) -> None:
    id_col = ALL_KINDS[0]
    predicates = [
        *d.range_predicates("ID", [10, 20]),
        *d.range_predicates("D", [dt.datetime(2024, 1, 1), dt.datetime(2024, 6, 1, 12, 30)]),
        *d.hash_predicates(id_col, 4),
        *d.physical_predicates(FakeConnection({"dba_extents": [(7, 4, 128, 8, "NO")]}), T, 2),
        *d.physical_predicates(FakeConnection({"dba_extents": oracledb.DatabaseError("ORA-00942")}), T, 2),
    ]
    for predicate in predicates:
        for as_of in (None, "SCN 99"):
            parses(d.select_sql(T, ALL_KINDS, predicate, "1 = 1", as_of=as_of))


def test_as_of_must_be_scn_or_timestamp(d: OracleDialect) -> None:
    with pytest.raises(ValueError, match="SCN or TIMESTAMP"):
        d.select_sql(T, ALL_KINDS, None, None, as_of="1; DROP TABLE x")


def test_count_and_bounds_sql_take_as_of(d: OracleDialect) -> None:
    count = d.count_sql(T, "X > 1", '"ID" < 5', as_of="SCN 7")
    assert count == 'SELECT COUNT(*) FROM "SALES"."ORDERS" AS OF SCN 7 WHERE (X > 1) AND ("ID" < 5)'
    bounds = d.bounds_sql(T, "ID", None, as_of="SCN :scn")
    assert bounds == 'SELECT MIN("ID"), MAX("ID"), COUNT(*), COUNT("ID") FROM "SALES"."ORDERS" AS OF SCN :scn'
    for sql in (count, bounds, d.count_sql(T), d.bounds_sql(T, "ID", "X > 1")):
        parses(sql)


# ---------------------------------------------------------------------------- sampling
def test_sample_sql_without_sampling(d: OracleDialect) -> None:
    sql = d.sample_sql(T, "ID", 10, None, 1.0)
    assert "SAMPLE" not in sql
    assert ") s GROUP BY b" in sql and ") AS s" not in sql  # Oracle has no AS before a table alias
    parses(sql)


def test_sample_sql_samples_blocks_before_as_of(d: OracleDialect) -> None:
    sql = d.sample_sql(T, "ID", 10, "X > 1", 0.015, as_of="SCN 5")
    assert '"SALES"."ORDERS" SAMPLE BLOCK (1.500000) SEED (42) AS OF SCN 5 WHERE' in sql
    parses(sql)


@pytest.mark.parametrize(
    ("fraction", "percent"), [(1e-12, "0.000001"), (0.0, "0.000001"), (0.9999999999, "99.999999")]
)
def test_sample_percent_is_clamped(d: OracleDialect, fraction: float, percent: str) -> None:
    sql = d.sampled_table_sql(T, fraction)
    assert f"SAMPLE BLOCK ({percent}) SEED (42)" in sql
    parses(f"SELECT * FROM {sql}")


# --------------------------------------------------------------------------- statistics
def test_frequency_histogram_becomes_a_cdf(d: OracleDialect) -> None:
    conn = FakeConnection({
        "all_tab_col_statistics": [("FREQUENCY", 25, 125)],
        "all_tab_histograms": [(10, 1), (60, 2), (100, 5)],
    })
    dist = d.statistics_distribution(conn, T, col("ID", "NUMBER(10,0)", "decimal(10,0)"))
    assert dist is not None and dist.source == "statistics"
    assert dist.points == [(1, 0.1), (2, 0.6), (5, 1.0)]
    assert dist.null_fraction == pytest.approx(0.2)
    assert all(p == {"owner": "SALES", "tab": "ORDERS", "col": "ID"} for _, p in conn.executed)
    assert_all_parse_with_binds(conn)


def test_date_histogram_endpoints_are_julian_days(d: OracleDialect) -> None:
    conn = FakeConnection({
        "all_tab_col_statistics": [("HEIGHT BALANCED", 0, 1000)],
        "all_tab_histograms": [(0, 2451545), (1, 2451545.5), (2, 2460311)],
    })
    dist = d.statistics_distribution(conn, T, col("D", "DATE", "timestamp_ntz"))
    assert dist is not None
    assert dist.points == [
        (dt.datetime(2000, 1, 1), 0.0),
        (dt.datetime(2000, 1, 1, 12), 0.5),
        (dt.datetime(2024, 1, 1), 1.0),
    ]
    assert dist.null_fraction == 0.0


def test_no_histogram_means_no_distribution(d: OracleDialect) -> None:
    conn = FakeConnection({
        "all_tab_col_statistics": [("NONE", 0, 10)],
        "all_tab_histograms": [(0, 1), (1, 9)],
    })
    assert d.statistics_distribution(conn, T, col("ID", "NUMBER(10,0)", "decimal(10,0)")) is None
    assert d.statistics_distribution(FakeConnection({}), T, col("ID", "NUMBER", "decimal(38,10)")) is None


def test_histograms_are_not_read_for_strings(d: OracleDialect) -> None:
    conn = FakeConnection({})
    assert d.statistics_distribution(conn, T, col("N", "VARCHAR2", "string")) is None
    assert conn.executed == []


# --------------------------------------------------------------------------- partitions
def test_hash_predicates_put_nulls_in_bucket_zero(d: OracleDialect) -> None:
    preds = d.hash_predicates(col("ID", "NUMBER(10,0)", "decimal(10,0)"), 3)
    assert preds == [
        'ORA_HASH("ID", 2) = 0 OR "ID" IS NULL', 'ORA_HASH("ID", 2) = 1', 'ORA_HASH("ID", 2) = 2'
    ]
    for p in preds:
        parses(d.select_sql(T, ALL_KINDS, p, None, as_of="SCN 1"))


def test_rowid_encoding_matches_published_examples() -> None:
    assert encode_rowid(63388, 5, 82, 0) == "AAAPecAAFAAAABSAAA"
    assert encode_rowid(73749, 1024, 20, 0, bigfile=True) == "AAASAVAAAAAAAAUAAA"


def _decode(rowid: str, bigfile: bool) -> tuple[int, int, int]:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

    def num(s: str) -> int:
        out = 0
        for ch in s:
            out = out * 64 + alphabet.index(ch)
        return out

    if bigfile:
        return num(rowid[:6]), 0, num(rowid[6:15])
    return num(rowid[:6]), num(rowid[6:9]), num(rowid[9:15])


def rowid_ranges(predicates: list[str]) -> list[tuple[tuple[int, int, int], tuple[int, int, int]]]:
    """(obj, fno, block) bounds of every `ROWID BETWEEN` range; bigfile ROWIDs (obj 603 here) get fno 0."""
    out = []
    for pred in predicates:
        for part in pred.split(" OR "):
            inner = part.removeprefix("ROWID BETWEEN CHARTOROWID('").removesuffix("')")
            lo, hi = inner.split("') AND CHARTOROWID('")
            big = lo.startswith(encode_rowid(603, 0, 0, 0)[:6])
            out.append((_decode(lo, big), _decode(hi, big)))
    return out


def test_rowid_ranges_cover_every_block_exactly_once(d: OracleDialect) -> None:
    extents = [  # (data_object_id, relative_fno, block_id, blocks, bigfile), as EXTENTS_SQL orders them
        (501, 4, 128, 8, "NO"), (501, 4, 136, 8, "NO"), (501, 4, 1024, 128, "NO"), (501, 5, 8, 128, "NO"),
        (502, 4, 200, 8, "NO"), (502, 4, 4096, 1024, "NO"),  # a second partition
        (603, 1024, 70000, 1024, "YES"),  # a partition in a bigfile tablespace
    ]
    conn = FakeConnection({"dba_extents": extents})
    preds = d.physical_predicates(conn, T, 4)
    assert preds is not None and len(preds) == 4
    for pred in preds:
        parses(d.select_sql(T, ALL_KINDS, pred, None, as_of="SCN 1"))
    ranges = rowid_ranges(preds)
    for obj, fno, block, blocks, big in extents:
        fno = 0 if big == "YES" else fno
        for b in range(block, block + blocks):
            holders = [r for r in ranges if r[0][0] == r[1][0] == obj and r[0][1:] <= (fno, b) <= r[1][1:]]
            assert len(holders) == 1, (obj, fno, b)
    assert conn.executed[-1][1] == {"owner": "SALES", "tab": "ORDERS"}
    assert_all_parse_with_binds(conn)


def test_one_large_extent_is_cut_into_equal_block_ranges(d: OracleDialect) -> None:
    preds = d.physical_predicates(FakeConnection({"dba_extents": [(7, 4, 1000, 1024, "NO")]}), T, 4)
    assert preds is not None
    assert [(lo[2], hi[2]) for lo, hi in rowid_ranges(preds)] == [
        (1000, 1255), (1256, 1511), (1512, 1767), (1768, 2023)
    ]


def test_physical_falls_back_to_ora_hash_of_rowid(d: OracleDialect) -> None:
    denied = FakeConnection({
        "dba_extents": oracledb.DatabaseError("ORA-00942: table or view does not exist"),
    })
    expected = ["ORA_HASH(ROWID, 2) = 0", "ORA_HASH(ROWID, 2) = 1", "ORA_HASH(ROWID, 2) = 2"]
    assert d.physical_predicates(denied, T, 3) == expected
    assert d.physical_predicates(FakeConnection({"dba_extents": []}), T, 3) == expected  # no segment yet


# ------------------------------------------------------------------------------- reading
class FakeArrowConnection:
    def __init__(self, frames: list[pa.Table] | Exception) -> None:
        self.frames = frames
        self.calls: list[dict[str, Any]] = []

    def fetch_df_batches(self, **kw: Any) -> Any:
        self.calls.append(kw)
        if isinstance(self.frames, Exception):
            raise self.frames
        yield from self.frames


def test_read_arrow_requests_the_schema_and_casts_to_it(d: OracleDialect) -> None:
    cols = [col("ID", "NUMBER(10,0)", "decimal(10,0)"), col("AT", "TIMESTAMP(6) WITH TIME ZONE", "timestamp")]
    schema = arrow_schema(cols)
    driver_schema = pa.schema([("ID", pa.decimal128(10, 0)), ("AT", pa.timestamp("us"))])
    frame = pa.table({"ID": [1, 2], "AT": [dt.datetime(2024, 1, 1), None]}, schema=driver_schema)
    conn = FakeArrowConnection([frame, frame.slice(0, 0)])
    batches = list(d.read_arrow(conn, "SELECT 1 FROM dual", schema, 5000))
    assert conn.calls == [
        {"statement": "SELECT 1 FROM dual", "size": 5000, "requested_schema": driver_schema}
    ]
    assert len(batches) == 1 and batches[0].schema == schema
    assert batches[0].column(1)[0].as_py() == dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)


def test_decimal_overflow_names_the_fix(d: OracleDialect) -> None:
    error = oracledb.DatabaseError("DPY-4042: 1e+40 cannot be converted to an Apache Arrow decimal(38, 10)")
    schema = arrow_schema([col("X", "NUMBER", "decimal(38,10)")])
    with pytest.raises(ValueError, match="source.number_type"):
        list(d.read_arrow(FakeArrowConnection(error), "SELECT 1 FROM dual", schema, 10))
