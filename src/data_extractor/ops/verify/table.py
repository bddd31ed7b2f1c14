"""Verify one published table (or window): checksums per partition of its plan, then bisection down to rows.

1. Per partition of the published plan: the source computes (count, sum of row hashes) in SQL, under the
   extraction's filter (and AS OF its flashback snapshot when it had one), while DuckDB computes the same over
   the partition's Parquet files in one pass for all partitions.
2. A partition whose numbers differ is split by its key into up to FACTOR segments (cuts at the Parquet side's
   quantiles), each side summing per segment in one query; differing segments are split again until they hold
   at most LEAF rows.
3. Those rows are fetched from both sides as canonical text and compared column by column.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from data_extractor.errors import one_line
from data_extractor.ops.verify.columns import differing_columns, multiset_rows
from data_extractor.ops.verify.report import NOW_NOTE, CellDiff, PartitionDiff, RowDiff, TableVerdict
from data_extractor.ops.verify.sums import sum_texts
from data_extractor.source.dialects import parquet_checksum as pq_sql
from data_extractor.source.dialects.base import ColumnInfo, Literal, TableRef
from data_extractor.source.dialects.checksum import ChecksumSQL, kind_of

FACTOR = 32  # segments per bisection step
LEAF = 5_000  # rows fetched from each side once a segment is this small (fetching is cheaper than a level)
FETCH_CAP = 200_000  # never fetch more rows than this for one segment
SPLITTABLE = ("int", "decimal", "date", "timestamp", "ntz", "string")
BATCH_ROWS = 100_000  # row texts hashed per numpy pass (PostgreSQL sources)
PARQUET_THREADS = 2  # partitions whose Parquet side is summed at once (DuckDB threads, numpy hashing)
MULTISET_CAP = 200_000  # rows a side of a differing partition without a key fetched for a multiset comparison
Sums = dict[int, tuple[int, int]]
PqSums = dict[tuple[int, int], tuple[int, int]]


class TableCheck:
    def __init__(self, label: str, folder: str, manifest: dict[str, Any], files: list[str], dialect: Any,
                 checksum: ChecksumSQL, key_columns: list[str], *, max_rows: int = 10, threads: int = 2,
                 progress: Callable[[int, int], None] | None = None) -> None:
        self.label, self.folder, self.m, self.files = label, folder, manifest, files
        self.dialect, self.cs = dialect, checksum
        self.columns = [ColumnInfo(c["name"], c.get("source_type") or "", c["type"], c.get("nullable", True))
                        for c in manifest["columns"]]
        self.pairs = [(c.name, c.spark_type) for c in self.columns]
        names = [c.name for c in self.columns]
        self.key_pos = [names.index(k) for k in key_columns if k in names]
        self.key = self.columns[self.key_pos[0]] if self.key_pos else None
        plan = manifest.get("plan") or {}
        self.ref = TableRef(plan.get("schema"), plan.get("name") or manifest.get("table", ""), plan.get("query"))
        self.where = manifest.get("where")
        self.as_of = checksum.as_of(manifest.get("snapshot"))
        self.max_rows, self.threads, self.progress = max_rows, threads, progress
        self.parts = self._partitions(plan)

    # ------------------------------------------------------------ partitions
    def _partitions(self, plan: dict[str, Any]) -> list[tuple[int, str | None, list[str]]]:
        """(index, source predicate, its Parquet files); one whole-table partition when files are not mapped."""
        stats = {int(s["partition"]): s.get("files") for s in self.m.get("partition_stats") or []}
        preds = [(int(p["index"]), p.get("predicate")) for p in plan.get("partitions") or []]
        if preds and all(stats.get(i) is not None for i, _ in preds):
            return [(i, pred, [os.path.join(self.folder, f) for f in stats[i]]) for i, pred in preds]
        return [(0, None, list(self.files))]

    # --------------------------------------------------------------- sides
    def _connect(self) -> Any:
        conn = self.dialect.connect()
        self.cs.prepare(conn)
        return conn

    def _source_sums(self, conn: Any, predicate: str | None, extra: str | None = None,
                     cuts: Sequence[Literal] = ()) -> Sums:
        sql = self.cs.checksum_sql(self.ref, self.columns, [self.where, predicate, extra], self.as_of,
                                   self.key if cuts else None, cuts)
        return {int(s): (int(n), int(h or 0)) for s, n, h in self.dialect.fetch_all(conn, sql)}

    def _parquet_sums(self, con: Any, files: list[str], part_of: dict[str, int], cond: str | None = None,
                      params: Sequence[Any] = (), cuts: Sequence[Any] = (), close: bool = False) -> PqSums:
        """(count, sum of row hashes) per (partition, segment); `close` closes `con` (a thread's cursor)."""
        try:
            return self._parquet_sums_on(con, files, part_of, cond, params, cuts)
        finally:
            if close:
                con.close()

    def _parquet_sums_on(self, con: Any, files: list[str], part_of: dict[str, int], cond: str | None,
                         params: Sequence[Any], cuts: Sequence[Any]) -> PqSums:
        if not files:
            return {}
        key = self.key.name if cuts and self.key else None
        if self.cs.row_hash == "pg_lookup3":
            sql = pq_sql.checksum_sql(files, self.pairs, part_of, key, len(cuts), cond, texts=True)
            return sum_texts(con.sql(sql, params=[*cuts, *params]).to_arrow_reader(BATCH_ROWS))
        sql = pq_sql.checksum_sql(files, self.pairs, part_of, key, len(cuts), cond)
        rows = con.execute(sql, [*cuts, *params]).fetchall()  # the cuts' ? come first, in the SELECT
        return {(int(p), int(s)): (int(n), int(h or 0)) for p, s, n, h in rows}

    # ----------------------------------------------------------------- run
    def run(self) -> TableVerdict:
        t0 = time.monotonic()
        verdict = TableVerdict(self.label, self.folder, "equal", int(self.m.get("rows", 0)), len(self.parts),
                               as_of=self.as_of)
        if not self.as_of:
            verdict.notes.append(NOW_NOTE)
        if self.key is None:
            verdict.notes.append("the table has no primary key among its columns: a differing partition is "
                                 f"compared as a multiset of rows when it holds at most {MULTISET_CAP:,} rows")
        elif kind_of(self.key.spark_type) not in SPLITTABLE:
            verdict.notes.append(f"the key {self.key.name} ({self.key.spark_type}) cannot be split into ranges: "
                                 "differing partitions are compared whole")
        elif kind_of(self.key.spark_type) == "string":
            verdict.notes.append(f"the key {self.key.name} is text: its ranges follow the source's collation, "
                                 "which DuckDB may order differently (a row then shows as missing on one side)")
        con = pq_sql.connect()
        try:
            # each partition is summed per key segment in the same scan, so a difference is narrowed to
            # 1/FACTOR of a partition before any bisection starts
            cuts = {i: self._cuts(con, fs, None) for i, _p, fs in self.parts}
            src_sums, pq_sums = self._first_pass(con, cuts)
            for i, pred, _fs in self.parts:
                self._compare_partition(con, verdict, i, pred, src_sums[i], pq_sums[i], cuts[i])
        finally:
            con.close()
        if verdict.differences:
            verdict.status = "differs"
        verdict.seconds = round(time.monotonic() - t0, 3)
        return verdict

    def _first_pass(self, con: Any, cuts: dict[int, list[Any]], only: str | None = None
                    ) -> tuple[dict[int, Sums], dict[int, PqSums]]:
        """Every partition's per-segment sums on both sides at once: the source's on `threads` connections (a
        partition split into contiguous runs of its segments when there are fewer partitions than connections),
        the Parquet side's on its own threads, overlapped with the source's. `only` ("source" or "parquet", for
        bench/bench_verify.py) computes one side."""
        units = [(i, pred, run) for i, pred, _fs in self.parts
                 for run in _runs(len(cuts[i]) + 1, max(1, self.threads // len(self.parts)))]
        src: dict[int, Sums] = {i: {} for i, _p, _fs in self.parts}
        pq: dict[int, PqSums] = {}
        src_pool = ThreadPoolExecutor(max(1, min(self.threads, len(units))), thread_name_prefix="dx-verify-src")
        pq_pool = ThreadPoolExecutor(max(1, min(PARQUET_THREADS, len(self.parts))), thread_name_prefix="dx-verify-pq")
        try:
            src_futs = [(i, src_pool.submit(self._unit_sums, pred, cuts[i], run)) for i, pred, run in units
                        if only != "parquet"]
            lock = threading.Lock()

            def parquet(files: list[str], i: int) -> PqSums:
                with lock:  # a DuckDB cursor per task, opened when it starts (not one per partition at once)
                    cursor = con.cursor()
                return self._parquet_sums(cursor, files, {f: i for f in files}, None, (), cuts[i], True)

            pq_futs = [(i, pq_pool.submit(parquet, fs, i)) for i, _p, fs in self.parts if only != "source"]
            for done, (i, _p, _fs) in enumerate(self.parts, 1):  # progress as each partition's sides are in
                pq.update((j, fut.result()) for j, fut in pq_futs if j == i)
                for j, fut in src_futs:
                    if j == i:
                        src[i].update(fut.result())
                if self.progress:
                    self.progress(done, len(self.parts))
        finally:
            src_pool.shutdown(wait=True, cancel_futures=True)
            pq_pool.shutdown(wait=True, cancel_futures=True)
        return src, pq

    def _unit_sums(self, predicate: str | None, cuts: list[Any], run: tuple[int, int]) -> Sums:
        """The source's sums of segments run[0] .. run[1] - 1 of a partition cut at `cuts`, numbered as in the
        whole partition."""
        first, end = run
        bounds = [None, *cuts, None]
        extra = None
        if (first, end) != (0, len(cuts) + 1):
            assert self.key is not None
            extra = self.cs.range_condition(self.dialect.quote(self.key.name), bounds[first], bounds[end])
        conn = self._connect()
        try:
            sums = self._source_sums(conn, predicate, extra, cuts[first: end - 1])
        finally:
            conn.close()
        return {first + g: v for g, v in sums.items()}

    def _compare_partition(self, con: Any, verdict: TableVerdict, index: int, predicate: str | None, src: Sums,
                           pq: dict[tuple[int, int], tuple[int, int]], cuts: list[Any]) -> None:
        segs = range(len(cuts) + 1)
        s_rows = sum(src.get(g, (0, 0))[0] for g in segs)
        p_rows = sum(pq.get((index, g), (0, 0))[0] for g in segs)
        differing = [g for g in segs if src.get(g, (0, 0)) != pq.get((index, g), (0, 0))]
        if not differing:
            return
        diff = PartitionDiff(index, predicate, s_rows, p_rows, [None, None])
        verdict.differences.append(diff)
        bounds = [None, *cuts, None]
        seg_ranges = [(bounds[g], bounds[g + 1]) for g in differing]
        ranges: list[tuple[Any, Any]] = []
        # per-column checksums of the differing segments name the columns before any row is fetched; they run on
        # their own connection and DuckDB cursor, overlapped with the bisection
        with ThreadPoolExecutor(1, thread_name_prefix="dx-verify-cols") as pool:
            columns = pool.submit(self._columns, con.cursor(), index, predicate, seg_ranges)
            conn = self._connect()
            try:
                if self.key is None:
                    diff.columns, seg_src, seg_pq = columns.result()
                    self._multiset(con, conn, diff, index, predicate, max(seg_src, seg_pq), verdict)
                elif sum(len(d.rows) for d in verdict.differences) >= self.max_rows:
                    diff.note = "not searched: the row limit was reached"
                else:
                    for g in differing:
                        rows = max(src.get(g, (0, 0))[0], pq.get((index, g), (0, 0))[0])
                        self._bisect(con, conn, diff, index, predicate, bounds[g], bounds[g + 1], rows, ranges)
            finally:
                conn.close()
            diff.columns = columns.result()[0]
        if ranges:
            los, his = [r[0] for r in ranges], [r[1] for r in ranges]
            diff.key_range = [None if None in los else str(min(los)), None if None in his else str(max(his))]

    def _columns(self, cursor: Any, index: int, predicate: str | None,
                 ranges: list[tuple[Any, Any]]) -> tuple[list[str], int, int]:
        """`differing_columns` on a connection of its own; closes `cursor` (a DuckDB cursor of this thread)."""
        conn = self._connect()
        try:
            return differing_columns(self, cursor, conn, index, predicate, ranges)
        finally:
            conn.close()
            cursor.close()

    def _multiset(self, con: Any, conn: Any, diff: PartitionDiff, index: int, predicate: str | None, rows: int,
                  verdict: TableVerdict) -> None:
        """A partition of a table without a key: its rows on one side only, when it is small enough to fetch."""
        left = self.max_rows - sum(len(d.rows) for d in verdict.differences)
        if rows > MULTISET_CAP:
            diff.note = (f"no primary key and {rows:,} rows, more than the {MULTISET_CAP:,} compared as a multiset: "
                         "the differing rows are not named")
            return
        if left <= 0:
            diff.note = "not searched: the row limit was reached"
            return
        diff.fetches += 1
        src_rows = self.dialect.fetch_all(
            conn, self.cs.rows_sql(self.ref, self.columns, [self.where, predicate], self.as_of))
        files = self._files(index)
        pq_rows = con.execute(pq_sql.rows_sql(files, self.pairs)).fetchall() if files else []
        diff.rows.extend(multiset_rows(self, src_rows, pq_rows, left))
        diff.note = "no primary key: rows compared as a multiset (a changed row shows as one row on each side)"

    def _cuts(self, con: Any, files: list[str], lo: Any, hi: Any = None, rows: int | None = None) -> list[Any]:
        """Up to FACTOR - 1 cut points of the key inside [lo, hi), at the Parquet side's quantiles."""
        if self.key is None or kind_of(self.key.spark_type) not in SPLITTABLE or not files:
            return []
        if rows is not None and rows <= LEAF:
            return []
        cond, params = self._range_sql(lo, hi)
        # fetchall: a result left unread (fetchone) makes DuckDB refuse the connection's next statement
        rows = con.execute(pq_sql.quantiles_sql(files, self.key.name, FACTOR, cond), params).fetchall()
        found = rows[0][0] if rows else None
        return sorted({c for c in (found or []) if c is not None and (lo is None or c > lo)
                       and (hi is None or c < hi)})

    # ------------------------------------------------------------ bisection
    def _files(self, index: int) -> list[str]:
        return next(fs for i, _p, fs in self.parts if i == index)

    def _range_sql(self, lo: Any, hi: Any) -> tuple[str | None, list[Any]]:
        """The DuckDB condition for [lo, hi) on the key, with its parameters."""
        if self.key is None:
            return None, []
        q = pq_sql.quote(self.key.name)
        conds, params = [], []
        if lo is not None:
            conds.append(f"{q} >= ?")
            params.append(lo)
        if hi is not None:
            conds.append(f"{q} < ?")
            params.append(hi)
        return (" AND ".join(conds) or None), params

    def _bisect(self, con: Any, conn: Any, diff: PartitionDiff, index: int, predicate: str | None,
                lo: Any, hi: Any, rows: int, ranges: list[tuple[Any, Any]]) -> None:
        if len(diff.rows) >= self.max_rows:
            return
        assert self.key is not None
        files = self._files(index)
        cond, params = self._range_sql(lo, hi)
        cuts = self._cuts(con, files, lo, hi, rows)
        if not cuts:
            if rows > FETCH_CAP:
                diff.note = f"a segment of {rows:,} rows could not be split further; its rows were not fetched"
                ranges.append((lo, hi))
                return
            diff.fetches += 1
            found_rows = self._compare_rows(con, conn, index, predicate, lo, hi)
            if found_rows:
                ranges.append((lo, hi))
                diff.rows.extend(found_rows[: self.max_rows - len(diff.rows)])
            return
        key_sql = self.dialect.quote(self.key.name)
        src = self._source_sums(conn, predicate, self.cs.range_condition(key_sql, lo, hi), cuts)
        pq = self._parquet_sums(con, files, {f: index for f in files}, cond, params, cuts)
        bounds = [lo, *cuts, hi]
        for seg in range(len(cuts) + 1):
            s, p = src.get(seg, (0, 0)), pq.get((index, seg), (0, 0))
            if s != p:
                self._bisect(con, conn, diff, index, predicate, bounds[seg], bounds[seg + 1], max(s[0], p[0]),
                             ranges)
            if len(diff.rows) >= self.max_rows:
                return

    # ---------------------------------------------------------------- rows
    def _compare_rows(self, con: Any, conn: Any, index: int, predicate: str | None, lo: Any,
                      hi: Any) -> list[RowDiff]:
        key_sql = self.dialect.quote(self.key.name) if self.key else ""
        extra = self.cs.range_condition(key_sql, lo, hi) if self.key else None
        src_rows = self.dialect.fetch_all(
            conn, self.cs.rows_sql(self.ref, self.columns, [self.where, predicate, extra], self.as_of))
        cond, params = self._range_sql(lo, hi) if self.key else (None, [])
        files = self._files(index)
        pq_rows = con.execute(pq_sql.rows_sql(files, self.pairs, cond), params).fetchall() if files else []
        return self.diff_rows(src_rows, pq_rows)

    def _key_of(self, row: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(row[i] for i in self.key_pos)

    def _sort_key(self, key: tuple[Any, ...]) -> tuple[Any, ...]:
        out: list[Any] = []
        for i, v in zip(self.key_pos, key, strict=True):
            if v is None:
                out.append((0, 0))
            elif kind_of(self.columns[i].spark_type) == "int":
                out.append((1, int(v)))
            else:
                out.append((1, v))
        return tuple(out)

    def diff_rows(self, src_rows: Sequence[Sequence[Any]], pq_rows: Sequence[Sequence[Any]]) -> list[RowDiff]:
        """Rows differing between the two sides, by key, in key order, with the columns that differ."""
        def index(rows: Sequence[Sequence[Any]]) -> tuple[dict[tuple[Any, ...], Sequence[Any]], set[Any]]:
            out: dict[tuple[Any, ...], Sequence[Any]] = {}
            dupes: set[Any] = set()
            for r in rows:
                k = self._key_of(r)
                if k in out:
                    dupes.add(k)
                out[k] = r
            return out, dupes

        src, src_d = index(src_rows)
        pq, pq_d = index(pq_rows)
        out: list[RowDiff] = []
        for k in sorted(set(src) | set(pq), key=self._sort_key):
            key = {self.columns[i].name: v for i, v in zip(self.key_pos, k, strict=True)}
            if k in src_d or k in pq_d:
                out.append(RowDiff(key, "duplicate key"))
            elif k not in pq:
                out.append(RowDiff(key, "missing from the Parquet",
                                   [CellDiff(c.name, src[k][j], None) for j, c in enumerate(self.columns)
                                    if j not in self.key_pos]))
            elif k not in src:
                out.append(RowDiff(key, "not in the source",
                                   [CellDiff(c.name, None, pq[k][j]) for j, c in enumerate(self.columns)
                                    if j not in self.key_pos]))
            else:
                cells = [CellDiff(c.name, src[k][j], pq[k][j]) for j, c in enumerate(self.columns)
                         if _text(src[k][j]) != _text(pq[k][j])]
                if cells:
                    out.append(RowDiff(key, "changed", cells))
        return out


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def failed(label: str, folder: str, exc: BaseException) -> TableVerdict:
    return TableVerdict(label, folder, "failed", error=one_line(exc))


def _runs(segments: int, n: int) -> list[tuple[int, int]]:
    """`segments` split into up to `n` contiguous runs [first, end) of about equal length."""
    n = max(1, min(n, segments))
    edges = [round(k * segments / n) for k in range(n + 1)]
    return [(a, b) for a, b in zip(edges, edges[1:], strict=False) if b > a]
