"""The run dashboard's states, on a scripted run: cancel one table, a failure with its reason, log filter."""

from __future__ import annotations

import threading
import time

import pytest
from tui_fakes import ScriptedExtractor
from tui_helpers import RecordingApp, catalog_loaded, cell_text, demo_config, wait_until

from data_extractor.run import events as ev
from data_extractor_tui.messages import RunEventReceived
from data_extractor_tui.screens.run import REDRAWS_PER_SECOND, RunScreen
from data_extractor_tui.widgets.log_pane import LogPane
from data_extractor_tui.widgets.run_table import RunTable

pytestmark = pytest.mark.asyncio


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return demo_config(tmp_path_factory.mktemp("demo"), rows=2_000)


async def start_run(pilot, *marks: str) -> RunTable:
    app = pilot.app
    await catalog_loaded(pilot)
    await pilot.press(*marks, "r")
    await wait_until(pilot, lambda: isinstance(app.screen, RunScreen), what="the run screen")
    return app.screen.query_one(RunTable)


async def test_cancelling_one_table_leaves_the_other_running_to_the_end(demo):
    config, _ = demo

    class Held(ScriptedExtractor):
        hold = threading.Event()
        handles = []

    app = RecordingApp(Held(str(config)), warm_spark=False)
    async with app.run_test(size=(120, 40)) as pilot:
        table = await start_run(pilot, "space", "space")
        await wait_until(pilot, lambda: table.row_count == 2 and cell_text(table, "orders", "status") == "running",
                         what="both tables running")
        assert cell_text(table, "orders", "rows") == "5.0 k / 10.0 k"
        assert cell_text(table, "orders", "progress").endswith(" 50%")
        assert cell_text(table, "orders", "eta") == "0:00:01"
        await pilot.press("down", "c")
        assert Held.handles[0].cancelled == ["orders"]
        await wait_until(pilot, lambda: app.run_model.finished, what="the run to end")
        await pilot.pause(0.3)
        assert cell_text(table, "orders", "status") == "cancelled"
        assert cell_text(table, "customers", "status") == "done 2.5 s"
        assert cell_text(table, "customers", "rows") == "20,000"
        assert ("1 table(s) cancelled; nothing was published for them.", "warning") in app.notes
        assert "Nothing is published for a cancelled table" in str(app.screen.query_one("#run-detail").render())
        assert "c" not in app.screen.active_bindings and "C" not in app.screen.active_bindings  # nothing to cancel
        notes = list(app.notes)
        await pilot.press("c")
        assert app.notes == notes


async def test_a_failed_table_is_red_with_its_reason_and_its_log_one_key_away(demo):
    config, _ = demo
    app = RecordingApp(ScriptedExtractor(str(config)), warm_spark=False)
    async with app.run_test(size=(120, 40)) as pilot:
        table = await start_run(pilot, "space", "space")
        await wait_until(pilot, lambda: app.run_model.finished, what="the run to end")
        await pilot.pause(0.3)
        assert cell_text(table, "orders", "status") == "failed"
        await pilot.press("down")
        detail = str(app.screen.query_one("#run-detail").render())
        assert detail.startswith("orders failed: no such column: amount")
        assert "press l until the log pane shows orders" in detail
        assert any(s == "error" and "orders" in m for m, s in app.notes)

        log = app.screen.query_one(LogPane)
        assert len(log.lines) == 4  # every table's lines: two plans, a publish, a failure
        await pilot.press("l", "l")  # all -> customers -> orders
        assert log.only == "orders" and app.screen.query_one("#log-pane").border_title == "Logs (orders)"
        assert [line.text.split(" ", 1)[1].strip() for line in log.lines][-1].endswith(
            "ERROR failed: no such column: amount")
        assert len(log.lines) == 2
        await pilot.press("l")
        assert log.only is None and len(log.lines) == 4

        await pilot.press("escape", "r")  # back in Browse, r starts a new run: the last one has ended
        await wait_until(pilot, lambda: isinstance(app.screen, RunScreen), what="a second run")
        assert len(ScriptedExtractor.handles) >= 2


async def test_spark_warms_in_the_background_and_the_header_says_so(demo):
    config, _ = demo
    app = RecordingApp(ScriptedExtractor(str(config)), warm_spark=True)
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.spark_status in ("warming…", "ready (0.0 s)")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.spark_status == "ready (0.0 s)"
        assert str(app.screen.query_one("#top-spark").render()) == "Spark: ready (0.0 s)"


async def test_a_burst_of_progress_events_redraws_a_few_times_a_second_at_most(demo):
    config, _ = demo

    class Held(ScriptedExtractor):
        hold = threading.Event()
        handles = []

    app = RecordingApp(Held(str(config)), warm_spark=False)
    async with app.run_test(size=(120, 40)) as pilot:
        table = await start_run(pilot, "space")
        await wait_until(pilot, lambda: app.run_model.count("running") == 1, what="the table to run")
        draws = []
        original = table.draw
        table.draw = lambda model: (draws.append(model.version), original(model))  # type: ignore[method-assign]
        for i in range(400):  # as if from the run's threads, all at once
            app.post_message(RunEventReceived(ev.TableProgress("r", "customers", i % 4, 4, i, 1000.0, 1.0)))
        t0 = time.monotonic()
        await wait_until(pilot, lambda: app.run_model.tables["customers"].rows == 399, what="the burst")
        await pilot.pause(0.6)
        seconds = time.monotonic() - t0
        assert 1 <= len(draws) <= 2 + seconds * REDRAWS_PER_SECOND
        Held.hold.set()


async def test_an_unexpected_engine_exception_is_one_line(demo):
    config, _ = demo

    class Broken(ScriptedExtractor):
        def plan(self, *args, **kwargs):
            raise RuntimeError("planner exploded\nTraceback (most recent call last): ...")

    app = RecordingApp(Broken(str(config)), warm_spark=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await catalog_loaded(pilot)
        await pilot.press("space", "p")
        await wait_until(pilot, lambda: any(s == "error" for _, s in app.notes), what="the notification")
        assert [m for m, s in app.notes if s == "error"] == ["RuntimeError: planner exploded"]
        commands = [c.title for c in app.get_system_commands(app.screen)]
        assert {"Plan selected tables", "Run selected tables", "History", "Help"} <= set(commands)
