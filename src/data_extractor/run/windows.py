"""Incremental windows: which half-open time windows of a table a run extracts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from data_extractor.config.models import IncrementalConfig, parse_duration
from data_extractor.errors import UserError


@dataclass(frozen=True)
class Window:
    start: dt.datetime
    end: dt.datetime

    @property
    def label(self) -> str:
        """The folder name: extract_date=YYYY-MM-DD for whole days, else extract_start=YYYYMMDDTHHMM."""
        if self.start.time() == dt.time() and (self.end - self.start) % dt.timedelta(days=1) == dt.timedelta(0):
            return f"extract_date={self.start.date().isoformat()}"
        return f"extract_start={self.start.strftime('%Y%m%dT%H%M')}"


def _align(inc: IncrementalConfig, t: dt.datetime) -> dt.datetime:
    """The start of the window holding `t`."""
    step = dt.timedelta(seconds=inc.window_seconds)
    return inc.start + ((t - inc.start) // step) * step


def check_window_args(run_date: dt.date | None, date_from: dt.date | None, date_to: dt.date | None) -> None:
    """Refuse window arguments that do not make one clear request (before anything starts)."""
    if run_date is not None and (date_from is not None or date_to is not None):
        raise UserError("--run-date runs one window and --from/--to a range; give one or the other")
    if (date_from is None) != (date_to is None):
        given, missing = ("--from", "--to") if date_to is None else ("--to", "--from")
        raise UserError(f"{given} needs {missing} (a backfill runs the windows from --from through --to)")
    if date_from is not None and date_to is not None and date_from > date_to:
        raise UserError(f"--from {date_from} is after --to {date_to}; swap them")


def windows_to_run(inc: IncrementalConfig, watermark: str | None, now: dt.datetime,
                   run_date: dt.date | None = None, date_from: dt.date | None = None,
                   date_to: dt.date | None = None) -> list[Window]:
    """Every complete window to extract now, oldest first.

    - `run_date`: just the window starting on that date.
    - `date_from`/`date_to`: every window starting from D1 through D2 (inclusive), a backfill.
    - otherwise: from the watermark (minus `lookback`) or `start`, up to `now - lag`.
    """
    step = dt.timedelta(seconds=inc.window_seconds)
    if run_date is not None:
        date_from = date_to = run_date
    if date_from is not None:
        first = _align(inc, dt.datetime.combine(date_from, dt.time()))
        last = _align(inc, dt.datetime.combine(date_to or date_from, dt.time()))
        if last < first:
            raise UserError(f"--from {date_from} is after --to {date_to}; swap them")
        out, s = [], first
        while s <= last:
            out.append(Window(s, s + step))
            s += step
        return out
    begin = dt.datetime.fromisoformat(watermark) if watermark else inc.start
    begin = max(inc.start, _align(inc, begin - dt.timedelta(seconds=parse_duration(inc.lookback))))
    limit = now - dt.timedelta(seconds=parse_duration(inc.lag))
    out, s = [], begin
    while s + step <= limit:
        out.append(Window(s, s + step))
        s += step
    return out
