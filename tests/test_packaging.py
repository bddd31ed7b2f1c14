"""Packaging: the base install leaves pyspark alone (a cluster's or Databricks' own); without one, one clear line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

PROJECT = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())["project"]


def test_the_base_install_never_installs_or_replaces_pyspark():
    assert all(Requirement(r).name != "pyspark" for r in PROJECT["dependencies"])


def test_the_spark_extra_takes_spark_35_and_4():
    (spark,) = [Requirement(r) for r in PROJECT["optional-dependencies"]["spark"]]
    assert spark.name == "pyspark"
    assert all(spark.specifier.contains(v) for v in ("3.5.7", "4.0.0", "4.3.0"))
    assert not any(spark.specifier.contains(v) for v in ("3.4.4", "5.0.0"))


def test_a_run_without_pyspark_fails_in_one_line_naming_the_install(tmp_path):
    hide = ("import sys; sys.modules['pyspark'] = None; from data_extractor.cli.main import entry; "
            "sys.argv[0] = 'data-extractor'; entry()")
    proc = subprocess.run([sys.executable, "-c", hide, "demo", "--rows", "100", "--output", str(tmp_path)],
                          capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "300"})
    assert proc.returncode == 1
    said = "pyspark is not installed: pip install 'data-extractor[spark]'"
    assert said in proc.stdout and said in proc.stderr  # the summary table (not read as markup) and the run's line
    assert "Traceback" not in proc.stderr
