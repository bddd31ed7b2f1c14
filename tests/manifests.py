"""Where tests find a published folder's manifest: `{output}/_data_extractor/manifests/{folders}.json`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

INTERNAL = "_data_extractor"


def manifest_path(folder: str | Path) -> Path:
    """The manifest of a published data folder (the output root is the nearest ancestor holding `INTERNAL`)."""
    folder = Path(folder)
    for root in folder.parents:
        if (root / INTERNAL).is_dir():
            return root / INTERNAL / "manifests" / f"{folder.relative_to(root)}.json"
    raise AssertionError(f"no {INTERNAL} folder above {folder}")


def read_manifest(folder: str | Path) -> dict[str, Any]:
    return json.loads(manifest_path(folder).read_text())
