"""JVM start-up tuning: the class-data archive's life cycle, options the JVM accepts, worker prewarming."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from data_extractor.spark import jvm
from data_extractor.spark.session import _import_task


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("DATA_EXTRACTOR_JVM_TUNING", raising=False)
    monkeypatch.delenv("DATA_EXTRACTOR_JVM_RECORD", raising=False)
    return tmp_path / "data-extractor"


def test_no_archive_is_recorded_outside_a_cli_extraction(cache):
    opts = jvm.driver_options()
    assert "ArchiveClassesAtExit" not in opts and "SharedArchiveFile" not in opts
    assert "-XX:+UseSerialGC" in opts


def test_a_cli_extraction_records_into_its_own_file_and_a_later_start_adopts_it(cache, monkeypatch):
    monkeypatch.setenv("DATA_EXTRACTOR_JVM_RECORD", "1")
    opts = jvm.driver_options()
    target = next(o for o in opts.split() if o.startswith("-XX:ArchiveClassesAtExit="))
    recorded = target.split("=", 1)[1]
    assert recorded.startswith(str(cache)) and recorded.endswith(f".{os.getpid()}")

    # A dump left by a process that has ended is adopted as the archive; one still being written is not.
    archive = recorded.rsplit(".", 1)[0]
    dead = subprocess.Popen(["true"])
    dead.wait()
    with open(f"{archive}.{dead.pid}", "wb") as fh:
        fh.write(b"archive")
    with open(f"{archive}.{os.getpid()}", "wb") as fh:  # this process is alive: still writing
        fh.write(b"partial")
    other_version = cache / f"spark-0.0.0-00000000.jsa.{dead.pid}"  # a finished dump of another version
    other_version.write_bytes(b"old")
    opts = jvm.driver_options()
    assert f"-XX:SharedArchiveFile={archive}" in opts.split()
    assert open(archive, "rb").read() == b"archive"
    assert os.path.exists(f"{archive}.{os.getpid()}")
    assert not other_version.exists()


def test_tuning_off(cache, monkeypatch):
    monkeypatch.setenv("DATA_EXTRACTOR_JVM_TUNING", "0")
    assert jvm.driver_options() == ""


@pytest.mark.skipif(shutil.which("java") is None, reason="no java")
def test_the_jvm_accepts_the_options_and_prints_no_class_sharing_chatter(cache, monkeypatch):
    monkeypatch.setenv("DATA_EXTRACTOR_SHORT_RUN", "1")
    opts = [o for o in jvm.driver_options().split() if not o.startswith("-XX:SharedArchiveFile")]
    done = subprocess.run(["java", *opts, "-Xshare:auto", "-XX:SharedArchiveFile=/nonexistent.jsa", "-version"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "[cds]" not in done.stderr and "Unrecognized" not in done.stderr


def test_the_prewarm_task_imports_what_it_is_given_and_ignores_what_is_missing():
    import sys

    sys.modules.pop("colorsys", None)
    task = _import_task(("colorsys", "no_such_module_anywhere"))
    assert list(task(iter([0]))) == [True]
    assert "colorsys" in sys.modules
