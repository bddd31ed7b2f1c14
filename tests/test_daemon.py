"""The warm daemon (issue 17): `data-extractor run` handed to a running daemon prints and publishes what it would
on its own; runs it must not take (other Spark settings, another folder, --no-daemon) run in their own process.

Real processes throughout: the `data-extractor` command, a daemon with its own local Spark, a SQLite source.
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from data_extractor.cli.demo import build_database, write_config

pytestmark = pytest.mark.spark


def cli(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "data_extractor", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def served(cwd: Path, env: dict[str, str]) -> int:
    """Runs the daemon has served so far (from `daemon status`)."""
    done = cli(["daemon", "status"], cwd, env)
    assert done.returncode == 0, done.stdout + done.stderr
    return int(done.stdout.split(": ", 1)[1].split(" run(s)")[0])


@pytest.fixture(scope="module")
def warm(tmp_path_factory):
    folder = tmp_path_factory.mktemp("daemon")
    counts = build_database(folder / "demo.db", rows=5000)
    config = write_config(folder, folder / "demo.db", "local[2]")
    sock_dir = tempfile.mkdtemp(prefix="dxd-")  # a Unix socket path must stay short
    os.rmdir(sock_dir)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATA_EXTRACTOR")}
    env["DATA_EXTRACTOR_DAEMON_DIR"] = sock_dir
    started = cli(["daemon", "start", "-c", str(config), "--idle-minutes", "10"], folder, env)
    assert started.returncode == 0, started.stdout + started.stderr
    yield folder, config, env, Path(sock_dir), counts
    cli(["daemon", "stop"], folder, env)
    shutil.rmtree(sock_dir, ignore_errors=True)


def test_a_run_is_handed_to_the_daemon_and_publishes_the_same_tables(warm):
    folder, config, env, sock_dir, counts = warm
    assert stat.S_IMODE(sock_dir.stat().st_mode) == 0o700  # this user's alone
    before = served(folder, env)
    done = cli(["run", "-c", str(config), "--json"], folder, env)
    assert done.returncode == 0, done.stderr
    assert served(folder, env) == before + 1
    summary = yaml.safe_load(done.stdout)
    assert summary["ok"] and summary["spark_start_seconds"] == 0.0  # a warm session: no start this run
    assert {t["table"]: t["rows"] for t in summary["tables"]} == counts
    assert pq.read_table(folder / "extracts" / "main" / "orders").num_rows == 5000
    here = cli(["run", "-c", str(config), "--json", "--no-daemon"], folder, env)
    assert here.returncode == 0, here.stderr
    assert served(folder, env) == before + 1  # --no-daemon ran in its own process
    assert yaml.safe_load(here.stdout)["spark_start_seconds"] > 0


def test_bad_input_through_the_daemon_is_the_same_one_line_and_exit_2(warm):
    folder, config, env, _, _ = warm
    done = cli(["run", "-c", str(config), "-t", "no_such_table"], folder, env)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "no_such_table" in lines[0], done.stderr


def test_runs_the_daemon_cannot_serve_run_in_their_own_process(warm, tmp_path):
    folder, config, env, _, _ = warm
    before = served(folder, env)
    other = yaml.safe_load(config.read_text())
    other["spark"]["master"] = "local[1]"
    other["output"]["path"] = str(tmp_path / "out1")
    path = folder / "other_spark.yaml"
    path.write_text(yaml.safe_dump(other))
    done = cli(["run", "-c", str(path)], folder, {**env, "DATA_EXTRACTOR_DAEMON_VERBOSE": "1"})
    assert done.returncode == 0, done.stderr
    assert "warm daemon not used: its Spark session has other settings" in done.stderr
    elsewhere = cli(["run", "-c", str(config), "--json"], tmp_path, env)  # another folder
    assert elsewhere.returncode == 0, elsewhere.stderr
    assert served(folder, env) == before
    assert pq.read_table(tmp_path / "out1" / "main" / "orders").num_rows == 5000


def test_sigterm_to_the_client_stops_the_run_in_the_daemon_with_143(warm):
    folder, config, env, _, _ = warm
    proc = subprocess.Popen([sys.executable, "-m", "data_extractor", "run", "-c", str(config)], cwd=folder, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and "started" not in (proc.stderr.readline() or "started"):
        pass
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode in (143, 0), err  # 0 only when the small run had already finished
    if proc.returncode == 143:
        assert "terminated (SIGTERM)" in err
    again = cli(["run", "-c", str(config), "--json"], folder, env)  # the daemon serves the next run as before
    assert again.returncode == 0 and yaml.safe_load(again.stdout)["ok"], again.stderr


def test_an_idle_daemon_stops_on_its_own_and_removes_its_socket(tmp_path):
    sock_dir = tempfile.mkdtemp(prefix="dxd-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATA_EXTRACTOR")}
    env["DATA_EXTRACTOR_DAEMON_DIR"] = sock_dir
    started = cli(["daemon", "start", "--idle-minutes", "0.02"], tmp_path, env)  # no config: Spark starts lazily
    assert started.returncode == 0, started.stdout + started.stderr
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (Path(sock_dir) / "daemon.sock").exists():
        time.sleep(0.2)
    assert not (Path(sock_dir) / "daemon.sock").exists()
    assert cli(["daemon", "status"], tmp_path, env).returncode == 1
    shutil.rmtree(sock_dir, ignore_errors=True)
