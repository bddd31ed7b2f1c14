"""Plan: the partition plan of each selected table, recomputed (in a thread worker) as the user
changes the strategy, the column or the partition count."""

from __future__ import annotations

from typing import TYPE_CHECKING, get_args

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.validation import Integer
from textual.widgets import Footer, Input, Label, OptionList, Select
from textual.widgets.option_list import Option

from data_extractor.config.models import Strategy

from ..choices import PlanChoice, configured_strategy
from ..errors import one_line
from ..messages import PlanComputed
from ..widgets.plan_view import PlanView
from ..widgets.top_bar import TopBar

if TYPE_CHECKING:
    from data_extractor.source.dialects.base import ColumnInfo
    from data_extractor.source.planning import PartitionPlan

    from ..app import DataExtractorApp

MAX_PARTITIONS = 10_000
STRATEGIES: tuple[str, ...] = get_args(Strategy)


class CountInput(Input):
    """A box for a whole number: other keys (r, h, ?) stay the screen's shortcuts."""

    def check_consume_key(self, key: str, character: str | None) -> bool:
        return character is not None and character.isdigit()

    async def _on_key(self, event: events.Key) -> None:
        if event.is_printable and not (event.character or "").isdigit():
            event.prevent_default()  # not ours: skip Input's handler, and let it reach the bindings


class PlanScreen(Screen[None]):
    app: DataExtractorApp

    BINDINGS = [
        Binding("r", "app.run", "run"),
        Binding("escape", "app.pop_screen", "back"),
        Binding("s", "focus('#strategy')", "strategy", show=False),
        Binding("n", "focus('#partitions')", "partitions", show=False),
    ]

    def __init__(self, tables: list[str]) -> None:
        super().__init__()
        self.tables = tables
        self.current: str | None = None
        self._columns_for: str | None = None
        self.plans: dict[tuple[str, PlanChoice], PartitionPlan] = {}
        self.errors: dict[tuple[str, PlanChoice], str] = {}

    def compose(self) -> ComposeResult:
        yield TopBar(id="top-bar")
        with Horizontal(id="plan"):
            with Vertical(id="plan-tables-pane"):
                yield OptionList(*[Option(name, id=str(i)) for i, name in enumerate(self.tables)],
                                 id="plan-tables")
            with Vertical(id="plan-pane"):
                with Horizontal(id="plan-controls"):
                    with Vertical(classes="control"):
                        yield Label("strategy")
                        yield Select([(s, s) for s in STRATEGIES], allow_blank=False, value="auto", id="strategy")
                    with Vertical(classes="control"):
                        yield Label("column")
                        yield Select([], prompt="(auto)", id="column")
                    with Vertical(classes="control"):
                        yield Label("partitions")
                        yield CountInput(placeholder="auto", id="partitions", restrict=r"\d*", max_length=5,
                                         validators=[Integer(minimum=1, maximum=MAX_PARTITIONS)],
                                         valid_empty=True)
                yield PlanView(id="plan-view")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#plan-tables-pane").border_title = f"Selected ({len(self.tables)})"
        tables = self.query_one("#plan-tables", OptionList)
        tables.focus()
        tables.highlighted = 0

    # ----------------------------------------------------------------- showing
    @on(OptionList.OptionHighlighted, "#plan-tables")
    def _table_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.show_table(self.tables[int(event.option.id or 0)])

    def choice(self, table: str) -> PlanChoice:
        return self.app.choices.get(self.app.run_name(table), PlanChoice())

    def show_table(self, table: str) -> None:
        self.current = table
        self.query_one("#plan-pane").border_title = f"Plan: {table}"
        choice = self.choice(table)
        with self.prevent(Select.Changed, Input.Changed):
            self.query_one("#strategy", Select).value = self.strategy_of(table)
            self.query_one("#partitions", Input).value = str(choice.partitions) if choice.partitions else ""
        self._column_options(table, self.app.columns.get(table), choice.column)
        self.request_plan()

    def strategy_of(self, table: str) -> str:
        return self.choice(table).strategy or configured_strategy(self.app.extractor.config,
                                                                  self.app.run_name(table))

    def _column_options(self, table: str, columns: list[ColumnInfo] | None, value: str | None) -> None:
        """Offer the table's columns that can split a table (once they are known)."""
        self._columns_for = table if columns else None
        select = self.query_one("#column", Select)
        names = [c.name for c in columns or [] if c.orderable or c.spark_type in ("bigint", "int")]
        if value and value not in names:
            names.append(value)
        with self.prevent(Select.Changed):
            select.set_options([(n, n) for n in names])
            select.value = value if value else Select.NULL

    def request_plan(self) -> None:
        table = self.current
        if table is None:
            return
        choice = self.choice(table)
        key = (table, choice)
        view = self.query_one(PlanView)
        if key in self.plans:
            view.show(self.plans[key], self.strategy_of(table))
        elif key in self.errors:
            view.show_message(f"This plan cannot be made: {self.errors[key]}\n"
                              "Change the strategy, column or partition count above.")
        else:
            view.show_message("planning…")
            self.compute_plan(table, choice)

    @work(thread=True, exclusive=True, group="plan", exit_on_error=False)
    def compute_plan(self, table: str, choice: PlanChoice) -> None:
        ex = self.app.extractor
        name = self.app.run_name(table)
        try:
            columns = ex.catalog.columns(name)
            plan = ex.plan(name, choice.strategy, choice.partitions, choice.column)  # type: ignore[arg-type]
        except Exception as exc:  # noqa: BLE001 - shown in the pane and as a notification
            self.post_message(PlanComputed(table, choice, None, [], one_line(exc)))
            return
        self.post_message(PlanComputed(table, choice, plan, columns))

    def on_plan_computed(self, message: PlanComputed) -> None:
        key = (message.table, message.choice)
        if message.columns:
            self.app.columns.setdefault(message.table, message.columns)
        if message.plan is not None:
            self.plans[key] = message.plan
        else:
            self.errors[key] = message.error or "unknown error"
            self.notify(self.errors[key], title=f"Plan of {message.table}", severity="error")
        if message.table == self.current:
            if message.columns and self._columns_for != message.table:
                self._column_options(message.table, message.columns, message.choice.column)
            if message.choice == self.choice(message.table):
                self.request_plan()

    # ----------------------------------------------------------------- changes
    def _change(self, **update: object) -> None:
        if self.current is None:
            return
        name = self.app.run_name(self.current)
        old = self.choice(self.current)
        new = PlanChoice(**{**old.__dict__, **update})  # type: ignore[arg-type]
        if new != old:
            self.app.choices[name] = new
            self.request_plan()

    @on(Select.Changed, "#strategy")
    def _strategy_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, str) and self.current is not None:
            configured = configured_strategy(self.app.extractor.config, self.app.run_name(self.current))
            self._change(strategy=None if event.value == configured else event.value)  # None: as configured

    @on(Select.Changed, "#column")
    def _column_changed(self, event: Select.Changed) -> None:
        self._change(column=event.value if isinstance(event.value, str) else None)

    @on(Input.Submitted, "#partitions")
    def _partitions_submitted(self) -> None:
        self.query_one("#plan-tables", OptionList).focus()

    @on(Input.Changed, "#partitions")
    def _partitions_changed(self, event: Input.Changed) -> None:
        if event.validation_result is not None and not event.validation_result.is_valid:
            self.query_one(PlanView).show_message(
                f"Partitions must be a whole number from 1 to {MAX_PARTITIONS:,} (empty: auto).")
            return
        self._change(partitions=int(event.value) if event.value else None)
