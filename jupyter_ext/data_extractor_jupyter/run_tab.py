"""Run: Run and Cancel, a row per table (bar, rows, rows/s, status) and an overall bar.

Rows are created on the main thread when a run starts (`prepare`); `render` only sets values, and is
called from the run's threads through the throttled bridge.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from html import escape

import ipywidgets as widgets

from .compat import classed, text_widget
from .formatting import ORANGE, error_html, hint_html, ok_html, percent, rate_text, rows_text, status_html
from .run_state import RunState, TableRow

BAR_STYLES = {"done": "success", "failed": "danger", "cancelled": "warning", "cancelling": "warning"}
OVERALL_MAX = 1000


def _right(text: str) -> str:
    return f'<div style="text-align:right">{escape(text)}</div>'


class TableRowWidgets:
    """The widgets of one table's line."""

    def __init__(self, name: str, on_cancel: Callable[[str], None]) -> None:
        self.name = name
        self.label = classed(widgets.HTML(f"<b>{escape(name)}</b>", layout=widgets.Layout(width="190px")),
                             "dx-row-name")
        self.bar = classed(widgets.IntProgress(value=0, min=0, max=1, layout=widgets.Layout(width="220px")),
                           "dx-progress")
        self.pct = classed(widgets.HTML(_right("0%"), layout=widgets.Layout(width="48px")), "dx-row-pct")
        self.rows = classed(widgets.HTML("", layout=widgets.Layout(width="120px")), "dx-row-rows")
        self.rate = classed(widgets.HTML("", layout=widgets.Layout(width="90px")), "dx-row-rate")
        self.status = classed(widgets.HTML("waiting", layout=widgets.Layout(flex="1 1 auto")), "dx-row-status")
        self.cancel = classed(widgets.Button(icon="times", tooltip=f"Cancel {name}",
                                             layout=widgets.Layout(width="36px", margin="0 8px")), "dx-cancel-table")
        self.cancel.on_click(lambda _: on_cancel(name))
        self.widget = classed(widgets.HBox([self.label, self.bar, self.pct, self.rows, self.rate, self.cancel,
                                            self.status], layout=widgets.Layout(align_items="center")), "dx-row")

    def render(self, row: TableRow) -> None:
        total = max(row.partitions_total, 1)
        done = total if row.status == "done" else min(row.partitions_done, total)
        with self.bar.hold_sync():
            if self.bar.max != total:
                self.bar.value = min(self.bar.value, total)
                self.bar.max = total
            self.bar.value = done
            self.bar.bar_style = BAR_STYLES.get(row.status, "")
        self.pct.value = _right(percent(done, total))
        self.rows.value = _right(rows_text(row.rows, final=row.status == "done"))
        self.rate.value = _right(rate_text(row.rows_per_second))
        self.status.value = status_html(row.status, row.seconds, row.error)
        self.cancel.disabled = row.ended or row.status == "cancelling"
        self.cancel.layout.visibility = "hidden" if row.ended else "visible"


class RunTab:
    def __init__(self, on_run: Callable[[], None], on_cancel: Callable[[str | None], None]) -> None:
        self.on_cancel = on_cancel
        self.run_button = classed(widgets.Button(description="Run", icon="play", button_style="primary",
                                                 tooltip="Extract the selected tables"), "dx-run")
        self.cancel_button = classed(widgets.Button(description="Cancel", icon="stop", disabled=True,
                                                    tooltip="Stop the run; nothing half-written is published"),
                                     "dx-cancel")
        self.next_run = text_widget("", "dx-next-run")
        self.overall = classed(widgets.IntProgress(value=0, min=0, max=OVERALL_MAX,
                                                   layout=widgets.Layout(width="220px")), "dx-overall")
        self.overall_text = text_widget("", "dx-overall-text")
        self.summary = text_widget("", "dx-run-summary")
        self.rows_box = classed(widgets.VBox([]), "dx-rows")
        self.rows: dict[str, TableRowWidgets] = {}
        self._selection: list[str] = []
        overall_label = widgets.HTML("<b>overall</b>", layout=widgets.Layout(width="190px"))
        self.widget = widgets.VBox([
            widgets.HBox([self.run_button, self.cancel_button, self.next_run]),
            self.rows_box,
            widgets.HBox([overall_label, self.overall, self.overall_text], layout=widgets.Layout(align_items="center")),
            self.summary,
        ])
        self.run_button.on_click(lambda _: on_run())
        self.cancel_button.on_click(lambda _: on_cancel(None))
        self._lock = threading.Lock()

    def show_selection(self, tables: list[str], running: bool) -> None:
        """What the next Run will extract (main thread, and again when a run ends)."""
        self._selection = list(tables)
        if not tables:
            self.next_run.value = hint_html("select tables in Browse, then Run")
        else:
            names = ", ".join(tables[:5]) + (f" and {len(tables) - 5} more" if len(tables) > 5 else "")
            self.next_run.value = hint_html(("after this run, Run extracts: " if running else "Run extracts: ")
                                            + names)

    def prepare(self, state: RunState) -> None:
        """A line per table of a new run, created here on the main thread before the run starts."""
        with self._lock:
            self.rows = {name: TableRowWidgets(name, self.on_cancel) for name in state.rows}
            self.rows_box.children = tuple(r.widget for r in self.rows.values())
            self.overall.value, self.overall.bar_style = 0, ""

    def render(self, state: RunState) -> None:
        """Set every value from `state` (any thread; one at a time)."""
        with self._lock:
            for name, row in state.rows.items():
                if name in self.rows:
                    self.rows[name].render(row)
            fraction = state.overall
            kind, sentence = state.summary()
            with self.overall.hold_sync():
                self.overall.value = round(OVERALL_MAX * fraction)
                self.overall.bar_style = {"ok": "success", "error": "danger", "warn": "warning"}.get(kind, "")
            done = sum(r.status == "done" for r in state.rows.values())
            rate = sum(r.rows_per_second or 0 for r in state.rows.values() if r.status == "running")
            self.overall_text.value = _pre(f"{percent(round(OVERALL_MAX * fraction), OVERALL_MAX)}  "
                                                  f"{done} of {len(state.rows)} table(s) done"
                                                  + (f"  {rate_text(rate)}" if rate else ""))
            self.summary.value = {"ok": ok_html, "error": error_html, "hint": hint_html}.get(kind, _warn_html)(sentence)
            self.run_button.disabled = not state.finished
            self.cancel_button.disabled = state.finished or state.cancel_requested
            self.show_selection(self._selection, running=not state.finished)


def _pre(text: str) -> str:
    return f'<span style="white-space:pre">{escape(text)}</span>'


def _warn_html(text: str) -> str:
    return f'<span style="color:{ORANGE}">&#9888; {escape(text)}</span>'
