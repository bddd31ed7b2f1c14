"""Extraction from a real PostgreSQL into Parquet, checked value by value with pyarrow."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from pgdata import assert_parquet_equals_source, make_typed

from data_extractor import Extractor
from data_extractor.run import events as ev
from manifests import manifest_path, read_manifest

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def three_tables(pg_conn):
    for i, rows in enumerate((30_000, 20_000, 10_000)):
        make_typed(pg_conn, f"typed_{i}", rows)
    return ["public.typed_0", "public.typed_1", "public.typed_2"]


def config(pg, tmp_path, tables, **defaults) -> dict:
    return {"source": pg.source(), "spark": {"master": "local[2]"}, "output": {"path": str(tmp_path / "out")},
            "defaults": {"parallel_tables": 3, "partitioning": {"target_rows": 10_000}, **defaults},
            "tables": tables}


@pytest.mark.parametrize("writer", ["arrow", "spark"])
def test_three_tables_in_parallel_sessions_equal_their_sources(pg, pg_conn, tmp_path, spark, three_tables, writer):
    cfg = config(pg, tmp_path, three_tables)
    cfg["output"]["writer"] = writer
    seen: list[ev.Event] = []
    result = Extractor(cfg).run(on_event=seen.append)
    assert result.ok, result.to_dict()
    manifests = []
    for i, _name in enumerate(three_tables):
        folder = tmp_path / "out" / "public" / f"typed_{i}"
        assert_parquet_equals_source(pg_conn, f"typed_{i}", str(folder))
        manifests.append(read_manifest(folder))
    assert len({m["spark_session"] for m in manifests}) == 3
    # all three ran at the same time: each started before any finished
    assert max(m["started_at"] for m in manifests) < min(m["finished_at"] for m in manifests)
    kinds = [e.kind for e in seen]
    assert kinds[0] == "RunStarted" and kinds[-1] == "RunFinished"
    assert kinds.count("TableFinished") == 3 and "TableProgress" in kinds


def test_jdbc_reader_gives_the_same_parquet(pg, pg_conn, tmp_path, spark, three_tables):
    jar = "/usr/share/java/postgresql.jar"
    if not os.path.exists(jar):
        pytest.skip("Debian's libpostgresql-jdbc-java is not installed")
    cfg = config(pg, tmp_path, ["public.typed_2"])
    cfg["spark"]["reader"] = "jdbc"
    cfg["spark"]["jdbc_jars"] = [jar]
    result = Extractor(cfg).run()
    assert result.ok, result.to_dict()
    assert_parquet_equals_source(pg_conn, "typed_2", str(tmp_path / "out" / "public" / "typed_2"))


def test_a_table_dropped_after_planning_fails_alone(pg, pg_conn, tmp_path, spark, three_tables):
    pg_conn.execute("DROP TABLE IF EXISTS doomed")
    pg_conn.execute("CREATE TABLE doomed AS SELECT g AS id FROM generate_series(1, 1000) g")

    def drop_when_planned(e: ev.Event) -> None:
        if isinstance(e, ev.TablePlanned) and e.table == "public.doomed":
            pg_conn.execute("DROP TABLE doomed")

    result = Extractor(config(pg, tmp_path, ["public.doomed", "public.typed_2"])).run(on_event=drop_when_planned)
    by_name = {t.table: t for t in result.tables}
    assert not result.ok
    assert by_name["public.typed_2"].status == "succeeded"
    failed = by_name["public.doomed"]
    assert failed.status == "failed" and "doomed" in failed.error and "\n" not in failed.error
    assert not (tmp_path / "out" / "public" / "doomed").exists()


def test_cli_reports_a_failing_table_in_json_and_exits_non_zero(pg, pg_conn, tmp_path, three_tables):
    pg_conn.execute("DROP TABLE IF EXISTS too_wide")
    pg_conn.execute("CREATE TABLE too_wide AS SELECT 1 AS id, 123456789012345678901234567890.5::numeric AS v")
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(config(pg, tmp_path, ["public.typed_2", "public.too_wide"])))
    proc = subprocess.run([sys.executable, "-m", "data_extractor", "run", "-c", str(path), "--json"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    summary = json.loads(proc.stdout)
    status = {t["table"]: (t["status"], t["error"]) for t in summary["tables"]}
    assert status["public.typed_2"][0] == "succeeded"
    assert status["public.too_wide"][0] == "failed" and "'v'" in status["public.too_wide"][1]
    assert "number_type" in status["public.too_wide"][1]
    assert "Traceback" not in proc.stderr and pg.password not in proc.stdout + proc.stderr


def test_cli_refuses_a_missing_table_before_extracting_anything(pg, tmp_path, three_tables):
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(config(pg, tmp_path, ["public.typed_2", "public.no_such_table"])))
    proc = subprocess.run([sys.executable, "-m", "data_extractor", "run", "-c", str(path), "--json"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "no_such_table" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_sigkill_mid_run_leaves_published_data_untouched(pg, pg_conn, tmp_path, spark):
    pg_conn.execute("DROP TABLE IF EXISTS big")
    pg_conn.execute("CREATE TABLE big AS SELECT g AS id, md5(g::text) AS a, md5((g+1)::text) AS b "
                    "FROM generate_series(1, 1500000) g")
    pg_conn.execute("ALTER TABLE big ADD PRIMARY KEY (id)")
    pg_conn.execute("ANALYZE big")
    cfg = config(pg, tmp_path, ["public.big"])
    first = Extractor(cfg).run()
    assert first.ok
    folder = tmp_path / "out" / "public" / "big"
    before = {p.name: p.stat().st_size for p in folder.iterdir()}
    manifest_before = manifest_path(folder).read_text()

    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg))
    proc = subprocess.Popen([sys.executable, "-m", "data_extractor", "run", "-c", str(path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    staging = tmp_path / "out" / "_data_extractor" / "staging"
    deadline = time.time() + 120
    while time.time() < deadline and not list(staging.glob("*/public_2fbig/*.parquet")):
        time.sleep(0.05)
    assert list(staging.glob("*/public_2fbig/*.parquet")), "the run never started writing"
    os.killpg(proc.pid, signal.SIGKILL)  # the CLI, its JVM and its Python workers
    proc.wait(10)
    assert {p.name: p.stat().st_size for p in folder.iterdir()} == before
    assert manifest_path(folder).read_text() == manifest_before
    again = Extractor(cfg).run()
    assert again.ok and again.tables[0].rows == 1_500_000
    assert read_manifest(folder)["run_id"] == again.run_id
    assert not any(Path(tmp_path / "out").glob("_data_extractor/staging/*/public_2fbig/*.parquet"))
