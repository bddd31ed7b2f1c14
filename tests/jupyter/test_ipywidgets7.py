"""The panel's widget-state tests again under ipywidgets 7.8.1, the version Databricks pins.

How: a venv made with `--system-site-packages`, into which only `ipywidgets==7.8.1` is installed (with its
own widgetsnbextension 3.6 and jupyterlab_widgets 1.1). A venv's own site-packages come before the system
ones on `sys.path`, so 7.8.1 shadows the 8.x installed here while everything else (pyspark, pyarrow, this
project installed editable) is shared; the child's first test asserts it really runs 7.x. The venv is kept
in the temp folder between runs. Skipped, with the reason, when it cannot be made (e.g. no package index).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

VERSION = "7.8.1"
ROOT = Path(__file__).resolve().parents[2]
VENV = Path(os.environ.get("DX_IPYWIDGETS7_VENV") or Path(tempfile.gettempdir()) / f"dx-ipywidgets-{VERSION}")
TESTS = ["tests/jupyter/test_panel_state.py", "tests/jupyter/test_import_hygiene.py"]


def _has_version(python: Path) -> bool:
    check = f"import ipywidgets, sys; sys.exit(ipywidgets.__version__ != {VERSION!r})"
    return python.exists() and subprocess.run([str(python), "-c", check], capture_output=True).returncode == 0


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("WARNING: Location")]
    return lines[-1] if lines else "no output"


@pytest.fixture(scope="module")
def ipywidgets7_python() -> Path:
    python = VENV / "bin" / "python"
    if _has_version(python):
        return python
    made = subprocess.run([sys.executable, "-m", "venv", "--clear", "--system-site-packages", str(VENV)],
                          capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot make a venv for ipywidgets {VERSION}: {_last_line(made.stderr)}")
    try:
        pip = subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                              f"ipywidgets=={VERSION}"], capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        pytest.skip(f"installing ipywidgets {VERSION} took over 5 minutes (no package index?)")
    if pip.returncode != 0 or not _has_version(python):
        pytest.skip(f"cannot install ipywidgets {VERSION} (offline?): {_last_line(pip.stderr)}")
    return python


@pytest.mark.spark
def test_panel_state_tests_pass_under_ipywidgets_7_8(ipywidgets7_python: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYSPARK_", "PYTEST_"))}
    env["DX_EXPECT_IPYWIDGETS"] = "7"
    done = subprocess.run([str(ipywidgets7_python), "-m", "pytest", *TESTS, "-q", "-p", "no:cacheprovider"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    report = done.stdout[-6000:] + done.stderr[-3000:]
    assert done.returncode == 0, report
    assert " passed" in done.stdout and "skipped" not in done.stdout.splitlines()[-1], report
