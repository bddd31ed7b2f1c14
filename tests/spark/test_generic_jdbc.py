"""Generic JDBC: PostgreSQL's jar used as if it were an unknown database gives the same Parquet."""

from __future__ import annotations

import os

import pyarrow.parquet as pq
import pytest
from pgdata import make_typed

from data_extractor import Extractor

pytestmark = pytest.mark.spark
JAR = "/usr/share/java/postgresql.jar"


@pytest.fixture(scope="module")
def jdbc_source(pg, pg_conn):
    if not os.path.exists(JAR):
        pytest.skip("Debian's libpostgresql-jdbc-java is not installed")
    pg_conn.execute("DROP TABLE IF EXISTS generic")
    pg_conn.execute("CREATE TABLE generic AS SELECT g::bigint AS id, (g * 1.5)::numeric(12,2) AS amount, "
                    "'txt ' || g AS label, TIMESTAMP '2026-01-01' + g * interval '1 hour' AS created, "
                    "DATE '2026-01-01' + g % 100 AS day, g % 3 = 0 AS flag FROM generate_series(1, 20000) g")
    pg_conn.execute("ALTER TABLE generic ADD PRIMARY KEY (id)")
    return {"type": "jdbc", "url": f"jdbc:postgresql://127.0.0.1:{pg.port}/{pg.database}",
            "driver": "org.postgresql.Driver", "jars": [JAR], "user": pg.user, "password": pg.password}


def test_generic_jdbc_browses_plans_and_extracts_like_the_postgres_dialect(pg, tmp_path, spark, jdbc_source):
    parts = {"strategy": "range", "column": "id", "partitions": 4}
    generic = Extractor({"source": jdbc_source, "output": {"path": str(tmp_path / "generic")},
                         "tables": [{"name": "public.generic", "partitioning": parts}]})
    assert "public" in generic.catalog.schemas()
    assert "generic" in [t.name for t in generic.catalog.tables("public")]
    cols = {c.name: c.spark_type for c in generic.catalog.columns("public.generic")}
    assert cols == {"id": "bigint", "amount": "decimal(12,2)", "label": "string", "created": "timestamp_ntz",
                    "day": "date", "flag": "boolean"}
    plan = generic.plan("public.generic")
    assert len(plan.partitions) == 4 and plan.skew < 1.1
    native = Extractor({"source": pg.source(), "output": {"path": str(tmp_path / "native")},
                        "tables": [{"name": "public.generic", "partitioning": parts}]})
    assert generic.run().ok and native.run().ok
    a = pq.read_table(tmp_path / "generic/public/generic").sort_by("id")
    b = pq.read_table(tmp_path / "native/public/generic").sort_by("id")
    assert a.to_pylist() == b.to_pylist() and a.num_rows == 20000
    assert a.schema.field("amount").type == b.schema.field("amount").type


def test_typed_table_matches_too(pg, pg_conn, tmp_path, spark, jdbc_source):
    make_typed(pg_conn, "generic_typed", 500)
    generic = Extractor({"source": jdbc_source, "output": {"path": str(tmp_path / "g")},
                         "tables": [{"name": "public.generic_typed", "columns": ["id", "i", "amount", "label"]}]})
    assert generic.run().ok
    got = pq.read_table(tmp_path / "g/public/generic_typed").sort_by("id").to_pylist()
    want = pg_conn.execute("SELECT id, i, amount, label FROM generic_typed ORDER BY id").fetchall()
    assert [tuple(r.values()) for r in got] == want
