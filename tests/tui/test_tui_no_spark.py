"""The first screen is drawn without Spark: nothing imports pyspark until a run (or the warm-up) needs it."""

from __future__ import annotations

import json
import subprocess
import sys

from tui_helpers import demo_config

PROBE = """
import asyncio, json, sys
from data_extractor_tui.app import DataExtractorApp

async def main():
    app = DataExtractorApp({config!r}, warm_spark=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        tree = app.screen.query_one("#catalog")
        print(json.dumps({{"tables": tree.visible_tables(), "spark": app.spark_status,
                          "loaded": sorted(m for m in sys.modules if m.split(".")[0] in ("pyspark", "py4j"))}}))

asyncio.run(main())
"""


def test_browsing_with_warm_up_disabled_never_imports_pyspark(tmp_path):
    config, _ = demo_config(tmp_path, rows=100)
    result = subprocess.run([sys.executable, "-c", PROBE.format(config=str(config))], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["tables"] == ["main.customers", "main.orders", "main.products"]
    assert seen["spark"] == "starts with the first run"
    assert seen["loaded"] == []


def test_importing_the_package_loads_neither_textual_nor_spark():
    probe = ("import sys, data_extractor_tui; "
             "print(sorted({m.split('.')[0] for m in sys.modules} & {'textual', 'pyspark', 'py4j'}))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
