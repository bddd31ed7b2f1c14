"""Watermarks and run history, one small JSON file per table under `{output}/_state/`.

Files are written atomically (temporary file, then rename), so a killed run leaves the last good
state. A watermark advances only after its window's data and manifest were published.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

HISTORY = 50  # runs kept per table
_lock = threading.Lock()


@dataclass
class TableState:
    table: str
    watermark: str | None = None  # ISO end of the last contiguous window published
    columns: list[dict[str, Any]] | None = None  # the columns of the last successful extraction
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def last(self) -> dict[str, Any] | None:
        return self.history[-1] if self.history else None


class StateStore:
    def __init__(self, output_root: str) -> None:
        self.folder = os.path.join(output_root, "_state")

    def _path(self, table: str) -> str:
        safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in table)
        return os.path.join(self.folder, f"{safe}.json")

    def load(self, table: str) -> TableState:
        try:
            with open(self._path(table), encoding="utf-8") as fh:
                data = json.load(fh)
        except FileNotFoundError:
            return TableState(table)
        except (OSError, ValueError) as exc:
            from .errors import ExtractorError

            raise ExtractorError(f"state file {self._path(table)} is unreadable ({exc}); "
                                 "restore it or delete it to start this table over") from None
        return TableState(table, data.get("watermark"), data.get("columns"), data.get("history", []))

    def save(self, state: TableState) -> None:
        os.makedirs(self.folder, exist_ok=True)
        path = self._path(state.table)
        tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
        state.history = state.history[-HISTORY:]
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(asdict(state), fh, indent=2, default=str)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)

    def record(self, table: str, entry: dict[str, Any], watermark: str | None = None,
               columns: list[dict[str, Any]] | None = None) -> TableState:
        """Append a run to the table's history (and move its watermark / columns when given)."""
        with _lock:
            state = self.load(table)
            state.history.append(entry)
            if watermark is not None:
                state.watermark = watermark
            if columns is not None:
                state.columns = columns
            self.save(state)
            return state

    def all(self) -> list[TableState]:
        if not os.path.isdir(self.folder):
            return []
        out = []
        for name in sorted(os.listdir(self.folder)):
            if name.endswith(".json"):
                with open(os.path.join(self.folder, name), encoding="utf-8") as fh:
                    data = json.load(fh)
                out.append(TableState(data["table"], data.get("watermark"), data.get("columns"),
                                      data.get("history", [])))
        return out
