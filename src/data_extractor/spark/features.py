"""What the installed Spark can do, found by looking for it (feature detection), never by its version number.

Spark 3.5 (Databricks LTS runtimes) and 4.x are both supported; where a feature is missing, the engine takes
a path that exists there and says so once.
"""

from __future__ import annotations

import importlib.util
import logging
import threading

from data_extractor.errors import ExtractorError

log = logging.getLogger("data_extractor.spark")
_said: set[str] = set()
_said_lock = threading.Lock()


def pyspark_version() -> str | None:
    """The importable pyspark's version (a Databricks runtime's own Spark included), or None without one."""
    try:
        import pyspark  # heavy: only when asked (doctor, a run)
    except ImportError:
        return None
    return str(pyspark.__version__)


def require_pyspark() -> None:
    """Raise one clear sentence when there is no pyspark to start."""
    if not _importable("pyspark"):
        raise ExtractorError("pyspark is not installed: pip install 'data-extractor[spark]' (a Spark cluster or "
                             "a Databricks runtime brings its own; use that one)")


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:  # a parent package is missing
        return False


def python_datasource() -> bool:
    """Whether Spark's Python Data Source API (`pyspark.sql.datasource`, Spark 4) is there."""
    return _importable("pyspark.sql.datasource")


def connect_client() -> bool:
    """Whether the Spark Connect client can run here (`spark.remote`; needs the pyspark[connect] extras)."""
    return _importable("pyspark.sql.connect") and _importable("grpc") and _importable("google.protobuf")


def say_once(key: str, message: str, *args: object) -> None:
    """Log `message` (info) the first time `key` is seen in this process."""
    with _said_lock:
        if key in _said:
            return
        _said.add(key)
    log.info(message, *args)


def describe() -> list[tuple[str, bool, str]]:
    """(feature, present, what it enables or what stands in for it), for `doctor`."""
    ds, connect = python_datasource(), connect_client()
    return [
        ("Python Data Source API", ds, "reader python with writer spark reads through it" if ds else
         "reader python with writer spark feeds Arrow batches to Spark's writer through mapInArrow instead"),
        ("Spark Connect client", connect, "spark.remote (Databricks serverless, shared clusters)"
         if connect else "spark.remote needs pip install 'pyspark[connect]' of the same version"),
    ]
