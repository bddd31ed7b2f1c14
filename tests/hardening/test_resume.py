"""Issue 15: a table cut short resumes; the partitions an earlier run finished are taken over, not read again.

Live on PostgreSQL and Spark: a CLI run killed with SIGKILL after some of its 8 partitions, and a run that
failed when its retries were spent; then unit tests of the take-over rules (digest, snapshot) on a local
folder and on the S3 emulator.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
import yaml

from data_extractor import Extractor
from data_extractor.config.models import ENV_PREFIX
from data_extractor.output import resume
from data_extractor.output.publish import TableOutput
from data_extractor.run import events as ev

pytestmark = pytest.mark.spark
ROWS = 2_000_000
KEY = "public_2frs_5fbig"  # names.escape("public/rs_big"): the table's folder in a run's staging


@pytest.fixture(scope="module")
def big(pg_conn):
    pg_conn.execute("DROP TABLE IF EXISTS rs_big")
    pg_conn.execute("CREATE TABLE rs_big AS SELECT g AS id, md5(g::text) AS a, md5((g + 7)::text) AS b "
                    f"FROM generate_series(1, {ROWS}) g")
    pg_conn.execute("ALTER TABLE rs_big ADD PRIMARY KEY (id)")
    pg_conn.execute("ANALYZE rs_big")
    return "public.rs_big"


def cfg(pg, out: Path, **defaults) -> dict:
    return {"source": pg.source(), "spark": {"master": "local[2]"}, "output": {"path": str(out)},
            "defaults": {"retries": 0, "retry_wait": 0, "parallel_tables": 1,
                         "partitioning": {"strategy": "range", "column": "id", "partitions": 8}, **defaults},
            "tables": ["public.rs_big"]}


def assert_exact(folder: Path) -> None:
    t = pq.read_table(folder)
    assert t.num_rows == ROWS
    assert pc.count_distinct(t["id"]).as_py() == ROWS
    assert pc.sum(t["id"]).as_py() == ROWS * (ROWS + 1) // 2


def done_records(out: Path) -> list[Path]:
    return sorted(out.glob(f"_data_extractor/staging/*/{KEY}/_done/*.json"))


def settled(out: Path) -> set[int]:
    """The partitions recorded done once no more appear for 3 s: a Python worker that outlived its JVM finishes
    the partition it was writing (and records it) before it finds its JVM gone."""
    seen, since = None, time.monotonic()
    while time.monotonic() - since < 3:
        now = {json.loads(p.read_text())["partition"] for p in done_records(out)}
        if now != seen:
            seen, since = now, time.monotonic()
        time.sleep(0.1)
    return seen or set()


def run_json(config: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(ENV_PREFIX)}
    proc = subprocess.run([sys.executable, "-m", "data_extractor", "run", "-c", str(config), "--json"], env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)["tables"][0] | {"stderr": proc.stderr}


def test_a_run_killed_after_some_partitions_is_resumed_reading_only_the_others(pg, big, tmp_path):
    out = tmp_path / "out"
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump(cfg(pg, out)))
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(ENV_PREFIX)}
    proc = subprocess.Popen([sys.executable, "-m", "data_extractor", "run", "-c", str(config)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None and len(done_records(out)) < 2:
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)  # the CLI, its JVM and its Python workers
    proc.wait(10)
    finished = settled(out)
    assert 2 <= len(finished) < 8, finished
    assert not (out / "public" / "rs_big").exists()  # nothing published

    table = run_json(config)
    assert table["partitions_reused"] == len(finished) and table["rows"] == ROWS, table
    assert "taking over" in table["stderr"]
    folder = out / "public" / "rs_big"
    assert_exact(folder)
    assert {p.suffix for p in folder.iterdir()} == {".parquet"}  # no resume records published
    assert not list(out.glob("_data_extractor/partial/*")) and not list(out.glob("_data_extractor/staging/*"))
    again = run_json(config)  # a clean finish leaves nothing to take over
    assert again["partitions_reused"] == 0 and again["rows"] == ROWS


def test_a_failed_table_keeps_its_finished_partitions_for_the_next_run(pg, big, tmp_path, spark):
    out = tmp_path / "out"
    terminated: list[int] = []
    stop = threading.Event()

    def terminate_after_two() -> None:  # once two partitions are done, end one reader's connection: no retries left
        with pg.admin() as admin:
            while not stop.is_set() and not terminated:
                if len(done_records(out)) >= 2:
                    row = admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                        "WHERE query LIKE 'COPY%%' AND state = 'active' LIMIT 1").fetchone()
                    if row and row[0]:
                        terminated.append(1)
                time.sleep(0.01)

    watcher = threading.Thread(target=terminate_after_two, daemon=True)
    watcher.start()
    try:
        first = Extractor(cfg(pg, out)).run()
    finally:
        stop.set()
        watcher.join(10)
    if not terminated:
        pytest.skip("every partition finished before a reader could be terminated")
    assert not first.ok and first.tables[0].status == "failed"
    kept = list(out.glob(f"_data_extractor/partial/{KEY}/_done/*.json"))
    assert len(kept) >= 2
    progress = []
    second = Extractor(cfg(pg, out)).run(on_event=lambda e: progress.append(e) if isinstance(e, ev.TableProgress)
                                         else None)
    assert second.ok and second.tables[0].partitions_reused == len(kept), second.to_dict()
    # taken over: counted done from the first progress event on
    assert progress and all(p.partitions_done >= len(kept) and p.partitions_total == 8 for p in progress)
    assert_exact(out / "public" / "rs_big")


# ------------------------------------------------------------ the take-over rules, without Spark
def staged(tmp_path: Path, run_id: str, fs_root: str | None = None, options=None) -> TableOutput:
    out = TableOutput(fs_root or str(tmp_path / "o"), "public", "t", run_id, options=options)
    out.fs.makedirs(out.staging)
    return out


def spec(snapshot=None, predicates=("id < 5", "id >= 5")):
    col = SimpleNamespace(name="id", source_type="integer", spark_type="int", nullable=False)
    return SimpleNamespace(table="public.t", predicates=list(predicates), where=None, columns=[col],
                           snapshot=snapshot)


def killed_run(out: TableOutput, digest: str, snapshot: str | None, done=(0,)) -> None:
    """What a run leaves when killed: its resume record, a finished partition and an unfinished one's file."""
    fs = out.fs
    resume.begin(out, digest, snapshot, False)
    for i in (0, 1):
        fs.write_text(fs.join(out.staging, f"part-{i:05d}-000.snappy.parquet"), f"data {i}")
    for i in done:
        resume.record_done(fs, out.staging, {"partition": i, "rows": 5, "files": [f"part-{i:05d}-000.snappy.parquet"]})
    assert resume.keep(fs, out.base, out.staging, out.key)


def test_take_over_moves_only_recorded_partitions_and_needs_the_same_digest_and_snapshot(tmp_path):
    d = resume.digest(spec(), "snappy", None)
    assert d == resume.digest(spec(snapshot="x"), "snappy", None)  # the snapshot is compared on its own
    assert d != resume.digest(spec(predicates=("id < 6", "id >= 6")), "snappy", None)
    assert d != resume.digest(spec(), "zstd", None)

    killed_run(staged(tmp_path, "r1"), d, None)
    out = staged(tmp_path, "r2")
    taken = resume.begin(out, d, None, False)
    assert taken.done == {0} and taken.rows == 5 and taken.reused[0]["reused"]
    assert sorted(os.listdir(out.staging)) == ["_done", "_resume.json", "part-00000-000.snappy.parquet"]
    assert not out.fs.exists(resume.partial_folder(out.fs, out.base, out.key))

    killed_run(staged(tmp_path, "r3"), d, None)
    other = resume.begin(staged(tmp_path, "r4"), "another digest", None, False)
    assert other.reused == []  # another plan: everything is read again

    killed_run(staged(tmp_path, "r5"), d, "00000003-1B")
    assert resume.begin(staged(tmp_path, "r6"), d, "00000004-2C", False).reused == []  # PostgreSQL: a new snapshot

    killed_run(staged(tmp_path, "r7"), d, "SCN 100")
    oracle = resume.begin(staged(tmp_path, "r8"), d, "SCN 200", True)
    assert oracle.snapshot == "SCN 100" and oracle.done == {0}  # an SCN outlives its session: resume at it


def test_take_over_on_an_object_store(s3, tmp_path):
    bucket = s3.bucket("dx-resume")
    root = f"s3://{bucket}/out"
    d = resume.digest(spec(), "snappy", None)
    killed_run(staged(tmp_path, "r1", root, s3.options), d, None, done=(0, 1))
    out = staged(tmp_path, "r2", root, s3.options)
    taken = resume.begin(out, d, None, False)
    assert taken.done == {0, 1}
    assert out.fs.read_text(out.fs.join(out.staging, "part-00001-000.snappy.parquet")) == "data 1"
    resume.finish(out.fs, out.staging)
    assert sorted(out.fs.listdir(out.staging)) == ["part-00000-000.snappy.parquet", "part-00001-000.snappy.parquet"]
