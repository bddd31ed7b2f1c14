"""`doctor` names each failure and its fix; runs write Prometheus metrics the client's own parser reads."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families


def doctor(path, *extra) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "data_extractor", "doctor", "-c", str(path), *extra],
                          capture_output=True, text=True, timeout=300)


@pytest.fixture()
def healthy(pg, pg_conn, tmp_path):
    pg_conn.execute("DROP TABLE IF EXISTS doc_ok")
    pg_conn.execute("CREATE TABLE doc_ok AS SELECT g AS id FROM generate_series(1, 10) g")
    return {"source": pg.source(), "output": {"path": str(tmp_path / "out")}, "tables": ["public.doc_ok"]}


def test_doctor_passes_on_a_healthy_config(healthy, tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text(yaml.safe_dump(healthy))
    proc = doctor(path, "--no-spark")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "FAIL" not in proc.stdout and "PASS  read public.doc_ok" in proc.stdout and "java" in proc.stdout
    assert f"PASS  verify: `data-extractor verify -c {path}` proves published tables equal postgres" in proc.stdout


def test_doctor_names_each_failure_and_its_fix(healthy, pg, pg_conn, tmp_path):
    pg_conn.execute("DROP ROLE IF EXISTS doc_reader")
    pg_conn.execute("CREATE ROLE doc_reader LOGIN PASSWORD 'doc-pw'")
    pg_conn.execute("DROP TABLE IF EXISTS doc_secret")
    pg_conn.execute("CREATE TABLE doc_secret (id int)")
    pg_conn.execute("GRANT SELECT ON doc_ok TO doc_reader")
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the output folder should be")
    cfg = {**healthy, "source": {**pg.source(), "user": "doc_reader", "password": "doc-pw"},
           "output": {"path": str(blocked / "out")}, "tables": ["public.doc_ok", "public.doc_secret"]}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(cfg))
    proc = doctor(path, "--no-spark")
    assert proc.returncode == 1
    out = proc.stdout
    assert "PASS  read public.doc_ok" in out
    assert "FAIL  read public.doc_secret" in out and "grant SELECT" in out
    assert "FAIL  output" in out and "fix: create the folder" in out
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(yaml.safe_dump({**healthy, "source": {**pg.source(), "password": "not-it"}}))
    proc = doctor(wrong, "--no-spark", "--json")
    assert proc.returncode == 1 and "not-it" not in proc.stdout
    assert '"name": "database"' in proc.stdout and "password" in proc.stdout


@pytest.mark.spark
def test_a_run_writes_prometheus_metrics(healthy, tmp_path, spark):
    from data_extractor import Extractor

    prom = tmp_path / "metrics" / "dx.prom"
    result = Extractor({**healthy, "metrics": {"textfile": str(prom)},
                        "tables": ["public.doc_ok", "public.missing_table"]}).run()
    assert not result.ok and os.path.exists(prom)
    families = {f.name: f for f in text_string_to_metric_families(prom.read_text())}
    rows = {s.labels["table"]: s.value for s in families["data_extractor_table_rows"].samples}
    failed = {s.labels["table"]: s.value for s in families["data_extractor_table_failed"].samples}
    assert rows["public.doc_ok"] == 10 and failed == {"public.doc_ok": 0, "public.missing_table": 1}
    assert families["data_extractor_run_success"].samples[0].value == 0
    last = {s.labels["table"] for s in families["data_extractor_table_last_success_timestamp_seconds"].samples}
    assert last == {"public.doc_ok"}


def test_doctor_reports_the_spark_version_and_what_it_enables(healthy, tmp_path):
    import pyspark

    path = tmp_path / "ok.yaml"
    path.write_text(yaml.safe_dump(healthy))
    proc = doctor(path, "--no-spark")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("PASS  pyspark:"))
    assert f"pyspark {pyspark.__version__}" in line
    spark4 = int(pyspark.__version__.split(".")[0]) >= 4  # the Python Data Source API came with Spark 4.0
    assert ("Python Data Source API: yes" if spark4 else "Python Data Source API: no, reader python with "
            "writer spark feeds Arrow batches to Spark's writer through mapInArrow instead") in line


@pytest.mark.parametrize(("version", "ok"), [("1.8.0", True), ("1.9.0", False), ("1.13.0", False), ("1.14.0", True)])
def test_doctor_names_a_reader_driver_measured_slow(monkeypatch, version, ok):
    from data_extractor.source.dialects import pg_driver

    monkeypatch.setattr(pg_driver.metadata, "version", lambda name: version)
    check = pg_driver.driver_check()
    assert check.ok is ok and version in check.detail
    assert ok or "<1.9" in (check.fix or "")
