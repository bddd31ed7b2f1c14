"""`verify` against its extraction, in one warm process (run by hand; prints a markdown table).

    python bench/bench_verify.py --rows 5000000 --rounds 3 [--sides]

Builds the bench table (benchlib.FILL) in a throwaway PostgreSQL, then times round-robin, after one untimed run
of each: the extraction (writer arrow, 2 balanced partitions), `verify` of the equal extract, `verify` with one
source row changed (found by bisection down to its key), and `verify` with md5 as PostgreSQL's row hash instead
of `hashtextextended`. The change is made and undone outside the timing. `--sides` also times the first pass's
parts alone: the key's quantiles, the source side, the Parquet side, both overlapped, and per-column checksums
of every partition (what they would cost in the first pass).
Targets: verify at most 1.5x the extraction; the bisection under 20% more than the equal verify.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from benchlib import Run, header, interleave, keyed, markdown, median_s, ours_config, server, tree_rss
from benchlib import fill as fill_table

from data_extractor import Extractor
from data_extractor.ops.verify import verify_tables
from data_extractor.ops.verify.table import TableCheck
from data_extractor.output.history import data_files, published, read_manifest
from data_extractor.source.dialects import parquet_checksum as pq_sql
from data_extractor.source.dialects.checksum import checksum_for
from data_extractor.source.dialects.postgres_checksum import PostgresChecksum


def sides(ex: Extractor, root: str) -> dict[str, float]:
    """Seconds of the first pass's parts on their own: the key's quantiles, the source side (its connections in
    parallel), the Parquet side (its threads in parallel), and both overlapped as verify runs them."""
    [pub] = [p for p in published(root) if p.table == "public.bench"]
    manifest = read_manifest(pub)
    check = TableCheck("public.bench", pub.path, manifest, data_files(pub.path, manifest), ex.dialect,
                       checksum_for(ex.dialect), ["id"], threads=ex.config.defaults.parallel_tables)
    con = pq_sql.connect()
    out: dict[str, float] = {}
    t0 = time.perf_counter()
    cuts = {i: check._cuts(con, fs, None) for i, _p, fs in check.parts}
    out["quantiles (Parquet)"] = time.perf_counter() - t0
    for name, only in (("source side alone", "source"), ("Parquet side alone", "parquet"), ("both overlapped", None)):
        t0 = time.perf_counter()
        check._first_pass(con, cuts, only)
        out[name] = time.perf_counter() - t0
    # what per-column checksums would cost in the first pass: every partition's, both sides, 2 partitions at once
    t0 = time.perf_counter()
    cursors = [con.cursor() for _ in check.parts]
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda part, cur: check._columns(cur, part[0], part[1], []), check.parts, cursors))
    out["per-column checksums of every partition instead"] = time.perf_counter() - t0
    con.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=5_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--sides", action="store_true", help="also time the first pass's sides on their own")
    args = ap.parse_args()
    with server() as (pg, work):
        fill_table(pg, "bench", args.rows)
        cfg = ours_config(pg, work / "out", [keyed("bench", "id")])
        ex = Extractor(cfg)
        changed = args.rows // 2 + 17

        def extract() -> None:
            ex.run().ok or sys.exit("run failed")

        def verify_equal() -> None:
            [v] = verify_tables(cfg)
            v.equal or sys.exit(f"verify found differences in an exact extract: {v.to_dict()}")

        def verify_changed() -> None:
            [v] = verify_tables(cfg)
            keys = [r.key for p in v.differences for r in p.rows]
            keys == [{"id": str(changed)}] or sys.exit(f"verify did not name the one changed row: {v.to_dict()}")

        def with_change(fn: Callable[[], None]) -> Callable[[], Run]:
            def run() -> Run:
                with pg.admin() as conn:
                    conn.execute(f"UPDATE bench SET score = score + 1 WHERE id = {changed}")
                try:
                    t0 = time.perf_counter()
                    fn()
                    return time.perf_counter() - t0, tree_rss(os.getpid())
                finally:
                    with pg.admin() as conn:
                        conn.execute(f"UPDATE bench SET score = score - 1 WHERE id = {changed}")
            return run

        def plain(fn: Callable[[], None]) -> Callable[[], Run]:
            def run() -> Run:
                t0 = time.perf_counter()
                fn()
                return time.perf_counter() - t0, tree_rss(os.getpid())
            return run

        def verify_md5() -> None:
            PostgresChecksum.row_hash = "md5"  # every side's md5 instead of PostgreSQL's own text hash
            try:
                verify_equal()
            finally:
                PostgresChecksum.row_hash = "pg_lookup3"

        methods = {"extract (run, writer arrow)": plain(extract), "verify, equal": plain(verify_equal),
                   "verify, one changed source row (bisection)": with_change(verify_changed),
                   "verify, equal, md5 row hash": plain(verify_md5)}
        for fn in methods.values():
            fn()  # warm-up: Spark, Python workers, DuckDB, caches
        results = interleave(methods, args.rounds)
        split = [sides(ex, cfg["output"]["path"]) for _ in range(args.rounds)] if args.sides else []
    run_s = median_s(results["extract (run, writer arrow)"])
    equal_s = median_s(results["verify, equal"])
    header(f"{args.rows:,} rows, verify vs its extraction", args.rounds, "one warm process")
    markdown(["method", "seconds", "vs extract", "vs equal verify"],
             [[name, f"{median_s(r):.2f}", f"{median_s(r) / run_s:.2f}x", f"{median_s(r) / equal_s:.2f}x"]
              for name, r in results.items()])
    if split:
        header("where an equal verify's first pass spends its time", args.rounds, "one warm process")
        markdown(["part", "seconds (median)"],
                 [[name, f"{sorted(r[name] for r in split)[len(split) // 2]:.2f}"] for name in split[0]])


if __name__ == "__main__":
    main()
