"""A scripted engine for deterministic screens: the real catalog and planner, a run that plays
fixed events, and a fixed history. Only `start`, `warm_up` and `history` are replaced."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from functools import cached_property

from data_extractor import Extractor
from data_extractor.output.history import PublishedTable
from data_extractor.run import events as ev
from data_extractor.run.state import TableState
from data_extractor.source.catalog import Catalog
from data_extractor.source.dialects.base import TableInfo

RUN_ID = "20270115T080000-abc123"
T0 = 1_800_000_000.0  # 2027-01-15 08:00:00 UTC
OUTPUT = "/data/extracts"  # shown instead of a temporary folder, so snapshots are stable


def finished_run(tables: Sequence[str], output: str) -> list[ev.Event]:
    """A run where every table but the last succeeds, and the last fails with a one-line reason."""
    out: list[ev.Event] = [ev.RunStarted(RUN_ID, tuple(tables), output, at=T0),
                           ev.SparkReady(RUN_ID, 4.2, "local[2]", at=T0 + 4.2)]
    for i, name in enumerate(tables):
        rows = 20_000 // (i + 1)
        out += [ev.TablePlanned(RUN_ID, name, "balanced", "id", 4, rows, at=T0 + 5),
                ev.LogLine(RUN_ID, "info", f"plan: balanced on id, 4 partition(s), ~{rows} rows", name, at=T0 + 5),
                ev.TableStarted(RUN_ID, name, 4, rows, at=T0 + 5),
                ev.TableProgress(RUN_ID, name, 2, 4, rows // 2, rows / 2.0, 1.0, at=T0 + 6)]
    for i, name in enumerate(tables):
        rows = 20_000 // (i + 1)
        if i == len(tables) - 1 and len(tables) > 1:
            out += [ev.LogLine(RUN_ID, "error", "failed: no such column: amount", name, at=T0 + 7),
                    ev.TableFailed(RUN_ID, name, "no such column: amount", 2.0, at=T0 + 7)]
        else:
            out += [ev.TableFinished(RUN_ID, name, rows, 2, rows * 23, 2.5, f"{output}/main/{name}", at=T0 + 7.5),
                    ev.LogLine(RUN_ID, "info", f"published 2 file(s), {rows:,} rows", name, at=T0 + 7.5)]
    ok = tuple(tables[:-1]) if len(tables) > 1 else tuple(tables)
    failed = (tables[-1],) if len(tables) > 1 else ()
    out.append(ev.RunFinished(RUN_ID, ok, failed, (), 8.0, at=T0 + 8))
    return out


class ScriptedHandle:
    def __init__(self, events: list[ev.Event], sink: Callable[[ev.Event], None],
                 hold: threading.Event | None = None) -> None:
        self.run_id = RUN_ID
        self.events, self.sink, self.hold = events, sink, hold
        self.cancelled: list[str | None] = []
        self._done = threading.Event()
        threading.Thread(target=self._play, daemon=True).start()

    def _play(self) -> None:
        for e in self.events:
            if isinstance(e, ev.TableFinished | ev.TableFailed) and self.hold is not None:
                self.hold.wait(30)  # the test acts (e.g. cancels) before the tables end
            self.sink(self._cancelled_instead(e))
        self._done.set()

    def _cancelled_instead(self, e: ev.Event) -> ev.Event:
        name = getattr(e, "table", None)
        if isinstance(e, ev.TableFinished | ev.TableFailed) and (name in self.cancelled or None in self.cancelled):
            return ev.TableCancelled(RUN_ID, name, 1.0, at=e.at)
        if isinstance(e, ev.RunFinished) and self.cancelled:
            gone = tuple(n for n in e.succeeded + e.failed if n in self.cancelled or None in self.cancelled)
            return ev.RunFinished(RUN_ID, tuple(n for n in e.succeeded if n not in gone),
                                  tuple(n for n in e.failed if n not in gone), gone, e.seconds, at=e.at)
        return e

    def cancel(self, table: str | None = None) -> None:
        self.cancelled.append(table)
        if self.hold is not None:
            self.hold.set()

    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> None:
        self._done.wait(timeout)

    @property
    def result(self) -> None:
        return None


class ScriptedExtractor(Extractor):
    """Subclass per test to set `hold` (a threading.Event the run waits on before tables end)."""

    hold: threading.Event | None = None
    handles: list[ScriptedHandle] = []
    label = "sqlite://demo.db"

    def __init__(self, config: object) -> None:
        super().__init__(config)  # type: ignore[arg-type]
        output = self.config.output.model_copy(update={"path": OUTPUT})
        self.config = self.config.model_copy(update={"output": output})
        self.dialect.describe = lambda: self.label  # type: ignore[method-assign]  # no tmp path on screen

    def start(self, tables: Sequence[str] | None = None,
              on_event: Callable[[ev.Event], None] | None = None) -> ScriptedHandle:
        handle = ScriptedHandle(finished_run(list(tables or []), OUTPUT),
                                on_event or (lambda e: None), self.hold)
        type(self).handles.append(handle)
        return handle

    def warm_up(self) -> float:
        return 0.0

    @staticmethod
    def spark_started() -> bool:
        return False  # whatever other tests started in this process

    def status(self) -> list[TableState]:
        return [
            TableState("orders", "2027-01-15T00:00:00", None, [
                {"run_id": RUN_ID, "outcome": "succeeded", "rows": 20_000, "finished_at": "2027-01-15T08:00:07Z",
                 "window": ["2027-01-14T00:00:00", "2027-01-15T00:00:00"]}]),
            TableState("customers", None, None, [
                {"run_id": RUN_ID, "outcome": "failed", "rows": 0, "finished_at": "2027-01-15T08:00:05Z",
                 "error": "no such column: amount"}]),
            TableState("products"),  # no state: not listed
        ]

    def history(self) -> list[PublishedTable]:
        return [
            PublishedTable("orders", "/data/extracts/main/orders", RUN_ID, 20_000, 460_000, 2, 2.5,
                           "2027-01-15T08:00:07.500Z", "balanced", 4),
            PublishedTable("customers", "/data/extracts/main/customers", RUN_ID, 500, 12_150, 1, 0.4,
                           "2027-01-15T08:00:05.100Z", "none", 1),
            PublishedTable("orders", "/data/extracts/main/orders", "20270114T170000-9f8e7d", 19_500, 449_000,
                           1, 3.1, "2027-01-14T17:00:09.000Z", "none", 1),
        ]


class BigCatalog(Catalog):
    """The demo database's catalog, with `tables` schemas of 10,000 tables each (no database holds them)."""

    def schemas(self) -> list[str]:
        return ["main", "archive"]

    def tables(self, schema: str | None = None, pattern: str | None = None) -> list[TableInfo]:
        return [TableInfo(schema or "main", f"t_{i:05d}", i * 10, i * 1024) for i in range(10_000)]


class BigCatalogExtractor(Extractor):
    @cached_property
    def catalog(self) -> Catalog:
        return BigCatalog(self.dialect)
