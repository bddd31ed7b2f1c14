"""Extraction benchmark: PostgreSQL -> Parquet, our `run` against other tools, one interleaved run.

Run by hand (not a test):  python bench/bench_extract.py [--rows 5000000] [--rounds 3]

Builds a table in a throwaway PostgreSQL server, then times each method as a whole process (a
fresh `python` for each, so Spark methods pay their JVM start), round-robin, and prints the
median seconds, rows/s and the ratio to ConnectorX. Also prints the peak RSS of each process tree.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from pgserver import PgServer  # noqa: E402

JAR = "/usr/share/java/postgresql.jar"
COLUMNS = "id, customer_id, amount, status, note, created_at, ship_date, flag, score"
FILL = """
CREATE TABLE bench (id bigint PRIMARY KEY, customer_id int, amount numeric(12,2), status text,
  note varchar(64), created_at timestamp, ship_date date, flag boolean, score double precision);
INSERT INTO bench SELECT g, ((g::bigint * 7919) % 100000)::int, ((g::bigint * 37) % 1000000) / 100.0,
  (ARRAY['new','paid','shipped','void'])[1 + g % 4], CASE WHEN g % 5 = 0 THEN NULL ELSE 'note ' || md5(g::text) END,
  TIMESTAMP '2024-01-01' + g * interval '1 second', DATE '2024-01-01' + (g % 365), g % 2 = 0, g / 7.0
FROM generate_series(1, {rows}) g;
ANALYZE bench;
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
    df = s.read.jdbc(url, "bench", properties=props)
else:
    df = s.read.jdbc(url, "bench", column="id", lowerBound=1, upperBound={rows}, numPartitions={parts},
                     properties=props)
df.write.mode("overwrite").parquet("{out}")
s.stop()
"""

CONNECTORX = """
import connectorx as cx, pyarrow.parquet as pq
t = cx.read_sql("postgresql://{user}:{password}@127.0.0.1:{port}/{db}", "SELECT {cols} FROM bench",
                partition_on="id", partition_num=2, return_type="arrow")
pq.write_table(t, "{out}/part.parquet", compression="snappy")
"""


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=5_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", help="comma-separated method names to run")
    ap.add_argument("--warm", action="store_true",
                    help="time inside one warm process (Spark started once), as the TUI and notebooks run")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="dx-bench-"))
    pg = PgServer().start()
    try:
        t0 = time.perf_counter()
        with pg.admin() as conn:
            conn.execute(FILL.format(rows=args.rows))
            size = conn.execute("SELECT pg_total_relation_size('bench')").fetchone()[0]
        print(f"built {args.rows:,} rows ({size / 2**20:.0f} MiB) in {time.perf_counter() - t0:.1f} s",
              file=sys.stderr)
        if args.warm:
            results_warm = warm_rounds(pg, work, args.rounds)
            report(results_warm, args.rows, "inside one warm process")
            return
        methods = build_methods(pg, work, args.rows)
        if args.only:
            keep = set(args.only.split(","))
            methods = {k: v for k, v in methods.items() if k in keep}
        results: dict[str, list[tuple[float, int]]] = {k: [] for k in methods}
        for r in range(args.rounds):
            for name, cmd in methods.items():
                out = work / "out"
                shutil.rmtree(out, ignore_errors=True)
                out.mkdir()
                results[name].append(timed(cmd))
                print(f"round {r + 1} {name}: {results[name][-1][0]:.2f} s", file=sys.stderr)
        report(results, args.rows)
    finally:
        pg.cleanup()
        shutil.rmtree(work, ignore_errors=True)


def build_methods(pg: PgServer, work: Path, rows: int) -> dict[str, list[str]]:
    py = sys.executable
    out = work / "out"
    common = {"user": pg.user, "password": pg.password, "port": pg.port, "db": pg.database, "rows": rows,
              "out": out, "jar": JAR, "cols": COLUMNS}
    methods: dict[str, list[str]] = {}
    for reader, writer in (("python", "arrow"), ("python", "spark"), ("jdbc", "spark")):
        cfg = {"source": pg.source(), "spark": {"master": "local[*]", "reader": reader,
                                                 "jdbc_jars": [JAR] if reader == "jdbc" else []},
               "output": {"path": str(out), "writer": writer},
               "defaults": {"partitioning": {"strategy": "balanced", "partitions": 2}}, "tables": ["public.bench"]}
        path = work / f"{reader}-{writer}.yaml"
        path.write_text(yaml.safe_dump(cfg))
        methods[f"data-extractor run (reader {reader}, writer {writer})"] = [
            py, "-m", "data_extractor", "run", "-c", str(path)]
    methods["Spark JDBC, 1 partition, default fetch size (naive)"] = [
        py, "-c", SPARK_JDBC.format(parts=1, fetch="", **{**common, "out": out / "naive"})]
    methods["Spark JDBC, 2 partitions, fetchsize 10000"] = [
        py, "-c", SPARK_JDBC.format(parts=2, fetch=', "fetchsize": "10000"', **{**common, "out": out / "jdbc2"})]
    methods["ConnectorX (2 partitions) + pyarrow"] = [py, "-c", CONNECTORX.format(**common)]
    env_pw = f"PGPASSWORD={pg.password}"
    methods["COPY (FORMAT binary) to /dev/null (floor)"] = [
        "env", env_pw, "psql", "-h", "127.0.0.1", "-p", str(pg.port), "-U", pg.user, "-d", pg.database, "-qc",
        f"\\copy (SELECT {COLUMNS} FROM bench) TO '/dev/null' WITH (FORMAT binary)"]
    return methods


def warm_rounds(pg: PgServer, work: Path, rounds: int) -> dict[str, list[tuple[float, int]]]:
    """Each method in this process, round-robin, after one untimed warm-up run of each."""
    import connectorx as cx
    import pyarrow.parquet as pq

    from data_extractor import Extractor

    out = work / "warm"

    def ours(writer: str):
        ex = Extractor({"source": pg.source(), "output": {"path": str(out), "writer": writer},
                        "defaults": {"partitioning": {"strategy": "balanced", "partitions": 2}},
                        "tables": ["public.bench"]})
        return lambda: ex.run().ok or sys.exit("run failed")

    def connectorx():
        uri = f"postgresql://{pg.user}:{pg.password}@127.0.0.1:{pg.port}/{pg.database}"
        t = cx.read_sql(uri, f"SELECT {COLUMNS} FROM bench", partition_on="id", partition_num=2, return_type="arrow")
        out.mkdir(parents=True, exist_ok=True)
        pq.write_table(t, out / "cx.parquet", compression="snappy")

    methods = {"data-extractor run (writer arrow)": ours("arrow"), "data-extractor run (writer spark)": ours("spark"),
               "ConnectorX (2 partitions) + pyarrow": connectorx}
    for fn in methods.values():
        fn()  # warm-up: Spark, Python workers, caches
    results: dict[str, list[tuple[float, int]]] = {k: [] for k in methods}
    for r in range(rounds):
        for name, fn in methods.items():
            t0 = time.perf_counter()
            fn()
            results[name].append((time.perf_counter() - t0, tree_rss(os.getpid())))
            print(f"round {r + 1} {name}: {results[name][-1][0]:.2f} s", file=sys.stderr)
    return results


def report(results: dict[str, list[tuple[float, int]]], rows: int, how: str = "whole process") -> None:
    cx = next((statistics.median(s for s, _ in v) for k, v in results.items() if k.startswith("ConnectorX")), None)
    print(f"\n{rows:,} rows, {os.cpu_count()} cores, medians of {len(next(iter(results.values())))} "
          f"interleaved rounds, {how}:\n")
    print("| method | seconds | rows/s | vs ConnectorX | peak RSS (tree) |")
    print("|---|---:|---:|---:|---:|")
    for name, runs in results.items():
        med = statistics.median(s for s, _ in runs)
        peak = max(p for _, p in runs)
        ratio = f"{med / cx:.2f}x" if cx else "-"
        print(f"| {name} | {med:.2f} | {rows / med:,.0f} | {ratio} | {peak / 2**20:,.0f} MiB |")


if __name__ == "__main__":
    main()
