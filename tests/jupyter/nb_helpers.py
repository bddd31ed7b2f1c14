"""Helpers of the notebook panel's tests: the demo SQLite database, and the text a widget shows."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

from data_extractor.cli.demo import build_database, write_config

DEMO_ROWS = 20_000


@dataclass(frozen=True)
class Demo:
    folder: Path
    db: Path
    config: Path
    counts: dict[str, int]  # rows per table, as built


def make_demo(folder: Path, rows: int = DEMO_ROWS) -> Demo:
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "demo.db"
    counts = build_database(db, rows=rows)
    return Demo(folder, db, write_config(folder, db, master="local[2]"), counts)


def text(value: str) -> str:
    """The text of an HTML widget's value, without tags and with plain spaces."""
    return html.unescape(re.sub(r"<[^>]+>", "", value)).replace("\u00a0", " ")
