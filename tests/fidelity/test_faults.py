"""Faults injected into real runs: the database stopped mid-run, refused connections, wrong credentials,
an unknown database, an output path that cannot be written. Each ends in one clear sentence, with no
traceback and no password, through the API and the CLI; finished tables stay published, nothing is half-written.

The stop tests use a PostgreSQL server of their own, so the session's `pg` (and its `pg_conn`) never break.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fid_common import cli, config, write_yaml

from data_extractor import Extractor
from data_extractor.run import events as ev
from manifests import read_manifest
from pgserver import PgServer, free_port

pytestmark = pytest.mark.spark

BIG_ROWS = 1_000_000


@pytest.fixture(scope="module")
def own_pg():
    server = PgServer().start()
    with server.admin() as conn:
        conn.execute("CREATE TABLE done_first AS SELECT g AS id, 'v' || g AS v FROM generate_series(1, 5000) g")
        conn.execute("ALTER TABLE done_first ADD PRIMARY KEY (id)")
        conn.execute("CREATE TABLE big AS SELECT g AS id, md5(g::text) AS a, md5((g + 1)::text) AS b "
                     f"FROM generate_series(1, {BIG_ROWS}) g")
        conn.execute("ALTER TABLE big ADD PRIMARY KEY (id)")
        conn.execute("ANALYZE")
    try:
        yield server
    finally:
        server.cleanup()


def published(root: Path) -> dict[str, int]:
    """Every file under the published tree (staging and state aside), with its size."""
    return {str(p.relative_to(root)): p.stat().st_size for p in root.rglob("*")
            if p.is_file() and p.relative_to(root).parts[0] != "_data_extractor"}


def stopped_run(own_pg, tmp_path, stop_when, wait_for=None, **defaults):
    """Extract done_first then big (one at a time) twice; the second time, stop the server when
    `stop_when(event, out)` says so (it stops the server itself when `wait_for` is given)."""
    out = tmp_path / "out"
    cfg = config(own_pg.source(), out, ["public.done_first", "public.big"], parallel_tables=1,
                 partitioning={"strategy": "balanced", "partitions": 8}, **defaults)
    assert Extractor(cfg).run().ok  # a good version of both is published first
    before = published(out)
    manifest = read_manifest(out / "public" / "big")
    stopped = threading.Event()
    events: list[ev.Event] = []

    def on_event(e: ev.Event) -> None:
        events.append(e)
        if not stopped.is_set() and stop_when(e, out):
            stopped.set()
            if wait_for is None:
                own_pg.stop("immediate")

    try:
        t0 = time.monotonic()
        result = Extractor(cfg).run(on_event=on_event)
        seconds = time.monotonic() - t0
    finally:
        own_pg.restart()
    assert stopped.is_set(), "the server was never stopped"
    return result, seconds, before, manifest, events, out


def assert_failed_cleanly(result, before, manifest, out, password):
    by_name = {t.table: t for t in result.tables}
    assert not result.ok
    assert by_name["public.done_first"].status == "succeeded"
    failed = by_name["public.big"]
    assert failed.status == "failed"
    assert "\n" not in failed.error and "Traceback" not in failed.error and password not in failed.error
    # the new done_first replaced the old one whole; big is exactly as it was published before the run
    after = published(out)
    assert {k: v for k, v in after.items() if "/big/" in k} == {k: v for k, v in before.items() if "/big/" in k}
    assert read_manifest(out / "public" / "big")["run_id"] == manifest["run_id"]
    assert set(after) - set(before) <= {k for k in after if "/done_first/" in k}
    assert not list(out.glob("_data_extractor/staging/*/public_2fbig/*"))
    return failed


def test_database_stopped_before_the_reads_fails_the_table_after_bounded_retries(own_pg, tmp_path, spark):
    def at_start(e, out):
        return isinstance(e, ev.TableStarted) and e.table == "public.big"

    result, seconds, before, manifest, events, out = stopped_run(own_pg, tmp_path, at_start, retries=3,
                                                                 retry_wait=0.5)
    failed = assert_failed_cleanly(result, before, manifest, out, own_pg.password)
    assert "cannot connect" in failed.error and "nothing is listening" in failed.error, failed.error
    # three retries wait 0.5 + 1 + 2 s before the partition gives up, and not much more
    assert 3.5 <= failed.seconds < 60, failed.seconds
    assert [e.table for e in events if isinstance(e, ev.TableFailed)] == ["public.big"]


def test_database_stopped_while_partitions_stream_fails_the_table_and_publishes_nothing(own_pg, tmp_path, spark):
    stops: list[float] = []

    def stop_on_first_file(out: Path) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not list(out.glob("_data_extractor/staging/*/public_2fbig/*.parquet")):
            time.sleep(0.005)
        own_pg.stop("immediate")
        stops.append(time.monotonic())

    def at_start(e, out):  # the job is not submitted yet at TableStarted: watch for its first file from a thread
        if isinstance(e, ev.TableStarted) and e.table == "public.big":
            threading.Thread(target=stop_on_first_file, args=(out,), daemon=True).start()
            return True
        return False

    result, seconds, before, manifest, events, out = stopped_run(own_pg, tmp_path, at_start, retries=1,
                                                                 retry_wait=0.2, wait_for=stops)
    assert stops, "the server was never stopped"
    failed = assert_failed_cleanly(result, before, manifest, out, own_pg.password)
    assert len(failed.error) < 400, failed.error


# ---------------------------------------------------------------- refused before any data moves

FAULTS = {
    # name -> (source overrides, output path under tmp (None: a normal one), words the sentence must hold)
    "connection-refused": ({"port": "free"}, None, ["cannot connect", "nothing is listening", "source.port"]),
    "wrong-password": ({"password": "Wrong-Pass-9Q7-unique"}, None, ["password was refused", "source.password"]),
    "unknown-database": ({"database": "no_such_db"}, None, ["no such database", "source.database"]),
    "output-not-writable": ({}, "file.txt/out", ["not writable", "output.path"]),
}


@pytest.fixture(scope="module")
def fault_configs(pg, pg_conn, tmp_path_factory):
    pg_conn.execute("DROP TABLE IF EXISTS fault_t")
    pg_conn.execute("CREATE TABLE fault_t AS SELECT g AS id FROM generate_series(1, 100) g")
    folder = tmp_path_factory.mktemp("faults")
    (folder / "file.txt").write_text("a regular file, so nothing can be created under it, even by root\n")
    out = {}
    for name, (overrides, path, _) in FAULTS.items():
        source = {**pg.source(), **overrides}
        if source["port"] == "free":
            source["port"] = free_port()
        out[name] = config(source, folder / (path or f"out-{name}"), ["public.fault_t"])
    return out


@pytest.mark.parametrize("name", list(FAULTS))
def test_fault_is_one_clear_sentence_through_the_api(fault_configs, pg, spark, name):
    cfg = fault_configs[name]
    result = Extractor(cfg).run()
    assert not result.ok and [t.status for t in result.tables] == ["failed"]
    error = result.tables[0].error
    for word in FAULTS[name][2]:
        assert word in error, error
    assert "\n" not in error and "Traceback" not in error
    for secret in (pg.password, cfg["source"]["password"]):
        assert secret not in error
    assert not Path(cfg["output"]["path"], "public").exists()


@pytest.fixture(scope="module")
def cli_fault_runs(fault_configs, tmp_path_factory, pg):
    folder = tmp_path_factory.mktemp("cli-faults")
    paths = {n: write_yaml(folder / f"{n}.yaml", c) for n, c in fault_configs.items()}
    with ThreadPoolExecutor(len(paths)) as pool:
        runs = pool.map(lambda p: cli("run", "-c", p), paths.values())
        return dict(zip(paths, runs, strict=True))


def _cli_case(name: str):
    if name == "output-not-writable":
        return name
    return name


@pytest.mark.parametrize("name", [_cli_case(n) for n in FAULTS])
def test_fault_is_one_line_on_stderr_and_a_non_zero_exit_through_the_cli(cli_fault_runs, fault_configs, pg, name):
    proc = cli_fault_runs[name]
    assert proc.returncode == 1, (proc.returncode, proc.stderr[-2000:])
    words = FAULTS[name][2]
    naming = [line for line in proc.stderr.splitlines() if words[0] in line]
    assert len(naming) == 1, proc.stderr
    for word in words:
        assert word in naming[0]
    text = proc.stdout + proc.stderr
    assert "Traceback" not in text
    for secret in (pg.password, fault_configs[name]["source"]["password"]):
        assert secret not in text
