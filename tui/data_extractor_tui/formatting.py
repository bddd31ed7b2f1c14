"""Pure text helpers: bars, padded cells, names and filters. No Textual, so they are tested alone."""

from __future__ import annotations

import fnmatch

from data_extractor import humanize

BAR_FULL = "━"
BAR_HALF = "╸"


def bar(fraction: float, width: int) -> tuple[str, str]:
    """A horizontal bar `width` cells wide, as (filled part, empty part); half cells drawn with ╸.

    Example:
        >>> bar(0.5, 4)
        ('━━', '━━')
    """
    fraction = min(max(fraction, 0.0), 1.0)
    halves = round(fraction * width * 2)
    full, half = divmod(halves, 2)
    filled = BAR_FULL * full + (BAR_HALF if half else "")
    return filled, BAR_FULL * (width - full - half)


def share_bar(value: int | None, largest: int | None, width: int) -> str:
    """A bar for a bar chart: `value` relative to the `largest` value, in eighth blocks."""
    if not value or not largest:
        return ""
    eighths = max(1, round(value / largest * width * 8))
    full, rest = divmod(eighths, 8)
    return "█" * full + ("" if not rest else " ▏▎▍▌▋▊▉"[rest])


def matches(name: str, pattern: str) -> bool:
    """The catalog's filter rule: a glob when the pattern has * ? or [, else a substring; any case."""
    if not pattern:
        return True
    pat, low = pattern.lower(), name.lower()
    if any(c in pat for c in "*?["):
        return fnmatch.fnmatch(low, pat)
    return pat in low


def qualified(schema: str | None, name: str) -> str:
    """`schema.table` as the engine parses it, quoting a part that holds a dot or a quote."""

    def part(p: str) -> str:
        return '"' + p.replace('"', '""') + '"' if ("." in p or '"' in p) else p

    return f"{part(schema)}.{part(name)}" if schema else part(name)


def fit(text: str, width: int) -> str:
    """`text` cut to `width` cells with an ellipsis, or padded to it."""
    return text[: width - 1] + "…" if len(text) > width else text.ljust(width)


def rows_text(n: int | None) -> str:
    return "" if n is None else humanize.count(n)


def size_text(n: int | None) -> str:
    return "" if n is None else humanize.size(n)


def rate_text(rows_per_second: float | None) -> str:
    return f"{humanize.count(rows_per_second)}/s" if rows_per_second else ""


def eta_text(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = max(0, round(seconds))
    m, s = divmod(seconds, 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}"


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")
