"""Output on object storage (moto's S3 server) and URIs that cannot be reached: every run ends, in one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.fs as pafs
import pytest
import yaml
from pgdata import assert_parquet_equals_source, make_typed

from data_extractor import Extractor
from manifests import read_manifest
from s3server import SECRET

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def two_tables(pg_conn):
    make_typed(pg_conn, "s3_a", 12_000)
    make_typed(pg_conn, "s3_b", 7_000)
    return ["public.s3_a", "public.s3_b"]


def config(pg, output: str, tables: list[str], **output_keys) -> dict:
    return {"source": pg.source(), "spark": {"master": "local[2]"}, "output": {"path": output, **output_keys},
            "defaults": {"parallel_tables": 2, "partitioning": {"target_rows": 4_000}}, "tables": tables}


def parquet_names(fs: pafs.FileSystem, folder: str) -> list[str]:
    infos = fs.get_file_info(pafs.FileSelector(folder))
    return sorted(i.base_name for i in infos if i.base_name.endswith(".parquet"))


def test_two_tables_to_s3_with_the_arrow_writer_equal_their_sources(pg, pg_conn, spark, s3, two_tables):
    bucket = s3.bucket("dx-arrow")
    cfg = config(pg, f"s3://{bucket}/out", two_tables, storage_options=s3.options)
    result = Extractor(cfg).run()
    assert result.ok, result.to_dict()
    fs = s3.fs()  # an independent reader
    first = {}
    for name in ("s3_a", "s3_b"):
        folder = f"{bucket}/out/public/{name}"
        assert_parquet_equals_source(pg_conn, name, folder, filesystem=fs)
        with fs.open_input_stream(f"{bucket}/out/_data_extractor/manifests/public/{name}.json") as src:
            text = src.read().decode()
        manifest = json.loads(text)
        assert manifest["writer"] == "arrow" and manifest["rows"] == manifest["rows_read"]
        assert manifest["files"] == parquet_names(fs, folder)  # the manifest lists exactly what is there
        assert SECRET not in text
        first[name] = manifest["files"]
    assert fs.get_file_info(f"{bucket}/out/_data_extractor/staging").type == pafs.FileType.NotFound
    history = {t.table: t for t in Extractor(cfg).history()}  # listed from the manifests on the store
    assert set(history) == {"public.s3_a", "public.s3_b"}
    assert history["public.s3_a"].path == f"s3://{bucket}/out/public/s3_a" and history["public.s3_a"].rows > 0

    again = Extractor(cfg).run(tables=["public.s3_a"])
    assert again.ok, again.to_dict()
    folder = f"{bucket}/out/public/s3_a"
    names = parquet_names(fs, folder)
    assert not set(names) & set(first["s3_a"])  # new names, the superseded files removed
    assert_parquet_equals_source(pg_conn, "s3_a", folder, filesystem=fs)


def test_spark_writer_counts_the_rows_it_read(pg, pg_conn, spark, tmp_path, two_tables):
    cfg = config(pg, str(tmp_path / "out"), ["public.s3_b"], writer="spark")
    result = Extractor(cfg).run()
    assert result.ok, result.to_dict()
    manifest = read_manifest(tmp_path / "out" / "public" / "s3_b")
    assert manifest["writer"] == "spark" and manifest["rows_read"] == manifest["rows"] == 7_000


def cli_run(tmp_path: Path, cfg: dict, env: dict[str, str] | None = None, timeout: float = 180
            ) -> tuple[subprocess.CompletedProcess[str], float]:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    t0 = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "data_extractor", "run", "--config", str(path)],
                          capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=timeout)
    return done, time.monotonic() - t0


def failure_lines(done: subprocess.CompletedProcess[str]) -> list[str]:
    text = done.stdout + done.stderr
    assert "Traceback" not in text, text
    return [line for line in text.splitlines() if "failed" in line.lower()]


def test_a_uri_hadoop_has_no_file_system_for_ends_the_run(pg, tmp_path, two_tables):
    # before: a Py4J error in mark_run was not an OSError, the run thread died and the CLI waited forever
    cfg = config(pg, "wasbs://c@nowhere.blob.core.windows.net/out", ["public.s3_b"])
    done, seconds = cli_run(tmp_path, cfg)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert any("wasbs" in line and "not found" in line for line in failure_lines(done)), done.stdout + done.stderr
    assert seconds < 120


def test_spark_writer_to_s3a_without_its_jars_fails_fast_naming_the_class(pg, tmp_path, s3, two_tables):
    bucket = s3.bucket("dx-s3a")
    cfg = config(pg, f"s3a://{bucket}/out", ["public.s3_b"], writer="spark")
    done, _ = cli_run(tmp_path, cfg, env=s3.env)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert any("S3AFileSystem" in line for line in failure_lines(done)), done.stdout + done.stderr
    assert parquet_names(s3.fs(), bucket + "/out") == []


def test_unreachable_hdfs_fails_within_a_minute_in_one_line(pg, tmp_path, two_tables):
    cfg = config(pg, "hdfs://127.0.0.1:9/out", ["public.s3_b"])
    done, seconds = cli_run(tmp_path, cfg)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert any("hdfs://127.0.0.1:9/out" in line and "libhdfs" in line for line in failure_lines(done)), done.stdout
    assert seconds < 60
