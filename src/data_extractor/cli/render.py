"""How the CLI shows things: rich tables on a terminal, plain text elsewhere, JSON on request."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console
from rich.table import Table

from data_extractor import humanize
from data_extractor.source.dialects.base import ColumnInfo, TableInfo, TableRef
from data_extractor.source.planning import PartitionPlan


def _default(obj: Any) -> Any:
    return str(obj)


class Output:
    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(highlight=False, soft_wrap=not sys.stdout.isatty())

    def json(self, data: Any) -> None:
        sys.stdout.write(json.dumps(data, indent=2, default=_default) + "\n")

    def validated(self, report: dict[str, Any], offline: bool) -> None:
        c = self.console
        c.print(f"[green]config OK[/]: {report['config']} ({report['source']})")
        for t in report["tables"]:
            if offline:
                c.print(f"  {t['name']}")
            else:
                c.print(f"  [green]ok[/] {t['name']} -> {t['resolved']}: {t['columns']} columns, "
                        f"{humanize.count(t['estimated_rows'])} rows (est.)")
        if offline:
            c.print("(offline: tables were not checked against the database)")

    def schemas(self, source: str, schemas: list[str], default: str | None, as_json: bool) -> None:
        if as_json:
            return self.json({"source": source, "default_schema": default, "schemas": schemas})
        self.console.print(f"[bold]{source}[/]: {len(schemas)} schema(s)")
        for s in schemas:
            self.console.print(f"  {s}{'  (default)' if s == default else ''}")
        self.console.print("List a schema's tables with --schema NAME.")

    def tables(self, schema: str | None, tables: list[TableInfo], as_json: bool) -> None:
        if as_json:
            return self.json([t.__dict__ for t in tables])
        table = Table(title=f"{schema}: {len(tables)} table(s)", title_justify="left")
        table.add_column("table")
        table.add_column("kind")
        table.add_column("rows (est.)", justify="right")
        table.add_column("size", justify="right")
        for t in tables:
            table.add_row(t.name, t.kind, humanize.count(t.rows), humanize.size(t.bytes))
        self.console.print(table)

    def columns(self, ref: TableRef, info: TableInfo, cols: list[ColumnInfo], as_json: bool) -> None:
        if as_json:
            return self.json({"table": str(ref), "estimated_rows": info.rows, "bytes": info.bytes,
                              "columns": [c.__dict__ for c in cols]})
        pk = ", ".join(c.name for c in sorted((c for c in cols if c.primary_key), key=lambda c: c.primary_key))
        table = Table(title=f"{ref}: {humanize.count(info.rows)} rows (est.), {humanize.size(info.bytes)}"
                      f"{', PK: ' + pk if pk else ''}", title_justify="left")
        for name in ("column", "source type", "lands as", "null", "note"):
            table.add_column(name)
        for c in cols:
            table.add_row(c.name, c.source_type, c.spark_type, "yes" if c.nullable else "no", c.note or "")
        self.console.print(table)

    def plan(self, plan: PartitionPlan) -> None:
        c = self.console
        c.print(f"[bold]Plan: {plan.table}[/]  strategy [cyan]{plan.strategy}[/]"
                f"{'  column ' + plan.column if plan.column else ''}  partitions {len(plan.partitions)}"
                f"  rows (est.) {humanize.count(plan.estimated_rows)}"
                f"  skew {plan.skew if plan.skew is not None else '-'}")
        biggest = max((p.estimated_rows or 0 for p in plan.partitions), default=0) or 1
        table = Table(show_edge=False)
        table.add_column("#", justify="right")
        table.add_column("predicate", overflow="fold")
        table.add_column("est. rows", justify="right")
        table.add_column("", min_width=20)
        for p in plan.partitions:
            bar = "#" * max(1 if p.estimated_rows else 0, round(20 * (p.estimated_rows or 0) / biggest))
            table.add_row(str(p.index + 1), p.predicate or "(whole table)", f"{p.estimated_rows or 0:,}", bar)
        c.print(table)
        for note in plan.notes:
            c.print(f"  note: {note}")
        for w in plan.warnings:
            c.print(f"  [yellow]warning[/]: {w}")
        if not plan.warnings:
            c.print("  warnings: none")

    def status(self, states: list[Any], root: str) -> None:
        table = Table(title=f"State under {root}", title_justify="left")
        for name in ("table", "watermark", "last run", "window", "rows", "outcome"):
            table.add_column(name, justify="right" if name == "rows" else "left", overflow="fold")
        for s in states:
            last = s.last or {}
            window = " .. ".join(last.get("window") or []) or ""
            outcome = last.get("outcome", "never run")
            colour = {"succeeded": "green", "failed": "red"}.get(outcome, "yellow")
            detail = f"[{colour}]{outcome}[/]" + (f": {last['error']}" if last.get("error") else "")
            table.add_row(s.table, s.watermark or "-", last.get("finished_at", "-"), window,
                          f"{last.get('rows', 0):,}" if last else "-", detail)
        self.console.print(table)

    def profile(self, profiles: list[Any]) -> None:
        if not profiles:
            self.console.print("profile: no number columns without a declared precision")
            return
        table = Table(title="Number columns without a declared precision", title_justify="left")
        for name in ("column", "lands as", "rows looked at", "integer digits", "decimals", "suggested", "note"):
            table.add_column(name, overflow="fold", no_wrap=name in ("lands as", "suggested"))
        for p in profiles:
            table.add_row(p.column, p.current, f"{p.rows_sampled:,}", str(p.integer_digits), str(p.scale),
                          p.suggested, p.note if p.fits else f"[yellow]{p.note}[/]")
        self.console.print(table)
