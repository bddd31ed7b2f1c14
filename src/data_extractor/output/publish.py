"""Where a table's Parquet lands: a staging folder per run, published whole, with a manifest.

Layout: ``{output}/{schema}/{table}/`` holds the published files and ``_manifest.json``.
A run writes into ``{output}/_staging/{run_id}/{schema}/{table}/`` and publishes by renaming:
the old folder is moved aside, the new one moved in, the old one removed. A crash leaves the
published folder as it was (or, between the two renames, restorable: `recover()` runs first).
Works on local and mounted paths (/dbfs, /Volumes) and on Hadoop URIs. Object stores have no atomic
rename: there the manifest is the commit record (`commit.py`).
"""

from __future__ import annotations

import json
import os
import time
import zlib
from dataclasses import dataclass, field
from typing import Any

from data_extractor.errors import UserError
from data_extractor.output.commit import publish_by_manifest
from data_extractor.output.fs import LocalFS, for_output, local_path

MANIFEST = "_manifest.json"
SPARK_LEFTOVERS = ("_SUCCESS",)  # written by Hadoop committers beside the data; `.crc` checksum files too
__all__ = ["MANIFEST", "TableOutput", "local_path", "mark_run", "finish_run", "recover"]


def _safe(part: str) -> str:
    """A folder name for a schema or table name (the config's spelling, minus path separators)."""
    cleaned = part.replace("/", "_").replace("\\", "_").strip()
    return cleaned if cleaned not in ("", ".", "..") else "_"


@dataclass
class TableOutput:
    root: str
    schema: str | None
    table: str
    run_id: str
    window: str | None = None  # e.g. "extract_date=2026-01-01": the window's own folder
    session: Any = None  # a Spark session, for Hadoop URIs
    options: Any = None  # output.storage_options, for object stores
    fs: Any = field(default=None, init=False)
    _manifest: str | None = field(default=None, init=False)
    committed: list[str] | None = field(default=None, init=False)  # the files the tasks that succeeded reported

    def __post_init__(self) -> None:
        self.fs, self.base = for_output(self.root, self.session, self.options)

    @property
    def is_local(self) -> bool:
        return isinstance(self.fs, LocalFS)

    @property
    def arrow_writable(self) -> bool:
        """Whether tasks can write here with pyarrow (local, mounted, object stores, HDFS; not other Hadoop URIs)."""
        return self.fs.arrow is not None

    @property
    def parts(self) -> list[str]:
        return [_safe(p) for p in ([self.schema] if self.schema else []) + [self.table]
                + ([self.window] if self.window else [])]

    @property
    def final(self) -> str:
        return self.fs.join(self.base, *self.parts)

    @property
    def staging(self) -> str:
        return self.fs.join(self.base, "_staging", self.run_id, *self.parts)

    @property
    def trash(self) -> str:
        return self.fs.join(self.base, "_staging", self.run_id, "_replaced", *self.parts)

    def prepare(self) -> None:
        recover(self.base, self.fs)
        try:
            if self.fs.exists(self.staging):
                self.fs.rmtree(self.staging)
            self.fs.makedirs(self.fs.dirname(self.staging))
        except OSError as exc:
            raise UserError(f"output path {self.root} is not writable ({exc.strerror or exc}); "
                            "fix output.path or its permissions") from None

    def files(self) -> list[str]:
        if self.committed is not None:  # never "file exists": a failed attempt's upload completes too
            return sorted(self.committed)
        return sorted(f for f in self.fs.listdir(self.staging) if f.endswith(".parquet"))

    def written_rows(self) -> tuple[int, int]:
        """(rows, bytes) over the staged Parquet files, from their footers."""
        files = self.files()
        size = sum(self.fs.size(self.fs.join(self.staging, f)) for f in files)
        if self.fs.arrow is None:  # another Hadoop URI: Spark counts from the same footers
            return (self.session.read.parquet(self.staging).count() if files else 0), size
        import pyarrow.parquet as pq

        arrow = self.fs.arrow
        return sum(pq.read_metadata(self.fs.path(self.fs.join(self.staging, f)), filesystem=arrow).num_rows
                   for f in files), size

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        text = json.dumps(manifest, indent=2, default=str)
        if self.fs.atomic_rename:
            self.fs.write_text(self.fs.join(self.staging, MANIFEST), text)
        else:
            self._manifest = text  # written last, by publish: it is the commit record

    def publish(self) -> None:
        """Swap the staged folder in for the published one (or, without rename, commit by manifest)."""
        fs = self.fs
        if not fs.atomic_rename:
            publish_by_manifest(fs, self.staging, self.final, self.files(), MANIFEST, self._manifest or "{}")
            return
        self._drop_leftovers()
        fs.makedirs(fs.dirname(self.final))
        if fs.exists(self.final):
            fs.makedirs(fs.dirname(self.trash))
            marker = _marker(fs, self.base, self.run_id, self.parts)
            fs.write_text(marker, json.dumps({"final": self.final, "trash": self.trash}))
            fs.rename(self.final, self.trash)
            fs.rename(self.staging, self.final)
            fs.remove(marker)
            fs.rmtree(self.trash)
        else:
            fs.rename(self.staging, self.final)

    def discard(self) -> None:
        self.fs.rmtree(self.staging)

    def _drop_leftovers(self) -> None:
        """Drop what Spark's writer leaves beside the data (`_SUCCESS`, `.crc`): readers want Parquet files."""
        for name in self.fs.listdir(self.staging):
            if name in SPARK_LEFTOVERS or name.endswith(".crc"):
                self.fs.remove(self.fs.join(self.staging, name))


def _marker(fs: Any, base: str, run_id: str, parts: list[str]) -> str:
    """One marker per table being published (tables of a run publish concurrently)."""
    key = zlib.crc32("/".join(parts).encode())
    return fs.join(base, "_staging", run_id, f"_publishing-{key:08x}.json")


def recover(base: str, fs: Any = None) -> None:
    """Undo a publish cut short between its two renames, and drop staging left by killed runs."""
    fs = fs or LocalFS()
    staging = fs.join(base, "_staging")
    for run in fs.listdir(staging):
        folder = fs.join(staging, run)
        for name in fs.listdir(folder):
            if not (name.startswith("_publishing") and name.endswith(".json")):
                continue
            marker = fs.join(folder, name)
            info = json.loads(fs.read_text(marker))
            if not fs.exists(info["final"]) and fs.exists(info["trash"]):
                fs.rename(info["trash"], info["final"])
            fs.remove(marker)
        pid_file = fs.join(folder, "_pid")
        has_pid = fs.exists(pid_file)
        stale = time.time() - fs.mtime(folder) > 60
        if (has_pid and not _alive(fs.read_text(pid_file))) or (not has_pid and stale):
            fs.rmtree(folder)  # left by a run that was killed


def _alive(pid_text: str) -> bool:
    host, _, pid = pid_text.strip().rpartition("@")
    if host and host != os.uname().nodename:
        return True  # another machine's run: assume it is alive
    try:
        os.kill(int(pid), 0)
    except (OSError, ValueError):
        return False
    return True


def mark_run(root: str, run_id: str, session: Any = None, options: Any = None) -> None:
    """Record the running process, so a concurrent run does not sweep this run's staging folder."""
    try:
        fs, base = for_output(root, session, options)
        folder = fs.join(base, "_staging", run_id)
        fs.makedirs(folder)
        fs.write_text(fs.join(folder, "_pid"), f"{os.uname().nodename}@{os.getpid()}")
    except OSError as exc:
        raise UserError(f"output path {root} is not writable ({exc.strerror or exc}); "
                        "fix output.path or its permissions") from None


def finish_run(root: str, run_id: str, session: Any = None, options: Any = None) -> None:
    try:
        fs, base = for_output(root, session, options)
    except UserError:
        return
    fs.rmtree(fs.join(base, "_staging", run_id))
    if not fs.listdir(fs.join(base, "_staging")):
        fs.rmtree(fs.join(base, "_staging"))
