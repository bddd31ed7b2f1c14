"""MySQLDialect: type mapping, SQL text and histogram parsing as pure functions, then catalog, plans and
reads on a live throwaway MariaDB server (started once per test session)."""

from __future__ import annotations

import datetime as dt
import decimal
import json
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pymysql
import pytest
import sqlglot
from pydantic import ValidationError

from data_extractor import Extractor
from data_extractor.config.models import SourceConfig
from data_extractor.errors import SourceError, UserError
from data_extractor.source.dialects import get_dialect
from data_extractor.source.dialects.base import ColumnInfo, TableRef
from data_extractor.source.dialects.mysql import (
    COLUMNS_SQL,
    INDEXES_SQL,
    MARIADB_STATS_SQL,
    MYSQL_STATS_SQL,
    SCHEMAS_SQL,
    SNAPSHOT_NOTE,
    TABLES_SQL,
    MySQLDialect,
    mariadb_distribution,
    mysql_distribution,
    result_type,
    select_template,
    spark_type_for,
)
from data_extractor.source.typemap import arrow_schema
from mysqlserver import MariaDBServer, shared_server

T = TableRef("shop", "orders")
NT = "decimal(38,10)"


def source(**kw: Any) -> SourceConfig:
    base = dict(type="mysql", host="db", port=3306, database="shop", user="u", password="p")
    return SourceConfig(**{**base, **kw})


@pytest.fixture
def d() -> MySQLDialect:
    dialect = get_dialect(source())
    assert isinstance(dialect, MySQLDialect)
    return dialect


def parses(sql: str) -> None:
    sqlglot.parse_one(sql.replace("%s", "'x'"), read="mysql")  # raises on a syntax error


def col(name: str, source_type: str) -> ColumnInfo:
    return ColumnInfo(name, source_type, spark_type_for(source_type, NT)[0])


# ============================================================================ without a server
def test_mariadb_is_an_alias_of_mysql() -> None:
    assert isinstance(get_dialect(source(type="mariadb")), MySQLDialect)


@pytest.mark.parametrize("key", ["host", "database", "user"])
def test_required_keys_name_the_missing_key(key: str) -> None:
    with pytest.raises(ValidationError, match=f"source.{key}"):
        source(**{key: None})


def test_describe_jdbc_url_and_properties(d: MySQLDialect) -> None:
    secret = get_dialect(source(password="Sup3r-s3cret"))
    assert secret.describe() == "mysql://u@db:3306/shop"
    assert secret.jdbc_url() == "jdbc:mysql://db:3306/shop?permitMysqlScheme"
    assert "Sup3r-s3cret" not in secret.describe() + secret.jdbc_url()
    props = secret.jdbc_properties()
    assert props["driver"] == "org.mariadb.jdbc.Driver" and props["sessionVariables"] == "time_zone='+00:00'"
    assert MySQLDialect.jdbc_jar == "/usr/share/java/mariadb-java-client.jar"


def test_connect_speaks_utf8mb4_in_utc_with_autocommit(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(pymysql, "connect", lambda **kw: calls.append(kw) or "conn")
    assert get_dialect(source(options={"unix_socket": "/run/mysqld.sock"})).connect() == "conn"
    assert calls == [{
        "host": "db", "port": 3306, "user": "u", "password": "p", "database": "shop", "charset": "utf8mb4",
        "connect_timeout": 10, "autocommit": True, "init_command": "SET time_zone = '+00:00', net_write_timeout = 600",
        "program_name": "data-extractor", "unix_socket": "/run/mysqld.sock",
    }]


def test_a_driver_message_echoing_the_password_is_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(**kw: Any) -> None:
        raise pymysql.OperationalError(1045, f"Access denied for user 'u' (using password {kw['password']})")

    monkeypatch.setattr(pymysql, "connect", fail)
    with pytest.raises(SourceError, match="user name or password was refused") as err:
        get_dialect(source(password="Echo-Me-123")).connect()
    assert "Echo-Me-123" not in str(err.value)


def test_no_snapshot_across_connections(d: MySQLDialect) -> None:
    assert d.snapshot_note == SNAPSHOT_NOTE and "cannot share one consistent snapshot" in SNAPSHOT_NOTE
    with pytest.raises(UserError, match="cannot share one consistent snapshot"):
        d.open_snapshot(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("column_type", "spark", "note"),
    [
        ("tinyint(1)", "boolean", "0 and 1"),
        ("tinyint(4)", "tinyint", None),
        ("tinyint", "tinyint", None),  # MySQL 8.0.19+ drops display widths
        ("tinyint(3) unsigned", "smallint", None),
        ("tinyint(1) unsigned", "smallint", None),
        ("smallint(6)", "smallint", None),
        ("smallint unsigned", "int", None),
        ("mediumint(9)", "int", None),
        ("mediumint(8) unsigned", "int", None),
        ("int(11)", "int", None),
        ("int(10) unsigned zerofill", "bigint", None),
        ("bigint(20)", "bigint", None),
        ("bigint(20) unsigned", "decimal(20,0)", None),
        ("bigint unsigned", "decimal(20,0)", None),
        ("decimal(12,2)", "decimal(12,2)", None),
        ("decimal(38,10)", "decimal(38,10)", None),
        ("decimal(10,0) unsigned", "decimal(10,0)", None),
        ("decimal(65,30)", NT, "source.number_type"),
        ("float", "float", None),
        ("float(7,4)", "float", None),
        ("double", "double", None),
        ("double(16,4) unsigned", "double", None),
        ("bit(1)", "boolean", None),
        ("bit(12)", "bigint", None),
        ("bit(64)", "decimal(20,0)", None),
        ("year(4)", "int", None),
        ("date", "date", "zero"),
        ("datetime(6)", "timestamp_ntz", "wall-clock"),
        ("datetime", "timestamp_ntz", "wall-clock"),
        ("timestamp(6)", "timestamp", "UTC"),
        ("time(3)", "string", "duration"),
        ("char(3)", "string", None),
        ("varchar(255)", "string", None),
        ("tinytext", "string", None),
        ("text", "string", None),
        ("mediumtext", "string", None),
        ("longtext", "string", None),  # MariaDB's JSON
        ("json", "string", None),  # MySQL's JSON
        ("enum('red','green','it''s, (odd)')", "string", None),
        ("set('a','b','c')", "string", None),
        ("binary(4)", "binary", None),
        ("varbinary(16)", "binary", None),
        ("tinyblob", "binary", None),
        ("blob", "binary", None),
        ("mediumblob", "binary", None),
        ("longblob", "binary", None),
        ("point", "binary", "WKB"),
        ("geometry", "binary", "WKB"),
        ("inet6", "string", "CAST AS CHAR"),
        ("uuid", "string", "CAST AS CHAR"),
    ],
)
def test_column_types_map(column_type: str, spark: str, note: str | None) -> None:
    got_spark, got_note = spark_type_for(column_type, NT)
    assert got_spark == spark
    if note is None:
        assert got_note is None
    else:
        assert got_note and note in got_note


def test_wide_decimals_take_the_configured_number_type() -> None:
    assert spark_type_for("decimal(40,4)", "decimal(38,4)")[0] == "decimal(38,4)"


@pytest.mark.parametrize(
    ("column_type", "template"),
    [
        ("bit(1)", "CAST({} AS UNSIGNED)"), ("bit(64)", "CAST({} AS UNSIGNED)"), ("year(4)", "CAST({} AS SIGNED)"),
        ("float", "({} + 0E0)"), ("time(3)", "CAST({} AS CHAR)"), ("inet6", "CAST({} AS CHAR)"),
        ("point", "ST_AsBinary({})"), ("int(11)", None), ("bigint(20) unsigned", None), ("double", None),
        ("decimal(65,30)", None), ("datetime(6)", None), ("timestamp", None), ("json", None),
        ("enum('a','b')", "CAST({} AS CHAR)"), ("set('a')", "CAST({} AS CHAR)"), ("char(3)", "CAST({} AS CHAR)"),
        ("varchar(3)", None), ("longblob", None), ("tinyint(1)", None), ("binary(4)", None),
    ],
)
def test_select_templates(column_type: str, template: str | None) -> None:
    assert select_template(column_type) == template


def test_identifiers_are_backquoted_exactly(d: MySQLDialect) -> None:
    assert d.table_sql(TableRef("my db", "odd`name")) == "`my db`.`odd``name`"
    parses(f"SELECT {d.quote('a`b')} FROM {d.table_sql(TableRef('my db', 'odd`name'))}")


def test_literals_parse_and_survive_any_sql_mode(d: MySQLDialect) -> None:
    aware = dt.datetime(2024, 1, 2, 5, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    expected = {
        "it's": "'it''s'",
        "ünï 😀": "'ünï 😀'",
        "back\\slash": "_utf8mb4 X'6261636B5C736C617368'",
        "tab\there": "_utf8mb4 X'7461620968657265'",
        dt.date(2024, 1, 2): "DATE '2024-01-02'",
        dt.datetime(2024, 1, 2, 3, 4, 5, 6): "TIMESTAMP '2024-01-02 03:04:05.000006'",
        aware: "TIMESTAMP '2024-01-02 03:00:00.000000'",
        decimal.Decimal("1E+3"): "1000",
        decimal.Decimal("18446744073709551615"): "18446744073709551615",
        1e-05: "1e-05",
        True: "1",
        None: "NULL",
    }
    for value, sql in expected.items():
        assert d.literal(value) == sql
        parses(f"SELECT * FROM {d.table_sql(T)} WHERE `c` >= {sql}")


def test_catalog_statements_parse() -> None:
    for sql in (SCHEMAS_SQL, TABLES_SQL, COLUMNS_SQL, INDEXES_SQL, MARIADB_STATS_SQL, MYSQL_STATS_SQL):
        parses(sql)


def test_hash_predicates_put_nulls_in_bucket_zero(d: MySQLDialect) -> None:
    preds = d.hash_predicates(col("k", "bigint(20)"), 3)
    assert preds == ["MOD(CRC32(`k`), 3) = 0 OR `k` IS NULL", "MOD(CRC32(`k`), 3) = 1", "MOD(CRC32(`k`), 3) = 2"]
    for p in preds:
        parses(d.select_sql(T, [col("k", "bigint(20)")], p, "`x` > 1"))


def test_sample_sql_samples_rows_with_a_seeded_rand(d: MySQLDialect) -> None:
    assert "RAND" not in d.sample_sql(T, "k", 100, None, 1.0)
    sql = d.sample_sql(T, "k", 10, "`x` > 1", 0.02)
    assert "WHERE (`k` IS NOT NULL) AND ((`x` > 1) AND RAND(42) < 0.020000)" in sql
    assert "NTILE(10) OVER (ORDER BY `k`)" in sql
    parses(sql)
    parses(d.sample_sql(T, "k", 10, None, 0.5))


def test_select_sql_with_every_kind_of_predicate_parses(d: MySQLDialect) -> None:
    cols = [col(n, t) for n, t in [("id", "bigint(20)"), ("f", "float"), ("b", "bit(8)"), ("t", "time"),
                                   ("g", "point"), ("y", "year(4)"), ("u", "uuid")]]
    predicates = [
        *d.range_predicates("id", [10, 20]),
        *d.range_predicates("at", [dt.datetime(2024, 1, 1), dt.datetime(2024, 6, 1, 12, 30)]),
        *d.range_predicates("day", [dt.date(2024, 1, 1)]),
        *d.range_predicates("name", ["M", "it's", "a\\b"]),
        *d.hash_predicates(cols[0], 4),
    ]
    for predicate in predicates:
        sql = d.select_sql(T, cols, predicate, None, snapshot=None)
        parses(sql)
    assert d.select_sql(T, cols, None, None) == (
        "SELECT `id`, (`f` + 0E0) AS `f`, CAST(`b` AS UNSIGNED) AS `b`, CAST(`t` AS CHAR) AS `t`,"
        " ST_AsBinary(`g`) AS `g`, CAST(`y` AS SIGNED) AS `y`, CAST(`u` AS CHAR) AS `u` FROM `shop`.`orders`"
    )


@pytest.mark.parametrize(
    ("args", "column_type"),
    [
        ((1, 0, 63, 1, 0), "tinyint(1)"), ((1, 32, 63, 3, 0), "tinyint unsigned"), ((1, 0, 63, 4, 0), "tinyint"),
        ((8, 32, 63, 20, 0), "bigint unsigned"), ((3, 0, 63, 11, 0), "int"), ((9, 32, 63, 8, 0), "mediumint unsigned"),
        ((246, 0, 63, 14, 2), "decimal(12,2)"), ((246, 32, 63, 13, 2), "decimal(12,2) unsigned"),
        ((246, 0, 63, 11, 0), "decimal(10,0)"), ((16, 32, 63, 12, 0), "bit(12)"), ((4, 0, 63, 12, 31), "float"),
        ((7, 0, 63, 26, 6), "timestamp"), ((12, 0, 63, 26, 6), "datetime"), ((10, 0, 63, 10, 0), "date"),
        ((11, 0, 63, 14, 3), "time"), ((13, 96, 63, 4, 0), "year"), ((245, 144, 45, 4294967295, 0), "json"),
        ((254, 256, 45, 20, 0), "enum"), ((254, 2048, 45, 20, 0), "set"), ((254, 0, 45, 12, 0), "char"),
        ((254, 128, 63, 4, 0), "binary"), ((253, 0, 45, 400, 0), "varchar"), ((253, 128, 63, 16, 0), "varbinary"),
        ((252, 16, 45, 262140, 0), "text"), ((252, 144, 63, 65535, 0), "blob"), ((255, 144, 63, 0, 0), "geometry"),
    ],
)
def test_result_columns_are_typed_from_protocol_metadata(args: tuple, column_type: str) -> None:
    assert result_type(*args) == column_type


# ------------------------------------------------------------------- histograms (canned shapes)
def test_mariadb_json_histogram_becomes_a_cdf() -> None:
    histogram = json.dumps({"target_histogram_size": 4, "histogram_hb": [
        {"start": "1", "size": 0.5, "ndv": 10}, {"start": "11", "size": 0.25, "ndv": 5},
        {"start": "20", "end": "100", "size": 0.25, "ndv": 50}]}).encode()
    dist = mariadb_distribution(("JSON_HB", histogram, b"1", b"100", decimal.Decimal("0.1")), col("k", "int(11)"))
    assert dist is not None and dist.source == "statistics"
    assert dist.points == [(1, 0.0), (11, 0.5), (20, 0.75), (100, 1.0)]
    assert dist.null_fraction == pytest.approx(0.1)


def test_mariadb_json_histogram_of_dates_and_datetimes() -> None:
    hb = {"histogram_hb": [{"start": "2024-01-01", "size": 0.5}, {"start": "2024-02-01", "end": "2024-03-01",
                                                                  "size": 0.5}]}
    dist = mariadb_distribution(("JSON_HB", json.dumps(hb), None, None, 0), col("d", "date"))
    assert dist is not None
    assert [p for p, _ in dist.points] == [dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 3, 1)]
    hb = {"histogram_hb": [{"start": "2024-01-01 10:00:00.500000", "end": "2024-01-02 00:00:00", "size": 1}]}
    dist = mariadb_distribution(("JSON_HB", json.dumps(hb), None, None, 0), col("t", "datetime(6)"))
    assert dist is not None and dist.points[0][0] == dt.datetime(2024, 1, 1, 10, 0, 0, 500000)


def test_mariadb_binary_histogram_places_endpoints_between_min_and_max() -> None:
    # DOUBLE_PREC_HB: 2-byte little-endian positions in [0, 65535] of (min, max); 3 endpoints = 4 equal buckets.
    data = (0).to_bytes(2, "little") + (32768).to_bytes(2, "little") + (65535).to_bytes(2, "little")
    dist = mariadb_distribution(("DOUBLE_PREC_HB", data, b"0", b"1000", decimal.Decimal("0")), col("k", "int(11)"))
    assert dist is not None
    assert dist.points == [(0, 0.0), (0, 0.25), (500, 0.5), (1000, 0.75), (1000, 1.0)]
    single = mariadb_distribution(("SINGLE_PREC_HB", bytes([0, 255]), b"1.5", b"2.5", 0), col("x", "decimal(4,1)"))
    assert single is not None and single.points[-2] == (decimal.Decimal("2.5"), 2 / 3)


def test_mariadb_binary_histograms_of_dates_are_not_used() -> None:
    # They place a date by its YYYYMMDD number, which is not linear in time.
    assert mariadb_distribution(("DOUBLE_PREC_HB", b"\x00\x80", b"2024-01-01", b"2024-12-31", 0),
                                col("d", "date")) is None


def test_mysql8_equi_height_and_singleton_histograms() -> None:
    equi = {"buckets": [[1, 10, 0.3, 10], [11, 50, 0.6, 40], [51, 1000, 0.9, 900]], "data-type": "int",
            "null-values": 0.1, "histogram-type": "equi-height"}
    dist = mysql_distribution(json.dumps(equi), col("k", "bigint"))
    assert dist is not None
    assert dist.points == [(1, 0.0), (10, pytest.approx(1 / 3)), (50, pytest.approx(2 / 3)), (1000, 1.0)]
    assert dist.null_fraction == pytest.approx(0.1)
    single = {"buckets": [["2024-01-01", 0.5], ["2024-01-02", 1.0]], "data-type": "date",
              "null-values": 0.0, "histogram-type": "singleton"}
    dist = mysql_distribution(single, col("d", "date"))
    assert dist is not None and dist.points == [(dt.date(2024, 1, 1), 0.0), (dt.date(2024, 1, 1), 0.5),
                                                (dt.date(2024, 1, 2), 1.0)]
    text = {"buckets": [["base64:type254:YQ==", 1.0]], "data-type": "string", "histogram-type": "singleton"}
    assert mysql_distribution(text, col("s", "varchar(5)")) is None


# ================================================================================ live MariaDB
@pytest.fixture(scope="session")
def mariadb(request: pytest.FixtureRequest) -> MariaDBServer:
    return shared_server(request.config)


@pytest.fixture()
def live(mariadb: MariaDBServer) -> Iterator[tuple[MySQLDialect, Any]]:
    dialect = get_dialect(SourceConfig(**mariadb.source()))
    conn = dialect.connect()
    yield dialect, conn  # type: ignore[misc]
    conn.close()


@pytest.mark.parametrize(
    ("change", "hint"),
    [
        ({"password": "wrong-password"}, "user name or password was refused"),
        ({"database": "no_such_db"}, "check source.database"),
        ({"port": 1}, "nothing is listening there"),
        ({"host": "no-such-host.invalid"}, "check source.host"),
    ],
)
def test_connect_failures_are_one_sentence_without_the_password(mariadb: MariaDBServer, change: dict,
                                                                 hint: str) -> None:
    dialect = get_dialect(SourceConfig(**{**mariadb.source(), **change}))
    with pytest.raises(SourceError, match=hint) as err:
        dialect.connect()
    message = str(err.value)
    assert message.startswith(f"cannot connect to {dialect.describe()}: ")
    assert "\n" not in message and mariadb.password not in message and "wrong-password" not in message


def test_sessions_are_utf8mb4_and_utc(live: tuple[MySQLDialect, Any]) -> None:
    dialect, conn = live
    row = dialect.fetch_one(conn, "SELECT @@session.time_zone, @@character_set_connection, @@autocommit")
    assert row == ("+00:00", "utf8mb4", 1)


@pytest.fixture(scope="module")
def browse_tables(mariadb: MariaDBServer) -> str:
    mariadb.execute(
        "DROP TABLE IF EXISTS orders, order_lines, `odd``name`",
        "DROP VIEW IF EXISTS big_orders",
        "CREATE TABLE orders (id BIGINT UNSIGNED PRIMARY KEY, amount DECIMAL(12,2) NOT NULL, note TEXT,"
        " created DATE, seen TIMESTAMP NULL, KEY (created))",
        "INSERT INTO orders SELECT seq, seq / 10, NULL, DATE '2024-01-01' + INTERVAL seq DAY, NULL"
        " FROM seq_1_to_500",
        "CREATE TABLE order_lines (order_id BIGINT, line_no INT, sku VARCHAR(20), PRIMARY KEY (line_no, order_id),"
        " KEY (sku, line_no))",
        "CREATE TABLE `odd``name` (`prénom` VARCHAR(10), `数量` INT NOT NULL)",
        "CREATE VIEW big_orders AS SELECT * FROM orders WHERE amount > 10",
        "ANALYZE TABLE orders",
    )
    return "shop"


def test_browse_lists_databases_tables_and_columns(mariadb: MariaDBServer, browse_tables: str) -> None:
    ex = Extractor({"source": mariadb.source()})
    try:
        schemas = ex.catalog.schemas()
        assert "shop" in schemas and not {"mysql", "information_schema", "performance_schema", "sys"} & set(schemas)
        tables = {t.name: t for t in ex.catalog.tables("shop")}
        assert {"orders", "order_lines", "odd`name", "big_orders"} <= set(tables)
        assert tables["orders"].kind == "table" and tables["orders"].rows == 500 and tables["orders"].bytes
        assert tables["big_orders"].kind == "view" and tables["big_orders"].rows is None
        assert sorted(t.name for t in ex.catalog.tables(pattern="ORDER*")) == ["order_lines", "orders"]
        cols = [(c.name, c.source_type, c.spark_type, c.nullable, c.primary_key, c.indexed)
                for c in ex.catalog.columns("shop.orders")]
        assert cols == [
            ("id", "bigint(20) unsigned", "decimal(20,0)", False, 1, True),
            ("amount", "decimal(12,2)", "decimal(12,2)", False, None, False),
            ("note", "text", "string", True, None, False),
            ("created", "date", "date", True, None, True),
            ("seen", "timestamp", "timestamp", True, None, False),
        ]
        lines = {c.name: (c.primary_key, c.indexed) for c in ex.catalog.columns("order_lines")}
        assert lines == {"order_id": (2, False), "line_no": (1, True), "sku": (None, True)}
        odd = ex.catalog.columns('shop."odd`name"')
        assert [(c.name, c.nullable) for c in odd] == [("prénom", True), ("数量", False)]
    finally:
        ex.close()


@pytest.mark.parametrize("given", ['x"; drop table y; --', "orders; drop table x", "orders' OR '1'='1",
                                   "shop.orders`; drop table x"])
def test_hostile_table_names_are_refused_and_run_nothing(mariadb: MariaDBServer, browse_tables: str,
                                                         given: str) -> None:
    mariadb.execute("CREATE TABLE IF NOT EXISTS x (id INT)", "CREATE TABLE IF NOT EXISTS y (id INT)")
    ex = Extractor({"source": mariadb.source()})
    try:
        with pytest.raises(UserError) as info:
            ex.plan(given)
        assert "\n" not in str(info.value)
    finally:
        ex.close()
    assert {"x", "y"} <= {r[0] for r in mariadb.query("SHOW TABLES")}


def test_a_custom_query_is_typed_like_the_tables_it_reads(mariadb: MariaDBServer, live) -> None:
    dialect, conn = live
    mariadb.execute(
        "DROP TABLE IF EXISTS kinds",
        "CREATE TABLE kinds (id BIGINT UNSIGNED PRIMARY KEY, flag TINYINT(1), tiny TINYINT, ut TINYINT UNSIGNED,"
        " m MEDIUMINT, ui INT UNSIGNED, amount DECIMAL(12,2), ua DECIMAL(10,3) UNSIGNED, wide DECIMAL(65,30),"
        " f FLOAT, d DOUBLE, b1 BIT(1), b9 BIT(9), day DATE, at DATETIME(6), ts TIMESTAMP NULL, span TIME, yr YEAR,"
        " c CHAR(3), v VARCHAR(9), t TEXT, e ENUM('x', 'y'), s SET('p', 'q'), j JSON, bn BINARY(2), vb VARBINARY(8),"
        " bl BLOB, g POINT)",
    )
    table = dialect.columns(conn, TableRef("shop", "kinds"))
    query = dialect.query_columns(conn, "SELECT k.* FROM kinds AS k JOIN kinds AS k2 ON k2.id = k.id")
    assert [(c.name, c.spark_type) for c in query] == [(c.name, c.spark_type) for c in table]
    for q, t in zip(query, table, strict=True):  # the same SELECT expressions, hence the same values
        assert select_template(q.source_type) == select_template(t.source_type), (q.source_type, t.source_type)


# ---------------------------------------------------------------------------------- planning
TOTAL = 1_000_000


@pytest.fixture(scope="module")
def skewed(mariadb: MariaDBServer) -> str:
    mariadb.execute(
        "DROP TABLE IF EXISTS skewed",
        "CREATE TABLE skewed (id BIGINT AUTO_INCREMENT PRIMARY KEY, k BIGINT, payload VARCHAR(10), KEY (k))",
        # 90% of the rows in the lowest 10% of k's range, then a sparse tail, then NULL keys.
        "INSERT INTO skewed (k, payload) SELECT seq, 'dense' FROM seq_1_to_900000",
        "INSERT INTO skewed (k, payload) SELECT 900000 + seq * 81, 'tail' FROM seq_1_to_99000",
        "INSERT INTO skewed (k) SELECT NULL FROM seq_1_to_1000",
        "ANALYZE TABLE skewed PERSISTENT FOR COLUMNS (k) INDEXES ()",
    )
    return "shop.skewed"


@pytest.fixture()
def extractor(mariadb: MariaDBServer) -> Iterator[Extractor]:
    ex = Extractor({"source": mariadb.source(), "tables": [{"name": "shop.skewed"}]})
    yield ex
    ex.close()


def counts(mariadb: MariaDBServer, table: str, preds: list[str]) -> tuple[list[int], int]:
    """Rows matching each predicate, and rows matched by anything other than exactly one."""
    each = [mariadb.query(f"SELECT COUNT(*) FROM {table} WHERE {p}")[0][0] for p in preds]
    hits = " + ".join(f"(CASE WHEN {p} THEN 1 ELSE 0 END)" for p in preds)
    bad = mariadb.query(f"SELECT COUNT(*) FROM {table} WHERE {hits} <> 1")[0][0]
    return each, bad


def test_balanced_plan_on_skewed_key_is_even_and_covers_every_row_once(extractor, skewed, mariadb) -> None:
    plan = extractor.plan(skewed, strategy="balanced", partitions=8, column="k")
    assert plan.strategy == "balanced" and plan.column == "k" and len(plan.partitions) == 8
    assert any("PERSISTENT" in n for n in plan.notes), plan.notes  # from the histogram, no table scan
    assert plan.skew is not None and plan.skew <= 1.3
    each, bad = counts(mariadb, "skewed", [p.predicate for p in plan.partitions])
    assert bad == 0 and sum(each) == TOTAL
    assert max(each) / (sum(each) / len(each)) <= 1.3, each


def test_range_plan_on_the_same_key_shows_its_skew(extractor, skewed, mariadb) -> None:
    plan = extractor.plan(skewed, strategy="range", partitions=8, column="k")
    assert len(plan.partitions) == 8 and plan.skew is not None and plan.skew > 3
    assert any("skewed" in w for w in plan.warnings)
    each, bad = counts(mariadb, "skewed", [p.predicate for p in plan.partitions])
    assert bad == 0 and sum(each) == TOTAL
    assert max(each) / (sum(each) / 8) > 3


def test_balanced_without_histogram_access_samples_the_table(skewed, mariadb) -> None:
    mariadb.execute("CREATE USER IF NOT EXISTS 'plain'@'%' IDENTIFIED BY 'plain-pw'",
                    "GRANT SELECT ON shop.* TO 'plain'@'%'")
    ex = Extractor({"source": {**mariadb.source(), "user": "plain", "password": "plain-pw"}})
    try:
        plan = ex.plan(skewed, strategy="balanced", partitions=8, column="k")
    finally:
        ex.close()
    assert not any("PERSISTENT" in n for n in plan.notes), plan.notes
    each, bad = counts(mariadb, "skewed", [p.predicate for p in plan.partitions])
    assert bad == 0 and sum(each) == TOTAL and max(each) / (TOTAL / 8) <= 1.3, each


def test_balanced_on_a_text_key_with_two_values(extractor, skewed, mariadb) -> None:
    plan = extractor.plan(skewed, strategy="balanced", partitions=8, column="payload")
    each, bad = counts(mariadb, "skewed", [p.predicate for p in plan.partitions])
    assert bad == 0 and sum(each) == TOTAL  # a text key with two values: few partitions, all rows once


@pytest.mark.parametrize("strategy", ["hash", "none"])
def test_other_strategies_cover_every_row_once(extractor, skewed, mariadb, strategy) -> None:
    plan = extractor.plan(skewed, strategy=strategy, partitions=4, column="k")
    preds = [p.predicate or "TRUE" for p in plan.partitions]
    each, bad = counts(mariadb, "skewed", preds)
    assert bad == 0 and sum(each) == TOTAL
    if strategy != "none":
        assert len(preds) == 4 and min(each) > 0


def test_physical_is_refused_with_the_alternatives(extractor, skewed) -> None:
    with pytest.raises(UserError, match="use balanced, hash or none"):
        extractor.plan(skewed, strategy="physical", partitions=4)


def test_auto_picks_balanced_on_the_primary_key_for_a_big_table(mariadb, skewed) -> None:
    ex = Extractor({"source": mariadb.source(), "defaults": {"partitioning": {"target_rows": 250_000}}})
    try:
        plan = ex.plan("skewed")
    finally:
        ex.close()
    assert (plan.strategy, plan.column, len(plan.partitions)) == ("balanced", "id", 4)
    assert plan.skew is not None and plan.skew <= 1.1


def test_json_histograms_of_dates_split_evenly(mariadb: MariaDBServer, live) -> None:
    dialect, conn = live
    mariadb.execute(
        "DROP TABLE IF EXISTS events",
        "CREATE TABLE events (id INT PRIMARY KEY, day DATE, at DATETIME(6), KEY (day))",
        "INSERT INTO events SELECT seq, DATE '2020-01-01' + INTERVAL (seq % 1000) DAY,"
        " TIMESTAMP '2020-01-01 00:00:00' + INTERVAL seq SECOND FROM seq_1_to_100000",
    )
    with mariadb.admin() as admin, admin.cursor() as cur:
        cur.execute("SET SESSION histogram_type = 'JSON_HB'")
        cur.execute("ANALYZE TABLE events PERSISTENT FOR COLUMNS (day, at) INDEXES ()")
    cols = {c.name: c for c in dialect.columns(conn, TableRef("shop", "events"))}
    for name, lo in (("day", dt.date(2020, 1, 1)), ("at", dt.datetime(2020, 1, 1, 0, 0, 1))):
        dist = dialect.statistics_distribution(conn, TableRef("shop", "events"), cols[name])
        assert dist is not None and "JSON_HB" in (dist.note or "") and dist.points[0] == (lo, 0.0)
    ex = Extractor({"source": mariadb.source()})
    try:
        plan = ex.plan("events", strategy="balanced", partitions=5, column="day")
    finally:
        ex.close()
    each, bad = counts(mariadb, "events", [p.predicate for p in plan.partitions])
    assert bad == 0 and sum(each) == 100_000 and max(each) <= 1.1 * 20_000, each


def test_a_plan_of_several_partitions_warns_that_they_share_no_snapshot(extractor, skewed) -> None:
    plan = extractor.plan(skewed, strategy="hash", partitions=4, column="k")
    assert SNAPSHOT_NOTE in plan.warnings
    assert SNAPSHOT_NOTE not in extractor.plan(skewed, strategy="none").warnings


def test_balanced_on_mixed_case_text_under_a_case_insensitive_collation(mariadb: MariaDBServer) -> None:
    mariadb.execute(
        "DROP TABLE IF EXISTS words",
        "CREATE TABLE words (id INT PRIMARY KEY, w VARCHAR(20), KEY (w))",
        "INSERT INTO words SELECT seq, CONCAT(IF(seq % 1000 < 500, 'X', 'x'), LPAD(seq, 6, '0'))"
        " FROM seq_1_to_50000",
    )
    ex = Extractor({"source": mariadb.source()})
    try:
        plan = ex.plan("words", strategy="balanced", partitions=8, column="w")
    finally:
        ex.close()
    each, bad = counts(mariadb, "words", [p.predicate for p in plan.partitions])
    assert bad == 0 and sum(each) == 50_000


# ----------------------------------------------------------------------------------- reading
def read_all(dialect: MySQLDialect, table: str, fetch_size: int = 1000) -> pa.Table:
    cols = dialect.columns(conn := dialect.connect(), TableRef("shop", table))
    try:
        sql = dialect.select_sql(TableRef("shop", table), cols, None, None)
        schema = arrow_schema(cols)
        return pa.Table.from_batches(list(dialect.read_arrow(conn, sql, schema, fetch_size)), schema=schema)
    finally:
        try:
            conn.close()
        except pymysql.Error:  # already closed by a failed read
            pass


def test_read_arrow_streams_batches_and_keeps_floats_exact(mariadb: MariaDBServer, live) -> None:
    dialect, _ = live
    mariadb.execute(
        "DROP TABLE IF EXISTS nums",
        "CREATE TABLE nums (id INT PRIMARY KEY, f FLOAT, w DECIMAL(65,30), b BIT(64), flag TINYINT(1))",
        "INSERT INTO nums VALUES (1, 16777215, 1.5, 18446744073709551615, 1), (2, 24998.75, -0.0000000125, 0, 0),"
        " (3, NULL, NULL, NULL, NULL)",
        "INSERT INTO nums SELECT 3 + seq, seq * 1.25, seq, seq, seq % 2 FROM seq_1_to_2500",
    )
    table = read_all(dialect, "nums", fetch_size=1000)
    assert table.num_rows == 2503 and len(table.to_batches()) == 3  # fetch_size rows per batch
    rows = {r["id"]: r for r in table.to_pylist()}
    assert rows[1] == {"id": 1, "f": 16777215.0, "w": decimal.Decimal("1.5"), "b": decimal.Decimal(2**64 - 1),
                       "flag": True}
    assert rows[2]["f"] == 24998.75 and rows[2]["w"] == decimal.Decimal("-1.25E-8") and rows[2]["flag"] is False
    assert rows[3] == {"id": 3, "f": None, "w": None, "b": None, "flag": None}


def test_a_value_too_wide_for_number_type_names_the_fix(mariadb: MariaDBServer, live) -> None:
    dialect, _ = live
    mariadb.execute("DROP TABLE IF EXISTS wide", "CREATE TABLE wide (w DECIMAL(65,30))",
                    "INSERT INTO wide VALUES (0.000000000000000000000000000001)")
    with pytest.raises(ValueError, match="column 'w'.*source.number_type"):
        read_all(dialect, "wide")


def test_zero_dates_fail_loudly_with_the_fix(mariadb: MariaDBServer, live) -> None:
    dialect, _ = live
    with mariadb.admin() as admin, admin.cursor() as cur:
        cur.execute("SET SESSION sql_mode = ''")  # what old applications run with
        cur.execute("DROP TABLE IF EXISTS legacy")
        cur.execute("CREATE TABLE legacy (id INT PRIMARY KEY, d DATE, t DATETIME)")
        cur.execute("INSERT INTO legacy VALUES (1, '2024-01-02', '2024-01-02 03:04:05'), (2, '0000-00-00', NULL)")
    with pytest.raises(ValueError, match=r"column 'd' holds '0000-00-00'.*set those values to NULL") as err:
        read_all(dialect, "legacy")
    assert "where:" in str(err.value)


def test_tinyint1_holding_other_values_fails_loudly(mariadb: MariaDBServer, live) -> None:
    dialect, _ = live
    mariadb.execute("DROP TABLE IF EXISTS flags", "CREATE TABLE flags (f TINYINT(1))",
                    "INSERT INTO flags VALUES (0), (1), (2)")
    with pytest.raises(ValueError, match="column 'f' is read as boolean .* holds 2"):
        read_all(dialect, "flags")
