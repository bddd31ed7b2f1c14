"""CPU that each version of the ADBC PostgreSQL driver spends decoding the bench table. Run by hand.

The reader's own CPU (user + system of the reading process; the server's is not counted) decides how fast a
2-core machine extracts, since PostgreSQL's backends share the cores. Each version is installed into its own
venv beside this Python (`--system-site-packages`, so only the driver differs) and reads the whole table
through `fetch_record_batch`, round-robin over the versions, after one untimed read each.

    python bench/bench_adbc.py --versions 1.8.0,1.13.0 --rows 2000000 --rounds 3
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

from benchlib import cx_uri, fill, header, markdown, server

READ = """
import resource, sys, time
import adbc_driver_postgresql as driver, adbc_driver_postgresql.dbapi as adbc
conn = adbc.connect(sys.argv[1], autocommit=True)
for _ in range(int(sys.argv[2])):
    r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    cur = conn.cursor()
    cur.execute("SELECT id, customer_id, amount::text, status, note, created_at, ship_date, flag, score FROM bench")
    rows = sum(b.num_rows for b in cur.fetch_record_batch())
    cur.close()
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    print(rows, time.perf_counter() - t0, r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
"""


def venv(folder: Path, version: str) -> str:
    """A venv holding adbc-driver-postgresql `version` (the rest from this Python's site-packages)."""
    python = folder / version / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(folder / version)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", f"adbc-driver-postgresql=={version}"],
                       check=True)
    return str(python)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--versions", default="1.8.0,1.13.0", help="comma-separated driver versions")
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    versions = args.versions.split(",")
    with server() as (pg, work):
        fill(pg, "bench", args.rows)
        pythons = {v: venv(work / "venvs", v) for v in versions}
        runs: dict[str, list[tuple[float, float]]] = {v: [] for v in versions}
        for round_ in range(args.rounds + 1):
            for v in versions:
                out = subprocess.run([pythons[v], "-c", READ, cx_uri(pg), "1"], check=True, capture_output=True,
                                     text=True).stdout.split()
                rows, wall, cpu = int(out[0]), float(out[1]), float(out[2])
                print(f"round {round_} adbc {v}: {wall:.2f} s, cpu {cpu:.2f} s", file=sys.stderr)
                if round_:  # the first round warms the server's cache
                    runs[v].append((wall, cpu))
        header(f"{rows:,} rows of the bench table read by ADBC", args.rounds, "reading process only")
        base = statistics.median(c for _, c in runs[versions[0]])
        markdown(["adbc-driver-postgresql", "wall s", "reader CPU s", "CPU ns/row", f"CPU vs {versions[0]}"],
                 [[v, f"{statistics.median(w for w, _ in r):.2f}", f"{statistics.median(c for _, c in r):.2f}",
                   f"{statistics.median(c for _, c in r) / rows * 1e9:.0f}",
                   f"{statistics.median(c for _, c in r) / base:.2f}x"] for v, r in runs.items()])


if __name__ == "__main__":
    main()
