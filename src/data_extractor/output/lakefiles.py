"""What a lakehouse commit takes (the data files the tasks wrote) and what it gives back (the new version)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from data_extractor.errors import ExtractorError
from data_extractor.output.stores import arrow_fs, arrow_path


@dataclass(frozen=True)
class StagedFile:
    """A data file under the table's root: its path relative to the root, size and Parquet footer."""

    path: str  # e.g. "data/extract_date-2026-01-02/<run_id>/part-00000-000.snappy.parquet"
    size: int
    meta: pq.FileMetaData
    modified_ms: int

    @property
    def rows(self) -> int:
        return self.meta.num_rows

    @cached_property
    def arrow_schema(self) -> pa.Schema:
        """The footer's schema as Arrow, converted once (the schema check and the Iceberg entries both need it)."""
        return self.meta.schema.to_arrow_schema()


@dataclass
class Commit:
    """One committed table version, as `run --json`, the manifest and the history show it."""

    format: str
    version: int  # Delta: the log version; Iceberg: the snapshot's sequence number
    path: str  # the table's URI
    identifier: str | None = None  # Iceberg: namespace.table in the catalog
    metadata_location: str | None = None  # Iceberg: the committed metadata.json
    snapshot_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {"format": self.format, "table_version": self.version, "path": self.path}
        if self.identifier:
            out.update(identifier=self.identifier, metadata_location=self.metadata_location,
                       snapshot_id=self.snapshot_id)
        return out


def join_uri(root: str, rel: str) -> str:
    return root.rstrip("/") + "/" + rel.lstrip("/")


def filesystem(root: str, storage_options: Mapping[str, Any] | None = None) -> tuple[pafs.FileSystem, str]:
    """A pyarrow file system and the path on it, for a local path or a store URI (`output.storage_options`,
    pyarrow's or AWS_* names): the same cached client the tasks write through."""
    if "://" not in root or root.startswith("file://"):
        return pafs.LocalFileSystem(), root.removeprefix("file://")
    return arrow_fs(root, storage_options), arrow_path(root)


def staged_files(root: str, rels: list[str], storage_options: Mapping[str, Any] | None = None) -> list[StagedFile]:
    """Footers and sizes of the data files a run wrote, read where they are (a few at a time: one round trip or
    two each on a store); a file that is missing fails before anything commits."""
    fs, base = filesystem(root, storage_options)

    def one(rel: str) -> StagedFile:
        path = join_uri(base, rel)
        info = fs.get_file_info(path)
        if info.type != pafs.FileType.File:
            raise ExtractorError(f"data file {rel} is missing under {root}; nothing was committed")
        with fs.open_input_file(path) as fh:
            meta = pq.ParquetFile(fh).metadata
        mtime = info.mtime.timestamp() if info.mtime else time.time()
        return StagedFile(rel, int(info.size), meta, int(mtime * 1000))

    if len(rels) < 2:
        return [one(rel) for rel in rels]
    with ThreadPoolExecutor(min(8, len(rels)), thread_name_prefix="dx-footers") as pool:
        return list(pool.map(one, rels))


_WIDE = {pa.string(): pa.large_string(), pa.binary(): pa.large_binary()}


def check_schema(files: list[StagedFile], schema: pa.Schema) -> None:
    """Every file must carry the table's columns, by name and type: neither library checks added files fully."""
    want = {f.name: _WIDE.get(f.type, f.type) for f in schema}
    for f in files:
        raw = {c.name: c.type for c in f.arrow_schema}
        got = {n: _WIDE.get(t, t) for n, t in raw.items()}
        if got != want:
            diff = sorted(f"{n}: {raw.get(n, 'missing')} (expected {schema.field(n).type if n in want else 'none'})"
                          for n in set(got) | set(want) if got.get(n) != want.get(n))
            raise ExtractorError(f"data file {f.path} does not match the table's columns ({'; '.join(diff)}); "
                                 "nothing was committed")
