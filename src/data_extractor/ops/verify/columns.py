"""The cheap second look at a differing partition: which columns differ (per-column checksums over its differing
key segments, both sides), and, for a table without a key, which rows are on one side only (a multiset)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from data_extractor.ops.verify.report import CellDiff, RowDiff
from data_extractor.ops.verify.sums import hash_sum
from data_extractor.source.dialects import parquet_checksum as pq_sql

if TYPE_CHECKING:
    from data_extractor.ops.verify.table import TableCheck

Range = tuple[Any, Any]


def differing_columns(check: TableCheck, con: Any, conn: Any, index: int, predicate: str | None,
                      ranges: Sequence[Range]) -> tuple[list[str], int, int]:
    """(columns whose checksums differ, source rows, Parquet rows) over `ranges` of the key (or the whole
    partition without a key). Columns are named only when both sides hold as many rows: a row on one side only
    changes every column's sum."""
    files = check._files(index)
    key = [check.columns[i] for i in check.key_pos]
    src_extra, pq_cond, params = _any_range(check, ranges)
    sql = check.cs.columns_sql(check.ref, check.columns, [check.where, predicate, src_extra], check.as_of, key)
    src_row = check.dialect.fetch_all(conn, sql)[0]
    src = [int(v or 0) for v in src_row]
    pairs = [(c.name, c.spark_type) for c in key]
    pq = _parquet_columns(check, con, files, pairs, pq_cond, params) if files else [0] * len(src)
    if src[0] != pq[0]:
        return [], src[0], pq[0]
    names = [c.name for j, c in enumerate(check.columns) if src[j + 1] != pq[j + 1]]
    return names, src[0], pq[0]


def _any_range(check: TableCheck, ranges: Sequence[Range]) -> tuple[str | None, str | None, list[Any]]:
    """The source condition and the DuckDB condition (with its parameters) for a key in any of `ranges`."""
    if check.key is None or not ranges or any(r == (None, None) for r in ranges):
        return None, None, []
    key_sql = check.dialect.quote(check.key.name)
    src = [check.cs.range_condition(key_sql, lo, hi) for lo, hi in ranges]
    conds, params = [], []
    for lo, hi in ranges:
        cond, ps = check._range_sql(lo, hi)
        conds.append(f"({cond})")
        params += ps
    return " OR ".join(f"({c})" for c in src), " OR ".join(conds), params


def _parquet_columns(check: TableCheck, con: Any, files: list[str], key: list[tuple[str, str]], cond: str | None,
                     params: list[Any]) -> list[int]:
    if check.cs.row_hash != "pg_lookup3":
        row = con.execute(pq_sql.columns_sql(files, check.pairs, key, cond), params).fetchall()[0]
        return [int(v or 0) for v in row]
    sums = [0] * (len(check.pairs) + 1)
    reader = con.sql(pq_sql.columns_sql(files, check.pairs, key, cond, texts=True), params=params)
    for batch in reader.to_arrow_reader(100_000):
        sums[0] += batch.num_rows
        for j in range(batch.num_columns):
            sums[j + 1] += hash_sum(batch.column(j))
    return sums


def multiset_rows(check: TableCheck, src_rows: Sequence[Sequence[Any]], pq_rows: Sequence[Sequence[Any]],
                  limit: int) -> list[RowDiff]:
    """Rows of a table without a key on one side only (or more often on one side), up to `limit`, in a stable
    order; every column shown, the other side's value as NULL."""
    def texts(rows: Sequence[Sequence[Any]]) -> Counter[tuple[str | None, ...]]:
        return Counter(tuple(None if v is None else str(v) for v in r) for r in rows)

    src, pq = texts(src_rows), texts(pq_rows)
    out: list[RowDiff] = []
    for row in sorted(set(src) | set(pq), key=lambda r: tuple((v is not None, v or "") for v in r)):
        n_src, n_pq = src.get(row, 0), pq.get(row, 0)
        if n_src == n_pq:
            continue
        more = f" ({abs(n_src - n_pq)} more time(s) than on the other side)" if n_src and n_pq else ""
        if n_src > n_pq:
            cells = [CellDiff(c.name, v, None) for c, v in zip(check.columns, row, strict=True)]
            out.append(RowDiff({}, "missing from the Parquet" + more, cells))
        else:
            cells = [CellDiff(c.name, None, v) for c, v in zip(check.columns, row, strict=True)]
            out.append(RowDiff({}, "not in the source" + more, cells))
        if len(out) >= limit:
            break
    return out
