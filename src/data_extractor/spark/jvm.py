"""Faster JVM start for short local runs: a class-data sharing archive and lighter JIT/GC settings.

The first local extraction from the CLI (`run`, `demo`: they set DATA_EXTRACTOR_JVM_RECORD=1) records
the classes Spark loads into an AppCDS archive in the user's cache (`-XX:ArchiveClassesAtExit`, written
by the JVM after the run, as it exits); later local sessions map it (`-XX:SharedArchiveFile`). The JVM
ignores an archive that no longer matches its JDK or jars; the file name carries the pyspark and Java versions.
Turn it off with DATA_EXTRACTOR_JVM_TUNING=0.
"""

from __future__ import annotations

import os
import shutil
import zlib


def cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "data-extractor")


def _archive_path() -> str | None:
    try:
        import pyspark

        java = os.path.realpath(shutil.which("java") or "")
        tag = f"{pyspark.__version__}-{zlib.crc32(java.encode()):08x}"
    except Exception:  # noqa: BLE001 - no archive, no harm
        return None
    return os.path.join(cache_dir(), f"spark-{tag}.jsa")


def driver_options() -> str:
    """Extra driver JVM options for a local session (empty when tuning is off)."""
    if os.environ.get("DATA_EXTRACTOR_JVM_TUNING", "1") == "0":
        return ""
    # JVM warnings to stderr (stdout may carry --json output), but not class-data sharing's: recording the
    # archive lists every class it skips (hundreds of lines, after the run has ended).
    opts = ["-XX:+UseSerialGC", "-Xshare:auto", "-Xlog:disable", "-Xlog:all=warning,cds*=off:stderr"]
    if os.environ.get("DATA_EXTRACTOR_SHORT_RUN") == "1":  # the CLI: the JVM lives seconds, C1 compiles enough
        opts.append("-XX:TieredStopAtLevel=1")
    archive = _archive_path()
    if archive:
        _adopt_finished_dumps(archive)
        if os.path.exists(archive) and os.path.getsize(archive) > 0:
            opts.append(f"-XX:SharedArchiveFile={archive}")
        elif os.environ.get("DATA_EXTRACTOR_JVM_RECORD") == "1":
            try:
                os.makedirs(os.path.dirname(archive), exist_ok=True)
                # Each process dumps to its own file; a later start adopts a finished one (see above).
                opts.append(f"-XX:ArchiveClassesAtExit={archive}.{os.getpid()}")
            except OSError:
                pass
    return " ".join(opts)


def _adopt_finished_dumps(archive: str) -> None:
    """Adopt a finished dump as the archive; remove other finished dumps (also other versions' leftovers)."""
    folder, name = os.path.split(archive)
    try:
        candidates = [f for f in os.listdir(folder) if f.startswith("spark-") and ".jsa." in f]
    except OSError:
        return
    for f in candidates:
        pid = f.rsplit(".", 1)[-1]
        path = os.path.join(folder, f)
        if not pid.isdigit() or _alive(int(pid)):
            continue  # still running (and maybe still writing)
        try:
            if f == f"{name}.{pid}" and not os.path.exists(archive) and os.path.getsize(path) > 0:
                os.replace(path, archive)
            else:
                os.remove(path)
        except OSError:  # another process got there first
            pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True
