"""On a Spark standalone cluster whose executors share no disk with the driver and lack this project.

All tests share one cluster (the session fixture `spark_cluster`); each run is a CLI process, the driver.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.fs as pafs
import pytest
import yaml
from pgdata import assert_parquet_equals_source, make_typed

from data_extractor.output.names import escape

pytestmark = [pytest.mark.spark, pytest.mark.cluster]


@pytest.fixture(scope="module")
def tables(pg_conn):
    make_typed(pg_conn, "cl_a", 9_000)
    make_typed(pg_conn, "cl_b", 5_000)
    return ["public.cl_a", "public.cl_b"]


def config(pg, cluster, output: str, tables: list, **output_keys) -> dict:
    return {"source": pg.source(), "output": {"path": output, **output_keys},
            "spark": {"master": cluster.url, "conf": {"spark.executor.memory": "768m", "spark.ui.enabled": False}},
            "defaults": {"parallel_tables": 2, "partitioning": {"target_rows": 3_000}}, "tables": tables}


def cli(cluster, tmp_path: Path, cfg: dict, *args: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "data_extractor", "run", "--config", str(path), *args],
                          capture_output=True, text=True, env=cluster.driver_env(), timeout=300)


def test_the_executors_python_lacks_this_project(spark_cluster):
    code = "import pyarrow, adbc_driver_postgresql; import data_extractor"
    probe = subprocess.run([spark_cluster.python, "-c", code], capture_output=True, text=True,
                           env={"PATH": "/usr/bin:/bin"})
    assert "No module named 'data_extractor'" in probe.stderr  # only the engine's own shipping gets it there


def test_two_tables_to_s3_on_the_cluster_equal_their_sources(pg, pg_conn, s3, spark_cluster, tables, tmp_path):
    bucket = s3.bucket("dx-cluster")
    done = cli(spark_cluster, tmp_path, config(pg, spark_cluster, f"s3://{bucket}/out", tables,
                                               storage_options=s3.options))
    assert done.returncode == 0, done.stdout + done.stderr
    fs = s3.fs()
    for name in ("cl_a", "cl_b"):
        folder = f"{bucket}/out/public/{name}"
        assert_parquet_equals_source(pg_conn, name, folder, filesystem=fs)
        with fs.open_input_stream(f"{bucket}/out/_data_extractor/manifests/public/{name}.json") as src:
            manifest = json.loads(src.read())
        assert manifest["writer"] == "arrow" and manifest["rows"] == manifest["rows_read"]


@pytest.mark.parametrize("writer", ["arrow", "spark"])
def test_a_local_output_the_executors_cannot_see_is_refused_in_one_line(pg, spark_cluster, tables, tmp_path, writer):
    out = spark_cluster.hidden_out / writer
    done = cli(spark_cluster, tmp_path, config(pg, spark_cluster, str(out), tables, writer=writer))
    assert done.returncode == 1, done.stdout + done.stderr
    text = done.stdout + done.stderr
    assert "Traceback" not in text
    assert "executors cannot see" in text and "object store URI" in text, text
    assert not (out / "public").exists()  # nothing published


def test_a_failing_window_on_the_cluster_leaves_the_watermark(pg, pg_conn, s3, spark_cluster, tmp_path):
    start = dt.datetime(2026, 2, 1)
    pg_conn.execute("DROP TABLE IF EXISTS cl_events")
    pg_conn.execute("CREATE TABLE cl_events (id bigint PRIMARY KEY, updated_at timestamp NOT NULL, n numeric)")
    pg_conn.execute("INSERT INTO cl_events SELECT g, TIMESTAMP '2026-02-01' + (g - 1) * interval '36 seconds', "
                    "CASE WHEN g = 3000 THEN 1e35 ELSE g END FROM generate_series(1, 7200) g")  # 3 days
    pg_conn.execute("ANALYZE cl_events")
    bucket = s3.bucket("dx-cluster-inc")
    inc = {"column": "updated_at", "window": "24h", "start": start.date().isoformat()}
    cfg = config(pg, spark_cluster, f"s3://{bucket}/out", [{"name": "public.cl_events", "incremental": inc}],
                 storage_options=s3.options)
    done = cli(spark_cluster, tmp_path, cfg, "--from", "2026-02-01", "--to", "2026-02-03")
    assert done.returncode == 1, done.stdout + done.stderr
    fs = s3.fs()
    with fs.open_input_stream(f"{bucket}/out/_data_extractor/state/{escape('public.cl_events')}.json") as src:
        state = json.loads(src.read())
    assert state["watermark"] == "2026-02-02T00:00:00"  # day 1 published; day 2 failed; day 3 not run
    first = f"{bucket}/out/public/cl_events/extract_date=2026-02-01"
    import pyarrow.parquet as pq

    got = pq.read_table(first, filesystem=fs).sort_by("id")["id"].to_pylist()
    assert got == list(range(1, 2401))
    second = fs.get_file_info(f"{bucket}/out/public/cl_events/extract_date=2026-02-02")
    assert second.type == pafs.FileType.NotFound


def test_an_unreachable_hadoop_uri_fails_within_a_minute(pg, spark_cluster, tables, tmp_path):
    t0 = time.monotonic()
    done = cli(spark_cluster, tmp_path, config(pg, spark_cluster, "hdfs://127.0.0.1:9/out", tables[:1]))
    assert done.returncode == 1 and "libhdfs" in done.stdout + done.stderr, done.stdout + done.stderr
    assert time.monotonic() - t0 < 60


def test_doctor_checks_the_executors_python_and_ships_the_tool(pg, s3, spark_cluster, tables, tmp_path):
    bucket = s3.bucket("dx-cluster-doctor")
    path = tmp_path / "config.yaml"
    cfg = config(pg, spark_cluster, f"s3://{bucket}/out", tables, storage_options=s3.options)
    path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "data_extractor", "doctor", "--config", str(path)],
                          capture_output=True, text=True, env=spark_cluster.driver_env(), timeout=300)
    lines = {line.split(":", 1)[0]: line for line in done.stdout.splitlines()}
    assert lines["PASS  executors"].count("data_extractor") == 1 and "pyarrow" in lines["PASS  executors"], done.stdout
    assert "PASS  output" in lines and "no Hadoop jar" in lines["PASS  output"], done.stdout
