"""What one Spark task does: read one partition of a plan as Arrow batches (runs on executors)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from data_extractor.spark import reader_pool

if TYPE_CHECKING:
    import pyarrow as pa

    from data_extractor.source.dialects.base import ColumnInfo, Dialect, TableRef


@dataclass
class ReadSpec:
    """Everything a task needs, picklable: the dialect (with its config), the table, the predicates."""

    dialect: Dialect
    table: TableRef
    columns: list[ColumnInfo]
    predicates: list[str | None]
    where: str | None
    fetch_size: int
    retries: int = 2
    retry_wait: float = 1.0
    snapshot: str | None = None  # the run's snapshot token (PostgreSQL snapshot id, Oracle AS OF clause)

    def schema(self) -> pa.Schema:
        from data_extractor.source.typemap import arrow_schema

        return arrow_schema(self.columns)

    def sql(self, index: int) -> str:
        return self.dialect.read_sql(self.table, self.columns, self.predicates[index], self.where,
                                       snapshot=self.snapshot)


def read_partition(spec: ReadSpec, index: int, connect_retries: int | None = None, fresh: bool = False
                   ) -> Iterator[pa.RecordBatch]:
    """Yield the partition's rows as batches of `spec.schema()`.

    A connection failure before the first batch is retried (`connect_retries`, default `spec.retries`, with
    backoff); a failure after data has flowed is not: the Arrow-native writer reads the partition again whole
    (`partition_retry`), passing `connect_retries=0` (its own retries cover connecting) and, on a retry,
    `fresh=True` (a new connection, not one from the pool).
    """
    schema = spec.schema()
    retries = spec.retries if connect_retries is None else connect_retries
    # A snapshot binds a connection to one transaction: never pooled.
    reusable = spec.snapshot is None and spec.dialect.reuse_readers
    conn = reader_pool.take(spec.dialect) if reusable and not fresh else None
    attempt = 0
    while conn is None:
        try:
            conn = reader_pool.connect(spec.dialect) if reusable else spec.dialect.connect_reader()
        except Exception:
            attempt += 1
            if attempt > retries:
                raise
            time.sleep(spec.retry_wait * 2 ** (attempt - 1))
    finished = False
    try:
        spec.dialect.use_snapshot(conn, spec.snapshot)
        yield from spec.dialect.read_arrow(conn, spec.sql(index), schema, spec.fetch_size)
        finished = True
    finally:
        if finished and reusable:
            reader_pool.give_back(spec.dialect, conn)
        else:
            reader_pool.close(conn)
