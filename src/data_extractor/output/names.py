"""Names under the output root: published folders, and one reserved folder for everything internal.

Data: ``{output}/{schema}/{table}/[{window}/]`` holds Parquet files and nothing else, so every reader
(polars, DuckDB, pyarrow, pandas, Spark) reads the folder as it is. A schema starting with `_` gets one
more `_` (`top_folder`), so no data folder is ever named like the reserved one.

Internal: ``{output}/_data_extractor/`` (`INTERNAL`; Spark, Hive and pyarrow skip `_` names) holds
``state/``, ``locks/``, ``staging/{run_id}/`` and ``manifests/{schema}/{table}[/{window}].json``. Internal
file names come from `escape`, one-to-one with the table names whatever their punctuation or case.
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


# ------------------------------------------------------------ the output root's layout
INTERNAL = "_data_extractor"  # state, staging, manifests, locks: the one folder readers of the root skip


def folder_name(part: str) -> str:
    """A published folder name for a schema, table or window name (its own spelling, minus path separators)."""
    cleaned = part.replace("/", "_").replace("\\", "_").strip()
    return cleaned if cleaned not in ("", ".", "..") else "_"


def top_folder(part: str) -> str:
    """A folder name at the output root, never the reserved one: a name starting with `_` gets one more `_`.

    `_staging` is published as `__staging`, `_data_extractor` as `__data_extractor`: one-to-one, and no data
    folder at the root is named like `INTERNAL` (or like the `_state`/`_staging` folders of earlier versions).
    """
    name = folder_name(part)
    return "_" + name if name.startswith("_") else name


def table_folders(schema: str | None, table: str, window: str | None = None) -> list[str]:
    """The folders from the output root down to a table's (or window's) data."""
    names = ([schema] if schema else []) + [table] + ([window] if window else [])
    return [top_folder(names[0])] + [folder_name(p) for p in names[1:]]
