"""Spark 3.5 (Databricks LTS) and 4.x, by feature detection: the core extraction tests pass on both.

The default suite runs on Spark 4; `test_core_extraction_passes_on_spark_35` runs the core tests again (demo,
PostgreSQL with both writers, incremental windows, doctor, every PostgreSQL type through Spark's writer) with
pyspark 3.5 in a second venv made once and kept.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from pgdata import assert_parquet_equals_source, make_typed
from spark35_venv import Unavailable, child_env, spark35_python

from data_extractor import Extractor
from data_extractor.run import events as ev
from data_extractor.spark import features, python_reader

pytestmark = pytest.mark.spark
ROOT = Path(__file__).resolve().parents[2]
CORE = [
    "tests/spark/test_extract_sqlite.py::test_demo_command_is_the_readme_main_job",
    "tests/spark/test_extract_postgres.py::test_three_tables_in_parallel_sessions_equal_their_sources",
    "tests/spark/test_incremental.py::test_three_daily_windows_partition_the_rows_and_a_rerun_replaces_one_exactly",
    "tests/spark/test_spark_versions.py::test_without_a_python_data_source_the_spark_writer_uses_map_in_arrow",
    "tests/test_doctor_and_metrics.py::test_doctor_reports_the_spark_version_and_what_it_enables",
    # every PostgreSQL type and edge value (dates of year 1, which Spark 3.5's writer refuses by default)
    "tests/fidelity/test_types_postgres.py::test_every_type_and_edge_value_arrives_exactly[python-spark]",
]
CORE_TESTS = 7  # the postgres test runs once per writer


@pytest.fixture(scope="session")
def spark35() -> Path:
    try:
        return spark35_python()
    except Unavailable as exc:
        pytest.skip(str(exc))


def test_without_a_python_data_source_the_spark_writer_uses_map_in_arrow(pg, pg_conn, tmp_path, spark,
                                                                        monkeypatch):
    """What Spark 3.5 does (forced here on Spark 4 too): values equal the source, and it is said once."""
    if features.python_datasource():
        monkeypatch.setattr(python_reader, "python_datasource", lambda: False)
    monkeypatch.setattr(features, "_said", set())
    for i, rows in enumerate((3_000, 2_000)):
        make_typed(pg_conn, f"mia_{i}", rows)
    cfg = {"source": pg.source(), "spark": {"master": "local[2]", "reader": "auto"},
           "output": {"path": str(tmp_path / "out"), "writer": "spark"},
           "defaults": {"parallel_tables": 2, "partitioning": {"target_rows": 1_000}},
           "tables": ["public.mia_0", "public.mia_1"]}
    seen: list[ev.Event] = []
    result = Extractor(cfg).run(on_event=seen.append)
    assert result.ok, result.to_dict()
    for i in range(2):
        assert_parquet_equals_source(pg_conn, f"mia_{i}", str(tmp_path / "out" / "public" / f"mia_{i}"))
    said = [e.message for e in seen if isinstance(e, ev.LogLine) and "mapInArrow" in e.message]
    assert len(said) == 1 and "no Python Data Source API" in said[0], said


def test_core_extraction_passes_on_spark_35(spark35):
    proc = subprocess.run([str(spark35), "-m", "pytest", "-q", "-p", "no:cacheprovider", *CORE], cwd=ROOT,
                          env=child_env(), capture_output=True, text=True, timeout=1500)
    tail = (proc.stdout + proc.stderr)[-3000:]
    assert proc.returncode == 0, tail
    passed = re.search(r"(\d+) passed", proc.stdout)
    assert passed and int(passed[1]) == CORE_TESTS and "skipped" not in proc.stdout.splitlines()[-1], tail
