"""A second Python beside the one running the tests, with one package at another version shadowing ours.

A venv made with `--system-site-packages`, into which only the given requirement is installed: a venv's own
site-packages come before the system ones on `sys.path`, so that version shadows ours while everything else (this
project installed editable included) is shared. Made once and kept (e.g. in the temp folder) between runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


class Unavailable(Exception):
    """The venv cannot be made here; the message says why."""


def _ready(python: Path, check: str) -> bool:
    return python.exists() and subprocess.run([str(python), "-c", check], capture_output=True).returncode == 0


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("WARNING: Location")]
    return lines[-1] if lines else "no output"


def side_python(venv: Path, requirement: str, check: str, minutes: int = 5) -> Path:
    """The venv's interpreter, made on first use; `check` is code that exits 0 once `requirement` is in.

    Raises Unavailable (e.g. offline) with the reason.
    """
    python = venv / "bin" / "python"
    if _ready(python, check):
        return python
    made = subprocess.run([sys.executable, "-m", "venv", "--clear", "--system-site-packages", str(venv)],
                          capture_output=True, text=True)
    if made.returncode != 0:
        raise Unavailable(f"cannot make a venv for {requirement}: {_last_line(made.stderr)}")
    try:
        pip = subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", requirement],
                             capture_output=True, text=True, timeout=minutes * 60)
    except subprocess.TimeoutExpired:
        raise Unavailable(f"installing {requirement} took over {minutes} minutes (no package index?)") from None
    if pip.returncode != 0 or not _ready(python, check):
        raise Unavailable(f"cannot install {requirement} (offline?): {_last_line(pip.stderr)}")
    return python


def child_env() -> dict[str, str]:
    """This process's environment without what would steer a child's Spark or pytest."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("PYSPARK_", "PYTEST_"))}
