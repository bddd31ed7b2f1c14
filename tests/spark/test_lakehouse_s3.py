"""Delta and Iceberg tables on object storage (moto's S3 server) from whole runs on a real PostgreSQL: the tasks write
the data files to the store, the driver commits them there; read back by deltalake, polars and pyiceberg through
the emulator's endpoint, as an outside engine would."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.fs as pafs
import pytest
import yaml
from deltalake import DeltaTable
from pgdata import assert_table_equals_source, change_day_two, make_events, make_typed
from pyiceberg.catalog import load_catalog
from pyiceberg.table import StaticTable

from data_extractor import Extractor
from s3server import KEY, REGION, SECRET

pytestmark = pytest.mark.spark
FORMATS = ["delta", "iceberg"]


def cfg(pg, s3, bucket: str, tmp_path: Path, tables: list, fmt: str) -> dict:
    output = {"path": f"s3://{bucket}/lake", "format": fmt, "storage_options": s3.options}
    if fmt == "iceberg":  # a SQLite catalog on this machine, the warehouse on S3
        output["iceberg"] = {"catalog": {"type": "sql", "uri": f"sqlite:///{tmp_path}/catalog/iceberg.db"}}
    return {"source": pg.source(), "spark": {"master": "local[2]"}, "output": output,
            "defaults": {"parallel_tables": 2, "retries": 0, "partitioning": {"target_rows": 4_000}},
            "tables": tables}


class S3Lake:
    """One committed table on the emulator, read with the readers' own S3 settings (not the tool's clients)."""

    def __init__(self, s3, fmt: str, path: str, tmp_path: Path, identifier: str | None) -> None:
        self.s3, self.fmt, self.path, self.identifier = s3, fmt, path, identifier
        self.io = {"s3.endpoint": s3.endpoint, "s3.access-key-id": KEY, "s3.secret-access-key": SECRET,
                   "s3.region": REGION}
        self.catalog_uri = f"sqlite:///{tmp_path}/catalog/iceberg.db"

    def delta(self, **kw) -> DeltaTable:
        return DeltaTable(self.path, storage_options=self.s3.env, **kw)

    def metadata_location(self) -> str:
        catalog = load_catalog("data_extractor", type="sql", uri=self.catalog_uri, **self.io)
        return catalog.load_table(self.identifier).metadata_location

    def iceberg(self, metadata_location: str | None = None) -> StaticTable:
        return StaticTable.from_metadata(metadata_location or self.metadata_location(), properties=self.io)

    def rows(self) -> pa.Table:
        return self.delta().to_pyarrow_table() if self.fmt == "delta" else self.iceberg().scan().to_arrow()

    def commits(self) -> int:
        return len(self.delta().history()) if self.fmt == "delta" else len(self.iceberg().snapshots())

    def version_key(self):
        return self.delta().version() if self.fmt == "delta" else self.metadata_location()

    def files(self) -> list[str]:
        if self.fmt == "delta":
            return self.delta().file_uris()
        return [t.file.file_path for t in self.iceberg().scan().plan_files()]

    def side_manifest(self) -> tuple[dict, str]:
        root, schema, table = self.path.removeprefix("s3://").rsplit("/", 2)
        with self.s3.fs().open_input_stream(f"{root}/_data_extractor/manifests/{schema}/{table}.json") as src:
            text = src.read().decode()
        return json.loads(text), text


def data_files_on_store(s3, path: str) -> list[str]:
    """Every Parquet file under the table's data/ folder, committed or not."""
    infos = s3.fs().get_file_info(pafs.FileSelector(f"{path.removeprefix('s3://')}/data", recursive=True,
                                                    allow_not_found=True))
    return sorted("s3://" + i.path for i in infos if i.path.endswith(".parquet"))


def tuples(table: pa.Table, cols: list[str]) -> list[tuple]:
    return sorted(zip(*(table[c].to_pylist() for c in cols), strict=True))


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_full_run_to_s3_twice_is_one_new_commit_each_with_the_source_values(pg, pg_conn, s3, tmp_path, spark,
                                                                                fmt):
    name = f"lks3_full_{fmt}"
    make_typed(pg_conn, name, 12_000)
    bucket = s3.bucket(f"dx-lake-full-{fmt}")
    ex = Extractor(cfg(pg, s3, bucket, tmp_path, [f"public.{name}"], fmt))
    first = ex.run().tables[0]
    assert first.status == "succeeded", first.error
    assert first.path == f"s3://{bucket}/lake/public/{name}" and first.partitions == 3  # a Spark job, 3 tasks
    lake = S3Lake(s3, fmt, first.path, tmp_path, first.identifier)
    assert_table_equals_source(pg_conn, name, lake.rows())
    if fmt == "delta":
        assert_table_equals_source(pg_conn, name, pl.read_delta(first.path, storage_options=s3.env).to_arrow())
    else:
        assert first.metadata_location.startswith(f"{first.path}/metadata/")
        assert first.metadata_location == lake.metadata_location()
    assert lake.commits() == 1
    manifest, text = lake.side_manifest()  # counted from the footers on the store
    assert (manifest["format"], manifest["rows"], manifest["rows_read"]) == (fmt, 12_000, 12_000)
    assert SECRET not in text
    old_files = set(lake.files())

    second = ex.run().tables[0]
    assert second.status == "succeeded", second.error
    assert lake.commits() == 2 and second.version == first.version + 1  # exactly one new commit
    assert_table_equals_source(pg_conn, name, lake.rows())
    assert not old_files & set(lake.files())
    if fmt == "delta":  # time travel to the first version
        assert lake.delta(version=first.version).to_pyarrow_table().num_rows == 12_000
    else:
        assert lake.iceberg(first.metadata_location).scan().to_arrow().num_rows == 12_000
    assert lake.side_manifest()[0]["table_version"] == second.version
    staging = s3.fs().get_file_info(f"{bucket}/lake/_staging")
    assert staging.type == pafs.FileType.NotFound  # the runs cleared their bookkeeping on the store


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_window_backfill_and_a_rerun_of_one_window_on_s3_equal_the_source(pg, pg_conn, s3, tmp_path, spark, fmt):
    name = f"lks3_win_{fmt}"
    make_events(pg_conn, name, dt.datetime(2026, 1, 1), 3.5, 30_000)
    bucket = s3.bucket(f"dx-lake-win-{fmt}")
    inc = {"column": "updated_at", "window": "24h", "start": "2026-01-01"}
    ex = Extractor(cfg(pg, s3, bucket, tmp_path, [{"name": f"public.{name}", "incremental": inc}], fmt))
    result = ex.run(date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 1, 3))
    assert result.ok and len(result.tables) == 3, result.to_dict()
    lake = S3Lake(s3, fmt, result.tables[0].path, tmp_path, result.tables[0].identifier)
    three_days = f"SELECT id, updated_at, v FROM {name} WHERE updated_at < '2026-01-04'"
    assert tuples(lake.rows(), ["id", "updated_at", "v"]) == sorted(pg_conn.execute(three_days).fetchall())
    assert lake.commits() == 3
    change_day_two(pg_conn, name)  # then only day two is extracted again
    untouched = [f for f in lake.files() if "extract_date-2026-01-02" not in f]
    again = ex.run(run_date=dt.date(2026, 1, 2))
    assert again.ok and again.tables[0].version == result.tables[-1].version + 1, again.to_dict()
    assert lake.commits() == 4  # one commit for the window
    got = tuples(lake.rows(), ["id", "updated_at", "v"])
    assert got == sorted(pg_conn.execute(three_days).fetchall()) and len({r[0] for r in got}) == len(got)
    assert set(untouched) <= set(lake.files())


def cli(tmp_path: Path, config: dict, name: str, *args: str) -> list[str]:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    return [sys.executable, "-m", "data_extractor", "run", "-c", str(path), *args]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_cli_run_to_s3_killed_before_its_commit_leaves_the_previous_version(pg, pg_conn, s3, tmp_path, spark, fmt):
    name = f"lks3_kill_{fmt}"
    pg_conn.execute(f"DROP TABLE IF EXISTS {name}")
    pg_conn.execute(f"CREATE TABLE {name} AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 4000) g")
    pg_conn.execute(f"ANALYZE {name}")
    bucket = s3.bucket(f"dx-lake-kill-{fmt}")
    table = {"name": f"public.{name}", "partitioning": {"strategy": "range", "column": "id", "partitions": 4}}
    config = cfg(pg, s3, bucket, tmp_path, [table], fmt)
    done = subprocess.run(cli(tmp_path, config, "first", "--json"), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    first = json.loads(done.stdout)["tables"][0]
    assert (first["format"], first["path"]) == (fmt, f"s3://{bucket}/lake/public/{name}")
    lake = S3Lake(s3, fmt, first["path"], tmp_path, first["identifier"])
    if fmt == "iceberg":
        assert first["identifier"] == f"public.{name}" and first["metadata_location"] == lake.metadata_location()
    before, committed = lake.version_key(), set(lake.files())
    assert len(committed) == 4 and set(data_files_on_store(s3, first["path"])) == committed

    # the second run's partition holding id 1500 sleeps: the others upload their files, then the run dies
    pg_conn.execute(f"UPDATE {name} SET v = 'second run' WHERE id <= 10")
    slow = cfg(pg, s3, bucket, tmp_path, [{**table, "where": "id <> 1500 OR (SELECT true FROM pg_sleep(12))"}], fmt)
    proc = subprocess.Popen(cli(tmp_path, slow, "slow"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline and not set(data_files_on_store(s3, first["path"])) - committed:
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert set(data_files_on_store(s3, first["path"])) - committed, "the killed run uploaded no data file"
    assert lake.version_key() == before
    assert lake.rows().num_rows == 4000 and "second run" not in lake.rows()["v"].to_pylist()

    third = Extractor(config).run().tables[0]  # the next run commits over the orphans
    assert third.status == "succeeded", third.error
    assert tuples(lake.rows(), ["id", "v"]) == sorted(pg_conn.execute(f"SELECT id, v FROM {name}").fetchall())


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_small_table_read_on_the_driver_is_written_to_s3_and_committed(pg, pg_conn, s3, tmp_path, spark, fmt):
    name = f"lks3_small_{fmt}"
    make_typed(pg_conn, name, 500)
    bucket = s3.bucket(f"dx-lake-small-{fmt}")
    table = Extractor(cfg(pg, s3, bucket, tmp_path, [f"public.{name}"], fmt)).run().tables[0]
    assert table.status == "succeeded", table.error
    lake = S3Lake(s3, fmt, table.path, tmp_path, table.identifier)
    assert_table_equals_source(pg_conn, name, lake.rows())
    manifest = lake.side_manifest()[0]
    assert manifest["on_driver"] and manifest["rows"] == 500
    assert data_files_on_store(s3, table.path) == sorted(lake.files())


def test_iceberg_on_s3_without_a_catalog_fails_the_table_before_reading_naming_the_key(pg, pg_conn, s3, tmp_path,
                                                                                     spark):
    pg_conn.execute("DROP TABLE IF EXISTS lks3_nocat")
    pg_conn.execute("CREATE TABLE lks3_nocat AS SELECT g AS id FROM generate_series(1, 100) g")
    bucket = s3.bucket("dx-lake-nocat")
    config = cfg(pg, s3, bucket, tmp_path, ["public.lks3_nocat"], "iceberg")
    del config["output"]["iceberg"]
    table = Extractor(config).run().tables[0]
    assert table.status == "failed"
    assert f"output.format iceberg on s3://{bucket}/lake needs output.iceberg.catalog" in table.error
    assert data_files_on_store(s3, f"s3://{bucket}/lake/public/lks3_nocat") == []


@pytest.mark.cluster
@pytest.mark.parametrize("fmt", FORMATS)
def test_on_a_cluster_sharing_no_disk_the_tasks_write_to_s3_and_the_driver_commits(pg, pg_conn, s3, spark_cluster,
                                                                                   tmp_path, fmt):
    name = f"lks3_cl_{fmt}"
    make_typed(pg_conn, name, 9_000)
    bucket = s3.bucket(f"dx-lake-cluster-{fmt}")
    config = cfg(pg, s3, bucket, tmp_path, [f"public.{name}"], fmt)
    config["spark"] = {"master": spark_cluster.url,
                       "conf": {"spark.executor.memory": "768m", "spark.ui.enabled": False}}
    done = subprocess.run(cli(tmp_path, config, "cluster", "--json"), capture_output=True, text=True,
                          env=spark_cluster.driver_env(), timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    table = json.loads(done.stdout)["tables"][0]
    assert table["partitions"] == 3  # written by the cluster's executors, which cannot see this machine's disk
    lake = S3Lake(s3, fmt, table["path"], tmp_path, table["identifier"])
    assert_table_equals_source(pg_conn, name, lake.rows())
    assert lake.commits() == 1
