"""`data-extractor doctor`: health checks of everything a run needs, each with a pass/fail line and a fix."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Any

from data_extractor.api import Extractor
from data_extractor.config.models import load_config
from data_extractor.errors import ExtractorError, one_line
from data_extractor.output.fs import for_output, local_path
from data_extractor.output.names import INTERNAL
from data_extractor.output.stores import NATIVE, scheme
from data_extractor.run.state import StateStore
from data_extractor.source.dialects.base import TableRef
from data_extractor.source.dialects.checks import Check
from data_extractor.source.dialects.checksum import checksum_for
from data_extractor.spark import features
from data_extractor.spark.probe import FIX_PYTHON, check_executors, is_cluster
from data_extractor.spark.ship import ship


def _pyspark() -> Check:
    version = features.pyspark_version()
    if version is None:
        return Check("pyspark", False, "pyspark is not installed", "pip install 'pyspark>=3.5,<5' (on Databricks "
                     "and clusters, use the runtime's own pyspark)")
    if _release(version) < (3, 5):
        return Check("pyspark", False, f"pyspark {version}", "Spark 3.5 or newer is needed: pip install "
                     "'pyspark>=3.5,<5', or a runtime with Spark 3.5+ (Databricks 14.3 LTS or later)")
    found = "; ".join(f"{name}: {'yes' if ok else 'no'}, {what}" for name, ok, what in features.describe())
    return Check("pyspark", True, f"pyspark {version}; {found}")


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", version)[:2])


def _java() -> Check:
    home = os.environ.get("JAVA_HOME")
    java = os.path.join(home, "bin", "java") if home else shutil.which("java")
    if not java or not os.path.exists(java):
        return Check("java", False, "no java found", "install a JDK 17 or 21 (e.g. apt-get install "
                     "openjdk-17-jre-headless) or set JAVA_HOME")
    out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30).stderr
    m = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    major = int(m[1]) if m and m[1] != "1" else int(m[2]) if m and m[2] else 0
    spark = _release(features.pyspark_version() or "4")
    allowed = (17, 21) if spark >= (4,) else (8, 11, 17)
    if major not in allowed:
        return Check("java", False, f"{java}: Java {major or '?'}", f"Spark {'.'.join(map(str, spark))} needs Java "
                     f"{' or '.join(map(str, allowed))}: install one and point JAVA_HOME at it")
    return Check("java", True, f"{java}: Java {major}")


def _guard(name: str, fn: Callable[[], Check], fix: str) -> Check:
    try:
        return fn()
    except ExtractorError as exc:
        return Check(name, False, str(exc), fix)
    except Exception as exc:  # noqa: BLE001 - every failure becomes one line

        return Check(name, False, one_line(exc), fix)


def run_checks(config_path: str, spark: bool = True) -> Iterator[Check]:
    try:
        config = load_config(config_path)
    except ExtractorError as exc:
        yield Check("config", False, str(exc), "fix the file as the message says")
        return
    yield Check("config", True, f"{config_path}: {len(config.tables)} table(s)")
    yield _pyspark()
    yield _java()
    ex = Extractor(config)
    if spark:
        def start() -> Check:
            t0 = time.monotonic()
            ex.warm_up()
            return Check("spark", True, f"started in {time.monotonic() - t0:.1f} s ({config.spark.master})")
        yield _guard("spark", start, "check Java and spark.conf; run with --log-level debug for Spark's own words")
        yield _guard("executors", lambda: _executors(ex, config), FIX_PYTHON)

    def connect() -> Check:
        ex.catalog.schemas()
        return Check("database", True, f"{ex.dialect.describe()} answers")
    db = _guard("database", connect, "check source.host, source.port, source.user and the password")
    yield db
    if db.ok:
        for entry in config.tables:
            yield _guard(f"read {entry.name}", lambda entry=entry: _readable(ex, entry),
                         "grant SELECT on it to source.user, or fix the name under tables:")
        yield from ex.dialect.doctor_checks(ex.catalog.connection(), config)
    yield _guard("output", lambda: _writable(config.output.path, config.output.storage_options),
                 "create the folder or fix its permissions, or change output.path")
    yield _guard("state", lambda: _state(config.output.path, config.output.storage_options),
                 "restore the named state file from a backup, or delete it to start that table over")
    yield _guard("verify", lambda: _verify(ex, config_path),
                 "pip install 'data-extractor[verify]' (DuckDB reads the Parquet side)")
    ex.close()


def _readable(ex: Any, entry: Any) -> Check:
    ref = TableRef(None, entry.name, entry.query) if entry.query else ex.catalog.resolve(entry.name)
    cols = ex.catalog.select_columns(ref, entry.columns)
    cur = ex.catalog.connection().cursor()
    try:
        cur.execute(ex.dialect.select_sql(ref, cols, "1 = 0", entry.where))
        cur.fetchall()
    finally:
        cur.close()
    return Check(f"read {entry.name}", True, f"{len(cols)} column(s) readable")


def _executors(ex: Any, config: Any) -> Check:
    """A tiny job on the executors: their Python, pyarrow and the source's driver, and a local output's reach."""
    from data_extractor.spark.session import get_session  # pyspark: loaded only when Spark is checked

    session = get_session(config.spark)
    if not is_cluster(session):
        return Check("executors", True, "local Spark: tasks run this Python")
    ship(session)
    modules = ["data_extractor", "pyarrow", *(ex.dialect.driver_modules if ex.reader() == "python" else ())]
    local = local_path(config.output.path)
    folder = None
    if local is not None:
        folder = os.path.join(local, INTERNAL, "staging")
        os.makedirs(folder, exist_ok=True)
    return Check("executors", True, check_executors(session, modules, config.output.path, folder))


def _verify(ex: Any, config_path: str) -> Check:
    """Whether `data-extractor verify` can prove this source's extracts (its checksum SQL, and DuckDB)."""
    import importlib.util

    checksum_for(ex.dialect)  # a source without checksum SQL fails here, in one sentence
    if importlib.util.find_spec("duckdb") is None:
        return Check("verify", False, "DuckDB is not installed, so published tables cannot be checked")
    return Check("verify", True, f"`data-extractor verify -c {config_path}` proves published tables equal "
                 f"{ex.dialect.name}, down to the key of any row that differs")


def _writable(root: str, options: Any = None) -> Check:
    path = local_path(root)
    if path is None and scheme(root) in NATIVE:  # write, read back and delete a probe object
        fs, base = for_output(root, None, options)
        probe = fs.join(base, f".dx-doctor-{os.getpid()}")
        fs.write_text(probe, "ok")
        fs.read_text(probe)
        fs.remove(probe)
        return Check("output", True, f"{root} is writable (through pyarrow, no Hadoop jar)")
    if path is None:
        return Check("output", True, f"{root}: a Hadoop URI, checked when Spark writes")
    os.makedirs(path, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path, prefix=".dx-doctor-"):
        pass
    return Check("output", True, f"{path} is writable")


def _state(root: str, options: Any = None) -> Check:
    store = StateStore(root, options=options)
    states = store.all()
    for s in states:
        if s.watermark:
            dt.datetime.fromisoformat(s.watermark)
    markers = []

    staging = os.path.join(local_path(root) or "", INTERNAL, "staging")
    if os.path.isdir(staging):
        markers = [r for r in os.listdir(staging) if os.path.isdir(os.path.join(staging, r))
                   and any(f.startswith("_publishing") for f in os.listdir(os.path.join(staging, r)))]
    if markers:
        return Check("state", False, f"an interrupted publish in {', '.join(markers)}",
                     "run data-extractor run once: it restores the previous version first")
    return Check("state", True, f"{len(states)} table state file(s) consistent")


def render(checks: list[Check], as_json: bool) -> str:
    if as_json:
        return json.dumps([c.to_dict() for c in checks], indent=2)
    lines = []
    for c in checks:
        lines.append(f"{'PASS' if c.ok else 'FAIL'}  {c.name}: {c.detail}")
        if not c.ok and c.fix:
            lines.append(f"      fix: {c.fix}")
    failed = sum(not c.ok for c in checks)
    lines.append(f"{len(checks) - failed} passed, {failed} failed")
    return "\n".join(lines)
