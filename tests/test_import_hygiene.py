"""The engine is headless: importing it loads no face library and no Spark (that waits for a run)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

FORBIDDEN = ("textual", "ipywidgets", "rich", "pyspark")
ENGINE_MODULES = ["data_extractor", "data_extractor.api", "data_extractor.config.models",
                  "data_extractor.source.catalog", "data_extractor.source.planning", "data_extractor.run.model"]

PROBE = """
import json, sys
import {module}
forbidden = {forbidden!r}
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in forbidden)))
"""


def loaded_after_import(module: str) -> list[str]:
    """Forbidden modules in sys.modules after importing `module` in a fresh interpreter."""
    result = subprocess.run([sys.executable, "-c", PROBE.format(module=module, forbidden=FORBIDDEN)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("module", ENGINE_MODULES)
def test_importing_the_engine_loads_no_ui_library_and_no_spark(module):
    assert loaded_after_import(module) == []


def test_the_probe_does_see_a_forbidden_import():
    """Guards the test above against passing vacuously."""
    assert "rich" in loaded_after_import("rich.console")
