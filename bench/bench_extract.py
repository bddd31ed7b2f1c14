"""Extraction benchmark: PostgreSQL -> Parquet, our `run` against other tools, one interleaved run.

Run by hand (not a test):  python bench/bench_extract.py [--suite extract] [--rows 5000000] [--rounds 3]

Each suite starts one throwaway PostgreSQL server, builds its tables, times its methods round-robin
(interleaved, so a noisy neighbour hurts every method alike) and prints a markdown table of medians
on stdout (progress goes to stderr). Whole-process timings run a fresh `python` for each method, so
Spark methods pay their JVM start, and record the peak RSS of the whole process tree.

Suites (--suite):
  extract   (default) the bench table of --rows rows: our run (three reader/writer pairs), Spark JDBC,
            ConnectorX + pyarrow and a binary COPY, as whole processes; with --warm, ours and
            ConnectorX inside this one process with Spark already up.
  tpch      TPC-H lineitem at scale factor --sf, partitioned on l_orderkey: ours (arrow writer), naive
            Spark JDBC and ConnectorX (or --only, or --warm). Needs `pip install tpchgen-cli`.
  skew      tables `uniform` and `skewed` (90% of the rows in the lowest 10% of the key range) of --rows
            rows: our run with strategy balanced and range on the key k, 2 partitions; seconds and the
            per-partition rows and seconds from each run's manifest.
  memory    our run and ConnectorX on bench tables of --sizes rows: peak RSS and its growth.
  parallel  four bench tables t1..t4 of --rows rows: our run with parallel_tables 1 and 2, with 2 and 1
            partitions per table, and the speedup.
  batch     all 8 TPC-H tables at --sf in one `data-extractor run` (parallel_tables 2) against one process
            looping ConnectorX + pyarrow over them; a per-phase timeline of one run; the fixed cost of an
            extra 1-row table in a warm session. Needs `pip install tpchgen-cli connectorx`.
"""

from __future__ import annotations

import argparse

from suites import SUITES


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--suite", choices=SUITES, default="extract")
    ap.add_argument("--rows", type=int, help="rows per table (extract, skew: 5,000,000; parallel: 1,000,000)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", action="append", metavar="TEXT",
                    help="extract, tpch: run only the methods whose name contains TEXT (case-insensitive); "
                         "repeatable, e.g. --only arrow --only ConnectorX")
    ap.add_argument("--warm", action="store_true",
                    help="extract, tpch: time inside one warm process (Spark started once), as the TUI and "
                         "notebooks run")
    ap.add_argument("--sf", type=float, default=1, help="tpch, batch: the TPC-H scale factor")
    ap.add_argument("--sizes", default="1000000,5000000,10000000", help="memory: comma-separated table sizes")
    args = ap.parse_args()
    SUITES[args.suite](args)


if __name__ == "__main__":
    main()
