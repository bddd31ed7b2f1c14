"""The event stream: what a run tells every face. Small frozen dataclasses; faces only render them."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Event:
    run_id: str
    at: float = field(default_factory=time.time, kw_only=True)

    @property
    def kind(self) -> str:
        return type(self).__name__

    def to_dict(self) -> dict[str, Any]:
        return {"event": self.kind, **asdict(self)}


@dataclass(frozen=True)
class RunStarted(Event):
    tables: tuple[str, ...]
    output: str


@dataclass(frozen=True)
class SparkReady(Event):
    seconds: float  # how long starting (or attaching to) Spark took
    master: str


@dataclass(frozen=True)
class TablePlanned(Event):
    table: str
    strategy: str
    column: str | None
    partitions: int
    estimated_rows: int | None


@dataclass(frozen=True)
class TableStarted(Event):
    table: str
    partitions: int
    estimated_rows: int | None


@dataclass(frozen=True)
class TableProgress(Event):
    table: str
    partitions_done: int
    partitions_total: int
    rows: int | None  # rows so far; estimated from finished partitions while running
    rows_per_second: float | None
    elapsed: float


@dataclass(frozen=True)
class TableFinished(Event):
    table: str
    rows: int
    files: int
    bytes: int
    seconds: float
    path: str


@dataclass(frozen=True)
class TableFailed(Event):
    table: str
    error: str  # one sentence, never a secret
    seconds: float


@dataclass(frozen=True)
class TableCancelled(Event):
    table: str
    seconds: float  # nothing of it was published; what was published before is untouched


@dataclass(frozen=True)
class LogLine(Event):
    level: str
    message: str
    table: str | None = None
    logger: str = "data_extractor"


@dataclass(frozen=True)
class RunFinished(Event):
    succeeded: tuple[str, ...]
    failed: tuple[str, ...]
    cancelled: tuple[str, ...]
    seconds: float


@dataclass(frozen=True)
class TableVerified(Event):
    """`data-extractor verify` compared a published table (or window) with its source."""

    table: str
    equal: bool
    rows: int  # rows in the published Parquet
    differences: int  # differing rows found (a lower bound when the search stopped at its limit)
    seconds: float
    summary: str  # one line for humans
