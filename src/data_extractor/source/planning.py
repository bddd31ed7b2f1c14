"""Partition planning: how one table is split into parallel reads.

A `PartitionPlan` is plain data: a list of SQL predicates that together cover every row of the
table exactly once (NULLs in the partition column included), with estimated rows for each.
"""

from __future__ import annotations

import bisect
import datetime as dt
import decimal
import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import ValidationError

from data_extractor.config.models import ExtractorConfig, PartitioningConfig, Strategy
from data_extractor.errors import UserError
from data_extractor.source.catalog import Catalog
from data_extractor.source.dialects.base import ColumnInfo, Dialect, Distribution, TableRef

_INTEGER = ("tinyint", "smallint", "int", "bigint")


@dataclass(frozen=True)
class Partition:
    index: int
    predicate: str | None  # None: the whole table
    estimated_rows: int | None = None


@dataclass
class PartitionPlan:
    table: str  # as configured
    schema: str | None
    name: str  # the catalog's spelling
    strategy: str
    column: str | None
    partitions: list[Partition]
    estimated_rows: int | None
    skew: float | None  # largest / mean of the estimated rows
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    query: str | None = None  # a custom query's SELECT

    @property
    def ref(self) -> TableRef:
        return TableRef(self.schema, self.name, self.query)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PartitionPlan:
        data = dict(data)
        data["partitions"] = [Partition(**p) for p in data["partitions"]]
        return cls(**data)


def _num(value: Any) -> float:
    """A number that orders like `value`, for interpolation."""
    if isinstance(value, dt.datetime):
        return value.timestamp() if value.tzinfo else value.replace(tzinfo=dt.timezone.utc).timestamp()
    if isinstance(value, dt.date):
        return float(value.toordinal())
    return float(value)


def _from_num(x: float, like: Any, column: ColumnInfo) -> Any:
    if isinstance(like, dt.datetime):
        tz = like.tzinfo
        out = dt.datetime.fromtimestamp(round(x, 6), tz=dt.timezone.utc)
        return out.astimezone(tz) if tz else out.replace(tzinfo=None)
    if isinstance(like, dt.date):
        return dt.date.fromordinal(math.ceil(x))
    if column.spark_type in _INTEGER or isinstance(like, int):
        return math.ceil(x)
    if isinstance(like, decimal.Decimal) and column.spark_type.startswith("decimal"):
        scale = int(column.spark_type.split(",")[1].rstrip(")"))
        return decimal.Decimal(repr(x)).quantize(decimal.Decimal(1).scaleb(-scale), rounding=decimal.ROUND_CEILING)
    return x


class Cdf:
    """Interpolated cumulative distribution over a Distribution's points."""

    def __init__(self, dist: Distribution, column: ColumnInfo) -> None:
        self.points = dist.points
        self.column = column
        self.numeric = bool(self.points) and not isinstance(self.points[0][0], str)
        self.xs = [_num(v) for v, _ in self.points] if self.numeric else [v for v, _ in self.points]
        self.cs = [c for _, c in self.points]

    def below(self, value: Any) -> float:
        """Fraction of non-NULL rows with a value < `value`."""
        if not self.points:
            return 0.0
        x = _num(value) if self.numeric else value
        if not self.numeric and x in self.xs:  # text points follow the collation's order, not Python's
            return self.cs[self.xs.index(x)]
        j = bisect.bisect_left(self.xs, x)
        if j == 0:
            return 0.0
        if j >= len(self.xs):
            return 1.0
        x0, x1, c0, c1 = self.xs[j - 1], self.xs[j], self.cs[j - 1], self.cs[j]
        if x == x1:  # on a point (a text cut always is): as numbers interpolate, not one bucket short
            return c1
        if not self.numeric or x1 == x0:
            return c0
        return c0 + (c1 - c0) * (x - x0) / (x1 - x0)

    def quantile(self, q: float) -> Any:
        """The smallest value with about a fraction `q` of the rows below it."""
        j = bisect.bisect_left(self.cs, q)
        j = min(max(j, 1), len(self.points) - 1)
        (v0, c0), (v1, c1) = self.points[j - 1], self.points[j]
        if not self.numeric or c1 == c0:
            return v1
        x = _num(v0) + (_num(v1) - _num(v0)) * (q - c0) / (c1 - c0)
        return _from_num(x, v1, self.column)


class Planner:
    def __init__(self, config: ExtractorConfig, dialect: Dialect, catalog: Catalog) -> None:
        self.config = config
        self.dialect = dialect
        self.catalog = catalog

    def plan(
        self,
        table: str,
        strategy: Strategy | None = None,
        partitions: int | None = None,
        column: str | None = None,
        extra_where: str | None = None,
    ) -> PartitionPlan:
        entry = self.config.table(table)
        if extra_where:
            entry = entry.model_copy(update={"where": f"({entry.where}) AND ({extra_where})" if entry.where
                                              else extra_where})
        part = self.config.partitioning_for(entry)
        overrides = {k: v for k, v in (("strategy", strategy), ("partitions", partitions), ("column", column))
                     if v is not None}
        if overrides:
            try:
                part = PartitioningConfig(**{**part.model_dump(), **overrides})
            except ValidationError as exc:  # an API caller's override, e.g. partitions=0
                err = exc.errors()[0]
                raise UserError(f"{err['loc'][0]} {err['input']!r} is not valid: {err['msg']}") from None
        ref = TableRef(None, entry.name, entry.query) if entry.query else self.catalog.resolve(entry.name)
        self.catalog.select_columns(ref, entry.columns)  # unknown columns fail here, before any read
        all_cols = self.catalog.columns_of(ref)
        conn = self.catalog.connection()
        notes: list[str] = []
        est = self.catalog.estimate(ref).rows
        if extra_where:  # a window of the table: count it (the window's column is usually indexed)
            est = int(self.dialect.fetch_one(conn, self.dialect.count_sql(ref, entry.where))[0])
            notes.append("rows counted in the window")
        if est is None:
            est = int(self.dialect.fetch_one(conn, self.dialect.count_sql(ref))[0])
            notes.append("no statistics: rows counted with COUNT(*) (ANALYZE the table for faster plans)")
        if entry.where:
            notes.append(f"filter applied to every partition: {entry.where}")
        n = part.partitions or max(1, min(part.max_partitions, math.ceil(est / part.target_rows)))
        chosen = part.strategy
        key: ColumnInfo | None = None
        if part.column:
            key = self._column(ref, all_cols, part.column)
        if chosen == "auto" and self._pages_once(conn, n, part, ref, entry.where or extra_where):
            chosen, why = "physical", "page ranges, each read once (exact within the run's snapshot)"
            notes.append(f"auto: {why}")
        elif chosen == "auto":
            chosen, key, why = self._auto(est, n, part, key, all_cols, bool(ref.query))
            notes.append(f"auto: {why}")
        builder = {"none": self._none, "range": self._range, "balanced": self._balanced,
                   "hash": self._hash, "physical": self._physical}[chosen]
        plan = PartitionPlan(entry.name, ref.schema, ref.name, chosen, key.name if key else None, [], est, None,
                             notes=notes, query=ref.query)
        if ref.query and chosen == "physical":
            raise UserError(f"strategy physical needs a table, and {entry.name} is a query; "
                            "use balanced, range or hash with partitioning.column")
        if chosen in ("range", "balanced", "hash") and key is None:
            key = self._default_key(all_cols)
            if key is None:
                raise UserError(
                    f"strategy {chosen} on {entry.name} needs a column: set partitioning.column "
                    "(or use strategy physical or none)"
                )
            plan.column = key.name
        if chosen != "none" and key is not None and not key.indexed and chosen in ("range", "balanced"):
            plan.warnings.append(f"column {key.name} is not indexed: each partition may scan the whole table")
        builder(plan, conn, ref, key, n, entry.where)
        if len(plan.partitions) > 1 and getattr(self.dialect, "warns_snapshot", False):
            plan.warnings.append(self.dialect.snapshot_note)
        _finish(plan, n)
        return plan

    # -------------------------------------------------------------- choices
    def _column(self, ref: TableRef, cols: list[ColumnInfo], name: str) -> ColumnInfo:
        for c in cols:
            if c.name == name:
                return c
        same = [c for c in cols if c.name.lower() == name.lower()]
        if len(same) == 1:
            return same[0]
        raise UserError(f"partitioning column {name!r} was not found in table {ref}; check partitioning.column")

    @staticmethod
    def _default_key(cols: list[ColumnInfo]) -> ColumnInfo | None:
        pk = [c for c in cols if c.primary_key]
        if len(pk) >= 1 and pk[0].orderable:
            return sorted(pk, key=lambda c: c.primary_key or 0)[0]
        rank = {t: i for i, t in enumerate(("bigint", "int", "smallint", "timestamp", "timestamp_ntz", "date"))}
        indexed = [c for c in cols if c.indexed and (c.spark_type in rank or c.spark_type.startswith("decimal"))]
        indexed.sort(key=lambda c: rank.get(c.spark_type, len(rank)))
        return indexed[0] if indexed else None

    def _pages_once(self, conn: Any, n: int, part: PartitioningConfig, ref: TableRef, where: str | None) -> bool:
        """Split a whole table by physical address: only inside one snapshot (an UPDATE moves a row to
        another page, so without one it could be read twice or not at all), with no filter an index could
        serve better, no column chosen by the user, and a server that reads each range's pages alone."""
        return (n > 1 and self.config.snapshot.enabled and not ref.query and not where and not part.column
                and self.dialect.physical_reads_once(conn))

    def _auto(
        self, est: int, n: int, part: PartitioningConfig, key: ColumnInfo | None, cols: list[ColumnInfo],
        is_query: bool = False,
    ) -> tuple[str, ColumnInfo | None, str]:
        if n <= 1 and not part.partitions:
            return "none", None, f"about {est:,} rows fit one partition (target_rows {part.target_rows:,})"
        key = key or self._default_key(cols)
        if key is not None and key.orderable:
            why = "primary key" if key.primary_key else ("chosen column" if is_query or not key.indexed else "indexed")
            return "balanced", key, f"balanced on {key.name} ({why})"
        if is_query:
            return "none", None, "a query has no keys of its own: set partitioning.column to split it"
        if self.dialect.supports_physical:
            return "physical", None, "no usable key column: split by physical row address"
        if key is not None:
            return "hash", key, f"hash on {key.name}"
        return "none", None, "no key column and no physical split for this database: one partition"

    # ------------------------------------------------------------ strategies
    def _none(self, plan: PartitionPlan, conn: Any, ref: TableRef, key: Any, n: int, where: str | None) -> None:
        plan.partitions = [Partition(0, None, plan.estimated_rows)]

    def _distribution(self, conn: Any, ref: TableRef, key: ColumnInfo, where: str | None, est: int | None
                      ) -> Distribution:
        dist = None if where or ref.query else self.dialect.statistics_distribution(conn, ref, key)
        if dist is None or len(dist.points) < 2:
            dist = self.dialect.sample_distribution(conn, ref, key, where, est)
        return dist

    def _balanced(self, plan: PartitionPlan, conn: Any, ref: TableRef, key: ColumnInfo, n: int,
                  where: str | None) -> None:
        if not key.orderable:
            raise UserError(f"column {key.name} ({key.source_type}) cannot be split into ranges; "
                            "choose a number, date or text column, or strategy hash")
        dist = self._distribution(conn, ref, key, where, plan.estimated_rows)
        plan.notes.append(f"split points from {dist.note or dist.source}")
        if len(dist.points) < 2:
            plan.partitions = [Partition(0, None, plan.estimated_rows)]
            return
        cdf = Cdf(dist, key)
        # NULLs land in the first partition: place the cuts so that NULLs count towards its share.
        nf = dist.null_fraction
        targets = [(i / n - nf) / (1 - nf) if nf < 1 else 0.0 for i in range(1, n)]
        qs = [cdf.quantile(q) for q in targets if 0 < q < 1]
        if nf > 0 and any(q <= 0 for q in targets):
            qs.insert(0, dist.points[0][0])  # the first partition then holds the NULLs alone
        if cdf.numeric:
            cuts = sorted(set(qs), key=_sort_key)
        else:  # text keeps the distribution's order, the column's collation; Python's may differ ('Y' < 'x')
            cuts = [c for i, c in enumerate(qs) if i == 0 or c != qs[i - 1]]
        if len(cuts) < n - 1:
            plan.warnings.append(f"{key.name} has too few distinct values for {n} partitions: "
                                 f"{len(cuts) + 1} made")
        self._ranges(plan, key, cuts, cdf, dist.null_fraction)

    def _range(self, plan: PartitionPlan, conn: Any, ref: TableRef, key: ColumnInfo, n: int,
               where: str | None) -> None:
        if not key.numeric_or_temporal:
            raise UserError(f"strategy range needs a number or date column, and {key.name} is {key.source_type}; "
                            "use strategy balanced or hash")
        lo, hi, total, nonnull = self.dialect.fetch_one(conn, self.dialect.bounds_sql(ref, key.name, where))
        lo, hi = _typed(lo, key), _typed(hi, key)
        if lo is None:
            plan.partitions = [Partition(0, None, int(total))]
            return
        cuts = []
        for i in range(1, n):
            c = _from_num(_num(lo) + (_num(hi) - _num(lo)) * i / n, lo, key)
            if (not cuts or _sort_key(c) > _sort_key(cuts[-1])) and _sort_key(c) > _sort_key(lo):
                cuts.append(c)
        stats = None if where or ref.query else self.dialect.statistics_distribution(conn, ref, key)
        nulls = (total - nonnull) / total if total else 0.0
        if stats is None:
            plan.notes.append("no statistics: estimates assume values are spread evenly between MIN and MAX")
            stats = Distribution([(lo, 0.0), (hi, 1.0)], nulls, "bounds")
        plan.estimated_rows = int(total)
        self._ranges(plan, key, cuts, Cdf(stats, key), nulls)

    def _ranges(self, plan: PartitionPlan, key: ColumnInfo, cuts: list[Any], cdf: Cdf, nulls: float) -> None:
        preds = self.dialect.range_predicates(key.name, cuts)
        total = plan.estimated_rows or 0
        nonnull = total * (1 - nulls)
        edges = [0.0] + [cdf.below(c) for c in cuts] + [1.0]
        parts = []
        for i, pred in enumerate(preds):
            rows = nonnull * max(edges[i + 1] - edges[i], 0.0) + (total * nulls if i == 0 else 0)
            parts.append(Partition(i, pred, round(rows)))
        plan.partitions = parts

    def _hash(self, plan: PartitionPlan, conn: Any, ref: TableRef, key: ColumnInfo, n: int,
              where: str | None) -> None:
        preds = self.dialect.hash_predicates(key, n)
        each = (plan.estimated_rows or 0) / len(preds)
        plan.partitions = [Partition(i, p, round(each)) for i, p in enumerate(preds)]
        plan.notes.append("hash buckets are even in expectation; every partition scans the table")

    def _physical(self, plan: PartitionPlan, conn: Any, ref: TableRef, key: Any, n: int,
                  where: str | None) -> None:
        preds = self.dialect.physical_predicates(conn, ref, n)
        if preds is None:
            raise UserError(f"strategy physical is not available for {ref} on {self.dialect.name}; "
                            "use balanced, hash or none")
        plan.column = None
        each = (plan.estimated_rows or 0) / len(preds)
        plan.partitions = [Partition(i, p, round(each)) for i, p in enumerate(preds)]


def _typed(value: Any, column: ColumnInfo) -> Any:
    """A bound as its column's type: SQLite returns dates and timestamps as ISO text."""
    if isinstance(value, str) and column.spark_type == "date":
        return dt.date.fromisoformat(value[:10])
    if isinstance(value, str) and column.spark_type in ("timestamp", "timestamp_ntz"):
        return dt.datetime.fromisoformat(value)
    return value


def _sort_key(value: Any) -> Any:
    return _num(value) if not isinstance(value, str) else value


def _finish(plan: PartitionPlan, wanted: int) -> None:
    est = [p.estimated_rows or 0 for p in plan.partitions]
    mean = sum(est) / len(est) if est else 0
    plan.skew = round(max(est) / mean, 3) if mean else None
    if plan.skew and plan.skew > 2 and len(est) > 1:
        plan.warnings.append(f"partitions are skewed ({plan.skew:.1f}x the mean): try strategy balanced")
