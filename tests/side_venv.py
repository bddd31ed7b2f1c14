"""A second Python beside the one running the tests, with one package at another version shadowing ours.

A venv into which only the given requirement is installed, and a `.pth` file that puts this interpreter's
site-packages (with their own .pth files, e.g. an editable install) and the project's source folders after the
venv's own: that version shadows ours while everything else is shared. Unlike `--system-site-packages`, which
reaches the *system* Python's packages, this works the same from the system Python and from a user's venv.
One venv per outer interpreter and checkout (a hash in its name), made once and kept between runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PTH = "dx-outer-python.pth"


class Unavailable(Exception):
    """The venv cannot be made here; the message says why."""


def pth_text() -> str:
    """This interpreter's site-packages, then the project's source folders."""
    outer = [p for p in sys.path if p.rstrip("/").endswith(("site-packages", "dist-packages")) and os.path.isdir(p)]
    lines = [f"import site; list(map(site.addsitedir, {outer!r}))"]  # one line: a .pth runs lines apart
    return "\n".join(lines + [str(ROOT / folder) for folder in ("src", "tui", "jupyter_ext")]) + "\n"


def venv_path(base: Path) -> Path:
    """`base` with a hash of what the venv shares, so other interpreters and checkouts get their own."""
    return base.with_name(f"{base.name}-{zlib.crc32(pth_text().encode()):08x}")


def _ready(python: Path, check: str) -> bool:
    return python.exists() and subprocess.run([str(python), "-c", check], capture_output=True).returncode == 0


def _site_packages(python: Path) -> Path:
    found = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                           capture_output=True, text=True, check=True)
    return Path(found.stdout.strip())


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("WARNING: Location")]
    return lines[-1] if lines else "no output"


def side_python(venv: Path, requirement: str, check: str, minutes: int = 5) -> Path:
    """The venv's interpreter, made on first use; `check` is code that exits 0 once `requirement` is in.

    Raises Unavailable (e.g. offline) with the reason.
    """
    python = venv / "bin" / "python"
    pth = _site_packages(python) / PTH if python.exists() else None
    if pth is not None and pth.is_file() and pth.read_text() == pth_text() and _ready(python, check):
        return python
    made = subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], capture_output=True, text=True)
    if made.returncode != 0:
        raise Unavailable(f"cannot make a venv for {requirement}: {_last_line(made.stderr)}")
    (_site_packages(python) / PTH).write_text(pth_text())  # before pip: it sees what is shared, installs the rest
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
