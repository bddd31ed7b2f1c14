"""The run's state as built from engine events: pure data, no widgets, no Spark."""

from __future__ import annotations

from data_extractor.run import events as ev
from data_extractor_jupyter.run_state import RunState

RUN = "r1"


def started(state: RunState, *tables: str) -> None:
    state.apply(ev.RunStarted(RUN, tables, "/out"))
    state.apply(ev.SparkReady(RUN, 1.5, "local[2]"))


def test_a_table_goes_from_waiting_to_done_with_its_exact_rows():
    state = RunState(["orders"])
    assert state.rows["orders"].status == "waiting"
    assert state.summary()[0] == "hint" and "starting Spark" in state.summary()[1]
    started(state, "orders")
    assert state.rows["orders"].status == "queued"
    state.apply(ev.TablePlanned(RUN, "orders", "balanced", "id", 4, 1000))
    state.apply(ev.TableStarted(RUN, "orders", 4, 1000))
    state.apply(ev.TableProgress(RUN, "orders", 1, 4, 250, 500.0, 0.5))
    row = state.rows["orders"]
    assert (row.status, row.fraction, row.rows) == ("running", 0.25, 250)
    assert "extracting 1 table(s)" in state.summary()[1]
    state.apply(ev.TableFinished(RUN, "orders", 1003, 4, 9000, 2.0, "/out/main/orders"))
    assert (row.status, row.fraction, row.rows, row.partitions_done) == ("done", 1.0, 1003, 4)
    state.apply(ev.TableProgress(RUN, "orders", 3, 4, 750, 1.0, 3.0))  # late progress never undoes the end
    assert (row.status, row.rows) == ("done", 1003)
    state.apply(ev.RunFinished(RUN, ("orders",), (), (), 2.5))
    kind, sentence = state.summary()
    assert kind == "ok" and "1,003 rows" in sentence and "/out" in sentence and "Run again" in sentence


def test_overall_weighs_tables_by_estimated_rows():
    state = RunState(["big", "small"])
    started(state, "big", "small")
    state.apply(ev.TableStarted(RUN, "big", 4, 9000))
    state.apply(ev.TableStarted(RUN, "small", 1, 1000))
    state.apply(ev.TableProgress(RUN, "big", 2, 4, 4500, None, 1.0))
    state.apply(ev.TableFinished(RUN, "small", 1000, 1, 10, 0.1, "/out/small"))
    assert abs(state.overall - (0.5 * 9000 + 1000) / 10000) < 1e-9


def test_a_failed_table_keeps_its_reason_and_the_summary_says_what_next():
    state = RunState(["a", "b"])
    started(state, "a", "b")
    state.apply(ev.TableFailed(RUN, "a", "table 'a' was not found in schema 'main'", 0.1))
    state.apply(ev.TableFinished(RUN, "b", 5, 1, 10, 0.1, "/out/b"))
    state.apply(ev.RunFinished(RUN, ("b",), ("a",), (), 0.3))
    assert (state.rows["a"].status, state.rows["a"].error) == ("failed", "table 'a' was not found in schema 'main'")
    kind, sentence = state.summary()
    assert kind == "error" and "1 of 2 table(s) failed" in sentence and "Logs tab" in sentence


def test_cancelled_tables_before_and_after_they_started():
    state = RunState(["running", "queued"])
    started(state, "running", "queued")
    state.apply(ev.TableStarted(RUN, "running", 2, 10))
    state.request_cancel()
    assert [r.status for r in state.rows.values()] == ["cancelling", "cancelling"]
    state.apply(ev.TableCancelled(RUN, "running", 0.2))  # how the engine reports a cancelled table
    state.apply(ev.RunFinished(RUN, (), (), ("running", "queued"), 0.3))
    assert [r.status for r in state.rows.values()] == ["cancelled", "cancelled"]
    assert state.rows["running"].error is None
    kind, sentence = state.summary()
    assert kind == "warn" and "not published" in sentence and "Run to start again" in sentence


def test_windows_of_an_incremental_table_add_up_on_its_line():
    state = RunState(["orders"])
    started(state, "orders")
    for day, rows in (("2026-01-01", 10), ("2026-01-02", 20)):
        label = f"orders [{day}]"
        state.apply(ev.TableStarted(RUN, label, 1, rows))
        assert state.rows["orders"].status == "running"
        state.apply(ev.TableFinished(RUN, label, rows, 1, 1, 1.0, f"/out/orders/extract_date={day}"))
    row = state.rows["orders"]
    assert (row.status, row.rows, row.seconds) == ("done", 30, 2.0)


def test_log_lines_are_kept_and_an_unknown_table_is_ignored():
    state = RunState(["a"])
    state.apply(ev.LogLine(RUN, "info", "hello", table="a"))
    state.apply(ev.TableProgress(RUN, "zzz", 1, 1, 1, None, 0.1))
    assert [line.message for line in state.logs] == ["hello"]
    assert list(state.rows) == ["a"] and state.rows["a"].status == "waiting"
