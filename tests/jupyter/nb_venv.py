"""A Python with ipywidgets 7.8.1, the version Databricks pins, beside the 8.x installed here.

Only `ipywidgets==7.8.1` (with its own widgetsnbextension 3.6 and jupyterlab_widgets 1.1) is installed into a venv
that shares everything else with the interpreter running the tests (`side_venv.py`), whether that is the system
Python or a user's venv. Kept in the temp folder between runs (or at $DX_IPYWIDGETS7_VENV).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from side_venv import Unavailable, child_env, side_python, venv_path

__all__ = ["Unavailable", "child_env", "ipywidgets7_python", "VENV"]

VERSION = "7.8.1"
VENV = Path(os.environ.get("DX_IPYWIDGETS7_VENV")
            or venv_path(Path(tempfile.gettempdir()) / f"dx-ipywidgets-{VERSION}"))


def ipywidgets7_python() -> Path:
    """The venv's interpreter, made on first use; raises Unavailable (e.g. offline) with the reason."""
    check = f"import ipywidgets, sys; sys.exit(ipywidgets.__version__ != {VERSION!r})"
    return side_python(VENV, f"ipywidgets=={VERSION}", check)
