"""The run's log lines, all or one table's, newest at the bottom."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.widgets import RichLog

from data_extractor.run.events import LogLine

from ..clock import Clock
from ..palette import tone

TABLE_WIDTH = 16


class LogPane(RichLog):
    def __init__(self, clock: Clock, **kwargs: object) -> None:
        super().__init__(wrap=True, markup=False, highlight=False, max_lines=5_000, **kwargs)  # type: ignore[arg-type]
        self.clock = clock
        self.only: str | None = None  # a table name, or None for all
        self.seen = 0  # log lines of the model already considered

    def _line(self, e: LogLine) -> Text:
        line = Text()
        line.append(self.clock.stamp(e.at) + " ", style=tone(self.app, "foreground-muted"))
        table = (e.table or "run").rsplit(".", 1)[-1]
        line.append(table[:TABLE_WIDTH].ljust(TABLE_WIDTH) + " ")
        if e.level in ("warning", "error", "critical"):
            level = "text-warning" if e.level == "warning" else "text-error"
            line.append(e.level.upper() + " ", style=tone(self.app, level, bold=True))
        line.append(e.message)
        return line

    def wants(self, e: LogLine) -> bool:
        return self.only is None or e.table == self.only

    def add(self, lines: Iterable[LogLine]) -> None:
        for e in lines:
            if self.wants(e):
                self.write(self._line(e))

    def show_only(self, table: str | None, lines: Iterable[LogLine]) -> None:
        """Rewrite the pane with the lines of `table` (None: every line)."""
        self.only = table
        self.clear()
        self.add(lines)
