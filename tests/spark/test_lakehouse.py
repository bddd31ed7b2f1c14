"""Delta and Iceberg output on a real PostgreSQL: one commit per table or window, re-runs, kills, schema drift."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pytest
import yaml
from deltalake import DeltaTable
from pgdata import change_day_two, make_events
from pyiceberg.table import StaticTable

from data_extractor import Extractor
from data_extractor.output.iceberg import open_catalog
from manifests import manifest_path, read_manifest

pytestmark = pytest.mark.spark
FORMATS = ["delta", "iceberg"]
DAY = dt.timedelta(days=1)


def cfg(pg, tmp_path, tables, fmt: str, **output) -> dict:
    return {"source": pg.source(), "spark": {"master": "local[2]"},
            "output": {"path": str(tmp_path / "out"), "format": fmt, **output},
            "defaults": {"parallel_tables": 2, "retries": 0, "partitioning": {"target_rows": 20_000}},
            "tables": tables}


class Lake:
    """Reads a committed table the way an outside engine would: the current version, its commits, its files."""

    def __init__(self, fmt: str, path: Path, identifier: str | None = None) -> None:
        self.fmt, self.path, self.identifier = fmt, str(path), identifier

    def _iceberg(self):
        catalog = open_catalog("data_extractor", {"type": "sql", "uri": f"sqlite:///{Path(self.path).parents[1]}"
                                                  "/_iceberg_catalog.db", "warehouse": str(Path(self.path).parents[1])})
        return catalog.load_table(tuple(self.identifier.split(".")))

    def rows(self) -> pa.Table:
        if self.fmt == "delta":
            return DeltaTable(self.path).to_pyarrow_table()
        return StaticTable.from_metadata(self._iceberg().metadata_location).scan().to_arrow()

    def commits(self) -> int:
        """Table versions so far: Delta log entries, or Iceberg snapshots."""
        if self.fmt == "delta":
            return len(DeltaTable(self.path).history())
        return len(self._iceberg().snapshots())

    def version_key(self):
        return DeltaTable(self.path).version() if self.fmt == "delta" else self._iceberg().metadata_location

    def files(self) -> list[str]:
        if self.fmt == "delta":
            return DeltaTable(self.path).file_uris()
        return [t.file.file_path for t in self._iceberg().scan().plan_files()]


def tuples(table: pa.Table, cols: list[str]) -> list[tuple]:
    return sorted(zip(*(table[c].to_pylist() for c in cols), strict=True))


def source(conn, sql: str) -> list[tuple]:
    return sorted(conn.execute(sql).fetchall())


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_second_full_run_is_exactly_one_new_commit_with_the_same_rows(pg, pg_conn, tmp_path, spark, fmt):
    pg_conn.execute("DROP TABLE IF EXISTS lk_full")
    pg_conn.execute("CREATE TABLE lk_full AS SELECT g AS id, md5(g::text) AS v, g * 1.5::numeric(12,2) AS amount "
                    "FROM generate_series(1, 50000) g")
    pg_conn.execute("ANALYZE lk_full")
    ex = Extractor(cfg(pg, tmp_path, ["public.lk_full"], fmt))
    first = ex.run().tables[0]
    assert first.status == "succeeded", first.error
    lake = Lake(fmt, Path(first.path), first.identifier)
    want = source(pg_conn, "SELECT id, v, amount FROM lk_full")
    assert tuples(lake.rows(), ["id", "v", "amount"]) == want
    assert lake.commits() == 1
    old_files = set(lake.files())
    second = ex.run().tables[0]
    assert second.status == "succeeded", second.error
    assert lake.commits() == 2  # one commit replaced every file
    assert second.version == first.version + 1
    assert tuples(lake.rows(), ["id", "v", "amount"]) == want
    assert not old_files & set(lake.files())
    if fmt == "delta":  # the first version stays readable (time travel)
        assert DeltaTable(first.path, version=first.version).to_pyarrow_table().num_rows == 50000
        protocol = DeltaTable(first.path).protocol()  # no timestamp_ntz column: what every Databricks reads
        assert (protocol.min_reader_version, protocol.min_writer_version) == (1, 2)
        assert not protocol.reader_features and not protocol.writer_features
    else:
        assert StaticTable.from_metadata(first.metadata_location).scan().to_arrow().num_rows == 50000
    manifest = read_manifest(Path(first.path))
    assert (manifest["format"], manifest["table_version"], manifest["rows"]) == (fmt, second.version, 50000)
    history = {h.path: h for h in ex.history()}
    assert (history[first.path].format, history[first.path].version) == (fmt, second.version)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_window_backfill_and_a_rerun_of_one_window_equal_the_source(pg, pg_conn, tmp_path, spark, fmt):
    name = f"lk_win_{fmt}"
    start = dt.datetime(2026, 1, 1)
    make_events(pg_conn, name, start, 3.5, 60_000)
    inc = {"column": "updated_at", "window": "24h", "start": "2026-01-01"}
    ex = Extractor(cfg(pg, tmp_path, [{"name": f"public.{name}", "incremental": inc}], fmt))
    result = ex.run(date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 1, 3))
    assert result.ok and len(result.tables) == 3, result.to_dict()
    assert len({t.path for t in result.tables}) == 1  # one table, three windows
    lake = Lake(fmt, Path(result.tables[0].path), result.tables[0].identifier)
    three_days = f"SELECT id, updated_at, v FROM {name} WHERE updated_at < '2026-01-04'"
    assert tuples(lake.rows(), ["id", "updated_at", "v"]) == source(pg_conn, three_days)
    assert lake.commits() == 3
    # day two changes at the source: updates, deletes, inserts; then only day two is extracted again
    change_day_two(pg_conn, name)
    untouched = [f for f in lake.files() if "extract_date-2026-01-02" not in f]
    again = ex.run(run_date=dt.date(2026, 1, 2))
    assert again.ok and again.tables[0].version == result.tables[-1].version + 1, again.to_dict()
    assert lake.commits() == 4  # exactly one commit for the window
    got = tuples(lake.rows(), ["id", "updated_at", "v"])
    assert got == source(pg_conn, three_days)
    assert len({r[0] for r in got}) == len(got)
    assert set(untouched) <= set(lake.files())  # days one and three kept their files
    again2 = ex.run(run_date=dt.date(2026, 1, 2))  # the same window once more: the same rows, no duplicates
    assert again2.ok and tuples(lake.rows(), ["id", "updated_at", "v"]) == got


@pytest.mark.parametrize("fmt", FORMATS)
def test_evolve_adds_a_new_column_to_the_table_and_old_rows_read_it_as_null(pg, pg_conn, tmp_path, spark, fmt):
    name = f"lk_drift_{fmt}"
    make_events(pg_conn, name, dt.datetime(2026, 1, 1), 2, 2000)
    inc = {"column": "updated_at", "window": "24h", "start": "2026-01-01"}
    ex = Extractor(cfg(pg, tmp_path, [{"name": f"public.{name}", "incremental": inc, "on_schema_change": "evolve"}],
                       fmt))
    first = ex.run(run_date=dt.date(2026, 1, 1))
    assert first.ok, first.to_dict()
    pg_conn.execute(f"ALTER TABLE {name} ADD COLUMN extra numeric(10,3)")
    pg_conn.execute(f"UPDATE {name} SET extra = id / 8.0 WHERE updated_at >= '2026-01-02'")
    second = ex.run(run_date=dt.date(2026, 1, 2))
    assert second.ok, second.to_dict()
    lake = Lake(fmt, Path(first.tables[0].path), first.tables[0].identifier)
    got = lake.rows()
    assert got.column_names == ["id", "updated_at", "v", "extra"]
    assert got.schema.field("extra").type == pa.decimal128(10, 3)
    assert tuples(got, ["id", "updated_at", "v", "extra"]) == source(
        pg_conn, f"SELECT id, updated_at, v, CASE WHEN updated_at >= '2026-01-02' THEN extra END FROM {name}")


def test_per_table_format_overrides_the_run_and_run_json_names_each_table(pg, pg_conn, tmp_path, spark):
    pg_conn.execute("DROP TABLE IF EXISTS lk_a")
    pg_conn.execute("CREATE TABLE lk_a AS SELECT g AS id FROM generate_series(1, 300) g")
    config = cfg(pg, tmp_path, ["public.lk_a", {"name": "public.lk_full_b", "query": "SELECT id * 2 AS id FROM lk_a",
                                                "format": "iceberg"},
                                {"name": "public.lk_c", "query": "SELECT id FROM lk_a", "format": "parquet"}],
                 "delta")
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(config))
    proc = subprocess.run([sys.executable, "-m", "data_extractor", "run", "-c", str(path), "--json"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    tables = {t["table"]: t for t in json.loads(proc.stdout)["tables"]}
    a, b, c = tables["public.lk_a"], tables["public.lk_full_b"], tables["public.lk_c"]
    assert (a["format"], a["version"], a["identifier"]) == ("delta", 0, None)
    assert DeltaTable(a["path"]).to_pyarrow_table().num_rows == 300
    assert (b["format"], b["identifier"]) == ("iceberg", "public.lk_full_b")
    assert sorted(StaticTable.from_metadata(b["metadata_location"]).scan().to_arrow()["id"].to_pylist()) == \
        list(range(2, 601, 2))
    assert (c["format"], c["version"]) == ("parquet", None) and manifest_path(c["path"]).exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_run_killed_before_its_commit_leaves_the_previous_version_readable(pg, pg_conn, tmp_path, spark, fmt):
    name = f"lk_kill_{fmt}"
    pg_conn.execute(f"DROP TABLE IF EXISTS {name}")
    pg_conn.execute(f"CREATE TABLE {name} AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 4000) g")
    pg_conn.execute(f"ANALYZE {name}")
    table = {"name": f"public.{name}", "partitioning": {"strategy": "range", "column": "id", "partitions": 4}}
    config = cfg(pg, tmp_path, [table], fmt)
    first = Extractor(config).run().tables[0]
    assert first.status == "succeeded", first.error
    lake = Lake(fmt, Path(first.path), first.identifier)
    before = lake.version_key()
    # the second run's partition holding id 1500 sleeps: the others write their files, then the run dies
    pg_conn.execute(f"UPDATE {name} SET v = 'second run' WHERE id <= 10")
    slow = {**table, "where": "id <> 1500 OR (SELECT true FROM pg_sleep(12))"}
    path = tmp_path / "slow.yaml"
    path.write_text(yaml.safe_dump(cfg(pg, tmp_path, [slow], fmt)))
    proc = subprocess.Popen([sys.executable, "-m", "data_extractor", "run", "-c", str(path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    data = Path(first.path) / "data"
    committed = lake.files()

    def orphans() -> list[Path]:
        return [p for p in data.glob("*/*.parquet") if not any(f.endswith(str(p.relative_to(first.path)))
                                                              for f in committed)]

    deadline = time.time() + 120
    while time.time() < deadline and not orphans():
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert orphans(), "the killed run wrote no data file: the test did not kill it between write and commit"
    assert lake.version_key() == before
    assert lake.rows().num_rows == 4000 and "second run" not in lake.rows()["v"].to_pylist()
    third = Extractor(config).run().tables[0]  # the next run commits over the orphans
    assert third.status == "succeeded", third.error
    assert tuples(lake.rows(), ["id", "v"]) == source(pg_conn, f"SELECT id, v FROM {name}")


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_full_run_after_a_dropped_and_an_added_column_replaces_the_schema(pg, pg_conn, tmp_path, spark, fmt):
    name = f"lk_reshape_{fmt}"
    pg_conn.execute(f"DROP TABLE IF EXISTS {name}")
    pg_conn.execute(f"CREATE TABLE {name} AS SELECT g AS id, 'old' || g AS gone FROM generate_series(1, 500) g")
    ex = Extractor(cfg(pg, tmp_path, [{"name": f"public.{name}", "on_schema_change": "evolve"}], fmt))
    first = ex.run().tables[0]
    assert first.status == "succeeded", first.error
    pg_conn.execute(f"ALTER TABLE {name} DROP COLUMN gone")
    pg_conn.execute(f"ALTER TABLE {name} ADD COLUMN born date DEFAULT DATE '1900-01-01'")
    second = ex.run().tables[0]
    assert second.status == "succeeded", second.error
    got = Lake(fmt, Path(first.path), first.identifier).rows()
    assert got.column_names == ["id", "born"]
    assert tuples(got, ["id", "born"]) == source(pg_conn, f"SELECT id, born FROM {name}")
