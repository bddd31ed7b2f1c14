"""Issue 15, items 3 and 8: partition-level recovery and the per-table lock, on a real PostgreSQL and Spark.

A reader backend terminated mid-read is read again whole inside its task (fresh connection, fresh file
names, backoff); errors another read cannot fix are not retried. A second run of a table being written is
refused with the holder named, and a crash of the holder frees the table.
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

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
import yaml

from data_extractor import Extractor
from data_extractor.config.models import ENV_PREFIX
from data_extractor.spark.partition_retry import with_retries

pytestmark = pytest.mark.spark
ROWS = 2_000_000


@pytest.fixture(scope="module")
def big(pg_conn):
    pg_conn.execute("DROP TABLE IF EXISTS rc_big")
    pg_conn.execute("CREATE TABLE rc_big AS SELECT g AS id, md5(g::text) AS a, md5((g + 7)::text) AS b "
                    f"FROM generate_series(1, {ROWS}) g")
    pg_conn.execute("ALTER TABLE rc_big ADD PRIMARY KEY (id)")
    pg_conn.execute("ANALYZE rc_big")
    return "public.rc_big"


def cfg(pg, out: Path, table: str, partitions: int, **defaults) -> dict:
    return {"source": pg.source(), "spark": {"master": "local[2]"}, "output": {"path": str(out)},
            "defaults": {"retries": 3, "retry_wait": 0.2, "parallel_tables": 1,
                         "partitioning": {"strategy": "range", "column": "id", "partitions": partitions},
                         **defaults},
            "tables": [table]}


def assert_exact(folder: Path) -> None:
    t = pq.read_table(folder)
    assert t.num_rows == ROWS
    assert pc.count_distinct(t["id"]).as_py() == ROWS
    assert pc.sum(t["id"]).as_py() == ROWS * (ROWS + 1) // 2


class Killer:
    """Terminates the first `times` COPY backends that have been reading for 50 ms (a partition reads for longer)."""

    def __init__(self, pg, times: int = 2) -> None:
        self.pg, self.times, self.killed = pg, times, []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with self.pg.admin() as admin:
            while len(self.killed) < self.times and not self.stop.is_set():
                row = admin.execute("SELECT pid FROM pg_stat_activity WHERE query LIKE 'COPY%%' AND state = 'active' "
                                    "AND now() - query_start > interval '50 ms' AND pid <> ALL(%s) LIMIT 1",
                                    (self.killed,)).fetchone()
                if row and admin.execute("SELECT pg_terminate_backend(%s)", (row[0],)).fetchone()[0]:
                    self.killed.append(row[0])
                time.sleep(0.05)

    def __enter__(self) -> Killer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(5)


def test_a_reader_backend_terminated_twice_mid_read_still_ends_ok_with_exact_data(pg, big, tmp_path, spark):
    out = tmp_path / "out"
    with Killer(pg) as killer:
        result = Extractor(cfg(pg, out, big, 4)).run()
    assert len(killer.killed) == 2, "the reads ended before two backends could be terminated"
    table = result.tables[0]
    assert result.ok and table.rows == ROWS, result.to_dict()
    assert table.partitions_retried >= 1
    assert_exact(out / "public" / "rc_big")


def test_run_json_reports_partitions_retried(pg, big, tmp_path):
    out = tmp_path / "out"
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump(cfg(pg, out, big, 4)))
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(ENV_PREFIX)}
    with Killer(pg, times=1) as killer:
        proc = subprocess.run([sys.executable, "-m", "data_extractor", "run", "-c", str(config), "--json"], env=env,
                              capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert len(killer.killed) == 1
    table = json.loads(proc.stdout)["tables"][0]
    assert table["partitions_retried"] == 1 and table["rows"] == ROWS, table
    assert "read again whole" in proc.stderr
    assert_exact(out / "public" / "rc_big")


def test_data_errors_are_not_retried_and_broken_reads_are_until_the_retries_are_spent():
    calls: list[int] = []

    def bad_data(n: int) -> dict:
        calls.append(n)
        raise ValueError("column id is NOT NULL in the source catalog, yet a null was read")

    with pytest.raises(ValueError):
        with_retries(bad_data, 0, retries=3, wait=0)
    assert calls == [1]

    class ProgrammingError(Exception):  # the DB-API name every driver uses for wrong SQL
        pass

    calls.clear()
    with pytest.raises(ProgrammingError):
        with_retries(lambda n: calls.append(n) or (_ for _ in ()).throw(ProgrammingError("no such column")), 0, 3, 0)
    assert calls == [1]

    calls.clear()

    def broken_twice(n: int) -> dict:
        calls.append(n)
        if n < 3:
            raise OSError("[libpq] PQgetCopyData() failed: server closed the connection unexpectedly")
        return {"partition": 0, "rows": 5}

    stats = with_retries(broken_twice, 0, retries=2, wait=0)
    assert calls == [1, 2, 3] and stats["attempts"] == 3 and "PQgetCopyData" in stats["retried_after"]
    calls.clear()
    with pytest.raises(OSError):
        with_retries(broken_twice, 0, retries=1, wait=0)
    assert calls == [1, 2]


def _cli(config: Path, *args: str, **popen) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(ENV_PREFIX)}
    return subprocess.Popen([sys.executable, "-m", "data_extractor", "run", "-c", str(config), *args], env=env,
                            text=True, **popen)


def test_a_second_run_of_a_table_being_written_is_refused_naming_the_holder(pg, big, tmp_path):
    out = tmp_path / "out"
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump(cfg(pg, out, big, 8)))
    first = _cli(config, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 180
    while (time.monotonic() < deadline and first.poll() is None
           and not list(out.glob("_data_extractor/staging/*/public_2frc_5fbig/*.parquet"))):
        time.sleep(0.05)
    os.killpg(first.pid, signal.SIGSTOP)  # a hung first run: it holds the table, and stays this way
    try:
        assert first.poll() is None and not (out / "public" / "rc_big").exists()
        second = _cli(config, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _, stderr = second.communicate(timeout=180)
        assert second.returncode == 1
        refusals = [line for line in stderr.splitlines() if "being written by another run" in line]
        assert len(refusals) >= 1 and f"pid {first.pid}" in refusals[0], stderr[-2000:]
        assert "Traceback" not in stderr
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # a crash releases the lock
        first.wait(10)
    third = _cli(config, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, stderr = third.communicate(timeout=300)
    assert third.returncode == 0, stderr[-2000:]
    assert_exact(out / "public" / "rc_big")
