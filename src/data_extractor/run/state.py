"""Watermarks and run history, one small JSON file per table under `{output}/_data_extractor/state/`.

Files are written atomically (temporary file, then rename), so a killed run leaves the last good
state. A watermark advances only after its window's data and manifest were published. File names are
`names.escape(table)`, one-to-one with table names (`public."e v"` and `public.e_v` never share a file).
State of earlier versions (`{output}/_state/`, some files named the lossy way) is moved in on first use.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

from data_extractor.errors import ExtractorError
from data_extractor.output.fs import for_output
from data_extractor.output.names import INTERNAL, escape

HISTORY = 50  # runs kept per table
LEGACY = "_state"  # the state folder of earlier versions, at the output root
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
    """State under `{output}/_data_extractor/state/`; on a Hadoop URI output, set `session` before the first use."""

    def __init__(self, output_root: str, session: Any = None, options: Any = None) -> None:
        self.root = output_root
        self.session = session
        self.options = options  # output.storage_options, for object stores
        self._fs: Any = None

    @property
    def fs(self) -> Any:
        if self._fs is None:
            fs, base = for_output(self.root, self.session, self.options)
            self.folder = fs.join(base, INTERNAL, "state")
            _migrate(fs, fs.join(base, LEGACY), self.folder)
            self._fs = fs
        return self._fs

    def _path(self, table: str) -> str:
        fs = self.fs
        return fs.join(self.folder, f"{escape(table)}.json")

    def load(self, table: str) -> TableState:
        path = self._path(table)
        if not self.fs.exists(path):
            return TableState(table)
        try:
            data = json.loads(self.fs.read_text(path))
        except (OSError, ValueError) as exc:
            raise ExtractorError(f"state file {self._path(table)} is unreadable ({exc}); "
                                 "restore it or delete it to start this table over") from None
        return TableState(table, data.get("watermark"), data.get("columns"), data.get("history", []))

    def save(self, state: TableState) -> None:
        path = self._path(state.table)
        self.fs.makedirs(self.folder)
        state.history = state.history[-HISTORY:]
        self.fs.write_text(path, json.dumps(asdict(state), indent=2, default=str))  # atomic on local disks

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
        fs = self.fs
        out = []
        for name in sorted(fs.listdir(self.folder)):
            if name.endswith(".json"):
                data = json.loads(fs.read_text(fs.join(self.folder, name)))
                out.append(TableState(data["table"], data.get("watermark"), data.get("columns"),
                                      data.get("history", [])))
        return out


def _migrate(fs: Any, legacy: str, folder: str) -> None:
    """Move the state files of an earlier version's `_state/` folder in, named `escape(table)`.

    Each file is read for its `table` (earlier names were lossy: `public.e_v.json` for `public."e v"`); a
    file already in the new folder wins. Folders (a schema once published as `_state`) are left alone.
    """
    names = [n for n in fs.listdir(legacy) if n.endswith(".json")]
    if not names:
        return
    with _lock:
        fs.makedirs(folder)
        for name in names:
            src = fs.join(legacy, name)
            try:
                table = json.loads(fs.read_text(src))["table"]
            except (OSError, ValueError, KeyError, TypeError):
                continue  # not a state file: left where it is
            dst = fs.join(folder, f"{escape(table)}.json")
            if not fs.exists(dst):
                fs.write_text(dst, fs.read_text(src))
            fs.remove(src)
        for name in fs.listdir(legacy):
            if name.endswith(".lock") or name == "names-escaped":
                fs.remove(fs.join(legacy, name))
        if not fs.listdir(legacy):
            fs.rmtree(legacy)
