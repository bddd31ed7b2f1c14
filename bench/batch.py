"""The night's-batch suite: all 8 TPC-H tables in one `data-extractor run` against one process that loops
ConnectorX + pyarrow over them; a per-phase timeline of one CLI run; the fixed cost of an extra table."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchlib import (
    PgServer,
    cli,
    cx_uri,
    header,
    interleave,
    markdown,
    median_s,
    ours_config,
    peak_mib,
    server,
    warm_daemon,
    whole,
)

# TPC-H's eight tables: DDL in tpchgen-cli's CSV column order, and the key each is partitioned on.
TPCH = {
    "region": ("r_regionkey int, r_name char(25), r_comment varchar(152)", "r_regionkey"),
    "nation": ("n_nationkey int, n_name char(25), n_regionkey int, n_comment varchar(152)", "n_nationkey"),
    "supplier": ("s_suppkey bigint, s_name char(25), s_address varchar(40), s_nationkey int, s_phone char(15), "
                 "s_acctbal numeric(15,2), s_comment varchar(101)", "s_suppkey"),
    "customer": ("c_custkey bigint, c_name varchar(25), c_address varchar(40), c_nationkey int, c_phone char(15), "
                 "c_acctbal numeric(15,2), c_mktsegment char(10), c_comment varchar(117)", "c_custkey"),
    "part": ("p_partkey bigint, p_name varchar(55), p_mfgr char(25), p_brand char(10), p_type varchar(25), "
             "p_size int, p_container char(10), p_retailprice numeric(15,2), p_comment varchar(23)", "p_partkey"),
    "partsupp": ("ps_partkey bigint, ps_suppkey bigint, ps_availqty int, ps_supplycost numeric(15,2), "
                 "ps_comment varchar(199)", "ps_partkey"),
    "orders": ("o_orderkey bigint, o_custkey bigint, o_orderstatus char(1), o_totalprice numeric(15,2), "
               "o_orderdate date, o_orderpriority char(15), o_clerk char(15), o_shippriority int, "
               "o_comment varchar(79)", "o_orderkey"),
    "lineitem": ("l_orderkey bigint, l_partkey bigint, l_suppkey bigint, l_linenumber int, l_quantity numeric(15,2), "
                 "l_extendedprice numeric(15,2), l_discount numeric(15,2), l_tax numeric(15,2), "
                 "l_returnflag char(1), l_linestatus char(1), l_shipdate date, l_commitdate date, "
                 "l_receiptdate date, l_shipinstruct char(25), l_shipmode char(10), l_comment varchar(44)",
                 "l_orderkey"),
}
SMALL = 100_000  # tables up to this many rows are read in one partition, by us and by ConnectorX

CX_LOOP = """
import connectorx as cx, pyarrow.parquet as pq, os
for table, key, parts in {tables!r}:
    kw = dict(partition_on=key, partition_num=parts) if parts > 1 else {{}}
    t = cx.read_sql("{uri}", f"SELECT * FROM {{table}}", return_type="arrow", **kw)
    os.makedirs(f"{out}/{{table}}", exist_ok=True)
    pq.write_table(t, f"{out}/{{table}}/part.parquet", compression="snappy")
"""


def load_tpch(pg: PgServer, sf: float) -> dict[str, int]:
    """Generate and COPY every TPC-H table; returns rows per table."""
    if shutil.which("tpchgen-cli") is None:
        sys.exit("the batch suite needs the tpchgen-cli command, which is missing: pip install tpchgen-cli")
    rows = {}
    with tempfile.TemporaryDirectory(prefix="dx-tpch-") as tmp:
        subprocess.run(["tpchgen-cli", "csv", "-s", f"{sf:g}", f"--output-dir={tmp}"], check=True)
        with pg.admin() as conn:
            for table, (ddl, key) in TPCH.items():
                conn.execute(f"CREATE TABLE {table} ({ddl})")
                with open(Path(tmp) / f"{table}.csv", "rb") as fh, \
                        conn.cursor().copy(f"COPY {table} FROM STDIN (FORMAT csv, HEADER true)") as copy:
                    while chunk := fh.read(1 << 20):
                        copy.write(chunk)
                conn.execute(f"CREATE INDEX ON {table} ({key}); ANALYZE {table}")
                rows[table] = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    print("built " + ", ".join(f"{t} {n:,}" for t, n in rows.items()), file=sys.stderr)
    return rows


def parts_for(rows: int) -> int:
    return 2 if rows > SMALL else 1


def batch_config(pg: PgServer, out: Path, rows: dict[str, int], parallel: int) -> dict[str, Any]:
    tables = [{"name": f"public.{t}", "partitioning": {"strategy": "balanced", "column": TPCH[t][1],
                                                        "partitions": parts_for(n)}} for t, n in rows.items()]
    return ours_config(pg, out, tables, parallel_tables=parallel)


def timeline(cmd: list[str]) -> list[tuple[float, str]]:
    """Seconds from process start to each phase of one CLI run, from its JSON log lines on stderr."""
    t0 = time.time()
    proc = subprocess.run([*cmd, "--log-format", "json", "--log-level", "info"], capture_output=True, text=True)
    end = time.time() - t0
    if proc.returncode:
        raise RuntimeError(proc.stderr[-2000:])
    marks = []
    for line in proc.stderr.splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        when = dt.datetime.fromisoformat(rec["ts"].replace("Z", "+00:00")).timestamp() - t0
        table = rec.get("table") or ""
        marks.append((when, f"{table + ': ' if table else ''}{rec['message'][:90]}"))
    marks.append((end, "process exit"))
    return marks


def batch(args: argparse.Namespace) -> None:
    sf = args.sf
    with server() as (pg, work):
        rows = load_tpch(pg, sf)
        total = sum(rows.values())
        out = work / "out"
        ours = cli(batch_config(pg, out, rows, 2), work / "batch.yaml")
        loop = [(t, TPCH[t][1], parts_for(n)) for t, n in rows.items()]
        cx = [sys.executable, "-c", CX_LOOP.format(tables=loop, uri=cx_uri(pg), out=out)]
        with warm_daemon(ours) as (handed, env):
            results = interleave({"data-extractor run (8 tables, parallel_tables 2)": whole(ours, out),
                                  "ConnectorX + pyarrow, one process looping over the 8 tables": whole(cx, out),
                                  "data-extractor run, handed to a warm daemon (`daemon start`)":
                                      whole(handed, out, env=env)},
                                 args.rounds)
        header(f"TPC-H SF {sf:g}, all 8 tables ({total:,} rows), 2 partitions for tables over {SMALL:,} rows",
               args.rounds)
        base = median_s(results["ConnectorX + pyarrow, one process looping over the 8 tables"])
        markdown(["method", "seconds", "vs ConnectorX", "peak RSS (tree)"],
                 [[k, f"{median_s(v):.2f}", f"{median_s(v) / base:.2f}x", peak_mib(v)] for k, v in results.items()])
        shutil.rmtree(out, ignore_errors=True)
        print("\nOne `data-extractor run` of the batch, seconds from process start (JSON log lines):\n")
        markdown(["seconds", "phase"], [[f"{s:.2f}", what] for s, what in timeline(ours)])
        fixed_cost(pg, work, args.rounds)


def fixed_cost(pg: PgServer, work: Path, rounds: int) -> None:
    """Warm session: a run of one 1-row table, and of 1 + 8 one-row tables; the difference per extra table."""
    from data_extractor import Extractor

    with pg.admin() as conn:
        for i in range(9):
            conn.execute(f"CREATE TABLE tiny{i} (id int PRIMARY KEY, v text); INSERT INTO tiny{i} VALUES (1, 'x')")
    out = work / "tiny"
    one = Extractor(ours_config(pg, out, ["public.tiny0"], partitions=1))
    nine = Extractor(ours_config(pg, out, [f"public.tiny{i}" for i in range(9)], partitions=1,
                                 parallel_tables=1))
    for ex in (one, nine):
        ex.run()  # warm-up
    times: dict[str, list[float]] = {"1 table": [], "9 tables": []}
    for _ in range(max(3, rounds)):
        for name, ex in (("1 table", one), ("9 tables", nine)):
            t0 = time.perf_counter()
            if not ex.run().ok:
                sys.exit("a tiny run failed")
            times[name].append(time.perf_counter() - t0)
    a, b = (statistics.median(times[k]) for k in ("1 table", "9 tables"))
    print(f"\nWarm session, 1-row tables, parallel_tables 1, medians of {max(3, rounds)}:\n")
    markdown(["run", "seconds"], [["1 table", f"{a:.3f}"], ["9 tables", f"{b:.3f}"],
                                  ["cost per extra table", f"{(b - a) / 8:.3f}"]])
