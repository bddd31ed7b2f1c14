"""Messages that workers and the run's threads post; handlers on the screens and the app own the state.

Named in the past tense: each says what happened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:
    from data_extractor.output.history import PublishedTable
    from data_extractor.run import events as ev
    from data_extractor.run.state import TableState
    from data_extractor.source.dialects.base import ColumnInfo, TableInfo
    from data_extractor.source.planning import PartitionPlan

    from .choices import PlanChoice


@dataclass
class EngineFailed(Message):
    """Something the engine was asked failed; shown as an error notification."""

    message: str
    title: str = "Error"


@dataclass
class SchemasLoaded(Message):
    schemas: list[str]
    default: str | None


@dataclass
class TablesLoaded(Message):
    schema: str
    tables: list[TableInfo]


@dataclass
class TablesFailed(Message):
    schema: str
    reason: str


@dataclass
class ColumnsLoaded(Message):
    table: str
    info: TableInfo
    columns: list[ColumnInfo]


@dataclass
class PlanComputed(Message):
    table: str
    choice: PlanChoice
    plan: PartitionPlan | None
    columns: list[ColumnInfo]
    error: str | None = None


@dataclass
class SparkWarmed(Message):
    seconds: float | None  # None: it failed
    error: str | None = None


@dataclass
class RunLaunched(Message):
    handle: Any  # data_extractor.run.runner.RunHandle
    extractor: Any  # the Extractor the run uses (closed when the run ends)


@dataclass
class RunLaunchFailed(Message):
    reason: str


@dataclass
class RunEventReceived(Message):
    event: ev.Event


@dataclass
class HistoryLoaded(Message):
    tables: list[PublishedTable]
    root: str
    states: list[TableState] = field(default_factory=list)  # watermarks and last runs, from the state
