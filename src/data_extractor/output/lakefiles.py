"""What a lakehouse commit takes (the data files the tasks wrote) and what it gives back (the new version)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from data_extractor.errors import ExtractorError


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


def filesystem(root: str, storage_options: dict[str, str] | None = None) -> tuple[pafs.FileSystem, str]:
    """A pyarrow file system and the path on it, for a local path or an s3:// URI (AWS_* options)."""
    if "://" not in root or root.startswith("file://"):
        return pafs.LocalFileSystem(), root.removeprefix("file://")
    opts = storage_options or {}
    if root.startswith(("s3://", "s3a://")):
        endpoint = opts.get("AWS_ENDPOINT_URL", "")
        s3 = pafs.S3FileSystem(
            access_key=opts.get("AWS_ACCESS_KEY_ID"), secret_key=opts.get("AWS_SECRET_ACCESS_KEY"),
            session_token=opts.get("AWS_SESSION_TOKEN"), region=opts.get("AWS_REGION"),
            endpoint_override=endpoint.split("://", 1)[-1] or None,
            scheme="http" if endpoint.startswith("http://") else "https")
        return s3, root.split("://", 1)[1]
    return pafs.FileSystem.from_uri(root)


def staged_files(root: str, rels: list[str], storage_options: dict[str, str] | None = None) -> list[StagedFile]:
    """Footers and sizes of the data files a run wrote; a file that is missing fails before anything commits."""
    fs, base = filesystem(root, storage_options)
    out = []
    for rel in rels:
        path = join_uri(base, rel)
        info = fs.get_file_info(path)
        if info.type != pafs.FileType.File:
            raise ExtractorError(f"data file {rel} is missing under {root}; nothing was committed")
        with fs.open_input_file(path) as fh:
            meta = pq.ParquetFile(fh).metadata
        mtime = info.mtime.timestamp() if info.mtime else time.time()
        out.append(StagedFile(rel, int(info.size), meta, int(mtime * 1000)))
    return out


_WIDE = {pa.string(): pa.large_string(), pa.binary(): pa.large_binary()}


def check_schema(files: list[StagedFile], schema: pa.Schema) -> None:
    """Every file must carry the table's columns, by name and type: neither library checks added files fully."""
    want = {f.name: _WIDE.get(f.type, f.type) for f in schema}
    for f in files:
        raw = {c.name: c.type for c in f.meta.schema.to_arrow_schema()}
        got = {n: _WIDE.get(t, t) for n, t in raw.items()}
        if got != want:
            diff = sorted(f"{n}: {raw.get(n, 'missing')} (expected {schema.field(n).type if n in want else 'none'})"
                          for n in set(got) | set(want) if got.get(n) != want.get(n))
            raise ExtractorError(f"data file {f.path} does not match the table's columns ({'; '.join(diff)}); "
                                 "nothing was committed")
