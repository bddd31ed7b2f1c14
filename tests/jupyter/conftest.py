"""Fixtures of the notebook panel's tests."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from nb_helpers import Demo, make_demo  # noqa: E402
from nb_venv import Unavailable  # noqa: E402
from nb_venv import ipywidgets7_python as make_ipywidgets7_python  # noqa: E402

from data_extractor.cli.demo import write_config  # noqa: E402


@pytest.fixture(scope="session")
def demo_master(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    return make_demo(tmp_path_factory.mktemp("demo-master"))


@pytest.fixture
def demo(demo_master: Demo, tmp_path: Path) -> Demo:
    """A private copy of the demo (database, config, empty output) for one test."""
    shutil.copy(demo_master.db, tmp_path / "demo.db")
    config = write_config(tmp_path, tmp_path / "demo.db", master="local[2]")
    return Demo(tmp_path, tmp_path / "demo.db", config, demo_master.counts)


@pytest.fixture(scope="session")
def ipywidgets7_python() -> Path:
    """An interpreter with ipywidgets 7.8.1 (see nb_venv.py); skips the test when it cannot be made."""
    try:
        return make_ipywidgets7_python()
    except Unavailable as exc:
        pytest.skip(str(exc))
