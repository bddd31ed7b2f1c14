"""Internal file names for tables: one-to-one with the table names, whatever their punctuation or case.

Published folders keep the table's own name; internal files (state) use `escape`, so two tables whose
names differ in any character never share one.
"""

from __future__ import annotations

import hashlib

PLAIN = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-")
MAX_NAME = 180  # bytes; file systems allow 255, and a suffix (".json") is added


def escape(name: str) -> str:
    """`name` as a file name: lowercase letters, digits, `.` and `-` as they are, every other byte `_xx`.

    `_` is the escape character and is itself escaped, so the mapping is one-to-one (`e_v` -> `e_5fv`,
    `e v` -> `e_20v`, `E` -> `_45`) and case-safe. Long names keep a readable head and a hash of the whole.
    """
    out = "".join(c if c in PLAIN else "".join(f"_{b:02x}" for b in c.encode("utf-8")) for c in name)
    if len(out) > MAX_NAME:
        out = f"{out[:MAX_NAME - 41]}~{hashlib.sha1(name.encode('utf-8')).hexdigest()}"
    return out or "_"
