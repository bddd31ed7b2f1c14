"""Regenerate the screenshots in docs/img (tui-*.svg, and .png when rsvg-convert is installed).

    python tests/tui/screenshots.py

The demo database, a scripted run and a frozen clock: the same pictures every time.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from tui_fakes import ScriptedExtractor
from tui_helpers import catalog_loaded, demo_config, wait_until

from data_extractor_tui.app import DataExtractorApp
from data_extractor_tui.clock import FrozenClock
from data_extractor_tui.screens.history import HistoryScreen
from data_extractor_tui.screens.plan import PlanScreen
from data_extractor_tui.screens.run import RunScreen

OUT = Path(__file__).resolve().parents[2] / "docs" / "img"
SIZE = (120, 40)


class Held(ScriptedExtractor):
    hold = threading.Event()  # the run stops half way, for the "running" picture
    handles = []


async def shoot(config: str, name: str, steps, extractor=ScriptedExtractor, theme: str | None = None) -> None:
    app = DataExtractorApp(extractor(config), warm_spark=False, clock=FrozenClock())
    async with app.run_test(size=SIZE) as pilot:
        if theme:
            app.theme = theme
        await catalog_loaded(pilot)
        await steps(pilot)
        await pilot.pause(0.4)
        app.clear_notifications()
        await pilot.pause()
        path = OUT / f"tui-{name}.svg"
        app.save_screenshot(path.name, path=str(OUT))
        print(path)
        if extractor is Held:
            Held.hold.set()


async def browse(pilot) -> None:
    await pilot.press("space", "space", "up")
    await wait_until(pilot, lambda: pilot.app.screen.query_one("#detail-columns").row_count == 9)


async def plan(pilot) -> None:
    await pilot.press("down", "space", "p")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, PlanScreen))
    pilot.app.screen.query_one("#partitions").focus()
    await pilot.press("6", "enter")
    await wait_until(pilot, lambda: pilot.app.screen.query_one("#plan-partitions").row_count == 6)


async def running(pilot) -> None:
    await pilot.press("space", "space", "r")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, RunScreen)
                     and pilot.app.run_model.count("running") == 2)


async def finished(pilot) -> None:
    await pilot.press("space", "space", "r")
    await wait_until(pilot, lambda: pilot.app.run_model is not None and pilot.app.run_model.finished)
    await pilot.press("down")


async def history(pilot) -> None:
    await pilot.press("h")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, HistoryScreen) and
                     pilot.app.screen.query_one("#history-table").row_count == 3)


async def help_screen(pilot) -> None:
    await pilot.press("question_mark")


def to_png(svg: Path) -> None:
    """PNG through rsvg-convert; its text layout needs plain spaces, kept as written."""
    text = svg.read_text(encoding="utf-8").replace("&#160;", " ")
    text = re.sub(r"<svg ", '<svg xml:space="preserve" ', text, count=1)
    with tempfile.NamedTemporaryFile("w", suffix=".svg", delete=False, encoding="utf-8") as tmp:
        tmp.write(text)
    subprocess.run(["rsvg-convert", tmp.name, "-o", str(svg.with_suffix(".png"))], check=True)
    Path(tmp.name).unlink()


async def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="dx-shots-"))
    config = str(demo_config(folder, rows=200_000)[0])
    await shoot(config, "browse", browse)
    await shoot(config, "plan", plan)
    await shoot(config, "run", running, extractor=Held)
    await shoot(config, "run-finished", finished)
    await shoot(config, "run-light", finished, theme="textual-light")
    await shoot(config, "history", history)
    await shoot(config, "help", help_screen)
    shutil.rmtree(folder)
    if shutil.which("rsvg-convert"):
        for svg in sorted(OUT.glob("tui-*.svg")):
            to_png(svg)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
