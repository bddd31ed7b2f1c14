"""Past runs, read back from the published manifests under the output path."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from data_extractor.output.fs import local_path
from data_extractor.output.names import INTERNAL
from data_extractor.output.publish import MANIFEST


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


def published(root: str) -> list[PublishedTable]:
    """Every published table under `root` (newest first), from its manifest under `_data_extractor/manifests/`
    (or, for tables last written by earlier versions, the `_manifest.json` in its data folder)."""
    out: list[PublishedTable] = []
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


def _entry(path: str, folder: str) -> list[PublishedTable]:
    try:
        with open(path, encoding="utf-8") as fh:
            m: dict[str, Any] = json.load(fh)
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
