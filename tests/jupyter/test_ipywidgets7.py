"""The panel's widget-state tests again under ipywidgets 7.8.1, the version Databricks pins.

They run in a child pytest on the venv of nb_venv.py (7.8.1 shadowing the 8.x installed here); the child's
first test asserts it really imports 7.x. Skipped, with the reason, when that venv cannot be made.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from nb_venv import child_env

ROOT = Path(__file__).resolve().parents[2]
TESTS = ["tests/jupyter/test_panel_state.py", "tests/jupyter/test_panel_import_hygiene.py"]


@pytest.mark.spark
def test_panel_state_tests_pass_under_ipywidgets_7_8(ipywidgets7_python: Path):
    env = {**child_env(), "DX_EXPECT_IPYWIDGETS": "7"}
    done = subprocess.run([str(ipywidgets7_python), "-m", "pytest", *TESTS, "-q", "-p", "no:cacheprovider"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    report = done.stdout[-6000:] + done.stderr[-3000:]
    assert done.returncode == 0, report
    assert " passed" in done.stdout and "skipped" not in done.stdout.splitlines()[-1], report
