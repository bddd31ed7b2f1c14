"""Waiting on the dashboard without sleeping blindly, and building its sources."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from data_extractor.cli.demo import build_database, write_config
from data_extractor_tui.app import DataExtractorApp


async def wait_until(pilot: Pilot[Any], condition: Callable[[], object], timeout: float = 30.0,
                     what: str = "the condition") -> None:
    """Let the app run until `condition()` holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        await pilot.pause(0.05)


async def catalog_loaded(pilot: Pilot[Any]) -> None:
    """Wait until the first schema's tables are in the tree."""
    app = pilot.app
    await wait_until(pilot, lambda: app.screen.query("#catalog") and
                     app.screen.query_one("#catalog").tables and not app.screen.query_one("#catalog").busy,
                     what="the catalog")
    await pilot.pause()


def demo_config(folder: Path, rows: int = 20_000) -> tuple[Path, Path]:
    """The demo SQLite database and its config in `folder`: (config, database)."""
    db = folder / "demo.db"
    build_database(db, rows=rows)
    return write_config(folder, db, master="local[2]"), db


class RecordingApp(DataExtractorApp):
    """The app, keeping every notification it showed (message, severity)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.notes: list[tuple[str, str]] = []

    def notify(self, message: str, *, title: str = "", severity: Any = "information", timeout: float | None = None,
               markup: bool = True) -> None:
        self.notes.append((message, severity))
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)


def cell_text(table: Any, row: str, column: str) -> str:
    """The plain text of a DataTable cell."""
    value = table.get_cell(row, column)
    return getattr(value, "plain", str(value))
