"""A Python with pyspark 3.5 (what Databricks LTS runtimes ship), beside the Spark 4 installed here.

A venv made with `--system-site-packages`, into which only `pyspark==3.5.*` is installed (with its own py4j). A
venv's own site-packages come before the system ones on `sys.path`, so 3.5 shadows 4.x while everything else
(pyarrow, pandas<3, the drivers, this project installed editable) is shared. Spark 3.5 runs on Java 17 and on
Python 3.8 to 3.11 (3.11 here). The venv is kept in the temp folder between runs (or at $DX_SPARK35_VENV).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

SPEC = "pyspark==3.5.*"
VENV = Path(os.environ.get("DX_SPARK35_VENV") or Path(tempfile.gettempdir()) / "dx-pyspark-3.5")


class Unavailable(Exception):
    """The venv cannot be made here; the message says why."""


def _has_spark35(python: Path) -> bool:
    check = "import pyspark, sys; sys.exit(not pyspark.__version__.startswith('3.5.'))"
    return python.exists() and subprocess.run([str(python), "-c", check], capture_output=True).returncode == 0


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("WARNING: Location")]
    return lines[-1] if lines else "no output"


def spark35_python() -> Path:
    """The venv's interpreter, made on first use; raises Unavailable (e.g. offline) with the reason."""
    python = VENV / "bin" / "python"
    if _has_spark35(python):
        return python
    made = subprocess.run([sys.executable, "-m", "venv", "--clear", "--system-site-packages", str(VENV)],
                          capture_output=True, text=True)
    if made.returncode != 0:
        raise Unavailable(f"cannot make a venv for {SPEC}: {_last_line(made.stderr)}")
    try:
        pip = subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", SPEC],
                             capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        raise Unavailable(f"installing {SPEC} took over 10 minutes (no package index?)") from None
    if pip.returncode != 0 or not _has_spark35(python):
        raise Unavailable(f"cannot install {SPEC} (offline?): {_last_line(pip.stderr)}")
    return python


def child_env() -> dict[str, str]:
    """This process's environment without what would steer a child's Spark or pytest."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("PYSPARK_", "PYTEST_"))}
