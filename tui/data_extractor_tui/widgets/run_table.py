"""A row per table of a run: progress bar, rows, rows/s, ETA and status. Redraws only changed cells."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.widgets import DataTable

from ..formatting import bar, eta_text, rate_text, rows_text
from ..palette import tone
from ..run_model import RunModel, TableRun

BAR_WIDTH = 22
# Fixed widths where values change while a table runs (rows as they stream, rates, "waiting for Spark"),
# so the columns stay put instead of growing with whatever was widest for a moment. None: fits the content.
COLUMNS = (("table", "table", None), ("progress", "progress", None), ("rows", "rows", 15), ("rows/s", "rate", 9),
           ("ETA", "eta", 8), ("status", "status", 24))
TONES = {"done": "success", "failed": "error", "cancelled": "warning", "cancelling": "warning",
         "running": "accent"}  # bars; status text takes the readable `text-` variant of each


class RunTable(DataTable[Text]):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", **kwargs)  # type: ignore[arg-type]
        self._drawn: dict[tuple[str, str], Text] = {}

    def on_mount(self) -> None:
        for label, key, width in COLUMNS:
            self.add_column(label, key=key, width=width)

    def draw(self, model: RunModel) -> None:
        for key in [k for k in self.rows if k.value not in model.tables]:  # replaced by its windows
            self.remove_row(key)
        for run in model.tables.values():
            cells = self.cells(run)
            if run.name not in self.rows:
                self.add_row(*cells.values(), key=run.name)
                self._drawn.update({(run.name, k): v for k, v in cells.items()})
                continue
            for key, value in cells.items():
                if self._drawn.get((run.name, key)) != value:
                    self.update_cell(run.name, key, value, update_width=True)
                    self._drawn[(run.name, key)] = value

    def cells(self, run: TableRun) -> dict[str, Text]:
        style = self._tone(run.status)
        filled, empty = bar(run.fraction, BAR_WIDTH)
        progress = Text.assemble((filled, self._tone(run.status, text=False) or Style()),
                                 (empty, tone(self.app, "foreground-muted")),
                                 f" {run.fraction * 100:>3.0f}%")
        if run.status == "done":
            rows = f"{run.rows:,}" if run.rows is not None else ""
        elif run.estimated_rows is not None and run.status in ("running", "cancelling"):
            rows = f"{rows_text(run.rows or 0)} / {rows_text(run.estimated_rows)}"
        else:
            rows = rows_text(run.rows)
        status = run.status
        if run.note:
            status = run.note
        elif run.status == "done" and run.seconds is not None:
            status = f"done {run.seconds:.1f} s"
        elif run.status == "waiting":
            status = "waiting for Spark"
        return {"table": Text(run.name), "progress": progress, "rows": Text(rows, justify="right"),
                "rate": Text(rate_text(run.rows_per_second), justify="right"),
                "eta": Text(eta_text(run.eta), justify="right"), "status": Text(status, style=style or "")}

    def _tone(self, status: str, text: bool = True) -> Style | None:
        name = TONES.get(status)
        if name is None:
            return None
        return tone(self.app, f"text-{name}" if text else name, bold=text and status in ("failed", "done"))

    def selected_table(self) -> str | None:
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        return str(key.value) if key.value is not None else None
