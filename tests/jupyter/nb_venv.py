"""A Python with ipywidgets 7.8.1, the version Databricks pins, beside the 8.x installed here.

A venv made with `--system-site-packages`, into which only `ipywidgets==7.8.1` is installed (with its own
widgetsnbextension 3.6 and jupyterlab_widgets 1.1). A venv's own site-packages come before the system ones
on `sys.path`, so 7.8.1 shadows 8.x while everything else (pyspark, pyarrow, jupyterlab, this project
installed editable) is shared. It is kept in the temp folder between runs (or at $DX_IPYWIDGETS7_VENV).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from side_venv import Unavailable, child_env, side_python

__all__ = ["Unavailable", "child_env", "ipywidgets7_python"]

VERSION = "7.8.1"
VENV = Path(os.environ.get("DX_IPYWIDGETS7_VENV") or Path(tempfile.gettempdir()) / f"dx-ipywidgets-{VERSION}")


def ipywidgets7_python() -> Path:
    """The venv's interpreter, made on first use; raises Unavailable (e.g. offline) with the reason."""
    check = f"import ipywidgets, sys; sys.exit(ipywidgets.__version__ != {VERSION!r})"
    return side_python(VENV, f"ipywidgets=={VERSION}", check)
