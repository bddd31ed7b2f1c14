"""Past runs, read back from the published manifests under the output path."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from data_extractor.output.fs import local_path
from data_extractor.output.names import INTERNAL
from data_extractor.output.publish import MANIFEST
from data_extractor.output.stores import NATIVE, StoreFS, scheme


@dataclass(frozen=True)
class PublishedTable:
    table: str
    path: str
    run_id: str
    rows: int
    bytes: int
    files: int
    seconds: float
    finished_at: str
    strategy: str | None
    partitions: int | None
    format: str = "parquet"  # parquet | delta | iceberg
    version: int | None = None  # Delta log version / Iceberg snapshot sequence number
    identifier: str | None = None  # Iceberg: namespace.table in the catalog
    metadata_location: str | None = None  # Iceberg: the committed metadata.json
    manifest: str = ""  # the manifest file this entry was read from

    @property
    def format_text(self) -> str:
        """`parquet`, `delta v3`, `iceberg v2`: the format and the committed version."""
        return self.format if self.version is None else f"{self.format} v{self.version}"


def published(root: str, options: Any = None) -> list[PublishedTable]:
    """Every published table under `root` (newest first), from its manifest under `_data_extractor/manifests/`
    (or, for tables last written by earlier versions, the `_manifest.json` in its data folder). Object stores
    (`options`: output.storage_options) are listed through pyarrow; Hadoop URIs are not listed."""
    out: list[PublishedTable] = []
    if local_path(root) is None:
        return _on_store(root, options) if scheme(root) in NATIVE else out
    root = local_path(root) or root
    if not os.path.isdir(root):
        return out
    manifests = os.path.join(root, INTERNAL, "manifests")
    for dirpath, _, filenames in os.walk(manifests):
        for name in filenames:
            if name.endswith(".json"):
                path = os.path.join(dirpath, name)
                out += _entry(path, os.path.join(root, os.path.relpath(path, manifests)[:-len(".json")]))
    seen = {t.path for t in out}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith("_")]
        if MANIFEST in filenames and dirpath not in seen:
            out += _entry(os.path.join(dirpath, MANIFEST), dirpath)
    return sorted(out, key=lambda t: t.finished_at, reverse=True)


def _on_store(root: str, options: Any) -> list[PublishedTable]:
    fs = StoreFS(root, options)
    base = fs.join(root, INTERNAL, "manifests")
    out: list[PublishedTable] = []

    def walk(folder: str, rel: list[str]) -> None:
        for name in fs.listdir(folder):
            path = fs.join(folder, name)
            if name.endswith(".json"):
                out.extend(_entry(path, fs.join(root, *rel, name[:-len(".json")]), fs.read_text))
            elif fs.isdir(path):
                walk(path, [*rel, name])

    walk(base, [])
    return sorted(out, key=lambda t: t.finished_at, reverse=True)


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def _entry(path: str, folder: str, read: Any = _read) -> list[PublishedTable]:
    try:
        m: dict[str, Any] = json.loads(read(path))
    except (OSError, ValueError):
        return []
    plan = m.get("plan") or {}
    return [PublishedTable(m.get("table", ""), folder, m.get("run_id", ""), int(m.get("rows", 0)),
                           int(m.get("bytes", 0)), len(m.get("files", [])), float(m.get("seconds", 0)),
                           m.get("finished_at", ""), plan.get("strategy"), len(plan.get("partitions", [])) or None,
                           m.get("format") or "parquet", m.get("table_version"), m.get("identifier"),
                           m.get("metadata_location"), path)]


def read_manifest(table: PublishedTable) -> dict[str, Any]:
    """The manifest of one published table (from `published`)."""
    with open(table.manifest, encoding="utf-8") as fh:
        return json.load(fh)


def data_files(folder: str, manifest: dict[str, Any]) -> list[str]:
    """Absolute paths of the Parquet files a manifest lists."""
    base = local_path(folder) or folder
    return [os.path.join(base, f) for f in manifest.get("files", [])]
