"""How long `a` (mark a whole schema) keeps the dashboard busy on a schema of 10,000 tables.

    python bench/bench_tui_mark_all.py

Prints a table: seconds from the key press until every mark is drawn, and the same for unmarking.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "tui"))

from tui_fakes import BigCatalogExtractor  # noqa: E402
from tui_helpers import demo_config  # noqa: E402

from data_extractor_tui.app import DataExtractorApp  # noqa: E402
from data_extractor_tui.widgets.catalog_tree import CatalogTree  # noqa: E402


async def measure(config: str) -> list[tuple[str, float]]:
    app = DataExtractorApp(BigCatalogExtractor(config), warm_spark=False)
    out = []
    async with app.run_test(size=(160, 45)) as pilot:
        tree = app.screen.query_one(CatalogTree)
        while not ("main" in tree.tables and not tree.busy):
            await pilot.pause(0.05)
        for what, want in (("mark 10,000", 10_000), ("unmark 10,000", 0)):
            t0 = time.perf_counter()
            await pilot.press("a")
            while len(app.selection) != want:
                await pilot.pause(0.01)
            await pilot.pause()  # the frame with the marks drawn
            out.append((what, time.perf_counter() - t0))
    return out


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config, _ = demo_config(Path(tmp), rows=1_000)
        rows = asyncio.run(measure(str(config)))
    print(f"{'action':<16}{'seconds':>9}")
    for what, seconds in rows:
        print(f"{what:<16}{seconds:>9.2f}")


if __name__ == "__main__":
    main()
