"""`verify` on SQLite (the demo database): equal after an extraction, with the run's events; changes on either
side found by key and column; the CLI's exit codes."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "fidelity"))

from fid_common import cli  # noqa: E402
from verify_helpers import only_difference, parquet_cell, verify_one  # noqa: E402

from data_extractor import Extractor  # noqa: E402
from data_extractor.cli.demo import build_database, write_config  # noqa: E402
from data_extractor.ops.verify import verify_tables  # noqa: E402
from data_extractor.run import events as ev  # noqa: E402

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def demo(spark, tmp_path_factory):
    folder = tmp_path_factory.mktemp("verify-sqlite")
    db = folder / "demo.db"
    build_database(db, rows=20_000)
    path = write_config(folder, db, master="local[2]")
    cfg = Extractor(str(path)).config
    cfg = cfg.model_copy(update={"defaults": cfg.defaults.model_copy(update={"partitioning": cfg.defaults.partitioning
                                 .model_copy(update={"target_rows": 5_000})})})
    assert Extractor(cfg).run().ok
    return cfg, db, folder / "extracts" / "main", path


def test_equal_with_progress_through_the_run_events(demo):
    cfg, _db, _out, _path = demo
    seen: list[ev.Event] = []
    verdicts = verify_tables(cfg, on_event=seen.append)
    assert [v.status for v in verdicts] == ["equal"] * 3, [v.to_dict() for v in verdicts]
    kinds = [e.kind for e in seen]
    assert kinds[0] == "RunStarted" and kinds[-1] == "RunFinished"
    orders = [e for e in seen if getattr(e, "table", None) == "orders"]
    assert [e.kind for e in orders] == ["TableStarted"] + ["TableProgress"] * 4 + ["TableVerified"]
    assert orders[-2].partitions_done == orders[-2].partitions_total == 4
    assert orders[-1].equal and orders[-1].rows == 20_000


def test_changed_deleted_and_parquet_values_are_found(demo):
    cfg, db, out, _path = demo
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE orders SET ordered_at = '2030-01-01 00:00:00.000001' WHERE id = 12345")
        conn.execute("DELETE FROM customers WHERE id = 7")
    try:
        verdict = verify_one(cfg, "orders")
        key, kind, cells = only_difference(verdict)
        assert key == {"id": "12345"} and kind == "changed" and [c.column for c in cells] == ["ordered_at"]
        assert verdict.differences[0].columns == ["ordered_at"]  # per-column checksums (md5 on both sides)
        assert cells[0].source == "2030-01-01 00:00:00.000001"
        key, kind, _cells = only_difference(verify_one(cfg, "customers"))
        assert key == {"id": "7"} and kind == "not in the source"
    finally:
        Extractor(cfg).run(["orders", "customers"])  # the published output follows the source again
    with parquet_cell(out / "products", "id", 3, "price"):
        key, kind, cells = only_difference(verify_one(cfg, "products"))
    assert key == {"id": "3"} and [c.column for c in cells] == ["price"]


def test_the_cli_exit_codes(demo):
    _cfg, _db, out, path = demo
    ok = cli("verify", "-c", path, "-t", "products")
    assert ok.returncode == 0 and "products: equal (50 rows, 1 partition(s))" in ok.stdout, ok.stdout + ok.stderr
    with parquet_cell(out / "products", "id", 9, "name", ""):
        bad = cli("verify", "-c", path, "-t", "products")
    assert bad.returncode == 1 and "key id=9: changed" in bad.stdout and "name: source" in bad.stdout
