"""Lakehouse benchmark: what the Delta and Iceberg commit costs over plain Parquet, on the bench table.

Run by hand (not a test):  python bench/bench_lakehouse.py [--rows 5000000] [--rounds 3] [--cli]

One throwaway PostgreSQL server and the bench table (see benchlib.FILL); inside this one process, with Spark
up, the same table is extracted as parquet, delta and iceberg, round-robin (interleaved, so a noisy neighbour
hurts every format alike), each format into its own output folder so that every Delta/Iceberg run after the
first replaces the previous version, as a nightly full run does. Prints medians of the whole run and of the
commit step alone (`commit_seconds` in the table's manifest: reading footers, stats, the commit).
`--cli` runs each extraction as its own `data-extractor run` process instead, as a scheduled job does, so the
format library's import and the catalog's opening are paid by every run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

from benchlib import cli, fill, header, keyed, markdown, ours_config, server, timed

FORMATS = ("parquet", "delta", "iceberg")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=5_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--cli", action="store_true", help="one data-extractor process per run (whole process)")
    args = ap.parse_args()
    from data_extractor import Extractor

    with server() as (pg, work):
        fill(pg, "bench", args.rows)
        runs: dict[str, list[tuple[float, float]]] = {f: [] for f in FORMATS}
        extractors, commands = {}, {}
        for fmt in FORMATS:
            cfg = ours_config(pg, work / fmt, [keyed("bench", "id")])
            cfg["output"]["format"] = fmt
            extractors[fmt] = Extractor(cfg)
            commands[fmt] = cli(cfg, work / f"{fmt}.yaml")

        def once(fmt: str) -> tuple[float, float]:
            if args.cli:
                seconds, _ = timed(commands[fmt])
            else:
                t0 = time.perf_counter()
                result = extractors[fmt].run()
                seconds = time.perf_counter() - t0
                if not result.ok:
                    sys.exit(f"{fmt} run failed: {result.to_dict()}")
            manifest = json.loads((work / fmt / "_data_extractor" / "manifests" / "public" / "bench.json").read_text())
            return seconds, float(manifest.get("commit_seconds", 0.0))

        for fmt in FORMATS:
            print(f"warm-up (untimed) {fmt}: {once(fmt)[0]:.2f} s", file=sys.stderr)
        for r in range(args.rounds):
            for fmt in FORMATS:
                runs[fmt].append(once(fmt))
                print(f"round {r + 1} {fmt}: {runs[fmt][-1][0]:.2f} s (commit {runs[fmt][-1][1]:.3f} s)",
                      file=sys.stderr)
    base = statistics.median(s for s, _ in runs["parquet"])
    header(f"{args.rows:,} rows, full runs replacing the previous version", args.rounds,
           "one data-extractor process per run" if args.cli else "inside one warm process")
    lines = []
    for fmt in FORMATS:
        med = statistics.median(s for s, _ in runs[fmt])
        commit = statistics.median(c for _, c in runs[fmt])
        lines.append([fmt, f"{med:.2f}", f"{med / base:.3f}x", f"{commit:.3f}" if fmt != "parquet" else "-",
                      f"{commit / med:.1%}" if fmt != "parquet" else "-"])
    markdown(["format", "run seconds", "vs parquet", "commit seconds", "commit share of the run"], lines)


if __name__ == "__main__":
    main()
