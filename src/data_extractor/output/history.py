"""Past runs, read back from the published manifests under the output path."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from data_extractor.output.fs import local_path
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

    @property
    def format_text(self) -> str:
        """`parquet`, `delta v3`, `iceberg v2`: the format and the committed version."""
        return self.format if self.version is None else f"{self.format} v{self.version}"


def published(root: str) -> list[PublishedTable]:
    """Every published table under `root` (newest first), from its `_manifest.json`."""
    out: list[PublishedTable] = []
    root = local_path(root) or root
    if not os.path.isdir(root):
        return out
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith("_")]
        if MANIFEST in filenames:
            try:
                with open(os.path.join(dirpath, MANIFEST), encoding="utf-8") as fh:
                    m: dict[str, Any] = json.load(fh)
            except (OSError, ValueError):
                continue
            plan = m.get("plan") or {}
            out.append(PublishedTable(m.get("table", ""), dirpath, m.get("run_id", ""), int(m.get("rows", 0)),
                                      int(m.get("bytes", 0)), len(m.get("files", [])), float(m.get("seconds", 0)),
                                      m.get("finished_at", ""), plan.get("strategy"),
                                      len(plan.get("partitions", [])) or None, m.get("format") or "parquet",
                                      m.get("table_version"), m.get("identifier"),
                                      m.get("metadata_location")))
    return sorted(out, key=lambda t: t.finished_at, reverse=True)


def read_manifest(folder: str) -> dict[str, Any]:
    """The manifest of one published table folder (from `published`)."""
    with open(os.path.join(local_path(folder) or folder, MANIFEST), encoding="utf-8") as fh:
        return json.load(fh)


def data_files(folder: str, manifest: dict[str, Any]) -> list[str]:
    """Absolute paths of the Parquet files a manifest lists."""
    base = local_path(folder) or folder
    return [os.path.join(base, f) for f in manifest.get("files", [])]
