"""What `verify` found: per table, per partition, per row; as text for people and as dicts for `--json`."""

from __future__ import annotations

import struct
from dataclasses import asdict, dataclass, field
from typing import Any

from data_extractor.source.dialects.checksum import SPEC_VERSION

NOW_NOTE = ("the source was read as it is now (the extraction recorded no flashback snapshot): differences may be "
            "changes made since the extraction, and the source values shown are the current ones")


@dataclass
class CellDiff:
    column: str
    source: str | None  # canonical text (None = NULL)
    parquet: str | None


@dataclass
class RowDiff:
    key: dict[str, str | None]
    kind: str  # changed | missing from the Parquet | not in the source | duplicate key
    cells: list[CellDiff] = field(default_factory=list)


@dataclass
class PartitionDiff:
    index: int
    predicate: str | None
    source_rows: int
    parquet_rows: int
    key_range: list[str | None]  # [low, high) of the key where the rows differ
    rows: list[RowDiff] = field(default_factory=list)
    note: str | None = None
    fetches: int = 0  # key ranges whose rows were fetched and compared (each up to 5,000 rows a side)
    columns: list[str] = field(default_factory=list)  # whose checksums differ (named when the counts agree)


@dataclass
class TableVerdict:
    table: str
    path: str
    status: str  # equal | differs | missing | failed
    rows: int = 0
    partitions: int = 0
    seconds: float = 0.0
    as_of: str | None = None  # the flashback clause the source was read with
    notes: list[str] = field(default_factory=list)
    differences: list[PartitionDiff] = field(default_factory=list)
    error: str | None = None

    @property
    def equal(self) -> bool:
        return self.status == "equal"

    def row_count(self) -> int:
        return sum(len(p.rows) for p in self.differences)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "spec_version": SPEC_VERSION}

    def summary(self) -> str:
        if self.status == "equal":
            return f"equal ({self.rows:,} rows, {self.partitions} partition(s))"
        if self.status in ("missing", "failed"):
            return f"{self.status}: {self.error}"
        return (f"differs: {len(self.differences)} partition(s), {self.row_count()} row(s) shown")


def show_value(value: str | None, kind: str) -> str:
    """A canonical value for people: NULL spelled out, a float's bits shown with its number."""
    if value is None:
        return "NULL"
    if kind == "float":
        try:
            number = struct.unpack(">d", struct.pack(">q", int(value)))[0]
            return f"{number!r} (bits {int(value) & (2**64 - 1):016x})"
        except (ValueError, struct.error):
            return value
    return repr(value)


def render(verdicts: list[TableVerdict], kinds: dict[str, dict[str, str]]) -> str:
    """Plain text, one block per table."""
    lines: list[str] = []
    for v in verdicts:
        lines.append(f"{v.table}: {v.summary()}  [{v.path}]")
        for note in v.notes:
            if note != NOW_NOTE or not v.equal:  # "read now" matters only to a difference
                lines.append(f"  note: {note}")
        if v.as_of:
            lines.append(f"  source read AS OF {v.as_of}")
        col_kinds = kinds.get(v.table, {})
        for p in v.differences:
            lo, hi = p.key_range
            lines.append(f"  partition {p.index} ({p.predicate or 'whole table'}): source {p.source_rows:,} rows, "
                         f"parquet {p.parquet_rows:,} rows; keys in [{lo or '-inf'}, {hi or '+inf'})")
            if p.columns:
                lines.append(f"    columns that differ: {', '.join(p.columns)}")
            if p.note:
                lines.append(f"    {p.note}")
            for r in p.rows:
                key = ", ".join(f"{k}={val}" for k, val in r.key.items())
                lines.append(f"    key {key}: {r.kind}" if r.key else f"    row: {r.kind}")
                for c in r.cells:
                    k = col_kinds.get(c.column, "string")
                    lines.append(f"      {c.column}: source {show_value(c.source, k)}, "
                                 f"parquet {show_value(c.parquet, k)}")
    return "\n".join(lines)
