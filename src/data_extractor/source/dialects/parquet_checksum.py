"""The published Parquet's side of `verify`: the canonical forms of `checksum.py`, in DuckDB SQL over the files."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from data_extractor.source.dialects.checksum import NULL_TEXT, kind_of

TS = "'%Y-%m-%d %H:%M:%S.%f'"


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def text_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _f64bits(values: Any) -> Any:
    """The IEEE-754 bits of doubles as int64 (a zero-copy view of the data buffer; NULLs stay NULL)."""
    import pyarrow as pa

    arr = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    validity, data = arr.buffers()[:2]
    return pa.Array.from_buffers(pa.int64(), len(arr), [validity, data], null_count=arr.null_count,
                                 offset=arr.offset)


def connect(threads: int | None = None) -> Any:
    """An in-memory DuckDB pinned to UTC, with the float-bits helper registered."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    con.create_function("dx_f64bits", _f64bits, ["DOUBLE"], "BIGINT", type="arrow", null_handling="special")
    return con


def canonical(name: str, spark_type: str) -> str:
    q = quote(name)
    kind = kind_of(spark_type)
    if kind in ("int", "decimal"):
        return f"CAST({q} AS VARCHAR)"
    if kind == "bool":
        return f"CAST(CAST({q} AS INTEGER) AS VARCHAR)"
    if kind == "float":
        return f"CAST(dx_f64bits(CAST({q} AS DOUBLE)) AS VARCHAR)"
    if kind == "binary":
        return f"LOWER(HEX({q}))"
    if kind == "date":
        return f"CAST(CAST({q} AS DATE) AS VARCHAR)"  # YYYY-MM-DD for years 1-9999 (Spark's), 2x STRFTIME's speed
    if kind in ("timestamp", "ntz"):
        return f"STRFTIME(CAST({q} AS TIMESTAMP), {TS})"
    return (f"REPLACE(REPLACE(CAST({q} AS VARCHAR), {text_literal(chr(92))}, {text_literal(chr(92) * 2)}), "
            f"'|', {text_literal(chr(92) + '|')})")


def row_text(columns: Sequence[tuple[str, str]]) -> str:
    """The row text over (name, Spark type) pairs."""
    parts = [f"COALESCE({canonical(n, t)}, {text_literal(NULL_TEXT)})" for n, t in columns]
    # one CONCAT_WS (no part is NULL) costs half a chain of ||, which copies the growing text at each step
    return f"CONCAT_WS('|', {', '.join(parts)})" if len(parts) > 1 else parts[0]


def row_hash(columns: Sequence[tuple[str, str]]) -> str:
    """md5-int of the row text."""
    return f"CAST('0x' || RIGHT(MD5({row_text(columns)}), 12) AS BIGINT)"


def files_source(files: Sequence[str]) -> str:
    paths = ", ".join(text_literal(f) for f in files)
    return f"read_parquet([{paths}], filename = true)"


def checksum_sql(files: Sequence[str], columns: Sequence[tuple[str, str]], part_of: dict[str, int],
                 key: str | None = None, cuts: int = 0, where: str | None = None, texts: bool = False) -> str:
    """Rows of (partition, segment, count, sum) over the files; `cuts` = number of `?` cut parameters on `key`,
    `where` a condition with its own `?` parameters (bound after the cuts). With `texts`, rows of (partition,
    segment, row text) instead, for a hash computed outside DuckDB (`pg_hash`)."""
    part = str(int(next(iter(part_of.values()), 0)))
    if len(set(part_of.values())) > 1:
        whens = " ".join(f"WHEN {text_literal(f)} THEN {i}" for f, i in part_of.items())
        part = f"CASE filename {whens} END"
    seg = "0"
    if key and cuts:
        whens = " ".join(f"WHEN {quote(key)} < ? THEN {i}" for i in range(cuts))
        seg = f"CASE {whens} ELSE {cuts} END"
    cond = f" WHERE {where}" if where else ""
    if texts:
        return f"SELECT {part} AS dx_part, {seg} AS dx_seg, {row_text(columns)} FROM {files_source(files)}{cond}"
    return (f"SELECT {part} AS dx_part, {seg} AS dx_seg, COUNT(*), SUM({row_hash(columns)}) "
            f"FROM {files_source(files)}{cond} GROUP BY ALL")


def column_texts(columns: Sequence[tuple[str, str]], key: Sequence[tuple[str, str]] = ()) -> list[str]:
    """Per column, the key's texts then the column's, joined by `|` (as `ChecksumSQL.column_texts`)."""
    prefix = "".join(f"COALESCE({canonical(n, t)}, {text_literal(NULL_TEXT)}) || '|' || " for n, t in key)
    return [f"{prefix}COALESCE({canonical(n, t)}, {text_literal(NULL_TEXT)})" for n, t in columns]


def columns_sql(files: Sequence[str], columns: Sequence[tuple[str, str]], key: Sequence[tuple[str, str]] = (),
                where: str | None = None, texts: bool = False) -> str:
    """One row of the count and each column's md5-int sum; with `texts`, rows of each column's text instead."""
    cond = f" WHERE {where}" if where else ""
    exprs = column_texts(columns, key)
    if texts:
        return f"SELECT {', '.join(exprs)} FROM {files_source(files)}{cond}"
    sums = ", ".join(f"SUM(CAST('0x' || RIGHT(MD5({e}), 12) AS BIGINT))" for e in exprs)
    return f"SELECT COUNT(*), {sums} FROM {files_source(files)}{cond}"


def rows_sql(files: Sequence[str], columns: Sequence[tuple[str, str]], where: str | None = None) -> str:
    fields = ", ".join(canonical(n, t) for n, t in columns)
    return f"SELECT {fields} FROM {files_source(files)}" + (f" WHERE {where}" if where else "")


def quantiles_sql(files: Sequence[str], key: str, n: int, where: str | None = None) -> str:
    """`n - 1` cut points splitting the key's values into about `n` equal parts."""
    fractions = ", ".join(str(i / n) for i in range(1, n))
    cond = f" WHERE {where}" if where else ""
    return f"SELECT QUANTILE_DISC({quote(key)}, [{fractions}]) FROM {files_source(files)}{cond}"
