"""The headless face: `data-extractor validate | browse | plan | run | verify | demo | tui`.

Exit codes: 0 success; 1 a source or run failure; 2 bad input (config, names, flags), with one line
on stderr naming the cause.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Any

from data_extractor import __version__
from data_extractor.api import Extractor
from data_extractor.cli.daemon import add_parser as add_daemon_parser
from data_extractor.cli.daemon import cmd_daemon
from data_extractor.cli.demo import build_database, write_config
from data_extractor.cli.render import Output
from data_extractor.cli.run_view import RunView, print_json
from data_extractor.cli.verify_view import add_parser as add_verify_parser
from data_extractor.cli.verify_view import cmd_verify
from data_extractor.config.models import load_config
from data_extractor.errors import ExtractorError, SourceError, UserError
from data_extractor.ops.doctor import render, run_checks
from data_extractor.run import logs
from data_extractor.run.state import StateStore
from data_extractor.run.windows import check_window_args
from data_extractor.source.profile import profile_numbers

STRATEGIES = ["auto", "none", "range", "balanced", "hash", "physical"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, like every other bad input
        sub = self.prog.split()[-1]
        raise UserError(f"{message} (see data-extractor {'' if sub == 'data-extractor' else sub + ' '}--help)")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="data-extractor", description="Extract database tables into Parquet with Apache Spark.")
    p.add_argument("--version", action="version", version=_version())
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def cmd(name: str, help: str, config: bool = True) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help, description=help)
        if config:
            sp.add_argument("-c", "--config", required=True, help="the YAML config file")
        return sp

    v = cmd("validate", "Check the config, connect, and check every configured table and column.")
    v.add_argument("--offline", action="store_true", help="check the file only; do not connect")
    v.add_argument("--json", action="store_true", help="print JSON")

    b = cmd("browse", "List schemas, the tables of a schema, or the columns of a table.")
    b.add_argument("--schema", help="list this schema's tables")
    b.add_argument("--pattern", help="only tables whose name matches (glob like 'ord*', or a substring)")
    b.add_argument("--table", help="show this table's columns")
    b.add_argument("--json", action="store_true", help="print JSON")

    pl = cmd("plan", "Show how a table will be split into parallel reads (never starts Spark).")
    pl.add_argument("--table", "-t", required=True, help="table name, as schema.table or table")
    pl.add_argument("--strategy", choices=STRATEGIES, help="override the configured strategy")
    pl.add_argument("--partitions", type=int, help="override the partition count")
    pl.add_argument("--column", help="override the partition column")
    pl.add_argument("--json", action="store_true", help="print the plan as JSON")
    pl.add_argument("--profile", action="store_true",
                    help="also sample number columns without declared precision; suggest the decimal that holds them")
    r = cmd("run", "Extract the configured tables (or those named) into Parquet.")
    r.add_argument("--table", "-t", action="append", help="extract only this table (repeatable)")
    r.add_argument("--json", action="store_true", help="print one JSON summary on stdout")
    r.add_argument("--run-date", type=_date, metavar="YYYY-MM-DD", help="incremental tables: run this one window")
    r.add_argument("--from", dest="date_from", type=_date, metavar="YYYY-MM-DD",
                   help="incremental tables: backfill windows starting from this date...")
    r.add_argument("--to", dest="date_to", type=_date, metavar="YYYY-MM-DD", help="...through this date")
    r.add_argument("--no-daemon", action="store_true", help="run in this process even when a warm daemon runs")
    _log_flags(r)

    st = cmd("status", "Show each table's watermark, last run, rows and outcome.")
    st.add_argument("--json", action="store_true", help="print JSON")

    d = cmd("demo", "Build a sample SQLite database and extract it: the quickest way to see it work.", config=False)
    d.add_argument("--output", default="./demo_output", help="folder for the database, config and Parquet")
    d.add_argument("--rows", type=int, default=200_000, help="rows in the largest table (default 200000)")
    d.add_argument("--master", default="local[*]", help="Spark master (default local[*])")
    d.add_argument("--json", action="store_true", help="print one JSON summary on stdout")
    _log_flags(d)

    cmd("tui", "Open the terminal dashboard: browse, plan, run and watch.")

    doc = cmd("doctor", "Check Java, Spark, the database, each table, the output path and the state.")
    doc.add_argument("--no-spark", action="store_true", help="skip starting Spark")
    doc.add_argument("--json", action="store_true", help="print JSON")
    add_verify_parser(sub, cmd)
    add_daemon_parser(sub)
    return p


def _date(text: str) -> Any:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-01-31") from None


def _log_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--log-format", choices=["plain", "json"], default="plain", help="log lines as text or JSON")
    p.add_argument("--log-level", choices=["debug", "info", "warning", "error"],
                   help="print log lines of this level and above on stderr (default: progress only)")


def _version() -> str:
    return f"data-extractor {__version__}"


def _extractor(path: str) -> Any:
    return Extractor(path)


def cmd_validate(args: argparse.Namespace, out: Any) -> int:
    config = load_config(args.config)
    report: dict[str, Any] = {"config": args.config, "source": config.source.type, "tables": []}
    if not args.offline:
        with Extractor(config) as ex:
            report["source"] = ex.dialect.describe()
            ex.catalog.schemas()  # connects, even when no tables are listed
            for entry in config.tables:
                ref = ex.catalog.resolve(entry.name)
                cols = ex.catalog.select_columns(ref, entry.columns)
                info = ex.catalog.estimate(ref)
                report["tables"].append({"name": entry.name, "resolved": str(ref), "columns": len(cols),
                                         "estimated_rows": info.rows})
    else:
        report["tables"] = [{"name": t.name} for t in config.tables]
    if args.json:
        out.json(report)
    else:
        out.validated(report, offline=args.offline)
    return 0


def cmd_browse(args: argparse.Namespace, out: Any) -> int:
    with _extractor(args.config) as ex:
        if args.table:
            ref = ex.catalog.resolve(args.table if not args.schema or "." in args.table
                                     else f"{args.schema}.{args.table}")
            cols = ex.catalog.columns(ref)
            info = ex.catalog.estimate(ref)
            out.columns(ref, info, cols, as_json=args.json)
        elif args.schema or args.pattern:
            tables = ex.catalog.tables(args.schema, args.pattern)
            out.tables(args.schema or ex.catalog.default_schema(), tables, as_json=args.json)
        else:
            out.schemas(ex.dialect.describe(), ex.catalog.schemas(), ex.catalog.default_schema(),
                        as_json=args.json)
    return 0


def cmd_plan(args: argparse.Namespace, out: Any) -> int:
    if args.partitions is not None and not 1 <= args.partitions <= 10_000:
        raise UserError(f"--partitions must be between 1 and 10000, not {args.partitions}")
    with _extractor(args.config) as ex:
        plan = ex.plan(args.table, args.strategy, args.partitions, args.column)
        profiles = None
        if args.profile:
            profiles = profile_numbers(ex.dialect, ex.catalog, plan.ref, plan.estimated_rows)
    if args.json:
        data = plan.to_dict()
        if profiles is not None:
            data["profile"] = [p.to_dict() for p in profiles]
        out.json(data)
    else:
        out.plan(plan)
        if profiles is not None:
            out.profile(profiles)
    return 0


def _extract(ex: Any, tables: list[str] | None, args: argparse.Namespace) -> int:
    refused = ex.check_tables(tables or ex.table_names())  # bad names are bad input: exit 2, nothing read
    if refused:
        name, reason = next(iter(refused.items()))
        more = f" (and {len(refused) - 1} more table(s))" if len(refused) > 1 else ""
        raise UserError(f"{reason}{more}; nothing was extracted")
    window = {k: getattr(args, k, None) for k in ("run_date", "date_from", "date_to")}

    secrets = [ex.config.source.password.get_secret_value()] if ex.config.source.password else []
    json_logs = args.log_format == "json"
    if json_logs or args.log_level:
        logs.configure(args.log_level or "info", args.log_format, sys.stderr, secrets)
    view = RunView(quiet_logs=json_logs or bool(args.log_level), live=False if json_logs else None)
    with view:
        result = ex.start(tables, on_event=view, **window).wait()
    assert result is not None
    from data_extractor.spark import session as spark_session

    if spark_session.local_owned():  # a first local run leaves the JVM's class archive to be recorded
        from data_extractor.spark.jvm import record_in_background

        record_in_background()
    if args.json:
        print_json(result)
    else:
        view.summary(result, ex.config.output.path)
    return 0 if result.ok else 1


def cmd_run(args: argparse.Namespace, out: Any) -> int:
    check_window_args(args.run_date, args.date_from, args.date_to)  # flags first: no connection, no Spark
    with _extractor(args.config) as ex:
        return _extract(ex, args.table, args)


def cmd_demo(args: argparse.Namespace, out: Any) -> int:
    from pathlib import Path


    if args.rows < 1:
        raise UserError(f"--rows must be at least 1, not {args.rows}")
    folder = Path(args.output)
    db = folder / "demo.db"
    counts = build_database(db, args.rows)
    config = write_config(folder, db, args.master)
    print(f"Demo database {db} ({', '.join(f'{k} {v:,}' for k, v in counts.items())} rows); config {config}",
          file=sys.stderr)
    with Extractor(str(config)) as ex:
        code = _extract(ex, None, args)
        root = ex.config.output.path
    if code == 0 and not args.json:
        print(f"\nParquet landed under {root}/main/<table>/. Read it back with, e.g.:\n"
              f"  python -c \"import pyarrow.parquet as pq; print(pq.read_table('{root}/main/orders'))\"\n"
              f"  pyspark: spark.read.parquet('{root}/main/orders').show()\n"
              f"Try next: data-extractor browse -c {config} --schema main ; "
              f"data-extractor plan -c {config} -t orders")
    return code


def cmd_status(args: argparse.Namespace, out: Any) -> int:
    config = load_config(args.config)
    store = StateStore(config.output.path, options=config.output.storage_options)
    known = {s.table: s for s in store.all()}
    states = [known.pop(t.name, None) or store.load(t.name) for t in config.tables] + list(known.values())
    if args.json:
        out.json([{"table": s.table, "watermark": s.watermark, "last": s.last} for s in states])
    else:
        out.status(states, config.output.path)
    return 0


def cmd_doctor(args: argparse.Namespace, out: Any) -> int:
    checks = []
    for check in run_checks(args.config, spark=not args.no_spark):
        checks.append(check)
        if not args.json:
            print(render([check], False).rsplit("\n", 1)[0], flush=True)
    if args.json:
        print(render(checks, True))
    else:
        print(render(checks, False).rsplit("\n", 1)[1])
    return 0 if all(c.ok for c in checks) else 1


def cmd_tui(args: argparse.Namespace, out: Any) -> int:
    load_config(args.config)  # a bad config ends here with one line, before the screen is taken
    from data_extractor_tui import main as tui_main

    return tui_main(args.config)


COMMANDS: dict[str, Callable[[argparse.Namespace, Any], int]] = {
    "validate": cmd_validate,
    "browse": cmd_browse,
    "plan": cmd_plan,
    "run": cmd_run,
    "demo": cmd_demo,
    "tui": cmd_tui,
    "status": cmd_status,
    "doctor": cmd_doctor,
    "verify": cmd_verify,
    "daemon": cmd_daemon,
}


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args, Output())
    except UserError as exc:
        _fail(str(exc))
        return 2
    except SourceError as exc:
        _fail(str(exc))
        return 1
    except ExtractorError as exc:
        _fail(str(exc))
        return 1
    except KeyboardInterrupt:
        _fail("interrupted (Ctrl-C); published tables stay as they were, a table cut short was not published")
        return 130
    except Terminated:
        _fail("terminated (SIGTERM); published tables stay as they were, a table cut short was not published")
        return 143


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so the run ends like Ctrl-C, with its own exit code (128 + 15)."""


def _on_sigterm(signum: int, frame: Any) -> None:
    raise Terminated


def _fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


def entry() -> None:
    os.environ.setdefault("DATA_EXTRACTOR_SHORT_RUN", "1")
    signal.signal(signal.SIGTERM, _on_sigterm)
    code = main()

    if Extractor.spark_started():
        # Leave without a full spark.stop(): the JVM exits on its own when its pipe closes (seconds saved).
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    entry()
