"""JVM start-up tuning: the class-data archive's life cycle, options the JVM accepts, worker prewarming."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest

from data_extractor.spark import jvm
from data_extractor.spark.session import _import_task


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("DATA_EXTRACTOR_JVM_TUNING", raising=False)
    monkeypatch.delenv(jvm.RECORD_ENV, raising=False)
    folder = tmp_path / "data-extractor"
    folder.mkdir()
    return folder


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_a_session_maps_the_archive_only_once_it_exists(cache):
    opts = jvm.driver_options()
    assert "-XX:+UseSerialGC" in opts and "SharedArchiveFile" not in opts and "ArchiveClassesAtExit" not in opts
    archive = jvm.archive_path()
    assert archive is not None and archive.startswith(str(cache))
    with open(archive, "wb") as fh:
        fh.write(b"archive")
    assert f"-XX:SharedArchiveFile={archive}" in jvm.driver_options().split()


def test_no_recording_while_one_is_under_way_or_once_the_archive_exists(cache):
    archive = jvm.archive_path()
    with open(archive + ".lock", "w") as fh:
        fh.write(str(os.getpid()))  # a live recorder holds the lock
    assert jvm.record_in_background() is False
    os.remove(archive + ".lock")
    with open(archive, "wb") as fh:
        fh.write(b"archive")
    assert jvm.record_in_background() is False


def test_what_a_killed_recorder_left_is_cleared(cache):
    archive = jvm.archive_path()
    gone = dead_pid()
    leftovers = [f"{archive}.{gone}.tmp", str(cache / f"spark-0.0.0-00000000.jsa.{gone}")]
    for path in leftovers:
        with open(path, "wb") as fh:
            fh.write(b"partial")
    live = f"{archive}.{os.getpid()}.tmp"  # still being written by a live process: kept
    with open(live, "wb") as fh:
        fh.write(b"partial")
    with open(archive + ".lock", "w") as fh:
        fh.write(str(gone))
    jvm._clear_stale(archive)
    assert not any(os.path.exists(p) for p in [*leftovers, archive + ".lock"])
    assert os.path.exists(live)


def test_tuning_off(cache, monkeypatch):
    monkeypatch.setenv("DATA_EXTRACTOR_JVM_TUNING", "0")
    assert jvm.driver_options() == ""
    assert jvm.record_in_background() is False


@pytest.mark.skipif(shutil.which("java") is None, reason="no java")
def test_the_jvm_accepts_the_options_and_prints_no_class_sharing_chatter(cache, monkeypatch):
    monkeypatch.setenv("DATA_EXTRACTOR_SHORT_RUN", "1")
    opts = jvm.driver_options().split()
    done = subprocess.run(["java", *opts, "-XX:SharedArchiveFile=/nonexistent.jsa", "-version"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "[cds]" not in done.stderr and "Unrecognized" not in done.stderr


@pytest.mark.spark
def test_the_background_recorder_publishes_a_whole_archive_the_jvm_then_maps(cache, monkeypatch):
    assert jvm.record_in_background() is True
    archive = jvm.archive_path()
    deadline = time.monotonic() + 300
    while os.path.exists(archive + ".lock") and time.monotonic() < deadline:
        time.sleep(1)
    assert os.path.getsize(archive) > 10_000_000, "no archive was recorded"
    assert not [f for f in os.listdir(cache) if f.endswith((".tmp", ".lock"))]
    # A fresh local session maps it: a JVM that cannot use it would say so with -Xshare:on.
    probe = ("import os, sys; os.environ['PYSPARK_SUBMIT_ARGS'] = '--driver-java-options \"' + sys.argv[1] + "
             "' -Xshare:on\" pyspark-shell'; from pyspark.sql import SparkSession; "
             "s = SparkSession.builder.master('local[1]').config('spark.ui.enabled', 'false').getOrCreate(); "
             "print(s.range(3).count())")
    done = subprocess.run([sys.executable, "-c", probe, jvm.driver_options()], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0 and done.stdout.strip().endswith("3"), done.stderr[-2000:]


def test_the_prewarm_task_imports_what_it_is_given_and_ignores_what_is_missing():
    sys.modules.pop("colorsys", None)
    task = _import_task(("colorsys", "no_such_module_anywhere"))
    assert list(task(iter([0]))) == [True]
    assert "colorsys" in sys.modules
