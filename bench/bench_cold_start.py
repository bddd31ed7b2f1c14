"""Cold starts of `data-extractor demo`: none may hang, and how long each takes. Run by hand.

Each round is a fresh process with no bytecode cache (`PYTHONDONTWRITEBYTECODE=1` and an empty
`PYTHONPYCACHEPREFIX`, so every module compiles from source, as on a newcomer's first run), bounded by
`--timeout`. `--warm` keeps the bytecode cache instead (what every later run sees). `--python` runs another
interpreter (e.g. a venv with pyspark 3.5).

    python bench/bench_cold_start.py --runs 20 --rows 1000
    python bench/bench_cold_start.py --runs 20 --python /tmp/dx-pyspark-3.5/bin/python
    python bench/bench_cold_start.py --runs 5 --warm
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

CLI = "import sys; from data_extractor.cli.main import entry; sys.argv[0] = 'data-extractor'; entry()"


def one_run(python: str, rows: int, timeout: float, warm: bool) -> tuple[str, float]:
    """('ok' | 'exit N' | 'HUNG', seconds) of one fresh `demo` process."""
    with tempfile.TemporaryDirectory(prefix="dx-cold-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYSPARK_", "PYTEST_"))}
        if not warm:
            env.update(PYTHONDONTWRITEBYTECODE="1", PYTHONPYCACHEPREFIX=os.path.join(tmp, "pycache"))
        cmd = [python, "-c", CLI, "demo", "--rows", str(rows), "--output", os.path.join(tmp, "out"), "--json"]
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)  # the CLI and the JVM it started
            proc.wait()
            return "HUNG", time.monotonic() - t0
        return ("ok" if code == 0 else f"exit {code}"), time.monotonic() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--rows", type=int, default=1000)
    ap.add_argument("--timeout", type=float, default=120.0)
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--warm", action="store_true", help="keep the bytecode cache (not a cold start)")
    args = ap.parse_args()
    version = subprocess.run([args.python, "-c", "import pyspark; print(pyspark.__version__)"],
                             capture_output=True, text=True).stdout.strip()
    print(f"pyspark {version}, {args.python}, {'warm' if args.warm else 'cold'}, demo --rows {args.rows}")
    print("| run | outcome | seconds |\n|---:|---|---:|")
    times, bad = [], 0
    for i in range(1, args.runs + 1):
        outcome, seconds = one_run(args.python, args.rows, args.timeout, args.warm)
        bad += outcome != "ok"
        times.append(seconds)
        print(f"| {i} | {outcome} | {seconds:.1f} |", flush=True)
    print(f"\n{args.runs - bad}/{args.runs} ok; median {statistics.median(times):.1f} s, max {max(times):.1f} s")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
