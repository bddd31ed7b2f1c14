"""A Python with ipywidgets 7.8.1, the version Databricks pins, beside the 8.x installed here.

A venv whose `.pth` file adds the site-packages folders of the interpreter running the tests (the system
Python, or the user's own venv: `--system-site-packages` would reach the system Python even from a venv)
and this project's source folders; only `ipywidgets==7.8.1` is installed into it (with its own
widgetsnbextension 3.6 and jupyterlab_widgets 1.1). The venv's own site-packages come first on `sys.path`,
so 7.8.1 shadows 8.x while everything else (pyspark, pyarrow, jupyterlab, this project) is shared. It is
kept in the temp folder between runs (or at $DX_IPYWIDGETS7_VENV), and made again when the outer
interpreter changes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

VERSION = "7.8.1"
ROOT = Path(__file__).resolve().parents[2]
PTH = "dx-outer-python.pth"


class Unavailable(Exception):
    """The venv cannot be made here; the message says why."""


def _has_version(python: Path) -> bool:
    check = f"import ipywidgets, sys; sys.exit(ipywidgets.__version__ != {VERSION!r})"
    return python.exists() and subprocess.run([str(python), "-c", check], capture_output=True).returncode == 0


def pth_text() -> str:
    """The venv's .pth: this interpreter's site-packages (with their own .pth files, e.g. editable installs),
    then the project's source folders."""
    outer = [p for p in sys.path if p.rstrip("/").endswith(("site-packages", "dist-packages")) and os.path.isdir(p)]
    lines = [f"import site; list(map(site.addsitedir, {outer!r}))"]  # one line: a .pth runs lines apart
    return "\n".join(lines + [str(ROOT / folder) for folder in ("src", "tui", "jupyter_ext")]) + "\n"


# one venv per outer interpreter and checkout: test runs of other checkouts never rebuild it under this one
VENV = Path(os.environ.get("DX_IPYWIDGETS7_VENV") or Path(tempfile.gettempdir())
            / f"dx-ipywidgets-{VERSION}-{zlib.crc32(pth_text().encode()):08x}")


def _site_packages(python: Path) -> Path:
    found = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                           capture_output=True, text=True, check=True)
    return Path(found.stdout.strip())


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("WARNING: Location")]
    return lines[-1] if lines else "no output"


def ipywidgets7_python() -> Path:
    """The venv's interpreter, made on first use; raises Unavailable (e.g. offline) with the reason."""
    python = VENV / "bin" / "python"
    pth = None if not python.exists() else _site_packages(python) / PTH
    if pth is not None and pth.is_file() and pth.read_text() == pth_text() and _has_version(python):
        return python
    made = subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], capture_output=True, text=True)
    if made.returncode != 0:
        raise Unavailable(f"cannot make a venv for ipywidgets {VERSION}: {_last_line(made.stderr)}")
    (_site_packages(python) / PTH).write_text(pth_text())  # before pip: it sees what is shared, installs the rest
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
