"""Where a table's Parquet lands: a staging folder per run, published whole, with a manifest.

Layout (`names.py`): ``{output}/{schema}/{table}/`` holds the published Parquet files and nothing else;
its manifest is ``{output}/_data_extractor/manifests/{schema}/{table}.json``. A run writes into
``{output}/_data_extractor/staging/{run_id}/{key}/`` and publishes by renaming: the old folder is moved
aside, the new one moved in, the manifest moved into place, the old folder removed. A crash leaves the
published folder as it was, or `recover()` (which runs first) finishes or undoes the publish it cut short.
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
from data_extractor.output import resume
from data_extractor.output.commit import publish_by_manifest
from data_extractor.output.fs import LocalFS, for_output, local_path
from data_extractor.output.names import INTERNAL, escape, table_folders

MANIFEST = "_manifest.json"  # where earlier versions kept it, inside the data folder (still read)
SPARK_LEFTOVERS = ("_SUCCESS",)  # written by Hadoop committers beside the data; `.crc` checksum files too
__all__ = ["MANIFEST", "TableOutput", "local_path", "mark_run", "finish_run", "recover", "manifest_path"]


def manifest_path(fs: Any, base: str, parts: list[str]) -> str:
    """The manifest of the data folder `base/parts...`."""
    return fs.join(base, INTERNAL, "manifests", *parts[:-1], parts[-1] + ".json")


def staging_root(fs: Any, base: str) -> str:
    return fs.join(base, INTERNAL, "staging")


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
        return table_folders(self.schema, self.table, self.window)

    @property
    def key(self) -> str:
        """This output's name inside the run's staging folder: one-to-one with its data folder."""
        return escape("/".join(self.parts))

    @property
    def final(self) -> str:
        return self.fs.join(self.base, *self.parts)

    @property
    def staging(self) -> str:
        return self.fs.join(staging_root(self.fs, self.base), self.run_id, self.key)

    @property
    def trash(self) -> str:
        return self.fs.join(staging_root(self.fs, self.base), self.run_id, "_replaced", self.key)

    @property
    def manifest(self) -> str:
        return manifest_path(self.fs, self.base, self.parts)

    @property
    def staged_manifest(self) -> str:
        return self.staging + ".manifest.json"

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
        text = json.dumps({**manifest, "path": self.final}, indent=2, default=str)
        if self.fs.atomic_rename:
            self.fs.write_text(self.staged_manifest, text)  # moved into place by publish, with the data
        else:
            self._manifest = text  # written last, by publish: it is the commit record

    def publish(self) -> None:
        """Swap the staged folder in for the published one, and its manifest in for the old one (or, without
        rename, commit by manifest)."""
        fs = self.fs
        if not fs.atomic_rename:
            publish_by_manifest(fs, self.staging, self.final, self.files(), self.manifest, self._manifest or "{}")
            return
        self._drop_leftovers()
        fs.makedirs(fs.dirname(self.final))
        fs.makedirs(fs.dirname(self.manifest))
        marker = _marker(fs, self.base, self.run_id, self.key)
        fs.write_text(marker, json.dumps({"final": self.final, "trash": self.trash, "staging": self.staging,
                                          "staged_manifest": self.staged_manifest, "manifest": self.manifest}))
        replaced = fs.exists(self.final)
        if replaced:
            fs.makedirs(fs.dirname(self.trash))
            fs.rename(self.final, self.trash)
        fs.rename(self.staging, self.final)
        _replace(fs, self.staged_manifest, self.manifest)
        fs.remove(marker)
        if replaced:
            fs.rmtree(self.trash)

    def discard(self) -> None:
        """Drop what this run staged; finished partitions are kept for the next run (`resume.py`)."""
        if not resume.keep(self.fs, self.base, self.staging, self.key):
            self.fs.rmtree(self.staging)
        if self.fs.exists(self.staged_manifest):
            self.fs.remove(self.staged_manifest)

    def _drop_leftovers(self) -> None:
        """Drop what Spark's writer leaves beside the data (`_SUCCESS`, `.crc`): readers want Parquet files."""
        for name in self.fs.listdir(self.staging):
            if name in SPARK_LEFTOVERS or name.endswith(".crc"):
                self.fs.remove(self.fs.join(self.staging, name))


def _replace(fs: Any, src: str, dst: str) -> None:
    if getattr(fs, "hadoop", False) and fs.exists(dst):  # Hadoop's rename does not replace
        fs.remove(dst)
    fs.rename(src, dst)


def _marker(fs: Any, base: str, run_id: str, key: str) -> str:
    """One marker per table being published (tables of a run publish concurrently)."""
    return fs.join(staging_root(fs, base), run_id, f"_publishing-{zlib.crc32(key.encode()):08x}.json")


def recover(base: str, fs: Any = None) -> None:
    """Finish or undo a publish cut short by a killed run, and drop the staging such runs left."""
    fs = fs or LocalFS()
    staging = staging_root(fs, base)
    for run in fs.listdir(staging):
        folder = fs.join(staging, run)
        pid_file = fs.join(folder, "_pid")
        has_pid = fs.exists(pid_file)
        if has_pid and _alive(fs.read_text(pid_file)):
            continue  # a live run's publish is its own business
        if not has_pid and time.time() - fs.mtime(folder) < 60:
            continue  # a run that is just starting (its `_pid` comes next)
        names = fs.listdir(folder)
        for name in names:
            if name.startswith("_publishing") and name.endswith(".json"):
                _finish_publish(fs, fs.join(folder, name))
        for name in names:  # finished partitions of its tables wait for their next run
            if not name.startswith("_") and not name.endswith(".json"):
                resume.keep(fs, base, fs.join(folder, name), name)
        fs.rmtree(folder)  # left by a run that was killed


def _finish_publish(fs: Any, marker: str) -> None:
    info = json.loads(fs.read_text(marker))
    if not fs.exists(info["final"]) and fs.exists(info["trash"]):
        fs.rename(info["trash"], info["final"])  # cut between the renames: the old version comes back
    elif fs.exists(info["final"]) and not fs.exists(info["staging"]) and fs.exists(info["staged_manifest"]):
        _replace(fs, info["staged_manifest"], info["manifest"])  # the new data is in: its manifest follows
    fs.remove(marker)


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
        folder = fs.join(staging_root(fs, base), run_id)
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
    fs.rmtree(fs.join(staging_root(fs, base), run_id))
    if not fs.listdir(staging_root(fs, base)):
        fs.rmtree(staging_root(fs, base))
