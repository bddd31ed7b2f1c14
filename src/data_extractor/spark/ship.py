"""Executors get the tool: the engine's own pure-Python package, zipped once per version and content, added to
a classic cluster's session with `addPyFile`. A cluster then needs only the third-party packages (pyarrow, the
database's driver), which come from its Python (a packed venv via `spark.archives`, or cluster libraries).

Spark keeps the first zip registered under a name and reused Python workers keep imported modules, so the
name carries the version and a hash of the content: a changed package is a new file.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
import zipfile
from pathlib import Path
from typing import Any

import data_extractor
from data_extractor.spark.session import is_connect

log = logging.getLogger("data_extractor.spark")
_shipped: set[tuple[int, str]] = set()
_lock = threading.Lock()


def _sources() -> tuple[Path, list[Path]]:
    root = Path(data_extractor.__file__).parent
    files = sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                   and p.suffix not in (".pyc", ".pyo"))
    return root, files


def package_zip(cache: str | None = None) -> str:
    """The path of the package's zip, built on first use into the cache folder."""
    root, files = _sources()
    digest = hashlib.sha256()
    for f in files:
        digest.update(str(f.relative_to(root)).encode())
        digest.update(f.read_bytes())
    folder = Path(cache or os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "data-extractor"
    path = folder / f"data_extractor-{data_extractor.__version__}-{digest.hexdigest()[:12]}.zip"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        os.close(fd)
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            for f in files:
                zf.write(f, str(Path("data_extractor") / f.relative_to(root)))
        os.replace(tmp, path)  # concurrent builders write the same content
    return str(path)


def ship(session: Any) -> str | None:
    """Add the package to a classic cluster session's Python path (once per context); None where not needed."""
    sc = None if is_connect(session) else session.sparkContext
    if sc is None or sc.master.startswith("local"):
        return None  # local Spark imports the installed package; Spark Connect needs addArtifacts (not done here)
    path = package_zip()
    key = (id(sc), path)
    with _lock:
        if key not in _shipped:
            sc.addPyFile(path)
            _shipped.add(key)
            log.info("shipped %s to the executors", os.path.basename(path))
    return path
