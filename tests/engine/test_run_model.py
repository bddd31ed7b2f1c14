"""The run model every face renders, folded from the engine's events alone (no Spark, no UI)."""

from __future__ import annotations

from data_extractor.run import events as ev
from data_extractor.run.model import RunModel

R = "run-1"


def play(model: RunModel, *events: ev.Event) -> RunModel:
    for e in events:
        model.apply(e)
    return model


def test_a_table_goes_from_queued_to_succeeded_with_its_rows_rate_and_eta():
    m = RunModel(["a"])
    t = m.tables["a"]
    assert (t.status, t.spark_ready) == ("queued", False)
    play(m, ev.RunStarted(R, ("a",), "/out"), ev.SparkReady(R, 3.0, "local[2]"))
    assert (t.status, t.spark_ready, m.spark_seconds) == ("queued", True, 3.0)
    play(m, ev.TablePlanned(R, "a", "balanced", "id", 4, 1000), ev.TableStarted(R, "a", 4, 1000),
         ev.TableProgress(R, "a", 1, 4, 250, 100.0, 2.5))
    assert t.status == "running" and t.fraction == 0.25 and t.eta == 7.5 and t.percent == 25
    play(m, ev.TableFinished(R, "a", 1003, 2, 4096, 10.0, "/out/a"))
    assert (t.status, t.rows, t.fraction, t.eta, t.rows_per_second) == ("succeeded", 1003, 1.0, None, 100.3)
    play(m, ev.TableProgress(R, "a", 3, 4, 750, 1.0, 9.0))  # late progress never undoes the end
    assert t.status == "succeeded" and t.rows == 1003


def test_bars_follow_rows_not_finished_partitions():
    # 150 k of 200 k rows read while only 2 of 8 partitions have finished: 75%, not 25%
    m = play(RunModel(["a"]), ev.TableStarted(R, "a", 8, 200_000),
             ev.TableProgress(R, "a", 2, 8, 150_000, 50_000.0, 3.0))
    assert m.tables["a"].percent == 75 and m.percent == 75


def test_partitions_drive_the_bar_only_when_no_estimate_exists():
    m = play(RunModel(["a"]), ev.TableStarted(R, "a", 8, None), ev.TableProgress(R, "a", 2, 8, 90_000, None, 3.0))
    assert m.tables["a"].percent == 25 and m.tables["a"].expected_rows is None


def test_rows_past_the_estimate_never_show_a_running_table_complete():
    m = play(RunModel(["a"]), ev.TableStarted(R, "a", 4, 1000), ev.TableProgress(R, "a", 3, 4, 1500, None, 1.0))
    t = m.tables["a"]
    assert t.percent == 99 and t.expected_rows == 1500


def test_overall_weighs_tables_by_rows():
    m = play(RunModel(["big", "small"]), ev.TableStarted(R, "big", 4, 9000), ev.TableStarted(R, "small", 1, 1000),
             ev.TableProgress(R, "big", 2, 4, 4500, None, 1.0),
             ev.TableFinished(R, "small", 1000, 1, 10, 0.1, "/out/small"))
    assert abs(m.fraction - (0.5 * 9000 + 1000) / 10000) < 1e-9
    assert (m.rows, m.expected_rows) == (5500, 10000)


def test_a_cancelled_or_failed_table_never_counts_as_complete():
    m = play(RunModel(["big", "tiny"]), ev.TableStarted(R, "big", 1, 1_000_000),
             ev.TableFinished(R, "big", 1_000_000, 1, 10, 1.0, "/out/big"), ev.TableStarted(R, "tiny", 1, 1),
             ev.TableProgress(R, "tiny", 1, 1, 1, None, 0.1), ev.TableFailed(R, "tiny", "disk full", 0.2),
             ev.RunFinished(R, ("big",), ("tiny",), (), 1.5))
    assert m.tables["tiny"].fraction < 1 and m.fraction < 1 and m.percent == 99
    m = play(RunModel(["a"]), ev.TableStarted(R, "a", 2, 10), ev.TableCancelled(R, "a", 0.2),
             ev.RunFinished(R, (), (), ("a",), 0.3))
    assert m.tables["a"].status == "cancelled" and m.percent == 0


def test_a_failed_table_gets_a_log_line_with_its_reason_once():
    refused = ev.TableFailed(R, "gone", "table 'gone' was not found in schema 'main'", 0.0)
    m = play(RunModel(["gone", "bad"]), refused,
             ev.LogLine(R, "error", "failed: no such column: amount", "bad"),  # the job logs its own
             ev.TableFailed(R, "bad", "no such column: amount", 1.0))
    play(m, ev.LogLine(R, "error", "failed: disk full", "inc"),  # a window's job logs under its table's name
         ev.TableFailed(R, "inc [2026-01-05]", "disk full", 1.0))
    lines = [(line.table, line.level, line.message) for line in m.logs]
    assert lines == [("gone", "error", "failed: table 'gone' was not found in schema 'main'"),
                     ("bad", "error", "failed: no such column: amount"), ("inc", "error", "failed: disk full")]


def test_a_failure_keeps_its_reason_and_a_cancel_is_not_a_failure():
    m = play(RunModel(["a", "b"]), ev.TableFailed(R, "a", "relation does not exist", 1.0),
             ev.TableCancelled(R, "b", 1.0), ev.TableFailed(R, "c", "cancelled", 0.1))
    assert (m.tables["a"].status, m.tables["a"].error) == ("failed", "relation does not exist")
    assert (m.tables["b"].status, m.tables["b"].error) == ("cancelled", None)
    assert m.tables["c"].status == "cancelled"
    assert m.counts() == {"failed": 1, "cancelled": 2}


def test_tables_cancelled_before_they_started_are_named_by_run_finished():
    m = RunModel(["a", "b"])
    assert m.request_cancel("b") == ["b"] and m.tables["b"].cancelling
    play(m, ev.TableFinished(R, "a", 10, 1, 100, 1.0, "/out/a"), ev.RunFinished(R, ("a",), (), ("b",), 2.0))
    assert m.finished and m.tables["b"].status == "cancelled" and not m.tables["b"].cancelling
    assert m.fraction == 0.5


def test_a_table_the_run_never_reported_does_not_spin_forever():
    m = play(RunModel(["a"]), ev.RunFinished(R, (), (), (), 0.5))
    assert m.tables["a"].status == "failed" and "ended before" in (m.tables["a"].error or "")


def test_a_run_that_cannot_start_fails_every_table_with_the_reason():
    m = RunModel(["a", "b"])
    m.launch_failed("partitions 0 is not valid")
    assert m.finished and m.start_error == "partitions 0 is not valid"
    assert {t.error for t in m.tables.values()} == {"partitions 0 is not valid"}


def test_every_change_bumps_the_version_so_faces_redraw_only_then():
    m = RunModel(["a"])
    v = m.version
    m.apply(ev.LogLine(R, "info", "hello", "a"))
    assert m.version == v + 1 and list(m.logs)[0].message == "hello"


def test_windows_of_an_incremental_table_add_up_and_keep_their_own_rows():
    m = play(RunModel(["a", "inc"]), ev.TableStarted(R, "inc [2026-01-05]", 1, 10),
             ev.TableFinished(R, "inc [2026-01-05]", 10, 1, 100, 1.0, "/out/inc/d=5"),
             ev.TableStarted(R, "inc [2026-01-06]", 2, 20), ev.TableProgress(R, "inc [2026-01-06]", 1, 2, 5, 5.0, 1.0))
    inc = m.tables["inc"]
    assert list(m.tables) == ["a", "inc"]
    assert [p.name for p in m.lines()] == ["a", "inc [2026-01-05]", "inc [2026-01-06]"]
    assert (inc.status, inc.rows, inc.estimated_rows) == ("running", 15, 30)
    assert [(w.status, w.rows) for w in inc.windows.values()] == [("succeeded", 10), ("running", 5)]
    assert m.request_cancel("inc [2026-01-06]") == ["inc"]
    assert [w.cancelling for w in inc.windows.values()] == [False, True]
    play(m, ev.TableFinished(R, "inc [2026-01-06]", 20, 1, 100, 1.0, "/out/inc/d=6"),
         ev.RunFinished(R, ("inc [2026-01-05]", "inc [2026-01-06]"), (), (), 3.0))
    assert (inc.status, inc.rows, inc.seconds, inc.fraction) == ("succeeded", 30, 2.0, 1.0)


def test_a_table_with_nothing_due_is_up_to_date_not_failed():
    m = play(RunModel(["inc"]), ev.RunFinished(R, ("inc",), (), (), 0.2))
    assert (m.tables["inc"].status, m.tables["inc"].note, m.tables["inc"].error) == ("succeeded", "up to date", None)
    assert m.fraction == 1.0
