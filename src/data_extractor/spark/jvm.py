"""Faster JVM start for short local runs: a class-data sharing archive and lighter JIT/GC settings.

Local sessions map an AppCDS archive of the classes Spark loads (`-XX:SharedArchiveFile`) from the
user's cache, which takes seconds off every CLI run. After the first local extraction from the CLI
finds none, `record_in_background()` starts a detached process that records one (a small Spark
session run with `-XX:ArchiveClassesAtExit`, which makes that JVM start slower: so it is not the
user's run that pays). The archive appears whole or not at all (written aside, then renamed); the JVM
ignores one that no longer matches its JDK or jars, and the file name carries the pyspark and Java
versions. Turn all of this off with DATA_EXTRACTOR_JVM_TUNING=0.

`launching()` wraps a JVM's launch: the JVM's console output (inherited stdout and stderr) goes
through a filter that drops its start-up notices, to this process's stderr or to a file a face
chose with `send_console_to` (a notebook, whose kernel would show it under whichever cell ran last).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

RECORD_ENV = "DATA_EXTRACTOR_JVM_RECORD_TO"  # set only in the recording process: where its JVM dumps
# Lines every local JVM prints at start that tell a user nothing (Spark's own setLogLevel hint included).
NOISE = (b"WARNING: Using incubator modules", b"Setting default log level to",
         b"To adjust logging level use sc.setLogLevel")
_console: dict[str, str | None] = {"file": None}


def send_console_to(path: str | None) -> None:
    """Send the console output of JVMs launched from now on to `path` (appended), or to stderr (None)."""
    _console["file"] = path


@contextmanager
def launching() -> Iterator[None]:
    """Around a JVM's launch: the JVM inherits a pipe as stdout and stderr, read by a filter thread.

    This process's own stdout and stderr are pointed back as they were once the block ends.
    """
    try:
        read, write = os.pipe()
        saved = [os.dup(1), os.dup(2)]
    except OSError:  # no file descriptors to juggle (an embedded interpreter): leave the console as it is
        yield
        return
    target = _console["file"]
    try:
        if target:
            os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
        sink = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644) if target else os.dup(saved[1])
    except OSError:
        sink = os.dup(saved[1])
    threading.Thread(target=_filter, args=(read, sink), daemon=True, name="dx-jvm-console").start()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass
    os.dup2(write, 1)
    os.dup2(write, 2)
    try:
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (write, *saved):
            os.close(fd)


def _filter(read: int, sink: int) -> None:
    """Copy lines from `read` to `sink`, leaving out the start-up notices, until every writer has closed."""
    rest = b""
    with os.fdopen(read, "rb", buffering=0) as pipe:
        while chunk := pipe.read(65536):
            *lines, rest = (rest + chunk).split(b"\n")
            keep = b"".join(line + b"\n" for line in lines if not line.startswith(NOISE))
            if keep:
                os.write(sink, keep)
    if rest and not rest.startswith(NOISE):
        os.write(sink, rest)
    os.close(sink)


def cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "data-extractor")


def tuning_on() -> bool:
    return os.environ.get("DATA_EXTRACTOR_JVM_TUNING", "1") != "0"


def archive_path() -> str | None:
    try:
        import pyspark

        home = os.environ.get("JAVA_HOME")
        java = os.path.join(home, "bin", "java") if home else shutil.which("java") or ""
        tag = f"{pyspark.__version__}-{zlib.crc32(os.path.realpath(java).encode()):08x}"
    except Exception:  # noqa: BLE001 - no archive, no harm
        return None
    return os.path.join(cache_dir(), f"spark-{tag}.jsa")


def driver_options() -> str:
    """Extra driver JVM options for a local session (empty when tuning is off)."""
    if not tuning_on():
        return ""
    # JVM warnings to stderr (stdout may carry --json output), but not class-data sharing's: recording the
    # archive lists every class it skips (hundreds of lines).
    opts = ["-XX:+UseSerialGC", "-Xshare:auto", "-Xlog:disable", "-Xlog:all=warning,cds*=off:stderr"]
    if os.environ.get("DATA_EXTRACTOR_SHORT_RUN") == "1":  # the CLI: the JVM lives seconds, C1 compiles enough
        opts.append("-XX:TieredStopAtLevel=1")
    record = os.environ.get(RECORD_ENV)
    archive = archive_path()
    if record:
        opts.append(f"-XX:ArchiveClassesAtExit={record}")
    elif archive and os.path.isfile(archive) and os.path.getsize(archive) > 0:
        opts.append(f"-XX:SharedArchiveFile={archive}")
    return " ".join(opts)


def record_in_background() -> bool:
    """Start a detached process that records the archive, unless there is one or one is being recorded."""
    archive = archive_path()
    if not tuning_on() or archive is None or os.path.exists(archive):
        return False
    lock = archive + ".lock"
    try:
        os.makedirs(os.path.dirname(archive), exist_ok=True)
        _clear_stale(archive)
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except OSError:  # another process records it, or the cache is not writable: nothing to do
        return False
    try:
        proc = subprocess.Popen([sys.executable, "-m", "data_extractor.spark.jvm", archive],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True, env={**os.environ, "DATA_EXTRACTOR_SHORT_RUN": "1"})
        os.write(fd, str(proc.pid).encode())
    except OSError:
        os.remove(lock)
        return False
    finally:
        os.close(fd)
    return True


def _clear_stale(archive: str) -> None:
    """Remove what a killed recorder left: its lock, its partial dump (and other versions' partial dumps)."""
    folder = os.path.dirname(archive)
    lock = archive + ".lock"
    try:
        with open(lock) as fh:
            owner = fh.read().strip()
        if owner.isdigit() and not _alive(int(owner)):
            os.remove(lock)
    except (OSError, ValueError):
        pass
    for f in os.listdir(folder):
        if not f.startswith("spark-") or ".jsa." not in f:
            continue
        parts = f.split(".")
        pid = parts[-2] if parts[-1] == "tmp" else parts[-1]  # spark-*.jsa.<pid>.tmp (older: spark-*.jsa.<pid>)
        if pid.isdigit() and not _alive(int(pid)):
            try:
                os.remove(os.path.join(folder, f))
            except OSError:
                pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def _touch(index: int) -> int:
    import pyarrow.parquet  # noqa: F401 - loads what an extraction task loads

    return index


def record(archive: str) -> None:
    """Run a small local session whose JVM dumps the classes it loaded; publish the dump as `archive`."""
    tmp = f"{archive}.{os.getpid()}.tmp"
    os.environ[RECORD_ENV] = tmp
    try:
        from data_extractor.config.models import SparkConfig
        from data_extractor.spark import session as spark

        s = spark.get_session(SparkConfig(master="local[2]"))
        child = s.newSession()
        child.sparkContext.parallelize(range(2), 2).map(_touch).collect()  # the arrow path's tasks
        child.range(0, 100, 1, 2).selectExpr("id * 2 AS x").where("x > 3").collect()  # SQL planning
        gateway: Any = s.sparkContext._gateway
        s.stop()
        proc = getattr(gateway, "proc", None)
        if proc is not None:  # the JVM exits when its stdin closes, and writes the dump as it exits
            proc.stdin.close()
            proc.wait(timeout=600)
        if os.path.isfile(tmp) and os.path.getsize(tmp) > 0:
            os.replace(tmp, archive)
    finally:
        for leftover in (tmp, archive + ".lock"):
            try:
                os.remove(leftover)
            except OSError:
                pass


if __name__ == "__main__":
    record(sys.argv[1])
