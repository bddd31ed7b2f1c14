"""Text and HTML the panel shows. Pure functions of plain values: no widgets, no engine calls."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from html import escape
from typing import TYPE_CHECKING

from data_extractor import humanize

if TYPE_CHECKING:
    from data_extractor.run.events import LogLine
    from data_extractor.source.dialects.base import ColumnInfo, TableInfo
    from data_extractor.source.planning import PartitionPlan

RED, ORANGE, GREEN, GREY = "#c62828", "#b35c00", "#2e7d32", "#666"
NBSP = "\u00a0"  # kept by <select> options, where plain spaces collapse
BAR_PX = 160
# a status on one line, cut with an ellipsis where its row ends (the tooltip and the Logs tab hold all of it)
ONE_LINE = "display:block;white-space:nowrap;overflow:hidden;text-overflow:ellipsis"


def one_line(exc: BaseException) -> str:
    """An exception as one sentence: its first non-empty line, named by type when it has no message."""
    text = next((line.strip() for line in str(exc).splitlines() if line.strip()), "")
    return text if text else type(exc).__name__


def error_html(text: str) -> str:
    return f'<span class="dx-error" style="color:{RED}">&#10006; {escape(text)}</span>'


def hint_html(text: str) -> str:
    return f'<span class="dx-hint" style="color:{GREY}">{escape(text)}</span>'


def ok_html(text: str) -> str:
    return f'<span class="dx-ok" style="color:{GREEN}">&#10004; {escape(text)}</span>'


def short_path(path: str) -> str:
    """`path` relative to the working folder (a notebook's own) when it is below it, else as given."""
    import os

    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive
        return path
    return path if rel.startswith("..") or os.path.isabs(rel) else os.path.join(".", rel)


def header_html(source: str, output: str, spark: str) -> str:
    colour = RED if spark.startswith("did not") else GREY
    return (f"<b>Data Extractor</b>{NBSP * 2}{escape(source)} &rarr; {escape(short_path(output))}"
            f'{NBSP * 4}<span class="dx-spark" style="color:{colour}">Spark: {escape(spark)}</span>')


def table_label(name: str, rows: int | None, size: int | None, width: int) -> str:
    """One line of the table list: name, estimated rows and size in aligned columns."""
    rows_text = f"{humanize.count(rows)} rows" if rows is not None else "? rows"
    size_text = humanize.size(size) if size is not None else ""
    return NBSP.join((name.ljust(width, NBSP), rows_text.rjust(12, NBSP), size_text.rjust(9, NBSP))).rstrip(NBSP)


def matches(name: str, pattern: str) -> bool:
    """The search box: a glob (`ord*`) or a substring, any case (as `data-extractor browse --pattern`)."""
    import fnmatch

    pat, low = pattern.strip().lower(), name.lower()
    if not pat:
        return True
    return fnmatch.fnmatch(low, pat) if any(c in pat for c in "*?[") else pat in low


def _table(head: Sequence[str], rows: Iterable[Sequence[str]], css: str, right: Sequence[int] = ()) -> str:
    """An HTML table; cells are already HTML. Columns in `right` align right."""
    def cell(tag: str, i: int, value: str) -> str:
        align = "right" if i in right else "left"
        return f'<{tag} style="text-align:{align};padding:1px 10px 1px 0">{value}</{tag}>'

    out = [f'<table class="{css}" style="border-collapse:collapse;font-size:12px;line-height:1.5">',
           "<tr>" + "".join(cell("th", i, escape(h)) for i, h in enumerate(head)) + "</tr>"]
    out += ["<tr>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>" for row in rows]
    return "".join(out) + "</table>"


def details_html(info: TableInfo, columns: Sequence[ColumnInfo]) -> str:
    """The Browse tab's details of one table: estimates, key, and each column's source and Parquet type."""
    keys = [c.name for c in sorted((c for c in columns if c.primary_key), key=lambda c: c.primary_key or 0)]
    head = (f"<b>{escape(str(info.ref))}</b>{NBSP * 3}{humanize.count(info.rows)} rows (est.){NBSP * 3}"
            f"{humanize.size(info.bytes)}{NBSP * 3}key: {escape(', '.join(keys)) if keys else 'none'}")
    rows = [(escape(c.name), escape(c.source_type), escape(c.spark_type), "yes" if c.nullable else "no",
             f"pk {c.primary_key}" if c.primary_key else ("indexed" if c.indexed else ""), escape(c.note or ""))
            for c in columns]
    return _block(f"<div>{head}</div>" + _table(("column", "type", "lands as", "null", "key", "note"), rows,
                                                "dx-columns"))


def plan_html(plan: PartitionPlan) -> str:
    """One table's partition plan: a line of facts, a row per partition with a bar of its size, warnings."""
    parts = plan.partitions
    largest = max((p.estimated_rows or 0 for p in parts), default=0)
    head = (f"<b>{escape(plan.table)}</b>{NBSP * 2}strategy <b>{escape(plan.strategy)}</b>"
            + (f"{NBSP * 2}column <b>{escape(plan.column)}</b>" if plan.column else "")
            + f"{NBSP * 2}partitions <b>{len(parts)}</b>"
            + f"{NBSP * 2}rows (est.) <b>{humanize.count(plan.estimated_rows)}</b>"
            + f"{NBSP * 2}skew <b>{'?' if plan.skew is None else f'{plan.skew:.2f}'}</b>")
    rows = []
    for p in parts:
        width = round(BAR_PX * (p.estimated_rows or 0) / largest) if largest else 0
        bar = (f'<div class="dx-plan-bar" style="width:{width}px;height:10px;background:#4a90d9;'
               f'display:inline-block"></div>')
        est = "?" if p.estimated_rows is None else f"{p.estimated_rows:,}"
        rows.append((str(p.index + 1), f"<code>{escape(p.predicate or '(whole table)')}</code>", est, bar))
    out = [f'<div class="dx-plan-head">{head}</div>',
           _table(("#", "predicate", "est. rows", ""), rows, "dx-plan-table", right=(0, 2))]
    out += [f'<div class="dx-warning" style="color:{ORANGE}">&#9888; {escape(w)}</div>' for w in plan.warnings]
    out += [f'<div style="color:{GREY}">note: {escape(n)}</div>' for n in plan.notes]
    if not plan.warnings:
        out.append(f'<div style="color:{GREY}">warnings: none</div>')
    return _block("".join(out))


def plan_error_html(table: str, message: str) -> str:
    return _block(f"<b>{escape(table)}</b>{NBSP * 2}{error_html(message)}")


def _block(inner: str) -> str:
    """A block with ordinary line spacing (a widget's HTML inherits the tall line height of its inputs)."""
    return f'<div style="line-height:1.5">{inner}</div>'


def rows_text(rows: int | None, final: bool) -> str:
    """Rows so far, humanised while they move; the exact count once the table is published."""
    if rows is None:
        return ""
    return f"{rows:,} rows" if final else f"{humanize.count(rows)} rows"


def rate_text(rows_per_second: float | None) -> str:
    return f"{humanize.count(rows_per_second)}/s" if rows_per_second else ""


def status_html(status: str, seconds: float | None = None, error: str | None = None) -> str:
    """A table's status: done in green, failed in red with its reason, cancelled in orange."""
    if status == "done":
        took = f" in {humanize.duration(seconds)}" if seconds is not None else ""
        return f'<span style="color:{GREEN}">done{took}</span>'
    if status == "failed":
        text = f"failed: {error or '?'} (full log in the Logs tab)"
        return f'<span style="color:{RED};{ONE_LINE}" title="{escape(text, quote=True)}">{escape(text)}</span>'
    if status == "cancelled":
        text = "cancelled: not published (an earlier extract stays as it was)"
        return f'<span style="color:{ORANGE};{ONE_LINE}" title="{escape(text, quote=True)}">{escape(text)}</span>'
    if status == "cancelling":
        return f'<span style="color:{ORANGE}">cancelling...</span>'
    return escape(status)


LEVEL_COLOURS = {"warning": ORANGE, "error": RED, "critical": RED, "debug": GREY}


def logs_html(lines: Sequence[LogLine], limit: int = 300) -> str:
    """The newest `limit` log lines, oldest first, warnings and errors coloured."""
    if not lines:
        return hint_html("no log lines yet: they appear here while a run goes")
    shown = lines[-limit:]
    width = max((len(line.table or "") for line in shown), default=0)
    out = []
    if len(lines) > limit:
        out.append(hint_html(f"{len(lines) - limit:,} earlier line(s) not shown") + "\n")
    for line in shown:
        stamp = time.strftime("%H:%M:%S", time.localtime(line.at))
        text = escape(f"{stamp} {line.level.upper():<7} {(line.table or '').ljust(width)}  {line.message}")
        colour = LEVEL_COLOURS.get(line.level)
        out.append(f'<span style="color:{colour}">{text}</span>' if colour else text)
    return ('<pre class="dx-log-lines" style="font-size:12px;line-height:1.35;margin:0;white-space:pre-wrap">'
            + "\n".join(out) + "</pre>")
