"""The `Extractor` facade: the one API every face (CLI, TUI, notebook) uses."""

from __future__ import annotations

import datetime as dt
import sys
import time
from functools import cached_property
from typing import TYPE_CHECKING, Any

from data_extractor.config.models import ExtractorConfig, PartitioningConfig, Strategy, TableConfig, load_config
from data_extractor.errors import UserError
from data_extractor.output.history import published
from data_extractor.output.names import table_folders
from data_extractor.run.runner import Run
from data_extractor.run.state import StateStore
from data_extractor.run.windows import check_window_args
from data_extractor.source.catalog import Catalog, split_name
from data_extractor.source.dialects import get_dialect
from data_extractor.source.dialects.base import TableRef
from data_extractor.source.planning import Planner

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from data_extractor.output.history import PublishedTable
    from data_extractor.run.events import Event
    from data_extractor.run.results import RunResult
    from data_extractor.run.runner import RunHandle
    from data_extractor.run.state import TableState
    from data_extractor.source.dialects.base import Dialect
    from data_extractor.source.planning import PartitionPlan


class Extractor:
    """Browse, plan and extract the tables of one configured source.

    Example:
        >>> ex = Extractor("config.yaml")
        >>> ex.catalog.tables("public", pattern="ord*")
        >>> ex.plan("public.orders").skew
    """

    def __init__(self, config: ExtractorConfig | str | dict[str, Any], spark: Any = None, dbutils: Any = None
                 ) -> None:
        """`spark`: a session to use (a notebook's); reused and never stopped. `dbutils`: resolves
        `{{secrets/<scope>/<key>}}` config values on Databricks."""
        self.config = config if isinstance(config, ExtractorConfig) else load_config(config, dbutils)
        self.dialect: Dialect = get_dialect(self.config.source)
        if spark is not None:
            from data_extractor.spark import session

            session.use_session(spark)

    @cached_property
    def catalog(self) -> Catalog:
        return Catalog(self.dialect)

    def plan(
        self,
        table: str,
        strategy: Strategy | None = None,
        partitions: int | None = None,
        column: str | None = None,
        extra_where: str | None = None,
    ) -> PartitionPlan:
        """How `table` will be split into parallel reads. Metadata queries only; never starts Spark."""
        return Planner(self.config, self.dialect, self.catalog).plan(table, strategy, partitions, column,
                                                                     extra_where)

    def start(self, tables: Sequence[str] | None = None, on_event: Callable[[Event], None] | None = None,
              run_date: dt.date | None = None, date_from: dt.date | None = None, date_to: dt.date | None = None,
              plans: dict[str, dict[str, Any]] | None = None) -> RunHandle:
        """Start extracting `tables` (default: every configured table) in the background.

        Returns at once; `on_event` receives every event (from background threads). For incremental
        tables, `run_date` runs that one window and `date_from`/`date_to` backfill a range. `plans` overrides
        tables' partitioning ({table: {"strategy": ..., "partitions": ..., "column": ...}}).
        """
        check_window_args(run_date, date_from, date_to)
        names = list(tables) if tables else self.table_names()
        if not names:
            raise UserError("no tables to extract: list them under `tables:` in the config, or pass --table")
        target = self.with_partitioning(plans) if plans else self
        return Run(target, names, on_event, run_date, date_from, date_to).start()

    def check_tables(self, tables: Sequence[str]) -> dict[str, str]:
        """Tables whose names, columns or queries the source refuses, with the reason; connects, reads nothing.

        Raises:
            SourceError: the source cannot be reached at all.
        """
        refused: dict[str, str] = {}
        seen: dict[TableRef, str] = {}
        folders: dict[str, str] = {}
        for name in tables:
            entry = self.config.table(name)
            try:
                ref = TableRef(None, entry.name, entry.query) if entry.query else self.catalog.resolve(entry.name)
                if ref in seen:  # two spellings of one table would race for one output folder
                    raise UserError(f"table {name!r} is {seen[ref]!r} again (both name {ref}); list it once")
                seen[ref] = name
                schema, table = split_name(entry.name)
                folder = "/".join(table_folders(schema or ref.schema, table))
                if folder.casefold() in folders:  # one folder on case-insensitive disks (macOS, Windows) too
                    raise UserError(f"tables {folders[folder.casefold()]!r} and {name!r} would publish to one folder "
                                    f"({folder}, ignoring case); extract them to separate output paths")
                folders[folder.casefold()] = name
                wanted = list(entry.columns or [])
                if entry.incremental:
                    wanted = [*wanted, entry.incremental.column] if wanted else [entry.incremental.column]
                self.catalog.select_columns(ref, wanted or None)
            except UserError as exc:
                refused[name] = str(exc)
        return refused

    def with_partitioning(self, plans: dict[str, dict[str, Any]]) -> Extractor:
        """A copy whose tables use these partitioning choices ({table: {strategy, partitions, column}}),
        e.g. what a user picked in a plan preview."""
        tables = {t.name: t for t in self.config.tables}
        for name, choice in plans.items():
            entry = tables.get(name) or TableConfig(name=name)
            base = entry.partitioning or PartitioningConfig()
            merged = {**base.model_dump(exclude_unset=True), **{k: v for k, v in choice.items() if v is not None}}
            tables[name] = entry.model_copy(update={"partitioning": PartitioningConfig(**merged)})
        copy = Extractor(self.config.model_copy(update={"tables": list(tables.values())}))
        return copy

    def run(self, tables: Sequence[str] | None = None, on_event: Callable[[Event], None] | None = None,
            **window: dt.date | None) -> RunResult:
        """Extract and wait for the result (same arguments as `start`)."""
        result = self.start(tables, on_event, **window).wait()
        assert result is not None
        return result

    def warm_up(self) -> float:
        """Start Spark now (e.g. in a background thread while the user browses). Returns seconds taken."""
        from data_extractor.spark import session

        t0 = time.monotonic()
        session.get_session(self.config.spark)
        self.prewarm_workers()
        return time.monotonic() - t0

    def reader(self) -> str:
        """The reader tables use: `spark.reader`, with auto resolved (python where the dialect has a driver)."""
        reader = self.config.spark.reader
        if reader == "auto":
            reader = "python" if self.dialect.has_python_driver else "jdbc"
        return reader

    def prewarm_workers(self) -> None:
        """Start a local Spark's Python workers in the background, with this source's driver imported."""
        from data_extractor.spark import session

        if self.reader() == "python":
            d = self.dialect
            session.prewarm(session.get_session(self.config.spark), (type(d).__module__, *d.driver_modules))

    @staticmethod
    def stop_spark() -> None:
        """Stop the Spark session this process started (a reused one, e.g. a notebook's, is left alone)."""
        if "data_extractor.spark.session" in sys.modules:
            from data_extractor.spark import session

            session.stop()

    @staticmethod
    def spark_started() -> bool:
        """Whether this process has a Spark session yet (without starting one)."""
        if "data_extractor.spark.session" not in sys.modules:
            return False
        from data_extractor.spark import session

        return session._state["session"] is not None

    def status(self) -> list[TableState]:
        """Watermark, last run and history of every table that has state (configured ones first)."""
        store = StateStore(self.config.output.path, options=self.config.output.storage_options)
        known = {s.table: s for s in store.all()}
        out = [known.pop(name, None) or store.load(name) for name in self.table_names()]
        return out + list(known.values())

    def history(self) -> list[PublishedTable]:
        """Tables published under the output path, newest first, from their manifests."""
        return published(self.config.output.path, self.config.output.storage_options)

    def table_names(self) -> list[str]:
        """The configured tables, in order."""
        return [t.name for t in self.config.tables]

    def close(self) -> None:
        if "catalog" in self.__dict__:
            self.catalog.close()

    def __enter__(self) -> Extractor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
