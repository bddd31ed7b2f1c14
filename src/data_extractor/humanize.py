"""Short human forms of counts, sizes and durations, shared by every face."""

from __future__ import annotations


def count(n: float | None) -> str:
    if n is None:
        return "?"
    for limit, suffix in ((1e9, " G"), (1e6, " M"), (1e3, " k")):
        if abs(n) >= limit:
            return f"{n / limit:.1f}{suffix}"
    return f"{int(n)}"


def size(n: float | None) -> str:
    if n is None:
        return "?"
    for limit, suffix in ((1 << 40, " TB"), (1 << 30, " GB"), (1 << 20, " MB"), (1 << 10, " kB")):
        if n >= limit:
            return f"{n / limit:.1f}{suffix}"
    return f"{int(n)} B"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    if seconds < 60:
        return f"{seconds:.1f} s"
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}"
