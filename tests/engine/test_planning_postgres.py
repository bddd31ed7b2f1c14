"""Partition plans on a real PostgreSQL: exact cover, balance on a skewed key, every strategy."""

from __future__ import annotations

import pytest

from data_extractor import Extractor

TOTAL = 1_000_000


@pytest.fixture(scope="module")
def skewed(pg, pg_conn):
    pg_conn.execute("DROP TABLE IF EXISTS skewed")
    pg_conn.execute("CREATE TABLE skewed (id bigserial PRIMARY KEY, k bigint, payload text)")
    # 90% of the rows in the lowest 10% of k's range, then a sparse tail, then NULL keys.
    pg_conn.execute("INSERT INTO skewed (k, payload) SELECT g, 'dense' FROM generate_series(1, 900000) g")
    pg_conn.execute("INSERT INTO skewed (k, payload) SELECT 900000 + g * 81, 'tail' FROM generate_series(1, 99000) g")
    pg_conn.execute("INSERT INTO skewed (k) SELECT NULL FROM generate_series(1, 1000)")
    pg_conn.execute("CREATE INDEX ON skewed (k)")
    pg_conn.execute("ANALYZE skewed")
    return "public.skewed"


@pytest.fixture()
def extractor(pg):
    ex = Extractor({"source": pg.source(), "tables": [{"name": "public.skewed"}]})
    yield ex
    ex.close()


def counts(pg_conn, preds: list[str]) -> tuple[list[int], int]:
    """Rows matching each predicate, and rows matched by anything other than exactly one."""
    each = [pg_conn.execute(f"SELECT count(*) FROM skewed WHERE {p}").fetchone()[0] for p in preds]
    hits = " + ".join(f"(CASE WHEN {p} THEN 1 ELSE 0 END)" for p in preds)
    bad = pg_conn.execute(f"SELECT count(*) FROM skewed WHERE {hits} <> 1").fetchone()[0]
    return each, bad


def test_balanced_plan_on_skewed_key_is_even_and_covers_every_row_once(extractor, skewed, pg_conn):
    plan = extractor.plan(skewed, strategy="balanced", partitions=8, column="k")
    assert plan.strategy == "balanced" and plan.column == "k" and len(plan.partitions) == 8
    assert plan.skew is not None and plan.skew <= 1.3
    each, bad = counts(pg_conn, [p.predicate for p in plan.partitions])
    assert bad == 0 and sum(each) == TOTAL
    actual_skew = max(each) / (sum(each) / len(each))
    assert actual_skew <= 1.3, each


def test_range_plan_on_the_same_key_shows_its_skew(extractor, skewed, pg_conn):
    plan = extractor.plan(skewed, strategy="range", partitions=8, column="k")
    assert len(plan.partitions) == 8 and plan.skew is not None and plan.skew > 3
    assert any("skewed" in w for w in plan.warnings)
    each, bad = counts(pg_conn, [p.predicate for p in plan.partitions])
    assert bad == 0 and sum(each) == TOTAL
    assert max(each) / (sum(each) / 8) > 3


def test_balanced_without_statistics_samples_the_table(extractor, skewed, pg_conn):
    plan = extractor.plan(skewed, strategy="balanced", partitions=8, column="payload")
    each, bad = counts(pg_conn, [p.predicate for p in plan.partitions])
    assert bad == 0 and sum(each) == TOTAL  # a text key with two values: few partitions, all rows once


@pytest.mark.parametrize("strategy", ["hash", "physical", "none"])
def test_other_strategies_cover_every_row_once(extractor, skewed, pg_conn, strategy):
    plan = extractor.plan(skewed, strategy=strategy, partitions=4, column="k")
    preds = [p.predicate or "TRUE" for p in plan.partitions]
    each, bad = counts(pg_conn, preds)
    assert bad == 0 and sum(each) == TOTAL
    if strategy != "none":
        assert len(preds) == 4 and min(each) > 0


def test_auto_picks_balanced_on_the_primary_key_for_a_big_table(pg, skewed):
    ex = Extractor({"source": pg.source(), "defaults": {"partitioning": {"target_rows": 250_000}}})
    plan = ex.plan("skewed")
    assert (plan.strategy, plan.column, len(plan.partitions)) == ("balanced", "id", 4)
    assert plan.skew <= 1.1
    ex.close()


def test_plan_is_json_round_trippable(extractor, skewed):
    import json

    from data_extractor.source.planning import PartitionPlan

    plan = extractor.plan(skewed, strategy="balanced", partitions=3, column="k")
    again = PartitionPlan.from_dict(json.loads(plan.to_json()))
    assert again == plan


def test_auto_reads_page_ranges_within_a_snapshot_and_key_ranges_otherwise(pg, skewed, pg_conn):
    base = {"source": pg.source(), "defaults": {"partitioning": {"target_rows": 250_000}}}
    ex = Extractor({**base, "snapshot": {"consistent": True}})
    plan = ex.plan("skewed")
    assert (plan.strategy, plan.column, len(plan.partitions)) == ("physical", None, 4)
    assert any("page ranges" in n for n in plan.notes), plan.notes
    each, bad = counts(pg_conn, [p.predicate for p in plan.partitions])
    assert bad == 0 and sum(each) == TOTAL and min(each) > 0
    # a filter an index may serve, or a column the user chose, keeps key ranges
    assert ex.plan("skewed", extra_where="k < 600000").strategy == "balanced"
    assert ex.plan("skewed", column="k").strategy == "balanced"
    ex.close()
    ex = Extractor(base)  # without a snapshot an UPDATE may move a row across page ranges
    assert ex.plan("skewed").strategy == "balanced"
    ex.close()
