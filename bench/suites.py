"""The benchmark suites of bench_extract.py: each builds its tables in one throwaway server and prints a table."""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from batch import batch
from benchlib import (
    CONNECTORX,
    PgServer,
    Run,
    build_methods,
    built,
    cli,
    cx_uri,
    fill,
    header,
    interleave,
    keyed,
    markdown,
    median_s,
    ours_config,
    peak,
    peak_mib,
    report,
    server,
    warm_daemon,
    warm_rounds,
    whole,
)

LINEITEM = """
CREATE TABLE lineitem (l_orderkey bigint, l_partkey bigint, l_suppkey bigint, l_linenumber int,
  l_quantity numeric(15,2), l_extendedprice numeric(15,2), l_discount numeric(15,2), l_tax numeric(15,2),
  l_returnflag char(1), l_linestatus char(1), l_shipdate date, l_commitdate date, l_receiptdate date,
  l_shipinstruct char(25), l_shipmode char(10), l_comment varchar(44))
"""
TPCH_METHODS = ("data-extractor run (reader python, writer arrow)",
                "Spark JDBC, 1 partition, default fetch size (naive)", "ConnectorX (2 partitions) + pyarrow")


def compare(pg: PgServer, work: Path, args: argparse.Namespace, table: str, column: str, rows: int,
            only: tuple[str, ...] = (), label: str = "") -> None:
    """Our run against the other tools on `table`: whole processes, or in one warm process with --warm."""
    if args.warm:
        report(warm_rounds(pg, work, args.rounds, table, column), rows, args.rounds, "inside one warm process", label)
        return
    keep = [w.lower() for w in args.only or only]
    commands = build_methods(pg, work, table, column)
    methods = {k: whole(cmd, work / "out") for k, cmd in commands.items()
               if not keep or any(w in k.lower() for w in keep)}
    if not methods:
        sys.exit(f"no method name contains any of {keep}")
    ours = "data-extractor run (reader python, writer arrow)"
    daemon = "data-extractor run, handed to a warm daemon (`daemon start`)"
    if ours not in methods or (keep and not any(w in daemon.lower() for w in keep)):
        report(interleave(methods, args.rounds), rows, args.rounds, label=label)
        return
    with warm_daemon(commands[ours]) as (handed, env):
        methods[daemon] = whole(handed, work / "out", env=env)
        report(interleave(methods, args.rounds), rows, args.rounds, label=label)


def extract(args: argparse.Namespace) -> None:
    rows = args.rows or 5_000_000
    with server() as (pg, work):
        fill(pg, "bench", rows)
        compare(pg, work, args, "bench", "id", rows)


def tpch(args: argparse.Namespace) -> None:
    if shutil.which("tpchgen-cli") is None:
        sys.exit("the tpch suite needs the tpchgen-cli command, which is missing: pip install tpchgen-cli")
    with server() as (pg, work):
        t0 = time.perf_counter()
        generate = ["tpchgen-cli", "csv", "-s", f"{args.sf:g}", "-T", "lineitem", "--stdout"]
        with subprocess.Popen(generate, stdout=subprocess.PIPE) as gen, pg.admin() as conn:
            conn.execute(LINEITEM)  # the CSV has a header line and quotes l_comment
            with conn.cursor().copy("COPY lineitem FROM STDIN (FORMAT csv, HEADER true)") as copy:
                while chunk := gen.stdout.read(1 << 20):
                    copy.write(chunk)
            if gen.wait():
                raise RuntimeError(f"tpchgen-cli failed with exit code {gen.returncode}")
            conn.execute("ALTER TABLE lineitem ADD PRIMARY KEY (l_orderkey, l_linenumber); ANALYZE lineitem")
        rows = built(pg, "lineitem", t0)
        compare(pg, work, args, "lineitem", "l_orderkey", rows, TPCH_METHODS, f"TPC-H lineitem SF {args.sf:g}, ")


def max_min(values: list[float]) -> str:
    return f"{max(values) / min(values):.1f}x" if min(values) > 0 else "inf"


def skew(args: argparse.Namespace) -> None:
    rows = args.rows or 5_000_000
    lo, cut = rows // 10, rows * 9 // 10  # rows 1..cut get keys 1..lo; the rest spread over (lo, rows]
    keys = {"uniform": "g", "skewed": f"CASE WHEN g <= {cut} THEN 1 + (g - 1)::bigint * {lo} / {cut} "
                                      f"ELSE {lo} + (g - {cut})::bigint * {rows - lo} / {rows - cut} END"}
    with server() as (pg, work):
        out = work / "out"
        methods = {}
        for table, key in keys.items():
            fill(pg, table, rows, key)
            for strategy in ("balanced", "range"):
                cfg = ours_config(pg, out, [keyed(table, "k", strategy=strategy, partitions=2)])
                methods[f"{table} {strategy}"] = whole(cli(cfg, work / f"{table}-{strategy}.yaml"), out, table)
        results = interleave(methods, args.rounds)
    header(f"{rows:,} rows per table, key k, 2 partitions", args.rounds)
    lines = []
    for strategy in ("balanced", "range"):
        for table in keys:
            runs: list[Run] = results[f"{table} {strategy}"]
            part_rows = [p["rows"] for p in runs[0][2]]
            part_secs = [statistics.median(r[2][i]["seconds"] for r in runs) for i in range(len(part_rows))]
            vs = median_s(runs) / median_s(results[f"uniform {strategy}"])
            lines.append([f"{table}, {strategy}", f"{median_s(runs):.2f}", f"{vs:.2f}x",
                          " / ".join(f"{n:,}" for n in part_rows), max_min(part_rows),
                          " / ".join(f"{s:.2f}" for s in part_secs), max_min(part_secs)])
    markdown(["table, strategy", "seconds", "skewed/uniform", "rows per partition", "max/min rows",
              "seconds per partition", "max/min seconds"], lines)


def memory(args: argparse.Namespace) -> None:
    sizes = sorted(int(s) for s in args.sizes.split(","))
    with server() as (pg, work):
        out = work / "out"
        methods = {}
        for n in sizes:
            table = f"rows_{n}"
            fill(pg, table, n)
            methods[f"ours {n:,}"] = whole(cli(ours_config(pg, out, [keyed(table, "id")]), work / f"{table}.yaml"), out)
            code = CONNECTORX.format(uri=cx_uri(pg), table=table, column="id", out=out)
            methods[f"ConnectorX {n:,}"] = whole([sys.executable, "-c", code], out)
        results = interleave(methods, args.rounds)
    header(f"tables of {', '.join(f'{n:,}' for n in sizes)} rows; data-extractor run (arrow writer, balanced, "
           "2 partitions) and ConnectorX (2 partitions) + pyarrow; peak RSS: the highest of the rounds", args.rounds)
    def cells(method: str, n: int) -> list[str]:
        return [f"{median_s(results[f'{method} {n:,}']):.2f}", peak_mib(results[f"{method} {n:,}"])]

    def growth(method: str) -> str:
        first, last = (peak(results[f"{method} {n:,}"]) for n in (sizes[0], sizes[-1]))
        return f"{(last / first - 1) * 100:+.0f}%"

    lines = [[f"{n:,}", *cells("ours", n), *cells("ConnectorX", n)] for n in sizes]
    lines.append([f"peak growth {sizes[0]:,} -> {sizes[-1]:,}", "", growth("ours"), "", growth("ConnectorX")])
    markdown(["rows", "data-extractor s", "data-extractor peak RSS (tree)", "ConnectorX s",
              "ConnectorX peak RSS (tree)"], lines)


def parallel(args: argparse.Namespace) -> None:
    rows = args.rows or 1_000_000
    tables = [f"t{i}" for i in range(1, 5)]
    with server() as (pg, work):
        out = work / "out"
        for t in tables:
            fill(pg, t, rows)
        methods = {}
        for parts in (2, 1):
            for pt in (1, 2):
                cfg = ours_config(pg, out, [f"public.{t}" for t in tables], partitions=parts, parallel_tables=pt)
                cmd = cli(cfg, work / f"p{parts}-{pt}.yaml")
                methods[f"partitions {parts}, parallel_tables {pt}"] = whole(cmd, out)
        results = interleave(methods, args.rounds)
    header(f"4 tables of {rows:,} rows, data-extractor run (arrow, balanced)", args.rounds)
    lines = []
    for parts in (2, 1):
        one, two = (results[f"partitions {parts}, parallel_tables {pt}"] for pt in (1, 2))
        lines.append([str(parts), f"{median_s(one):.2f}", f"{median_s(two):.2f}",
                      f"{median_s(one) / median_s(two):.2f}x", peak_mib(one), peak_mib(two)])
    markdown(["partitions per table", "parallel_tables 1 s", "parallel_tables 2 s", "speedup",
              "peak RSS (1)", "peak RSS (2)"], lines)


SUITES = {"extract": extract, "tpch": tpch, "skew": skew, "memory": memory, "parallel": parallel, "batch": batch}
