"""The demo on SQLite: Parquet equal to the source, read back by an independent reader (pyarrow)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from data_extractor import Extractor
from data_extractor.cli.demo import build_database, write_config
from manifests import read_manifest

pytestmark = pytest.mark.spark


def sqlite_rows(db: Path, table: str) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
    finally:
        conn.close()


def parquet_rows(folder: str) -> list[tuple]:
    table = pq.read_table(folder).sort_by("id")
    return [tuple(r.values()) for r in table.to_pylist()]


def normalise(value):
    """SQLite's text and REAL forms, as the declared types say they should land."""
    return value


def assert_same(db: Path, table: str, folder: str) -> None:
    src, out = sqlite_rows(db, table), parquet_rows(folder)
    assert len(src) == len(out)
    schema = pq.read_schema(next(Path(folder).glob("*.parquet")))
    for s_row, p_row in zip(src, out, strict=True):
        for field, s, p in zip(schema, s_row, p_row, strict=True):
            if s is None or p is None:
                assert s is None and p is None, (table, field.name, s, p)
            elif isinstance(p, Decimal):
                assert p == Decimal(str(s)).quantize(p), (field.name, s, p)
            elif isinstance(p, dt.datetime):
                assert p == dt.datetime.fromisoformat(s), (field.name, s, p)
            elif isinstance(p, dt.date):
                assert p == dt.date.fromisoformat(s), (field.name, s, p)
            elif isinstance(p, bool):
                assert p == bool(s)
            else:
                assert p == s, (field.name, s, p)


def test_demo_database_extracts_exactly(tmp_path, spark):
    db = tmp_path / "demo.db"
    counts = build_database(db, rows=30_000)
    config = write_config(tmp_path, db, master="local[2]")
    ex = Extractor(str(config))
    cfg = ex.config.model_copy(update={"defaults": ex.config.defaults.model_copy(
        update={"partitioning": ex.config.defaults.partitioning.model_copy(update={"target_rows": 10_000})})})
    result = Extractor(cfg).run()
    assert result.ok, result.to_dict()
    for table, n in counts.items():
        folder = tmp_path / "extracts" / "main" / table
        assert pq.read_table(folder).num_rows == n
        assert_same(db, table, str(folder))
        manifest = read_manifest(folder)
        assert manifest["rows"] == n and manifest["run_id"] == result.run_id
    orders = read_manifest(tmp_path / "extracts/main/orders")
    assert orders["plan"]["strategy"] == "balanced" and len(orders["plan"]["partitions"]) == 3
    assert not (tmp_path / "extracts" / "_data_extractor" / "staging").exists()


def test_demo_command_is_the_readme_main_job(tmp_path):
    """`data-extractor demo` in a fresh process: exit 0, Parquet equal to the SQLite source."""
    out = tmp_path / "demo"
    proc = subprocess.run([sys.executable, "-m", "data_extractor", "demo", "--output", str(out), "--rows", "5000",
                           "--master", "local[2]", "--json"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["ok"] and {t["table"] for t in summary["tables"]} == {"customers", "products", "orders"}
    assert summary["spark_start_seconds"] > 0  # a run reports how long Spark took to start
    for table in ("customers", "products", "orders"):
        assert_same(out / "demo.db", table, str(out / "extracts" / "main" / table))
    assert "Traceback" not in proc.stderr
