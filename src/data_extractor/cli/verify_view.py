"""`data-extractor verify`: print each table's verdict; exit 0 all equal, 1 any differs, 2 bad input."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from data_extractor.ops.verify import column_kinds, render, verify_tables
from data_extractor.run import events as ev


def add_parser(sub: Any, cmd: Any) -> None:
    v = cmd("verify", "Prove that published tables equal their source, down to the key of any row that differs.")
    v.add_argument("--table", "-t", action="append", help="verify only this table (repeatable)")
    v.add_argument("--json", action="store_true", help="print JSON")
    v.add_argument("--max-rows", type=int, default=10, help="differing rows to name per table (default 10)")


def _progress(event: ev.Event) -> None:
    """One line per table on stderr, so a long verify shows it is alive."""
    if isinstance(event, ev.TableStarted):
        print(f"verifying {event.table} ({event.partitions} partition(s))...", file=sys.stderr, flush=True)


def cmd_verify(args: argparse.Namespace, out: Any) -> int:
    manifests: dict[str, dict[str, Any]] = {}
    verdicts = verify_tables(args.config, args.table, None if args.json else _progress,
                             max_rows=max(1, args.max_rows), manifests=manifests)
    if args.json:
        print(json.dumps([v.to_dict() for v in verdicts], indent=2, default=str))
    else:
        print(render(verdicts, column_kinds(manifests)))
    return 0 if all(v.equal for v in verdicts) else 1
