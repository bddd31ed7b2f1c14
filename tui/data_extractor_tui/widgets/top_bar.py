"""The top line of every screen: the source, the run in progress, and whether Spark is ready."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static


class TopBar(Horizontal):
    """Reads the app's `source_label`, `run_status` and `spark_status`, and follows their changes."""

    def compose(self) -> ComposeResult:
        yield Static("[b]Data Extractor[/]", id="top-title", markup=True)
        yield Static("", id="top-source", markup=False)
        yield Static("", id="top-run", markup=False)
        yield Static("", id="top-spark", markup=False)

    def on_mount(self) -> None:
        self.query_one("#top-source", Static).update(getattr(self.app, "source_label", ""))
        self.watch(self.app, "spark_status", self._show_spark)
        self.watch(self.app, "run_status", self._show_run)

    def _show_spark(self, status: str) -> None:
        self.query_one("#top-spark", Static).update(f"Spark: {status}")

    def _show_run(self, status: str) -> None:
        self.query_one("#top-run", Static).update(status)
