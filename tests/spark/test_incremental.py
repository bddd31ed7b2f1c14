"""Incremental windows, watermarks, consistent snapshots and schema drift, on a real PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time

import pyarrow.parquet as pq
import pytest
import yaml
from pgdata import make_events

from data_extractor import Extractor
from data_extractor.run import events as ev
from manifests import manifest_path, read_manifest

pytestmark = pytest.mark.spark
DAY = dt.timedelta(days=1)


def cfg(pg, tmp_path, tables, **extra) -> dict:
    base = {"source": pg.source(), "spark": {"master": "local[2]"}, "output": {"path": str(tmp_path / "out")},
            "defaults": {"parallel_tables": 2, "partitioning": {"target_rows": 20_000}}, "tables": tables}
    base.update(extra)
    return base


def window_rows(folder) -> list[tuple]:
    t = pq.read_table(folder).sort_by("id")
    return list(zip(t["id"].to_pylist(), t["updated_at"].to_pylist(), t["v"].to_pylist(), strict=True))


def source_rows(conn, name, lo, hi) -> list[tuple]:
    return conn.execute(f"SELECT id, updated_at, v FROM {name} WHERE updated_at >= %s AND updated_at < %s "
                        "ORDER BY id", (lo, hi)).fetchall()


def test_three_daily_windows_partition_the_rows_and_a_rerun_replaces_one_exactly(pg, pg_conn, tmp_path, spark):
    start = dt.datetime(2026, 1, 1)
    make_events(pg_conn, "ev_days", start, 3.5, 70_000)
    inc = {"column": "updated_at", "window": "24h", "start": "2026-01-01"}
    ex = Extractor(cfg(pg, tmp_path, [{"name": "public.ev_days", "incremental": inc}]))
    result = ex.run(date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 1, 3))
    assert result.ok and len(result.tables) == 3, result.to_dict()
    root = tmp_path / "out" / "public" / "ev_days"
    days = sorted(p.name for p in root.iterdir())
    assert days == ["extract_date=2026-01-01", "extract_date=2026-01-02", "extract_date=2026-01-03"]
    union = []
    for i, d in enumerate(days):
        got = window_rows(root / d)
        assert got == source_rows(pg_conn, "ev_days", start + i * DAY, start + (i + 1) * DAY)
        union += got
    assert sorted(union) == source_rows(pg_conn, "ev_days", start, start + 3 * DAY)
    assert len({r[0] for r in union}) == len(union)  # no duplicates
    middle = root / "extract_date=2026-01-02"
    before = window_rows(middle)
    again = ex.run(run_date=dt.date(2026, 1, 2))
    assert again.ok and len(again.tables) == 1
    assert window_rows(middle) == before
    assert read_manifest(middle)["run_id"] == again.run_id
    assert sorted(p.name for p in root.iterdir()) == days


def test_automatic_windows_follow_the_watermark(pg, pg_conn, tmp_path, spark):
    today = dt.datetime.combine(dt.datetime.now(dt.timezone.utc).date(), dt.time())
    make_events(pg_conn, "ev_auto", today - 3 * DAY, 3.5, 35_000)
    inc = {"column": "updated_at", "window": "1d", "start": (today - 3 * DAY).date().isoformat(), "lag": "0h"}
    ex = Extractor(cfg(pg, tmp_path, [{"name": "public.ev_auto", "incremental": inc}]))
    first = ex.run()
    assert first.ok and len(first.tables) == 3  # today's window is not complete yet
    state = ex.status()[0]
    assert state.watermark == today.isoformat()
    second = ex.run()
    assert second.ok and second.tables[0].detail.startswith("up to date")
    proc = subprocess.run([sys.executable, "-m", "data_extractor", "status", "-c", _write(tmp_path, ex), "--json"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and json.loads(proc.stdout)[0]["watermark"] == today.isoformat()


def _write(tmp_path, ex) -> str:
    path = tmp_path / "c.yaml"
    data = json.loads(ex.config.model_dump_json())
    data["source"]["password"] = ex.config.source.password.get_secret_value()
    path.write_text(yaml.safe_dump(data))
    return str(path)


@pytest.mark.parametrize("strategy", ["balanced", "physical"])
def test_consistent_snapshot_hides_changes_made_during_the_run(pg, pg_conn, tmp_path, spark, strategy):
    """Key ranges and page ranges (auto's choice within a snapshot): UPDATEs move rows to other pages."""
    for name in ("snap_a", "snap_b"):
        pg_conn.execute(f"DROP TABLE IF EXISTS {name}")
        pg_conn.execute(f"CREATE TABLE {name} AS SELECT g AS id, 'orig' AS v FROM generate_series(1, 60000) g")
        pg_conn.execute(f"ALTER TABLE {name} ADD PRIMARY KEY (id)")
        pg_conn.execute(f"ANALYZE {name}")
    counts = {n: pg_conn.execute(f"SELECT count(*) FROM {n}").fetchone()[0] for n in ("snap_a", "snap_b")}
    changed = []

    def meddle(e: ev.Event) -> None:
        if isinstance(e, ev.TableStarted):  # after the snapshot, before this table's first read
            for name in ("snap_a", "snap_b"):
                pg_conn.execute(f"INSERT INTO {name} SELECT g, 'new' FROM generate_series(100001, 101000) g "
                                f"ON CONFLICT DO NOTHING")
                pg_conn.execute(f"UPDATE {name} SET v = 'changed' WHERE id % 100 = 0")
            changed.append(e.table)

    config = cfg(pg, tmp_path, ["public.snap_a", "public.snap_b"], snapshot={"consistent": True})
    partitioning = {"strategy": "balanced"} if strategy == "balanced" else {}  # auto picks physical
    config["defaults"].update(parallel_tables=1, partitioning={**partitioning, "partitions": 4})
    result = Extractor(config).run(on_event=meddle)
    assert result.ok, result.to_dict()
    assert changed == ["public.snap_a", "public.snap_b"]
    for name in ("snap_a", "snap_b"):
        folder = tmp_path / "out" / "public" / name
        table = pq.read_table(folder)
        assert table.num_rows == counts[name]
        assert set(table["v"].to_pylist()) == {"orig"}
        manifest = read_manifest(folder)
        assert manifest["snapshot"] and manifest["source_count"] == counts[name]
        assert manifest["plan"]["strategy"] == strategy and len(manifest["plan"]["partitions"]) == 4
    assert pg_conn.execute("SELECT count(*) FROM snap_a").fetchone()[0] == counts["snap_a"] + 1000


def test_sigkill_mid_window_keeps_the_watermark_and_the_next_run_completes_it(pg, pg_conn, tmp_path, spark):
    pg_conn.execute("DROP TABLE IF EXISTS ev_kill")
    pg_conn.execute("CREATE TABLE ev_kill (id bigint PRIMARY KEY, updated_at timestamp NOT NULL, a text, b text)")
    pg_conn.execute("INSERT INTO ev_kill SELECT g, TIMESTAMP '2026-01-01 12:00', md5(g::text), md5(g::text) "
                    "FROM generate_series(1, 1000) g")
    pg_conn.execute("INSERT INTO ev_kill SELECT g, TIMESTAMP '2026-01-02' + (g % 80000) * interval '1 second', "
                    "md5(g::text), md5((g + 1)::text) FROM generate_series(1001, 2001000) g")
    pg_conn.execute("CREATE INDEX ON ev_kill (updated_at)")
    pg_conn.execute("ANALYZE ev_kill")
    inc = {"column": "updated_at", "window": "24h", "start": "2026-01-01"}
    config = cfg(pg, tmp_path, [{"name": "public.ev_kill", "incremental": inc}])
    config["defaults"]["partitioning"] = {"target_rows": 250_000}
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(config))
    proc = subprocess.Popen([sys.executable, "-m", "data_extractor", "run", "-c", str(path), "--from", "2026-01-01",
                             "--to", "2026-01-02"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    staging = tmp_path / "out" / "_data_extractor" / "staging"
    deadline = time.time() + 180
    while time.time() < deadline and not list(staging.glob("*/public_2fev_5fkill_*2026-01-02/*.parquet")):
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)
    ex = Extractor(config)
    assert ex.status()[0].watermark == "2026-01-02T00:00:00"  # day one published, day two not
    root = tmp_path / "out" / "public" / "ev_kill"
    assert sorted(p.name for p in root.iterdir()) == ["extract_date=2026-01-01"]
    again = ex.run()  # automatic: resumes at the watermark
    day_two = next(t for t in again.tables if "2026-01-02" in t.table)
    assert day_two.status == "succeeded" and day_two.rows == 2_000_000
    assert pq.read_table(root / "extract_date=2026-01-02").num_rows == 2_000_000
    assert pq.read_table(root / "extract_date=2026-01-01").num_rows == 1000


def test_added_and_dropped_columns_are_reported_and_fail_stops_the_table(pg, pg_conn, tmp_path, spark):
    pg_conn.execute("DROP TABLE IF EXISTS drift")
    pg_conn.execute("CREATE TABLE drift AS SELECT g AS id, g * 2 AS a, 'x' AS b FROM generate_series(1, 500) g")
    config = cfg(pg, tmp_path, ["public.drift"])
    assert Extractor(config).run().ok
    folder = tmp_path / "out" / "public" / "drift"
    published = manifest_path(folder).read_text()
    pg_conn.execute("ALTER TABLE drift ADD COLUMN c date, DROP COLUMN b")

    config["tables"] = [{"name": "public.drift", "on_schema_change": "fail"}]
    failed = Extractor(config).run()
    assert not failed.ok
    error = failed.tables[0].error
    assert "added c" in error and "dropped b" in error and "on_schema_change" in error
    assert manifest_path(folder).read_text() == published

    config["tables"] = [{"name": "public.drift", "on_schema_change": "warn"}]
    logs: list[ev.LogLine] = []
    ok = Extractor(config).run(on_event=lambda e: logs.append(e) if isinstance(e, ev.LogLine) else None)
    assert ok.ok
    assert any(e.level == "warning" and "added c" in e.message for e in logs)
    change = read_manifest(folder)["schema_change"]
    assert change == {"added": ["c"], "dropped": ["b"], "changed": []}
