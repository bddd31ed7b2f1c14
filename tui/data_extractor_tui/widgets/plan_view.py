"""One partition plan: its summary, a row per partition with a bar of its size, warnings and notes."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from data_extractor.source.planning import PartitionPlan

from ..formatting import plural, share_bar
from ..palette import tone

MAX_ROWS = 500  # partitions listed; a plan may have up to 10,000
BAR_WIDTH = 24


class PlanView(Vertical):
    def compose(self) -> ComposeResult:
        yield Static("", id="plan-summary")
        table: DataTable[str | Text] = DataTable(id="plan-partitions", cursor_type="none", zebra_stripes=True)
        table.add_column("#", key="index")
        table.add_column("est. rows", key="rows")
        table.add_column("share", key="share", width=BAR_WIDTH)
        table.add_column("predicate", key="predicate")
        yield table
        yield Static("", id="plan-notes")

    def show_message(self, text: str) -> None:
        self.query_one("#plan-summary", Static).update(text)
        self.query_one(DataTable).clear()
        self.query_one("#plan-notes", Static).update("")

    def show(self, plan: PartitionPlan, chosen_strategy: str) -> None:
        parts = plan.partitions
        summary = Text()
        summary.append(plan.strategy, style="bold")
        if plan.column:
            summary.append(f" on {plan.column}")
        if chosen_strategy == "auto":
            summary.append(" (chosen by auto)", style="dim")
        summary.append(f"   {plural(len(parts), 'partition')}")
        if plan.estimated_rows is not None:
            summary.append(f"   ~{plan.estimated_rows:,} rows")
        if plan.skew is not None:
            summary.append("   skew ")
            summary.append(f"{plan.skew:.2f}", style="bold" if plan.skew > 2 else "")
        self.query_one("#plan-summary", Static).update(summary)

        table = self.query_one(DataTable)
        table.clear()
        largest = max((p.estimated_rows or 0 for p in parts), default=0)
        for p in parts[:MAX_ROWS]:
            rows = f"{p.estimated_rows:,}" if p.estimated_rows is not None else "?"
            table.add_row(Text(str(p.index + 1), justify="right"), Text(rows, justify="right"),
                          Text(share_bar(p.estimated_rows, largest, BAR_WIDTH), style=tone(self.app, "accent")),
                          Text(p.predicate or "(whole table)"))

        notes = Text()
        if len(parts) > MAX_ROWS:
            notes.append(f"showing the first {MAX_ROWS} of {len(parts):,} partitions\n", style="dim")
        if plan.warnings:
            for w in plan.warnings:
                notes.append("warning: ", style=tone(self.app, "text-warning", bold=True))
                notes.append(w + "\n")
        else:
            notes.append("warnings: none\n", style="dim")
        for n in plan.notes:
            notes.append(f"note: {n}\n", style="dim")
        notes.rstrip()
        self.query_one("#plan-notes", Static).update(notes)
