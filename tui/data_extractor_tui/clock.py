"""Time as the dashboard shows it. Injected, so tests and snapshots can freeze it."""

from __future__ import annotations

import calendar
import time


class Clock:
    """Wall-clock time in the local zone."""

    def now(self) -> float:
        return time.time()

    def _struct(self, at: float) -> time.struct_time:
        return time.localtime(at)

    def stamp(self, at: float) -> str:
        """`14:02:01`, for log lines."""
        return time.strftime("%H:%M:%S", self._struct(at))

    def minute(self, at: float) -> str:
        """`2026-11-27 14:02`, for run titles and history."""
        return time.strftime("%Y-%m-%d %H:%M", self._struct(at))

    def minute_of_iso(self, iso: str) -> str:
        """A manifest's UTC timestamp (`2026-11-27T14:02:01.123Z`) shown like `minute`."""
        try:
            at = calendar.timegm(time.strptime(iso[:19], "%Y-%m-%dT%H:%M:%S"))
        except ValueError:
            return iso
        return self.minute(at)


class FrozenClock(Clock):
    """A clock stopped at `at`, showing UTC whatever the machine's zone: stable snapshots."""

    def __init__(self, at: float = 1_800_000_000.0) -> None:
        self.at = at

    def now(self) -> float:
        return self.at

    def _struct(self, at: float) -> time.struct_time:
        return time.gmtime(at)
