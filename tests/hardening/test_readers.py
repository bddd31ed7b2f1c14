"""Issue 15, items 10-11: the Arrow writer's footers, as Spark 3.x and other readers expect them.

On a real PostgreSQL and Spark: NOT NULL columns are REQUIRED in the Parquet schema, and every footer carries
`org.apache.spark.version` (without it Spark 3.x refuses dates before 1582 and timestamps before 1900).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl
import pyarrow.parquet as pq
import pytest

from data_extractor import Extractor

pytestmark = pytest.mark.spark


def cfg(pg, out: Path, tables: list, **defaults) -> dict:
    return {"source": pg.source(), "spark": {"master": "local[2]"}, "output": {"path": str(out), "writer": "arrow"},
            "defaults": {"retries": 0, "retry_wait": 0, **defaults}, "tables": tables}


@pytest.fixture(scope="module")
def reader_table(pg_conn):
    pg_conn.execute("DROP TABLE IF EXISTS rd_t")
    pg_conn.execute("CREATE TABLE rd_t (id int PRIMARY KEY, req text NOT NULL, opt text, d date NOT NULL, "
                    "ts timestamp)")
    pg_conn.execute("INSERT INTO rd_t SELECT g, 'r' || g, CASE WHEN g % 2 = 0 THEN 'o' END, "
                    "DATE '1200-03-01' + g, TIMESTAMP '1850-01-01 12:00:00' + g * interval '1 day' "
                    "FROM generate_series(1, 400) g")
    pg_conn.execute("ANALYZE rd_t")
    return "public.rd_t"


@pytest.mark.parametrize("partitions", [1, 4])  # 1: read on the driver; 4: Spark tasks
def test_arrow_files_carry_required_not_null_columns_and_the_spark_version_key(pg, reader_table, tmp_path, spark,
                                                                               partitions):
    out = tmp_path / "out"
    result = Extractor(cfg(pg, out, [reader_table], partitioning={"strategy": "range",
                                                                  "partitions": partitions})).run()
    assert result.ok, result.to_dict()
    paths = sorted((out / "public" / "rd_t").glob("*.parquet"))
    assert len(paths) == partitions
    for path in paths:
        meta = pq.read_metadata(path)
        fields = {meta.schema.column(i).name: meta.schema.column(i) for i in range(meta.num_columns)}
        assert fields["id"].max_definition_level == 0 and fields["req"].max_definition_level == 0  # REQUIRED
        assert fields["d"].max_definition_level == 0
        assert fields["opt"].max_definition_level == 1 and fields["ts"].max_definition_level == 1  # OPTIONAL
        kv = meta.metadata
        assert kv[b"org.apache.spark.version"].decode() >= "3.0.0"
        assert b"org.apache.spark.legacyDateTime" not in kv and b"org.apache.spark.legacyINT96" not in kv
    assert sum(pq.read_table(p).num_rows for p in paths) == 400
    back = spark.read.parquet(str(out / "public" / "rd_t")).orderBy("id").first()
    assert back["d"] == dt.date(1200, 3, 2) and back["ts"] == dt.datetime(1850, 1, 2, 12)


def test_spark_writer_leftovers_are_dropped_before_publish(pg, reader_table, tmp_path, spark):
    out = tmp_path / "out"
    config = cfg(pg, out, [reader_table], partitioning={"strategy": "range", "partitions": 4})
    config["output"]["writer"] = "spark"
    result = Extractor(config).run()
    assert result.ok, result.to_dict()
    folder = out / "public" / "rd_t"
    names = sorted(p.name for p in folder.iterdir())
    assert [n for n in names if not n.endswith(".parquet")] == [], names  # no _SUCCESS, no .crc, no manifest
    assert pl.read_parquet(folder).height == 400 and pl.scan_parquet(folder).collect().height == 400
    assert duckdb.sql(f"SELECT count(*) FROM read_parquet('{folder}/*.parquet')").fetchall()[0][0] == 400
    assert pq.read_table(folder).num_rows == 400
