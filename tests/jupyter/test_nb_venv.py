"""The ipywidgets 7.8.1 venv works whatever runs the tests: the system Python, or the user's own venv.

A user's venv (`python -m venv .venv`, `pip install -e ".[dev]"`) holds packages the system Python lacks; the
7.8.1 venv must see them (a `--system-site-packages` venv made from inside a venv sees the system's instead).
Here the outer venv reaches the system's packages through a .pth file, as an install would, and holds one
module of its own.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from nb_venv import VERSION, child_env

HERE = Path(__file__).resolve().parent


def test_the_ipywidgets7_venv_sees_the_packages_of_a_venv_it_is_made_from(tmp_path):
    outer = tmp_path / "user-venv"
    subprocess.run([sys.executable, "-m", "venv", str(outer)], check=True)
    python = outer / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "system.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")  # what `pip install` would bring
    (site / "only_in_the_user_venv.py").write_text("HERE = True\n")
    env = {**child_env(), "DX_IPYWIDGETS7_VENV": str(tmp_path / "ipywidgets7"),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE.parent), os.environ.get("PYTHONPATH")]))}
    made = subprocess.run([str(python), "-c", "import nb_venv; print(nb_venv.ipywidgets7_python())"], cwd=HERE,
                          env=env, capture_output=True, text=True, timeout=600)
    if made.returncode != 0 and "offline" in made.stderr:
        pytest.skip(made.stderr.strip().splitlines()[-1])
    assert made.returncode == 0, made.stderr
    inner = made.stdout.strip()
    check = ("import ipywidgets, only_in_the_user_venv, data_extractor_jupyter, psycopg; "
             "print(ipywidgets.__version__)")
    seen = subprocess.run([inner, "-c", check], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert seen.returncode == 0, seen.stderr
    assert seen.stdout.strip() == VERSION
