"""Where a table's Parquet lands: a staging folder per run, published whole, with a manifest.

Layout: ``{output}/{schema}/{table}/`` holds the published files and ``_manifest.json``.
A run writes into ``{output}/_staging/{run_id}/{schema}/{table}/`` and publishes by renaming:
the old folder is moved aside, the new one moved in, the old one removed. A crash leaves the
published folder as it was (or, between the two renames, restorable: `recover()` runs first).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import UserError

MANIFEST = "_manifest.json"


def _safe(part: str) -> str:
    """A folder name for a schema or table name (the config's spelling, minus path separators)."""
    cleaned = part.replace("/", "_").replace("\\", "_").strip()
    return cleaned if cleaned not in ("", ".", "..") else "_"


def local_path(uri: str) -> str | None:
    """A local path for `uri`, or None for a non-local file system (s3a://, abfss://, ...)."""
    if uri.startswith("file://"):
        return uri[len("file://"):]
    if uri.startswith("dbfs:/"):
        return "/dbfs/" + uri[len("dbfs:/"):].lstrip("/") if os.path.isdir("/dbfs") else None
    if "://" in uri:
        return None
    return uri


@dataclass
class TableOutput:
    root: str
    schema: str | None
    table: str
    run_id: str
    window: str | None = None  # e.g. "extract_date=2026-01-01": the window's own folder

    @property
    def parts(self) -> list[str]:
        return [_safe(p) for p in ([self.schema] if self.schema else []) + [self.table]
                + ([self.window] if self.window else [])]

    @property
    def final(self) -> str:
        return os.path.join(self.root, *self.parts)

    @property
    def staging(self) -> str:
        return os.path.join(self.root, "_staging", self.run_id, *self.parts)

    @property
    def trash(self) -> str:
        return os.path.join(self.root, "_staging", self.run_id, "_replaced", *self.parts)

    def prepare(self) -> None:
        recover(self.root)
        if os.path.exists(self.staging):
            shutil.rmtree(self.staging)
        try:
            os.makedirs(os.path.dirname(self.staging), exist_ok=True)
        except OSError as exc:
            raise UserError(f"output path {self.root} is not writable ({exc.strerror}); "
                            "fix output.path or its permissions") from None

    def files(self) -> list[str]:
        return sorted(f for f in os.listdir(self.staging) if f.endswith(".parquet"))

    def written_rows(self) -> tuple[int, int]:
        """(rows, bytes) over the staged Parquet files, from their footers."""
        import pyarrow.parquet as pq

        rows = size = 0
        for name in self.files():
            path = os.path.join(self.staging, name)
            rows += pq.read_metadata(path).num_rows
            size += os.path.getsize(path)
        return rows, size

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        tmp = os.path.join(self.staging, MANIFEST + ".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(manifest, fh, indent=2, default=str)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, os.path.join(self.staging, MANIFEST))

    def publish(self) -> None:
        """Swap the staged folder in for the published one."""
        os.makedirs(os.path.dirname(self.final), exist_ok=True)
        if os.path.exists(self.final):
            os.makedirs(os.path.dirname(self.trash), exist_ok=True)
            _write_marker(self.root, self.run_id, self.final, self.trash)
            os.rename(self.final, self.trash)
            os.rename(self.staging, self.final)
            _clear_marker(self.root, self.run_id)
            shutil.rmtree(self.trash, ignore_errors=True)
        else:
            os.rename(self.staging, self.final)

    def discard(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)


def _marker(root: str, run_id: str) -> str:
    return os.path.join(root, "_staging", run_id, "_publishing.json")


def _write_marker(root: str, run_id: str, final: str, trash: str) -> None:
    with open(_marker(root, run_id), "w", encoding="utf-8") as fh:
        json.dump({"final": final, "trash": trash}, fh)


def _clear_marker(root: str, run_id: str) -> None:
    try:
        os.remove(_marker(root, run_id))
    except FileNotFoundError:
        pass


def recover(root: str) -> None:
    """Undo a publish cut short between its two renames, and drop stale staging folders."""
    staging = Path(root, "_staging")
    if not staging.is_dir():
        return
    for run in staging.iterdir():
        marker = run / "_publishing.json"
        if marker.is_file():
            info = json.loads(marker.read_text())
            if not os.path.exists(info["final"]) and os.path.exists(info["trash"]):
                os.rename(info["trash"], info["final"])
            marker.unlink()
        has_pid = (run / "_pid").is_file()
        if (has_pid and not _run_alive(run)) or (not has_pid and time.time() - run.stat().st_mtime > 60):
            shutil.rmtree(run, ignore_errors=True)  # left by a run that was killed


def _run_alive(run: Path) -> bool:
    pid_file = run / "_pid"
    try:
        pid = int(pid_file.read_text())
    except (OSError, ValueError):
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def mark_run(root: str, run_id: str) -> None:
    """Record the running process, so a concurrent run does not sweep this run's staging folder."""
    folder = Path(root, "_staging", run_id)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "_pid").write_text(str(os.getpid()))
    except OSError as exc:
        raise UserError(f"output path {root} is not writable ({exc.strerror}); "
                        "fix output.path or its permissions") from None


def finish_run(root: str, run_id: str) -> None:
    shutil.rmtree(os.path.join(root, "_staging", run_id), ignore_errors=True)
    try:
        os.rmdir(os.path.join(root, "_staging"))
    except OSError:
        pass
