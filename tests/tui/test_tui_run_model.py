"""The run's state as the dashboard sees it, built from the engine's events alone."""

from __future__ import annotations

from data_extractor.run import events as ev
from data_extractor_tui.run_model import RunModel

R = "run-1"


def play(model: RunModel, *events: ev.Event) -> RunModel:
    for e in events:
        model.apply(e)
    return model


def test_a_table_goes_from_waiting_to_done_with_its_rows_and_rate():
    m = RunModel(["a"])
    assert m.tables["a"].status == "waiting"
    play(m, ev.RunStarted(R, ("a",), "/out"), ev.SparkReady(R, 3.0, "local[2]"))
    assert m.tables["a"].status == "queued"
    play(m, ev.TablePlanned(R, "a", "balanced", "id", 4, 1000), ev.TableStarted(R, "a", 4, 1000),
         ev.TableProgress(R, "a", 1, 4, 250, 100.0, 2.5))
    t = m.tables["a"]
    assert t.status == "running" and t.fraction == 0.25 and t.eta == 7.5
    play(m, ev.TableFinished(R, "a", 1003, 2, 4096, 10.0, "/out/a"))
    assert (t.status, t.rows, t.fraction, t.eta, t.rows_per_second) == ("done", 1003, 1.0, None, 100.3)
    play(m, ev.TableProgress(R, "a", 3, 4, 750, 1.0, 9.0))  # late progress never undoes the end
    assert t.status == "done" and t.rows == 1003


def test_a_failure_keeps_its_one_line_reason_and_a_cancel_is_not_a_failure():
    m = play(RunModel(["a", "b"]), ev.TableFailed(R, "a", "relation does not exist", 1.0),
             ev.TableCancelled(R, "b", 1.0))
    assert (m.tables["a"].status, m.tables["a"].error) == ("failed", "relation does not exist")
    assert (m.tables["b"].status, m.tables["b"].error) == ("cancelled", None)
    assert m.summary() == "1 failed, 1 cancelled"


def test_tables_cancelled_before_they_started_are_named_by_run_finished():
    m = RunModel(["a", "b"])
    assert m.request_cancel("b") == ["b"]
    assert m.tables["b"].status == "cancelling"
    play(m, ev.TableFinished(R, "a", 10, 1, 100, 1.0, "/out/a"), ev.RunFinished(R, ("a",), (), ("b",), 2.0))
    assert m.finished and m.tables["b"].status == "cancelled" and m.fraction == 0.5 + 0.0 / 2


def test_a_table_the_run_never_reported_does_not_spin_forever():
    m = play(RunModel(["a"]), ev.RunFinished(R, (), (), (), 0.5))
    assert m.tables["a"].status == "failed" and "ended before" in (m.tables["a"].error or "")


def test_a_run_that_cannot_start_fails_every_table_with_the_reason():
    m = RunModel(["a", "b"])
    m.launch_failed("partitions 0 is not valid")
    assert m.finished and {t.error for t in m.tables.values()} == {"partitions 0 is not valid"}


def test_every_change_bumps_the_version_so_views_redraw_only_then():
    m = RunModel(["a"])
    v = m.version
    m.apply(ev.LogLine(R, "info", "hello", "a"))
    assert m.version == v + 1 and list(m.logs)[0].message == "hello"


def test_an_incremental_table_shows_a_row_per_window_in_its_place():
    m = play(RunModel(["a", "inc"]), ev.TableStarted(R, "inc [2026-01-05]", 1, 10),
             ev.TableFinished(R, "inc [2026-01-05]", 10, 1, 100, 1.0, "/out/inc"),
             ev.TableStarted(R, "inc [2026-01-06]", 1, 10))
    assert list(m.tables) == ["a", "inc [2026-01-05]", "inc [2026-01-06]"]
    assert m.request_cancel("inc") == ["inc [2026-01-06]"]


def test_a_table_with_nothing_due_is_up_to_date_not_failed():
    m = play(RunModel(["inc"]), ev.RunFinished(R, ("inc",), (), (), 0.2))
    assert (m.tables["inc"].status, m.tables["inc"].note, m.tables["inc"].error) == ("done", "up to date", None)
