"""Importing the panel and browsing with it never loads Spark: pyspark loads when a run starts."""

from __future__ import annotations

import subprocess
import sys

from nb_helpers import Demo


def test_creating_the_panel_and_planning_loads_no_pyspark(demo: Demo):
    code = f"""
import sys
from data_extractor_jupyter import ExtractorPanel
panel = ExtractorPanel({str(demo.config)!r}, warm_up=False, tables=["orders"])
panel.browse.plan_button.click()
assert "strategy" in panel.plan.output.value, panel.plan.output.value
assert "pyspark" not in sys.modules, sorted(m for m in sys.modules if m.startswith("pyspark"))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
