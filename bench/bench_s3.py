"""The arrow writer to object storage (moto's S3 server) against Spark's writer, in one warm process.

Run by hand (not a test):  python bench/bench_s3.py [--rows 1000000] [--rounds 3]

Starts a throwaway PostgreSQL and a moto S3 server on loopback, builds the bench table, then times our run
round-robin: the arrow writer to s3:// and to a local folder, Spark's writer to a local folder. Spark's writer
to s3a:// needs the hadoop-aws jars, which cannot be downloaded here: it is tried once and reported as not run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable

from benchlib import fill, header, interleave, keyed, markdown, median_s, ours_config, server

from data_extractor import Extractor
from s3server import S3Server


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    s3 = S3Server().start()
    try:
        with server() as (pg, work):
            fill(pg, "bench", args.rows)
            bucket = s3.bucket("bench")

            def ours(path: str, writer: str, **output) -> Callable[[], tuple[float, int]]:
                cfg = ours_config(pg, work, [keyed("bench", "id")], writer=writer)
                cfg["output"].update(path=path, **output)
                ex = Extractor(cfg)

                def run() -> tuple[float, int]:
                    t0 = time.perf_counter()
                    result = ex.run()
                    if not result.ok:
                        sys.exit(f"run failed: {result.tables[0].error}")
                    return time.perf_counter() - t0, 0
                return run

            methods = {"writer arrow -> s3:// (moto)": ours(f"s3://{bucket}/out", "arrow", storage_options=s3.options),
                       "writer arrow -> local folder": ours(str(work / "arrow"), "arrow"),
                       "writer spark -> local folder": ours(str(work / "spark"), "spark")}
            for fn in methods.values():
                fn()  # warm-up: Spark, Python workers, the store's client
            results = interleave(methods, args.rounds)
            s3a = ours_config(pg, work, [keyed("bench", "id")], writer="spark")
            s3a["output"].update(path=f"s3a://{bucket}/spark", storage_options=s3.options)
            failed = Extractor(s3a).run()
            note = failed.tables[0].error if not failed.ok else "ran"
    finally:
        s3.stop()
    header(f"{args.rows:,} rows, PostgreSQL to Parquet", args.rounds, "one warm process")
    arrow_s3 = median_s(results["writer arrow -> s3:// (moto)"])
    rows = [[name, f"{median_s(r):.2f}", f"{args.rows / median_s(r):,.0f}", f"{median_s(r) / arrow_s3:.2f}x"]
            for name, r in results.items()]
    rows.append(["writer spark -> s3a:// (moto)", "not run", "-", "-"])
    markdown(["method", "seconds", "rows/s", "vs arrow -> s3"], rows)
    print(f"\nSpark's writer to s3a://: {note}", file=sys.stdout)
    print(f"({os.cpu_count()} cores, shared with moto's Python server and PostgreSQL: compare ratios, not seconds)")


if __name__ == "__main__":
    main()
