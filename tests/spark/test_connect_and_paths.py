"""Spark Connect runs give the same Parquet as classic runs; Hadoop file systems publish like local ones."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from data_extractor import Extractor
from data_extractor.cli.demo import build_database
from data_extractor.output.fs import HadoopFS, local_path
from data_extractor.output.publish import TableOutput
from manifests import read_manifest

pytestmark = pytest.mark.spark
HERE = Path(__file__).parent


def table_rows(folder: Path) -> list[dict]:
    return pq.read_table(folder).sort_by("id").to_pylist()


def test_a_spark_connect_run_produces_the_same_parquet_as_a_classic_run(tmp_path, spark):
    pytest.importorskip("grpc", reason="pyspark[connect] is not installed")
    db = tmp_path / "demo.db"
    build_database(db, rows=30_000)
    proc = subprocess.run([sys.executable, str(HERE / "connect_run.py"), str(db), str(tmp_path / "connect")],
                          capture_output=True, text=True, timeout=400)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["connect"] and report["result"]["ok"], report
    classic = Extractor({"source": {"type": "sqlite", "path": str(db)}, "tables": ["orders", "customers", "products"],
                         "output": {"path": str(tmp_path / "classic")},
                         "defaults": {"partitioning": {"target_rows": 10_000}}}).run()
    assert classic.ok
    for table in ("orders", "customers", "products"):
        assert table_rows(tmp_path / "connect/main" / table) == table_rows(tmp_path / "classic/main" / table)


def test_databricks_style_paths_map_to_their_mounts():
    assert local_path("/Volumes/main/raw/landing/x") == "/Volumes/main/raw/landing/x"
    assert local_path("dbfs:/Volumes/main/raw/landing") == "/Volumes/main/raw/landing"
    assert local_path("file:///tmp/out") == "/tmp/out"
    assert local_path("s3a://bucket/out") is None


def test_publishing_through_hadoop_file_system_replaces_the_folder_whole(tmp_path, spark):
    """The Hadoop code path (used for s3a://, abfss://, ...) exercised on Hadoop's own local file system."""
    root = f"file://{tmp_path}/lake"
    for run_id, rows in (("run1", 3), ("run2", 5)):
        out = TableOutput(root, "public", "t", run_id, session=spark)
        out.fs = HadoopFS(spark, root)
        out.base = root
        out.prepare()
        spark.range(rows).write.parquet(out.staging)
        assert out.written_rows()[0] == rows
        out.write_manifest({"run_id": run_id, "rows": rows})
        out.publish()
    final = tmp_path / "lake" / "public" / "t"
    assert read_manifest(final)["run_id"] == "run2"
    assert pq.read_table(final).num_rows == 5
    assert not list((tmp_path / "lake" / "_data_extractor" / "staging").glob("*/public_2ft"))
