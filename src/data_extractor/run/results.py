"""What a run returns: one result per table, and the run's summary (plain data, JSON-ready)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class TableResult:
    table: str
    status: str  # succeeded | failed | cancelled
    rows: int = 0
    files: int = 0
    bytes: int = 0
    seconds: float = 0.0
    path: str | None = None
    error: str | None = None
    strategy: str | None = None
    partitions: int | None = None
    detail: str | None = None
    format: str = "parquet"  # parquet | delta | iceberg
    version: int | None = None  # Delta log version / Iceberg snapshot sequence number of the commit
    identifier: str | None = None  # Iceberg: namespace.table in the catalog
    metadata_location: str | None = None  # Iceberg: the committed metadata.json
    partitions_retried: int = 0  # partitions read again whole after a broken read
    partitions_reused: int = 0  # partitions an earlier (killed or failed) run finished, taken over


@dataclass
class RunResult:
    run_id: str
    tables: list[TableResult] = field(default_factory=list)
    seconds: float = 0.0
    spark_seconds: float | None = None

    @property
    def ok(self) -> bool:
        return bool(self.tables) and all(t.status == "succeeded" for t in self.tables)

    def to_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "ok": self.ok, "seconds": round(self.seconds, 3),
                "spark_start_seconds": self.spark_seconds, "tables": [asdict(t) for t in self.tables]}
