"""Issue 15, item 1: state file names are one-to-one with table names, on a real PostgreSQL and Spark.

`public."e v"` and `public."e_v"` used to share `_state/public._e_v_.json` (every other character became `_`):
one table's run moved the other's watermark and history. State files of the earlier names are renamed on first use.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from data_extractor import Extractor
from data_extractor.output.names import escape
from data_extractor.run.state import StateStore

pytestmark = pytest.mark.spark


def test_internal_names_are_one_to_one_and_case_safe():
    names = ['public."e v"', "public.e v", "public.e_v", "public.e-v", "public.E_V", "public.e_5fv", "public.e%v",
             "a.b/c", "a/b.c", "público.naïve", "x" * 400, "x" * 399 + "y"]
    escaped = [escape(n) for n in names]
    assert len(set(escaped)) == len(names)
    assert len({e.lower() for e in escaped}) == len(names)  # also on case-insensitive file systems
    assert all(len(e) <= 180 and "/" not in e for e in escaped)
    assert escape("public.orders") == "public.orders"


def cfg(pg, out: Path, tables: list) -> dict:
    return {"source": pg.source(), "spark": {"master": "local[2]"}, "output": {"path": str(out)},
            "defaults": {"retries": 0, "retry_wait": 0}, "tables": tables}


def test_tables_differing_only_in_punctuation_are_extracted_incrementally_side_by_side(pg, pg_conn, tmp_path,
                                                                                       spark):
    pg_conn.execute('DROP TABLE IF EXISTS "e v", e_v')
    for name, offset in (('"e v"', 0), ("e_v", 1000)):
        pg_conn.execute(f"CREATE TABLE {name} (id int PRIMARY KEY, at timestamp NOT NULL)")
        pg_conn.execute(f"INSERT INTO {name} SELECT g + {offset}, TIMESTAMP '2026-01-01' + g * interval '1 hour' "
                        "FROM generate_series(0, 71) g")
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    lag = f"{int((now - dt.datetime(2026, 1, 4, 0, 30)).total_seconds() // 3600)}h"  # the last due window: Jan 3
    inc = {"column": "at", "window": "24h", "start": "2026-01-01", "lag": lag}
    # Quoted, both were `_state/public._e_v_.json` under the earlier names.
    tables = [{"name": 'public."e v"', "incremental": inc}, {"name": 'public."e_v"', "incremental": inc}]
    out = tmp_path / "out"
    first = Extractor(cfg(pg, out, tables)).run(date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 1, 2))
    assert first.ok, first.to_dict()
    # No range: each table continues from its own watermark (2026-01-03); before, both shared one state file.
    second = Extractor(cfg(pg, out, tables)).run()
    assert len(second.tables) == 2, second.to_dict()
    assert second.ok, second.to_dict()
    for folder, offset in (("e v", 0), ("e_v", 1000)):
        got = sorted(r["id"] for p in (out / "public" / folder).iterdir() if p.is_dir()
                     for r in pq.read_table(p).to_pylist())
        assert got == [g + offset for g in range(72)], folder
    store = StateStore(str(out))
    assert store.load('public."e v"').watermark == store.load('public."e_v"').watermark == "2026-01-04T00:00:00"
    assert {s.table for s in store.all()} == {'public."e v"', 'public."e_v"'}
    assert len(store.load('public."e v"').history) == len(store.load('public."e_v"').history) == 3  # one per window


def test_state_files_of_the_earlier_layout_are_moved_in_on_first_use(pg, pg_conn, tmp_path, spark):
    pg_conn.execute("DROP TABLE IF EXISTS mig_t")
    pg_conn.execute("CREATE TABLE mig_t AS SELECT g AS id FROM generate_series(1, 10) g")
    out = tmp_path / "out"
    old = out / "_state"
    old.mkdir(parents=True)
    entry = {"run_id": "old", "rows": 7, "outcome": "succeeded", "finished_at": "2026-01-01T00:00:00.000Z"}
    (old / "public.mig_t.json").write_text(json.dumps({"table": "public.mig_t", "watermark": None,
                                                        "columns": None, "history": [entry]}))
    result = Extractor(cfg(pg, out, ["public.mig_t"])).run()
    assert result.ok
    assert not old.exists()  # moved into the reserved folder
    assert (out / "_data_extractor" / "state" / f"{escape('public.mig_t')}.json").exists()
    history = StateStore(str(out)).load("public.mig_t").history
    assert [h["run_id"] for h in history] == ["old", result.run_id]


def test_a_state_write_failing_after_publish_reports_the_table_published_with_a_warning(pg, pg_conn, tmp_path,
                                                                                        spark, monkeypatch):
    pg_conn.execute("DROP TABLE IF EXISTS st_fail")
    pg_conn.execute("CREATE TABLE st_fail AS SELECT g AS id FROM generate_series(1, 300) g")
    out = tmp_path / "out"
    real_save = StateStore.save

    def full_disk(self, state):  # the state volume fills up just after the publish (as root, chmod stops nothing)
        if state.table == "public.st_fail" and state.history and state.history[-1]["outcome"] == "succeeded":
            raise OSError(28, "No space left on device")
        return real_save(self, state)

    monkeypatch.setattr(StateStore, "save", full_disk)
    result = Extractor(cfg(pg, out, ["public.st_fail"])).run()
    table = result.tables[0]
    assert table.status == "succeeded" and table.rows == 300, result.to_dict()
    assert "published, but its state could not be recorded" in (table.detail or "")
    assert "history misses this run" in table.detail
    assert sorted(r["id"] for r in pq.read_table(out / "public" / "st_fail").to_pylist()) == list(range(1, 301))
