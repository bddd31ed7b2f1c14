"""Partition plans on SQLite: every strategy covers every row exactly once, on awkward keys too."""

from __future__ import annotations

import datetime as dt
import json
import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from data_extractor import Extractor
from data_extractor.errors import UserError
from data_extractor.source.planning import PartitionPlan

ROWS = 2000

SCHEMA = """
CREATE TABLE ints (id INTEGER PRIMARY KEY, k INTEGER, s TEXT, d DATE, ts TIMESTAMP, amount DECIMAL(10,2));
CREATE TABLE texts (code TEXT PRIMARY KEY, v INTEGER);
CREATE TABLE dups (id INTEGER PRIMARY KEY, k INTEGER);
CREATE INDEX dups_k ON dups (k);
CREATE TABLE nokey (a TEXT, b REAL);
CREATE TABLE empty (id INTEGER PRIMARY KEY, k INTEGER, d DATE);
CREATE TABLE one (id INTEGER PRIMARY KEY, k INTEGER, d DATE);
CREATE TABLE norowid (code TEXT PRIMARY KEY, v INTEGER) WITHOUT ROWID;
CREATE VIEW v_ints AS SELECT id, k FROM ints;
"""


def build(path: Path) -> None:
    rnd = random.Random(7)
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA)
    rows = []
    for i in range(1, ROWS + 1):
        k = None if i % 17 == 0 else rnd.randint(-500, 500)
        s = None if i % 13 == 0 else f"s{rnd.randint(0, 300):04d}"
        day = dt.date(2020, 1, 1) + dt.timedelta(days=rnd.randint(0, 1500))
        d = None if i % 11 == 0 else day.isoformat()
        moment = dt.datetime(2024, 1, 1) + dt.timedelta(seconds=rnd.randint(0, 10**7),
                                                        microseconds=rnd.randint(0, 999_999))
        ts = None if i % 19 == 0 else moment.isoformat(sep=" ")
        rows.append((i, k, s, d, ts, f"{rnd.randint(-10**5, 10**5) / 100:.2f}"))
    conn.executemany("INSERT INTO ints VALUES (?, ?, ?, ?, ?, ?)", rows)
    conn.executemany("INSERT INTO texts VALUES (?, ?)", [(f"code-{i:05d}", i) for i in range(ROWS)])
    # 75% of the rows share one key, 5% have none.
    conn.executemany("INSERT INTO dups VALUES (?, ?)",
                     [(i, 1 if i <= 1500 else (None if i > 1900 else i % 5)) for i in range(1, ROWS + 1)])
    conn.executemany("INSERT INTO nokey VALUES (?, ?)", [(f"x{i % 7}", i / 3) for i in range(ROWS)])
    conn.execute("INSERT INTO one VALUES (1, 7, '2024-02-29')")
    conn.executemany("INSERT INTO norowid VALUES (?, ?)", [(f"c{i:04d}", i) for i in range(100)])
    conn.commit()
    conn.close()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("planning") / "plan.db"
    build(path)
    return path


@pytest.fixture(scope="module")
def ex(db: Path) -> Iterator[Extractor]:
    with Extractor({"source": {"type": "sqlite", "path": str(db)}}) as extractor:
        yield extractor


@pytest.fixture(scope="module")
def conn(db: Path) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(db)
    yield connection
    connection.close()


def counts(conn: sqlite3.Connection, table: str, preds: list[str | None], where: str | None = None
           ) -> tuple[list[int], int, int]:
    """Rows matching each predicate, rows matched by anything other than exactly one, and all rows."""
    preds = [p or "1 = 1" for p in preds]
    filt = f"({where})" if where else "1 = 1"
    each = [conn.execute(f'SELECT count(*) FROM "{table}" WHERE {filt} AND ({p})').fetchone()[0]
            for p in preds]
    hits = " + ".join(f"(CASE WHEN {p} THEN 1 ELSE 0 END)" for p in preds)
    bad = conn.execute(f'SELECT count(*) FROM "{table}" WHERE {filt} AND {hits} <> 1').fetchone()[0]
    total = conn.execute(f'SELECT count(*) FROM "{table}" WHERE {filt}').fetchone()[0]
    return each, bad, total


def assert_exact_cover(conn: sqlite3.Connection, plan: PartitionPlan, where: str | None = None) -> list[int]:
    each, bad, total = counts(conn, plan.name, [p.predicate for p in plan.partitions], where)
    assert bad == 0, f"{bad} rows matched no partition or several: {plan.partitions}"
    assert sum(each) == total
    return each


CASES = [
    # (table, column, strategy)
    *[("ints", c, s) for c in ("id", "k") for s in ("none", "range", "balanced", "hash", "physical")],
    ("ints", "s", "balanced"),  # text key with NULLs
    ("ints", "d", "balanced"),  # date key with NULLs, stored as ISO text
    ("ints", "d", "range"),
    ("ints", "ts", "balanced"),
    ("ints", "ts", "range"),
    ("ints", "amount", "range"),  # decimal key
    ("ints", "amount", "balanced"),
    ("texts", "code", "balanced"),  # text primary key
    ("texts", "code", "physical"),
    *[("dups", "k", s) for s in ("none", "range", "balanced", "hash", "physical")],
    ("nokey", "b", "range"),  # REAL, no index
    ("nokey", "a", "balanced"),
    *[(t, c, s) for t in ("empty", "one") for c in ("id", "k", "d") for s in ("range", "balanced", "physical")
      if not (c == "d" and s == "range")],
    ("empty", "k", "hash"),
    ("one", "k", "hash"),
]


@pytest.mark.parametrize(("table", "column", "strategy"), CASES, ids=["-".join(c) for c in CASES])
def test_every_strategy_covers_every_row_exactly_once(ex, conn, table, column, strategy):
    plan = ex.plan(table, strategy=strategy, partitions=4, column=column)
    assert plan.strategy == strategy
    each = assert_exact_cover(conn, plan)
    assert 1 <= len(plan.partitions) <= 4
    if strategy != "none" and table in ("ints", "texts"):
        assert len(plan.partitions) == 4 and min(each) > 0, each


@pytest.mark.parametrize("column", ["d", "ts"])
def test_range_on_a_sqlite_date_column_splits_by_time(ex, conn, column):
    plan = ex.plan("ints", strategy="range", partitions=4, column=column)
    each = assert_exact_cover(conn, plan)
    assert len(each) == 4 and min(each) > 300, each  # values are spread evenly over the years


@pytest.mark.parametrize("column", ["id", "amount", "code"])
def test_balanced_on_a_key_without_nulls_is_even_and_its_estimates_are_right(ex, conn, column):
    plan = ex.plan("texts" if column == "code" else "ints", strategy="balanced", partitions=8, column=column)
    each = assert_exact_cover(conn, plan)
    assert max(each) / (sum(each) / len(each)) <= 1.1, each
    assert [p.estimated_rows for p in plan.partitions] == pytest.approx(each, abs=3)
    assert plan.skew is not None and plan.skew <= 1.1


def test_null_keys_land_in_the_first_partition_and_its_estimate_counts_them(ex, conn):
    plan = ex.plan("ints", strategy="balanced", partitions=4, column="k")
    first = plan.partitions[0].predicate
    nulls = conn.execute(f"SELECT count(*) FROM ints WHERE k IS NULL AND ({first})").fetchone()[0]
    assert nulls == conn.execute("SELECT count(*) FROM ints WHERE k IS NULL").fetchone()[0] > 0
    each = assert_exact_cover(conn, plan)
    assert [p.estimated_rows for p in plan.partitions] == pytest.approx(each, rel=0.03)


def test_heavy_duplicates_give_fewer_partitions_with_a_warning(ex, conn):
    plan = ex.plan("dups", strategy="balanced", partitions=4, column="k")
    assert_exact_cover(conn, plan)
    assert len(plan.partitions) < 4
    assert any("distinct values" in w for w in plan.warnings)


def test_empty_table_plans_one_partition_of_no_rows(ex, conn):
    plan = ex.plan("empty", strategy="balanced", partitions=4, column="id")
    assert plan.estimated_rows == 0 and [p.predicate for p in plan.partitions] == [None]
    assert_exact_cover(conn, plan)


def test_filter_is_applied_and_partitions_cover_the_filtered_rows_once(tmp_path, db, conn):
    where = "k > 0 AND s IS NOT NULL"
    partitioning = {"strategy": "balanced", "column": "k", "partitions": 5}
    config = {"source": {"type": "sqlite", "path": str(db)},
              "tables": [{"name": "ints", "where": where, "partitioning": partitioning}]}
    with Extractor(config) as ex:
        plan = ex.plan("ints")
    each = assert_exact_cover(conn, plan, where)
    assert len(each) == 5 and min(each) > 0
    assert any(where in n for n in plan.notes)


# ------------------------------------------------------------------ choices


def test_auto_picks_none_for_small_tables(ex):
    for table in ("ints", "texts", "one", "empty"):
        plan = ex.plan(table)
        assert plan.strategy == "none" and len(plan.partitions) == 1 and plan.partitions[0].predicate is None
        assert any(n.startswith("auto:") for n in plan.notes)


def test_auto_splits_big_tables_on_the_primary_key(db, conn):
    config = {"source": {"type": "sqlite", "path": str(db)},
              "defaults": {"partitioning": {"target_rows": 500}}}
    with Extractor(config) as ex:
        plan = ex.plan("ints")
        keyless = ex.plan("nokey")
    assert (plan.strategy, plan.column, len(plan.partitions)) == ("balanced", "id", 4)
    assert_exact_cover(conn, plan)
    assert keyless.strategy == "physical" and keyless.column is None  # no key: split by rowid
    assert_exact_cover(conn, keyless)


def test_auto_respects_max_partitions(db):
    config = {"source": {"type": "sqlite", "path": str(db)},
              "defaults": {"partitioning": {"target_rows": 10, "max_partitions": 6}}}
    with Extractor(config) as ex:
        assert len(ex.plan("ints").partitions) == 6


def test_default_key_is_the_primary_key(ex, conn):
    plan = ex.plan("texts", strategy="balanced", partitions=3)
    assert plan.column == "code"
    assert_exact_cover(conn, plan)


@pytest.mark.parametrize("column", ["s", "d"])
def test_hash_on_a_non_integer_column_is_refused(ex, column):
    with pytest.raises(UserError, match="integer column"):
        ex.plan("ints", strategy="hash", partitions=4, column=column)


def test_range_on_a_text_column_is_refused(ex):
    with pytest.raises(UserError, match="strategy range needs a number or date column"):
        ex.plan("texts", strategy="range", partitions=4, column="code")


def test_unknown_partition_column_is_refused(ex):
    with pytest.raises(UserError, match="partitioning column 'nope' was not found"):
        ex.plan("ints", strategy="balanced", partitions=4, column="nope")


def test_key_strategy_without_any_key_is_refused(ex):
    with pytest.raises(UserError, match="needs a column"):
        ex.plan("nokey", strategy="balanced", partitions=4)


def test_physical_on_a_table_without_rowid_is_refused(ex):
    with pytest.raises(UserError, match="physical is not available"):
        ex.plan("norowid", strategy="physical", partitions=4)


@pytest.mark.parametrize(("kwargs", "needle"), [({"partitions": 0}, "partitions 0"),
                                                ({"partitions": 20_000}, "partitions 20000"),
                                                ({"strategy": "zigzag"}, "strategy 'zigzag'")])
def test_bad_overrides_are_user_errors(ex, kwargs, needle):
    with pytest.raises(UserError, match=needle):
        ex.plan("ints", **kwargs)


def test_physical_on_a_view_is_refused_or_covers_every_row(ex, conn):
    try:
        plan = ex.plan("v_ints", strategy="physical", partitions=2)
    except UserError:
        return
    assert all("None" not in (p.predicate or "") for p in plan.partitions)
    assert_exact_cover(conn, plan)


# ------------------------------------------------------------------ as data


@pytest.mark.parametrize(("column", "strategy"), [("d", "range"), ("ts", "balanced"), ("id", "hash"),
                                                  ("k", "physical"), ("s", "none")])
def test_plan_round_trips_through_json(ex, column, strategy):
    plan = ex.plan("ints", strategy=strategy, partitions=3, column=column)
    text = plan.to_json()
    again = PartitionPlan.from_dict(json.loads(text))
    assert again == plan
    assert again.to_json() == text
