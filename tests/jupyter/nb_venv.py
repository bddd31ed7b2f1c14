"""A Python with ipywidgets 7.8.1, the version Databricks pins, beside the 8.x installed here.

A venv made with `--system-site-packages`, into which only `ipywidgets==7.8.1` is installed (with its own
widgetsnbextension 3.6 and jupyterlab_widgets 1.1). A venv's own site-packages come before the system ones
on `sys.path`, so 7.8.1 shadows 8.x while everything else (pyspark, pyarrow, jupyterlab, this project
installed editable) is shared. It is kept in the temp folder between runs (or at $DX_IPYWIDGETS7_VENV).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

VERSION = "7.8.1"
VENV = Path(os.environ.get("DX_IPYWIDGETS7_VENV") or Path(tempfile.gettempdir()) / f"dx-ipywidgets-{VERSION}")


class Unavailable(Exception):
    """The venv cannot be made here; the message says why."""


def _has_version(python: Path) -> bool:
    check = f"import ipywidgets, sys; sys.exit(ipywidgets.__version__ != {VERSION!r})"
    return python.exists() and subprocess.run([str(python), "-c", check], capture_output=True).returncode == 0


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("WARNING: Location")]
    return lines[-1] if lines else "no output"


def ipywidgets7_python() -> Path:
    """The venv's interpreter, made on first use; raises Unavailable (e.g. offline) with the reason."""
    python = VENV / "bin" / "python"
    if _has_version(python):
        return python
    made = subprocess.run([sys.executable, "-m", "venv", "--clear", "--system-site-packages", str(VENV)],
                          capture_output=True, text=True)
    if made.returncode != 0:
        raise Unavailable(f"cannot make a venv for ipywidgets {VERSION}: {_last_line(made.stderr)}")
    try:
        pip = subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                              f"ipywidgets=={VERSION}"], capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        raise Unavailable(f"installing ipywidgets {VERSION} took over 5 minutes (no package index?)") from None
    if pip.returncode != 0 or not _has_version(python):
        raise Unavailable(f"cannot install ipywidgets {VERSION} (offline?): {_last_line(pip.stderr)}")
    return python


def child_env() -> dict[str, str]:
    """This process's environment without what would steer a child's Spark or pytest."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("PYSPARK_", "PYTEST_"))}
