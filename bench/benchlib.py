"""Shared pieces of the benchmark suites (see bench_extract.py): timing, tables, configs, reports."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from pgserver import PgServer  # noqa: E402

JAR = "/usr/share/java/postgresql.jar"
# The bench table; with `key`, also a bigint column k (indexed) computed from the row number g.
FILL = """
CREATE TABLE {table} (id bigint PRIMARY KEY, customer_id int, amount numeric(12,2), status text,
  note varchar(64), created_at timestamp, ship_date date, flag boolean, score double precision{kcol});
INSERT INTO {table} SELECT g, ((g::bigint * 7919) % 100000)::int, ((g::bigint * 37) % 1000000) / 100.0,
  (ARRAY['new','paid','shipped','void'])[1 + g % 4], CASE WHEN g % 5 = 0 THEN NULL ELSE 'note ' || md5(g::text) END,
  TIMESTAMP '2024-01-01' + g * interval '1 second', DATE '2024-01-01' + (g % 365), g % 2 = 0, g / 7.0{kexpr}
FROM generate_series(1, {rows}) g;
{kindex}ANALYZE {table};
"""

SPARK_JDBC = """
import sys, os
os.environ["PYSPARK_PYTHON"] = sys.executable
from pyspark.sql import SparkSession
s = (SparkSession.builder.master("local[*]").config("spark.jars", "{jar}").config("spark.ui.enabled", "false")
     .config("spark.driver.memory", "4g").config("spark.sql.session.timeZone", "UTC").getOrCreate())
props = {{"user": "{user}", "password": "{password}", "driver": "org.postgresql.Driver"{fetch}}}
url = "jdbc:postgresql://127.0.0.1:{port}/{db}"
if {parts} == 1:
    df = s.read.jdbc(url, "{table}", properties=props)
else:
    df = s.read.jdbc(url, "{table}", column="{column}", lowerBound={lo}, upperBound={hi}, numPartitions={parts},
                     properties=props)
df.write.mode("overwrite").parquet("{out}")
s.stop()
"""

CONNECTORX = """
import connectorx as cx, pyarrow.parquet as pq
t = cx.read_sql("{uri}", "SELECT * FROM {table}", partition_on="{column}", partition_num=2, return_type="arrow")
pq.write_table(t, "{out}/part.parquet", compression="snappy")
"""

Run = tuple  # (seconds, peak RSS bytes, ...): what one timed run of a method returns


# ---------------------------------------------------------------- the server and its tables

@contextlib.contextmanager
def server() -> Iterator[tuple[PgServer, Path]]:
    """One throwaway PostgreSQL server and a work folder for a suite, both removed at the end."""
    work = Path(tempfile.mkdtemp(prefix="dx-bench-"))
    pg = PgServer()
    try:
        yield pg.start(), work
    finally:
        pg.cleanup()
        shutil.rmtree(work, ignore_errors=True)


def fill(pg: PgServer, table: str, rows: int, key: str | None = None) -> None:
    """Build `table` with FILL; `key` is an SQL expression of g for an indexed bigint column k."""
    parts = ({"kcol": ", k bigint", "kexpr": f", {key}", "kindex": f"CREATE INDEX ON {table} (k);\n"} if key
             else dict.fromkeys(("kcol", "kexpr", "kindex"), ""))
    t0 = time.perf_counter()
    with pg.admin() as conn:
        conn.execute(FILL.format(table=table, rows=rows, **parts))
    built(pg, table, t0)


def built(pg: PgServer, table: str, t0: float) -> int:
    """Log the size of a freshly built table; return its row count."""
    with pg.admin() as conn:
        rows, size = conn.execute(f"SELECT count(*), pg_total_relation_size('{table}') FROM {table}").fetchone()
    print(f"built {table}: {rows:,} rows ({size / 2**20:.0f} MiB) in {time.perf_counter() - t0:.1f} s",
          file=sys.stderr)
    return rows


def cx_uri(pg: PgServer) -> str:
    return f"postgresql://{pg.user}:{pg.password}@127.0.0.1:{pg.port}/{pg.database}"


# ---------------------------------------------------------------- timing

def tree_rss(pid: int) -> int:
    """Resident memory of a process and all its descendants, in bytes."""
    total = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            for task in os.listdir(f"/proc/{p}/task"):  # children of every thread (the JVM forks from many)
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo += [int(c) for c in fh.read().split()]
        except (OSError, ValueError):
            pass
    return total


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, int]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    peak = 0
    stop = threading.Event()

    def watch() -> None:
        nonlocal peak
        while not stop.wait(0.1):
            peak = max(peak, tree_rss(proc.pid))

    w = threading.Thread(target=watch, daemon=True)
    w.start()
    _, err = proc.communicate()
    stop.set()
    w.join()
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[:4]} failed: {err.decode()[-2000:]}")
    return seconds, peak


def whole(cmd: list[str], out: Path, table: str | None = None, env: dict[str, str] | None = None
          ) -> Callable[[], Run]:
    """A whole-process run of `cmd` into an emptied `out`; with `table`, also its manifest's partition_stats."""
    def run() -> Run:
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        seconds, peak = timed(cmd, env)
        if table is None:
            return seconds, peak
        manifest = json.loads((out / "_data_extractor" / "manifests" / "public" / f"{table}.json").read_text())
        return seconds, peak, manifest["partition_stats"]
    return run


def interleave(methods: dict[str, Callable[[], Run]], rounds: int) -> dict[str, list[Run]]:
    """Every method once per round, round-robin, so a noisy neighbour hurts every method alike.

    One untimed run of the first method (ours, in every suite) comes first, so that a first run's cost
    (the JVM's class-data archive being recorded, see src/data_extractor/spark/jvm.py) stays out of the rounds.
    """
    results: dict[str, list[Run]] = {k: [] for k in methods}
    first = next(iter(methods))
    print(f"warm-up (untimed) {first}: {methods[first]()[0]:.2f} s", file=sys.stderr)
    for r in range(rounds):
        for name, fn in methods.items():
            results[name].append(fn())
            print(f"round {r + 1} {name}: {results[name][-1][0]:.2f} s", file=sys.stderr)
    return results


def median_s(runs: list[Run]) -> float:
    return statistics.median(r[0] for r in runs)


def peak(runs: list[Run]) -> int:
    return max(r[1] for r in runs)


def peak_mib(runs: list[Run]) -> str:
    return f"{peak(runs) / 2**20:,.0f} MiB"


# ---------------------------------------------------------------- our CLI and the other methods

def ours_config(pg: PgServer, out: Path, tables: list[Any], reader: str = "python", writer: str = "arrow",
                partitions: int = 2, **defaults: Any) -> dict[str, Any]:
    """A config: balanced partitioning with `partitions` by default, `defaults` added to its defaults."""
    return {"source": pg.source(),
            "spark": {"master": "local[*]", "reader": reader, "jdbc_jars": [JAR] if reader == "jdbc" else []},
            "output": {"path": str(out), "writer": writer},
            "defaults": {"partitioning": {"strategy": "balanced", "partitions": partitions}, **defaults},
            "tables": tables}


def cli(cfg: dict[str, Any], path: Path) -> list[str]:
    """`data-extractor run` of `cfg`, written to `path`, in its own process (a warm daemon is never used)."""
    path.write_text(yaml.safe_dump(cfg))
    return [sys.executable, "-m", "data_extractor", "run", "-c", str(path), "--no-daemon"]


@contextlib.contextmanager
def warm_daemon(cmd: list[str]) -> Iterator[tuple[list[str], dict[str, str]]]:
    """A warm daemon (`data-extractor daemon start -c CONFIG`) in a private folder, for the run `cmd` (from `cli`):
    yields the command and environment that hand that run to it. The peak RSS measured is the client's only."""
    folder = tempfile.mkdtemp(prefix="dxd-")
    env = {**os.environ, "DATA_EXTRACTOR_DAEMON_DIR": folder}
    config = cmd[cmd.index("-c") + 1]
    daemon = [sys.executable, "-m", "data_extractor", "daemon"]
    subprocess.run([*daemon, "start", "-c", config, "--idle-minutes", "60"], env=env, check=True)
    try:
        yield [c for c in cmd if c != "--no-daemon"], env
    finally:
        subprocess.run([*daemon, "stop"], env=env, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def keyed(table: str, column: str, **partitioning: Any) -> dict[str, Any]:
    """A table entry partitioned on `column`."""
    return {"name": f"public.{table}", "partitioning": {"column": column, **partitioning}}


def build_methods(pg: PgServer, work: Path, table: str, column: str) -> dict[str, list[str]]:
    """Whole-process commands that extract `table`, each partitioned on `column` where it partitions."""
    py = sys.executable
    out = work / "out"
    with pg.admin() as conn:
        lo, hi = conn.execute(f"SELECT min({column}), max({column}) FROM {table}").fetchone()
    common = {"user": pg.user, "password": pg.password, "port": pg.port, "db": pg.database, "out": out,
              "jar": JAR, "table": table, "column": column, "lo": lo, "hi": hi, "uri": cx_uri(pg)}
    methods: dict[str, list[str]] = {}
    for reader, writer in (("python", "arrow"), ("python", "spark"), ("jdbc", "spark")):
        cfg = ours_config(pg, out, [keyed(table, column)], reader, writer)
        methods[f"data-extractor run (reader {reader}, writer {writer})"] = cli(cfg, work / f"{reader}-{writer}.yaml")
    methods["Spark JDBC, 1 partition, default fetch size (naive)"] = [
        py, "-c", SPARK_JDBC.format(parts=1, fetch="", **{**common, "out": out / "naive"})]
    methods["Spark JDBC, 2 partitions, fetchsize 10000"] = [
        py, "-c", SPARK_JDBC.format(parts=2, fetch=', "fetchsize": "10000"', **{**common, "out": out / "jdbc2"})]
    methods["ConnectorX (2 partitions) + pyarrow"] = [py, "-c", CONNECTORX.format(**common)]
    methods["COPY (FORMAT binary) to /dev/null (floor)"] = [
        "env", f"PGPASSWORD={pg.password}", "psql", "-h", "127.0.0.1", "-p", str(pg.port), "-U", pg.user,
        "-d", pg.database, "-qc", f"\\copy (SELECT * FROM {table}) TO '/dev/null' WITH (FORMAT binary)"]
    return methods


def warm_rounds(pg: PgServer, work: Path, rounds: int, table: str, column: str) -> dict[str, list[Run]]:
    """Each method in this process, round-robin, after one untimed warm-up run of each."""
    import connectorx as cx
    import pyarrow.parquet as pq

    from data_extractor import Extractor

    out = work / "warm"

    def ours(writer: str) -> Callable[[], None]:
        ex = Extractor(ours_config(pg, out, [keyed(table, column)], writer=writer))
        return lambda: ex.run().ok or sys.exit("run failed")

    def connectorx() -> None:
        t = cx.read_sql(cx_uri(pg), f"SELECT * FROM {table}", partition_on=column, partition_num=2,
                        return_type="arrow")
        out.mkdir(parents=True, exist_ok=True)
        pq.write_table(t, out / "cx.parquet", compression="snappy")

    methods = {"data-extractor run (writer arrow)": ours("arrow"), "data-extractor run (writer spark)": ours("spark"),
               "ConnectorX (2 partitions) + pyarrow": connectorx}
    for fn in methods.values():
        fn()  # warm-up: Spark, Python workers, caches

    def in_process(fn: Callable[[], None]) -> Callable[[], Run]:
        def run() -> Run:
            t0 = time.perf_counter()
            fn()
            return time.perf_counter() - t0, tree_rss(os.getpid())
        return run

    return interleave({name: in_process(fn) for name, fn in methods.items()}, rounds)


# ---------------------------------------------------------------- reports

def header(what: str, rounds: int, how: str = "whole process") -> None:
    """The line above a table: the command, what was measured, cores, date, rounds."""
    command = shlex.join(["python", *sys.argv])
    print(f"\n`{command}`: {what}, {os.cpu_count()} cores, {dt.date.today().isoformat()}, "
          f"medians of {rounds} interleaved round{'s' if rounds > 1 else ''}, {how}:\n")


def markdown(columns: list[str], rows: list[list[str]]) -> None:
    """A markdown table: the first column left-aligned, the others right-aligned."""
    print("| " + " | ".join(columns) + " |")
    print("|---|" + "---:|" * (len(columns) - 1))
    for row in rows:
        print("| " + " | ".join(row) + " |")


def report(results: dict[str, list[Run]], rows: int, rounds: int, how: str = "whole process", label: str = ""
           ) -> None:
    cx = next((median_s(v) for k, v in results.items() if k.startswith("ConnectorX")), None)
    header(f"{label}{rows:,} rows", rounds, how)
    lines = []
    for name, runs in results.items():
        med = median_s(runs)
        lines.append([name, f"{med:.2f}", f"{rows / med:,.0f}", f"{med / cx:.2f}x" if cx else "-", peak_mib(runs)])
    markdown(["method", "seconds", "rows/s", "vs ConnectorX", "peak RSS (tree)"], lines)
