"""The catalog on a live PostgreSQL and on SQLite: listing, columns, estimates, and name resolution
that finds what the user meant and refuses everything else, hostile names included."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from data_extractor import Extractor
from data_extractor.errors import UserError
from data_extractor.source.catalog import Catalog, split_name
from data_extractor.source.dialects.base import TableRef

HOSTILE = ["orders; drop table x", 'x"; drop table y; --', "orders' OR '1'='1",
           "cat_test.orders; drop table x"]


# --------------------------------------------------------------------- PostgreSQL


@pytest.fixture(scope="module")
def pg_schema(pg, pg_conn) -> str:
    for sql in [
        "DROP SCHEMA IF EXISTS cat_test CASCADE",
        "DROP SCHEMA IF EXISTS cat_other CASCADE",
        "CREATE SCHEMA cat_test",
        "CREATE SCHEMA cat_other",
        "CREATE TABLE IF NOT EXISTS public.x (id int)",
        "CREATE TABLE IF NOT EXISTS public.y (id int)",
        "CREATE TABLE cat_test.orders (id bigint PRIMARY KEY, amount numeric(12,2) NOT NULL, note text,"
        " created date, seen timestamptz, tags text[])",
        "CREATE INDEX ON cat_test.orders (created)",
        "INSERT INTO cat_test.orders SELECT g, g / 10.0, NULL, DATE '2024-01-01' + g, now(), NULL"
        " FROM generate_series(1, 500) g",
        "ANALYZE cat_test.orders",
        "CREATE TABLE cat_test.order_archive (id bigint)",
        'CREATE TABLE cat_test."MixedCase" (id int)',
        'CREATE TABLE cat_test."with space" (id int)',
        'CREATE TABLE cat_test."a""b" (id int)',
        'INSERT INTO cat_test."a""b" VALUES (1), (2), (3)',
        "CREATE TABLE cat_test.\"it's; here\" (id int)",
        "INSERT INTO cat_test.\"it's; here\" VALUES (1), (2)",
        'CREATE TABLE cat_test.unicode ("prénom" text, "数量" integer NOT NULL, "Ünïcødé Mixed" text)',
        "CREATE TABLE cat_test.lines (order_id bigint, line_no int, sku text,"
        " PRIMARY KEY (order_id, line_no))",
        "CREATE INDEX ON cat_test.lines (sku)",
        "CREATE VIEW cat_test.big_orders AS SELECT * FROM cat_test.orders WHERE amount > 10",
        'CREATE TABLE cat_test."Dup" (id int)',
        "CREATE TABLE cat_test.dup (id int)",
    ]:
        pg_conn.execute(sql)
    return "cat_test"


@pytest.fixture()
def pgcat(pg, pg_schema) -> Iterator[Catalog]:
    ex = Extractor({"source": pg.source()})
    yield ex.catalog
    ex.close()


def names(tables) -> list[str]:
    return [t.name for t in tables]


def test_pg_schemas_lists_user_schemas_without_system_ones(pgcat):
    schemas = pgcat.schemas()
    assert {"cat_test", "cat_other", "public"} <= set(schemas)
    assert not any(s in ("pg_catalog", "information_schema") or s.startswith("pg_") for s in schemas)
    assert pgcat.default_schema() == "public"


def test_pg_tables_lists_tables_and_views_with_their_kind(pgcat):
    tables = {t.name: t for t in pgcat.tables("cat_test")}
    assert {"orders", "order_archive", "MixedCase", "with space", 'a"b', "it's; here", "unicode", "lines",
            "big_orders", "Dup", "dup"} == set(tables)
    assert tables["big_orders"].kind == "view" and tables["orders"].kind == "table"
    assert all(t.schema == "cat_test" for t in tables.values())
    assert pgcat.tables("cat_other") == []


def test_pg_tables_without_a_schema_lists_the_default_schema(pgcat):
    assert {"x", "y"} <= set(names(pgcat.tables()))


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("*order*", ["big_orders", "order_archive", "orders"]),  # glob
        ("ORD*", ["order_archive", "orders"]),  # glob, any case
        ("mixed", ["MixedCase"]),  # substring, any case
        ("?ines", ["lines"]),
        ("space", ["with space"]),
        ('"', ['a"b']),
        ("nothing-like-this", []),
    ],
)
def test_pg_tables_filter_by_glob_or_substring(pgcat, pattern, expected):
    assert sorted(names(pgcat.tables("cat_test", pattern))) == sorted(expected)


def test_pg_columns_report_types_nullability_and_indexes(pgcat):
    cols = {c.name: c for c in pgcat.columns("cat_test.orders")}
    assert list(cols) == ["id", "amount", "note", "created", "seen", "tags"]
    assert {n: c.spark_type for n, c in cols.items()} == {
        "id": "bigint", "amount": "decimal(12,2)", "note": "string", "created": "date", "seen": "timestamp",
        "tags": "string",
    }
    assert cols["amount"].source_type == "numeric(12,2)" and "array" in (cols["tags"].note or "")
    assert [n for n, c in cols.items() if not c.nullable] == ["id", "amount"]
    assert [n for n, c in cols.items() if c.indexed] == ["id", "created"]
    assert [n for n, c in cols.items() if c.primary_key is not None] == ["id"]


def test_pg_composite_primary_key_columns_are_marked(pgcat):
    cols = {c.name: c for c in pgcat.columns("cat_test.lines")}
    assert cols["order_id"].primary_key is not None and cols["line_no"].primary_key is not None
    assert cols["sku"].primary_key is None
    assert not cols["order_id"].nullable and not cols["line_no"].nullable
    assert (cols["order_id"].indexed, cols["line_no"].indexed, cols["sku"].indexed) == (True, False, True)


def test_pg_primary_key_positions_are_one_based(pgcat):
    lines = {c.name: c.primary_key for c in pgcat.columns("cat_test.lines")}
    assert (lines["order_id"], lines["line_no"]) == (1, 2)
    assert [c.name for c in pgcat.columns("cat_test.orders") if c.primary_key] == ["id"]


def test_pg_unicode_column_names_come_back_exactly(pgcat):
    cols = pgcat.columns("cat_test.unicode")
    assert [c.name for c in cols] == ["prénom", "数量", "Ünïcødé Mixed"]
    assert [c.spark_type for c in cols] == ["string", "int", "string"]
    assert [c.nullable for c in cols] == [True, False, True]
    picked = pgcat.select_columns(pgcat.resolve("cat_test.unicode"), ["数量", "ünïcødé mixed"])
    assert [c.name for c in picked] == ["数量", "Ünïcødé Mixed"]


def test_pg_estimate_uses_statistics_and_sizes(pgcat):
    orders = pgcat.estimate("cat_test.orders")
    assert (orders.schema, orders.name, orders.rows) == ("cat_test", "orders", 500)
    assert orders.bytes and orders.bytes > 8192
    never_analyzed = pgcat.estimate('cat_test."a""b"')
    assert never_analyzed.rows is None and never_analyzed.bytes is not None


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("cat_test.orders", ("cat_test", "orders")),
        ("CAT_TEST.ORDERS", ("cat_test", "orders")),
        ('cat_test."MixedCase"', ("cat_test", "MixedCase")),
        ("cat_test.mixedcase", ("cat_test", "MixedCase")),
        ("cat_test.with space", ("cat_test", "with space")),
        ('"cat_test"."with space"', ("cat_test", "with space")),
        ('cat_test."a""b"', ("cat_test", 'a"b')),
        ("cat_test.it's; here", ("cat_test", "it's; here")),
        ("cat_test.Dup", ("cat_test", "Dup")),  # exact wins over the case-insensitive twin
        ("cat_test.dup", ("cat_test", "dup")),
        ("x", ("public", "x")),  # unqualified: the default schema
        ("cat_test.Big_Orders", ("cat_test", "big_orders")),
    ],
)
def test_pg_resolve_finds_exact_and_unique_case_insensitive_names(pgcat, given, expected):
    assert pgcat.resolve(given) == TableRef(*expected)


def test_pg_resolve_accepts_a_table_ref(pgcat):
    assert pgcat.resolve(TableRef("CAT_TEST", "MIXEDCASE")) == TableRef("cat_test", "MixedCase")


def test_pg_resolve_refuses_a_name_that_matches_two_tables_by_case(pgcat):
    with pytest.raises(UserError, match="'DUP' was not found.*did you mean"):
        pgcat.resolve("cat_test.DUP")


@pytest.mark.parametrize("given", HOSTILE)
def test_pg_resolve_refuses_injection_attempts_and_runs_nothing(pgcat, pg_conn, given):
    with pytest.raises(UserError) as info:
        pgcat.resolve(given)
    assert "\n" not in str(info.value)
    remaining = {r[0] for r in pg_conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert {"x", "y"} <= remaining


@pytest.mark.parametrize(
    ("given", "suggestion"),
    [("cat_test.ordrs", "'orders'"), ("cat_test.line", "'lines'"), ("cat_tst.orders", "'cat_test'"),
     ("cat_test.MixedCas", "'MixedCase'")],
)
def test_pg_unknown_names_are_refused_with_close_matches(pgcat, given, suggestion):
    with pytest.raises(UserError, match="was not found") as info:
        pgcat.resolve(given)
    assert "did you mean" in str(info.value) and suggestion in str(info.value)


def test_pg_unknown_name_with_nothing_close_points_to_browse(pgcat):
    with pytest.raises(UserError, match="browse"):
        pgcat.resolve("cat_test.zzzzzzzz")


def test_pg_select_columns_refuses_unknown_columns_and_suggests(pgcat):
    ref = pgcat.resolve("cat_test.orders")
    assert [c.name for c in pgcat.select_columns(ref, ["ID", "Amount"])] == ["id", "amount"]
    assert len(pgcat.select_columns(ref, None)) == 6
    with pytest.raises(UserError, match="column 'amout' was not found.*did you mean 'amount'"):
        pgcat.select_columns(ref, ["id", "amout"])
    with pytest.raises(UserError, match="not found"):
        pgcat.select_columns(ref, ['id"; drop table x; --'])


@pytest.mark.parametrize(("given", "rows"), [('cat_test."a""b"', 3), ("cat_test.it's; here", 2)])
def test_pg_hostile_table_names_are_quoted_safely(pg, pgcat, given, rows):
    ref = pgcat.resolve(given)
    dialect = pgcat.dialect
    assert dialect.fetch_one(pgcat.connection(), dialect.count_sql(ref))[0] == rows
    assert len(pgcat.columns(ref)) == 1
    with Extractor({"source": pg.source()}) as ex:
        plan = ex.plan(given, strategy="balanced", partitions=2, column="id")
    covered = sum(dialect.fetch_one(pgcat.connection(), dialect.count_sql(ref, predicate=p.predicate))[0]
                  for p in plan.partitions)
    assert covered == rows


def test_pg_catalog_serves_several_threads_at_once(pgcat):
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: names(pgcat.tables("cat_test", "ord*")), range(8)))
    assert all(r == results[0] for r in results) and results[0]
    assert len(pgcat._conns) >= 2  # one connection per thread


# ------------------------------------------------------------------------- SQLite


@pytest.fixture(scope="module")
def sqlite_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("catalog") / "cat.db"
    conn = sqlite3.connect(path)
    conn.executescript("""
        CREATE TABLE orders (id INTEGER PRIMARY KEY, amount DECIMAL(12,2) NOT NULL, note TEXT, created DATE,
                             seen TIMESTAMP, flag BOOLEAN, weight REAL, blob BLOB, anything);
        CREATE INDEX orders_created ON orders (created);
        CREATE TABLE order_archive (id INTEGER);
        CREATE TABLE "MixedCase" (id INTEGER);
        CREATE TABLE "with space" (id INTEGER);
        CREATE TABLE "a""b" (id INTEGER);
        CREATE TABLE "it's; here" (id INTEGER);
        CREATE TABLE x (id INTEGER);
        CREATE TABLE y (id INTEGER);
        CREATE TABLE "unicode" ("prénom" TEXT, "数量" INTEGER NOT NULL);
        CREATE TABLE lines (order_id INTEGER, line_no INTEGER, sku TEXT, PRIMARY KEY (order_id, line_no));
        CREATE VIEW big_orders AS SELECT * FROM orders WHERE amount > 10;
        INSERT INTO "a""b" VALUES (1), (2), (3);
        INSERT INTO "it's; here" VALUES (1), (2);
    """)
    conn.executemany("INSERT INTO orders (id, amount, created) VALUES (?, ?, ?)",
                     [(i, i / 10, f"2024-01-{1 + i % 28:02d}") for i in range(1, 251)])
    conn.commit()
    conn.close()
    return path


@pytest.fixture()
def sqcat(sqlite_db: Path) -> Iterator[Catalog]:
    ex = Extractor({"source": {"type": "sqlite", "path": str(sqlite_db)}})
    yield ex.catalog
    ex.close()


def test_sqlite_has_one_schema_main(sqcat):
    assert sqcat.schemas() == ["main"] and sqcat.default_schema() == "main"


def test_sqlite_tables_list_tables_and_views_with_exact_counts(sqcat):
    tables = {t.name: t for t in sqcat.tables()}
    assert {"orders", "order_archive", "MixedCase", "with space", 'a"b', "it's; here", "x", "y", "unicode",
            "lines", "big_orders"} == set(tables)
    assert tables["orders"].rows == 250 and tables['a"b'].rows == 3 and tables["big_orders"].rows == 150
    assert tables["big_orders"].kind == "view"
    assert sqcat.tables("main") == sqcat.tables()
    assert sqcat.tables("nope") == []


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [("*order*", ["big_orders", "order_archive", "orders"]), ("ORD*", ["order_archive", "orders"]),
     ("mixed", ["MixedCase"]), ("?", ["x", "y"]), ("'", ["it's; here"])],
)
def test_sqlite_tables_filter_by_glob_or_substring(sqcat, pattern, expected):
    assert sorted(names(sqcat.tables(None, pattern))) == sorted(expected)


def test_sqlite_columns_map_declared_types(sqcat):
    cols = {c.name: c for c in sqcat.columns("orders")}
    assert {n: c.spark_type for n, c in cols.items()} == {
        "id": "bigint", "amount": "decimal(12,2)", "note": "string", "created": "date",
        "seen": "timestamp_ntz", "flag": "boolean", "weight": "double", "blob": "binary",
        "anything": "string",
    }
    assert cols["anything"].source_type == "(none)"
    assert [n for n, c in cols.items() if not c.nullable] == ["id", "amount"]
    assert [n for n, c in cols.items() if c.indexed] == ["id", "created"]
    assert cols["id"].primary_key == 1


def test_sqlite_composite_primary_key_positions(sqcat):
    cols = {c.name: c for c in sqcat.columns("lines")}
    assert [cols[n].primary_key for n in ("order_id", "line_no", "sku")] == [1, 2, None]
    assert cols["order_id"].indexed and not cols["line_no"].indexed


def test_sqlite_unicode_columns_and_case_insensitive_selection(sqcat):
    ref = sqcat.resolve("UNICODE")
    assert [c.name for c in sqcat.columns(ref)] == ["prénom", "数量"]
    assert [c.name for c in sqcat.select_columns(ref, ["PRÉNOM"])] == ["prénom"]
    with pytest.raises(UserError, match="column 'prenom' was not found.*did you mean 'prénom'"):
        sqcat.select_columns(ref, ["prenom"])


def test_sqlite_estimate(sqcat):
    info = sqcat.estimate("Orders")
    assert (info.schema, info.name, info.rows) == ("main", "orders", 250)


@pytest.mark.parametrize(
    ("given", "expected"),
    [("orders", "orders"), ("main.ORDERS", "orders"), ("mixedcase", "MixedCase"),
     ("with space", "with space"), ('"a""b"', 'a"b'), ("it's; here", "it's; here"), ('"MAIN"."x"', "x")],
)
def test_sqlite_resolve_finds_exact_and_case_insensitive_names(sqcat, given, expected):
    assert sqcat.resolve(given) == TableRef("main", expected)


@pytest.mark.parametrize("given", HOSTILE)
def test_sqlite_resolve_refuses_injection_attempts(sqcat, sqlite_db, given):
    with pytest.raises(UserError):
        sqcat.resolve(given)
    conn = sqlite3.connect(sqlite_db)
    assert {"x", "y"} <= {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()


def test_sqlite_unknown_name_suggests_close_matches(sqcat):
    with pytest.raises(UserError, match="'ordrs' was not found in schema 'main'; did you mean 'orders'"):
        sqcat.resolve("ordrs")
    with pytest.raises(UserError, match="schema 'mian' was not found; did you mean 'main'"):
        sqcat.resolve("mian.orders")


@pytest.mark.parametrize(("given", "rows"), [('"a""b"', 3), ("it's; here", 2)])
def test_sqlite_hostile_table_names_are_quoted_safely(sqcat, given, rows):
    ref = sqcat.resolve(given)
    assert sqcat.dialect.fetch_one(sqcat.connection(), sqcat.dialect.count_sql(ref))[0] == rows
    assert sqcat.estimate(ref).rows == rows
    assert [c.name for c in sqcat.columns(ref)] == ["id"]


# ----------------------------------------------------------------- split_name


@pytest.mark.parametrize(
    ("given", "expected"),
    [("t", (None, "t")), ("s.t", ("s", "t")), ('"my.schema"."T"', ("my.schema", "T")),
     ('"a""b"', (None, 'a"b')), ("  s.t  ", ("s", "t"))],
)
def test_split_name_reads_plain_and_quoted_parts(given, expected):
    assert split_name(given) == expected


@pytest.mark.parametrize("given", ["a.b.c", "s.", ".t", '"open', 'x"; drop table y; --', ""])
def test_split_name_refuses_malformed_names(given):
    with pytest.raises(UserError, match="is not of the form"):
        split_name(given)


def test_pg_bulk_reads_run_without_jit(pgcat):
    """The server's JIT compile costs more than it saves on a scan streamed out by COPY: readers turn it off."""
    conn = pgcat.dialect.connect_reader()
    try:
        cur = conn.cursor()
        cur.execute("SELECT current_setting('jit')")
        assert cur.fetchone()[0] == "off"
        cur.close()
    finally:
        conn.close()
    with pgcat.connection().cursor() as cur:  # catalog and planning sessions keep the server's default
        cur.execute("SELECT current_setting('jit')")
        assert cur.fetchone()[0] == "on"
