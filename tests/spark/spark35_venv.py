"""A Python with pyspark 3.5 (what Databricks LTS runtimes ship), beside the Spark 4 installed here.

Only `pyspark==3.5.*` (with its own py4j) is installed into a venv sharing everything else (`side_venv.py`), so
everything else (pyarrow, pandas<3, the drivers, this project) is shared. Spark 3.5 runs on Java 17 and, as pip's
package declares, Python 3.8 to 3.11 (3.11 here). Kept in the temp folder between runs (or at $DX_SPARK35_VENV).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from side_venv import Unavailable, child_env, side_python, venv_path

__all__ = ["Unavailable", "child_env", "spark35_python"]

VENV = Path(os.environ.get("DX_SPARK35_VENV") or venv_path(Path(tempfile.gettempdir()) / "dx-pyspark-3.5"))


def spark35_python() -> Path:
    """The venv's interpreter, made on first use (a download of about 320 MB); raises Unavailable with the reason."""
    check = "import pyspark, sys; sys.exit(not pyspark.__version__.startswith('3.5.'))"
    return side_python(VENV, "pyspark==3.5.*", check, minutes=10)
