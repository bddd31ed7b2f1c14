"""Cold starts: no other thread of ours runs while the JVM's launcher forks, and no start hangs.

pyspark forks the JVM launcher with a `preexec_fn`, so Python runs its at-fork handlers first: logging's takes the
logging lock, then the fork takes the import lock. A thread that imports meanwhile (holding the import lock, then
asking for the logging lock) deadlocks the start for good. The probe records, at every such fork of a real
`data-extractor demo` in a fresh process without bytecode cache, which other threads were alive: only the main
thread (which waits for the run) may be. Each start is bounded by a timeout, so the test itself cannot hang.

A handful of starts run here; `DX_COLD_STARTS=20` runs twenty (or `bench/bench_cold_start.py` by hand).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.spark

STARTS = int(os.environ.get("DX_COLD_STARTS", "2"))
TIMEOUT = 120  # seconds; a cold start takes 10-30 s here

# Runs the CLI with an at-fork hook (registered first, so it runs after logging's): it writes the forking
# thread's name and the names of the other live threads to a file, with no import and no logging.
PROBE = r"""
import os, sys, threading
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
def before():
    me = threading.current_thread()
    others = sorted(t.name for t in threading.enumerate() if t is not me and t.is_alive())
    os.write(fd, (me.name + "\t" + ",".join(others) + "\n").encode())
os.register_at_fork(before=before)
from data_extractor.cli.main import entry
sys.argv = ["data-extractor", *sys.argv[2:]]
entry()
"""


def cold_demo(tmp_path) -> tuple[subprocess.CompletedProcess[str], list[tuple[str, set[str]]]]:
    """One `demo --rows 1000` in a fresh process compiling every module from source; (process, forks seen)."""
    log = tmp_path / "forks.tsv"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYSPARK_", "PYTEST_"))}
    env.update(PYTHONDONTWRITEBYTECODE="1", PYTHONPYCACHEPREFIX=str(tmp_path / "no-pycache"))
    cmd = [sys.executable, "-c", PROBE, str(log), "demo", "--rows", "1000", "--output", str(tmp_path / "demo"),
           "--json"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)  # the CLI and the JVM it started
        proc.communicate()
        pytest.fail(f"a cold `data-extractor demo` did not finish within {TIMEOUT} s (hung at start?)")
    forks = []
    for line in log.read_text().splitlines() if log.exists() else []:
        forker, others = line.split("\t")
        forks.append((forker, set(filter(None, others.split(",")))))
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err), forks


# Threads that may run while the launcher forks: the JVM console filter (spark/jvm.py `launching`) reads a pipe and
# writes to a file descriptor with raw os calls only; it never imports or logs, so it holds no lock a fork takes.
LOCK_FREE = {"MainThread", "dx-jvm-console"}


@pytest.mark.parametrize("start", range(1, STARTS + 1))
def test_a_cold_start_finishes_and_no_other_thread_runs_while_the_jvm_launcher_forks(tmp_path, start):
    proc, forks = cold_demo(tmp_path)
    assert forks, "no fork with at-fork handlers was seen: the JVM starts another way now; adapt the probe"
    for forker, others in forks:
        assert others <= LOCK_FREE, f"threads alive while {forker} forked: {sorted(others)}"
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout)
    assert result["tables"] and all(t["status"] == "succeeded" for t in result["tables"]), result
