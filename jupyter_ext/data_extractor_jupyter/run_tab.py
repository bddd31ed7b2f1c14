"""Run: Run and Cancel, a row per table (bar, rows, rows/s, status) and an overall bar.

Rows are created on the main thread when a run starts (`prepare`); `render` only sets values, and is
called from the run's threads through the throttled bridge.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from html import escape

import ipywidgets as widgets

from data_extractor.run.model import RunModel, TableRun

from .compat import classed, text_widget
from .formatting import ORANGE, error_html, hint_html, ok_html, rate_text, rows_text, status_html
from .run_text import run_summary, status_key

BAR_STYLES = {"done": "success", "failed": "danger", "cancelled": "warning", "cancelling": "warning"}
BAR_MAX = 1000  # bars count thousandths of the model's fraction (rows, or partitions without an estimate)


def _fixed(width: str) -> widgets.Layout:
    """A cell of a row that keeps its width, whatever the status beside it says."""
    return widgets.Layout(width=width, min_width=width, flex="0 0 auto")


def _right(text: str) -> str:
    return f'<div style="text-align:right">{escape(text)}</div>'


class TableRowWidgets:
    """The widgets of one table's line."""

    def __init__(self, name: str, on_cancel: Callable[[str], None]) -> None:
        self.name = name
        self.label = classed(widgets.HTML(f"<b>{escape(name)}</b>", layout=_fixed("190px")), "dx-row-name")
        self.bar = classed(widgets.IntProgress(value=0, min=0, max=BAR_MAX, layout=_fixed("220px")), "dx-progress")
        self.pct = classed(widgets.HTML(_right("0%"), layout=_fixed("48px")), "dx-row-pct")
        self.rows = classed(widgets.HTML("", layout=_fixed("120px")), "dx-row-rows")
        self.rate = classed(widgets.HTML("", layout=_fixed("90px")), "dx-row-rate")
        # the status takes what is left and never squeezes the cells before it (a long reason is cut, in full
        # in its tooltip and the Logs tab)
        self.status = classed(widgets.HTML("waiting", layout=widgets.Layout(flex="1 1 0", min_width="0",
                                                                            overflow="hidden")), "dx-row-status")
        cancel_layout = _fixed("36px")
        cancel_layout.margin = "0 8px"
        self.cancel = classed(widgets.Button(icon="times", tooltip=f"Cancel {name}", layout=cancel_layout),
                              "dx-cancel-table")
        self.cancel.on_click(lambda _: on_cancel(name))
        self.widget = classed(widgets.HBox([self.label, self.bar, self.pct, self.rows, self.rate, self.cancel,
                                            self.status], layout=widgets.Layout(align_items="center")), "dx-row")

    def render(self, row: TableRun) -> None:
        key = status_key(row)
        with self.bar.hold_sync():
            self.bar.value = round(row.fraction * BAR_MAX)
            self.bar.bar_style = BAR_STYLES.get(key, "")
        self.pct.value = _right(f"{row.percent}%")
        self.rows.value = _right(rows_text(row.rows, final=row.status == "succeeded"))
        self.rate.value = _right(rate_text(row.rows_per_second))
        self.status.value = status_html(key, row.seconds, row.error)
        self.cancel.disabled = row.ended or row.cancelling
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
        self.overall = classed(widgets.IntProgress(value=0, min=0, max=BAR_MAX, layout=_fixed("220px")),
                               "dx-overall")
        self.overall_text = text_widget("", "dx-overall-text")
        self.summary = text_widget("", "dx-run-summary")
        self.rows_box = classed(widgets.VBox([]), "dx-rows")
        self.rows: dict[str, TableRowWidgets] = {}
        self._selection: list[str] = []
        overall_label = widgets.HTML("<b>overall</b>", layout=_fixed("190px"))
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

    def prepare(self, model: RunModel) -> None:
        """A line per table of a new run, created here on the main thread before the run starts."""
        with self._lock:
            self.rows = {name: TableRowWidgets(name, self.on_cancel) for name in model.tables}
            self.rows_box.children = tuple(r.widget for r in self.rows.values())
            self.overall.value, self.overall.bar_style = 0, ""

    def render(self, model: RunModel) -> None:
        """Set every value from `model` (any thread; one at a time)."""
        with self._lock:
            for name, row in model.tables.items():
                if name in self.rows:
                    self.rows[name].render(row)
            kind, sentence = run_summary(model)
            with self.overall.hold_sync():
                self.overall.value = round(BAR_MAX * model.fraction)  # rows-weighted; below full unless all done
                self.overall.bar_style = {"ok": "success", "error": "danger", "warn": "warning"}.get(kind, "")
            rate = model.rows_per_second
            self.overall_text.value = _pre(f"{model.percent}%  {model.count('succeeded')} of {len(model.tables)} "
                                           "table(s) done" + (f"  {rate_text(rate)}" if rate else ""))
            self.summary.value = {"ok": ok_html, "error": error_html, "hint": hint_html}.get(kind, _warn_html)(sentence)
            self.run_button.disabled = not model.finished
            self.cancel_button.disabled = model.finished or model.cancel_requested
            self.show_selection(self._selection, running=not model.finished)


def _pre(text: str) -> str:
    return f'<span style="white-space:pre">{escape(text)}</span>'


def _warn_html(text: str) -> str:
    return f'<span style="color:{ORANGE}">&#9888; {escape(text)}</span>'
