"""A row per table of a run (or per window of an incremental table): progress bar, rows, rows/s, ETA and status.

It renders the engine's `RunModel`; it redraws only the cells that changed."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.widgets import DataTable

from data_extractor.run.model import Progress, RunModel

from ..formatting import bar, eta_text, rate_text, rows_text
from ..palette import tone

BAR_WIDTH = 22
# Fixed widths where values change while a table runs (rows as they stream, rates, "waiting for Spark"),
# so the columns stay put instead of growing with whatever was widest for a moment. None: fits the content.
ROWS_WIDTH = len("999.9 k / 999.9 k")  # both numbers whole while a table runs
COLUMNS = (("table", "table", None), ("progress", "progress", None), ("rows", "rows", ROWS_WIDTH),
           ("rows/s", "rate", 9), ("ETA", "eta", 8), ("status", "status", 24))
TONES = {"succeeded": "success", "failed": "error", "cancelled": "warning", "cancelling": "warning",
         "running": "accent"}  # bars; status text takes the readable `text-` variant of each


class RunTable(DataTable[Text]):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", **kwargs)  # type: ignore[arg-type]
        self._drawn: dict[tuple[str, str], Text] = {}

    def on_mount(self) -> None:
        for label, key, width in COLUMNS:
            self.add_column(label, key=key, width=width)

    def draw(self, model: RunModel) -> None:
        lines = {p.name: p for p in model.lines()}
        for key in [k for k in self.rows if k.value not in lines]:  # replaced by its windows
            self.remove_row(key)
        for run in lines.values():
            cells = self.cells(run)
            if run.name not in self.rows:
                self.add_row(*cells.values(), key=run.name)
                self._drawn.update({(run.name, k): v for k, v in cells.items()})
                continue
            for key, value in cells.items():
                if self._drawn.get((run.name, key)) != value:
                    self.update_cell(run.name, key, value, update_width=True)
                    self._drawn[(run.name, key)] = value

    def cells(self, run: Progress) -> dict[str, Text]:
        status = status_key(run)
        style = self._tone(status)
        filled, empty = bar(run.fraction, BAR_WIDTH)
        progress = Text.assemble((filled, self._tone(status, text=False) or Style()),
                                 (empty, tone(self.app, "foreground-muted")),
                                 f" {run.percent:>3d}%")
        if run.status == "succeeded":
            rows = f"{run.rows:,}" if run.rows is not None else ""
        elif run.expected_rows is not None and run.status == "running":
            rows = f"{rows_text(run.rows or 0)} / {rows_text(run.expected_rows)}"
        else:
            rows = rows_text(run.rows)
        return {"table": Text(run.name), "progress": progress, "rows": Text(rows, justify="right"),
                "rate": Text(rate_text(run.rows_per_second), justify="right"),
                "eta": Text(eta_text(run.eta), justify="right"), "status": Text(status_text(run), style=style or "")}

    def _tone(self, status: str, text: bool = True) -> Style | None:
        name = TONES.get(status)
        if name is None:
            return None
        return tone(self.app, f"text-{name}" if text else name, bold=text and status in ("failed", "succeeded"))

    def selected_table(self) -> str | None:
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        return str(key.value) if key.value is not None else None


def status_key(run: Progress) -> str:
    """The status a row is coloured by: the model's, or `cancelling` while a cancel is on its way."""
    return "cancelling" if run.cancelling and not run.ended else run.status


def status_text(run: Progress) -> str:
    """The status column's words for a row."""
    if run.note:
        return run.note
    if run.status == "succeeded":
        return f"done {run.seconds:.1f} s" if run.seconds is not None else "done"
    if run.cancelling and not run.ended:
        return "cancelling"
    if run.status == "queued":
        return "planned" if run.planned else ("queued" if run.spark_ready else "waiting for Spark")
    return run.status


def summary(model: RunModel) -> str:
    """`2 done, 1 failed, 1 running`: the statuses present, in a fixed order."""
    words = {"succeeded": "done"}
    return ", ".join(f"{n} {words.get(s, s)}" for s, n in model.counts().items())
