"""Custom SQL sources: a join extracted in 4 partitions equals the same query run directly."""

from __future__ import annotations

from decimal import Decimal

import pyarrow.parquet as pq
import pytest

from data_extractor import Extractor, UserError

pytestmark = pytest.mark.spark

JOIN = ("SELECT o.id, o.amount, c.name AS customer, o.created FROM cs_orders o "
        "JOIN cs_customers c ON c.id = o.customer_id WHERE o.amount > 10")


@pytest.fixture(scope="module")
def shop(pg_conn):
    pg_conn.execute("DROP TABLE IF EXISTS cs_orders, cs_customers")
    pg_conn.execute("CREATE TABLE cs_customers AS SELECT g AS id, 'cüstomer ' || g AS name "
                    "FROM generate_series(1, 500) g")
    pg_conn.execute("CREATE TABLE cs_orders AS SELECT g::bigint AS id, 1 + g % 500 AS customer_id, "
                    "(g % 1000 / 4.0)::numeric(10,2) AS amount, TIMESTAMP '2026-01-01' + g * interval '1 minute' "
                    "AS created FROM generate_series(1, 40000) g")


def test_a_join_in_four_partitions_equals_the_query_run_directly(pg, pg_conn, tmp_path, spark, shop):
    cfg = {"source": pg.source(), "output": {"path": str(tmp_path / "out")},
           "tables": [{"name": "reports.big_orders", "query": JOIN,
                       "partitioning": {"strategy": "balanced", "column": "id", "partitions": 4}}]}
    ex = Extractor(cfg)
    plan = ex.plan("reports.big_orders")
    assert plan.strategy == "balanced" and len(plan.partitions) == 4 and plan.query
    cols = {c.name: c.spark_type for c in ex.catalog.columns_of(plan.ref)}
    assert cols == {"id": "bigint", "amount": "decimal(10,2)", "customer": "string", "created": "timestamp_ntz"}
    result = ex.run()
    assert result.ok, result.to_dict()
    table = pq.read_table(tmp_path / "out" / "reports" / "big_orders").sort_by("id")
    got = [tuple(r.values()) for r in table.to_pylist()]
    want = pg_conn.execute(f"SELECT * FROM ({JOIN}) q ORDER BY id").fetchall()
    assert got == want and len(want) > 30_000
    assert isinstance(got[0][1], Decimal)


def test_a_query_that_does_not_run_or_is_not_a_select_is_refused(pg, tmp_path):
    from data_extractor.errors import ConfigError

    with pytest.raises(ConfigError, match="must be a SELECT"):
        Extractor({"source": pg.source(), "tables": [{"name": "x", "query": "DELETE FROM cs_orders"}]})
    with pytest.raises(ConfigError, match="one statement"):
        Extractor({"source": pg.source(), "tables": [{"name": "x", "query": "SELECT 1; DROP TABLE cs_orders"}]})
    ex = Extractor({"source": pg.source(), "tables": [{"name": "x", "query": "SELECT nope FROM cs_orders"}]})
    with pytest.raises(UserError, match="the query of x does not run"):
        ex.plan("x")
