"""The throttled event-to-widget bridge: coalesces progress, never loses the last update, draws final states at once."""

from __future__ import annotations

import threading
import time

from data_extractor.run import events as ev
from data_extractor_jupyter.bridge import ThrottledBridge


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def progress(n: int) -> ev.TableProgress:
    return ev.TableProgress("r", "t", n, 100, n * 10, 1.0, 1.0)


def test_progress_events_within_the_interval_coalesce_into_one_redraw():
    seen: list[int] = []
    drawn: list[int] = []
    clock = FakeClock()
    bridge = ThrottledBridge(lambda e: seen.append(e.partitions_done), lambda: drawn.append(seen[-1]), interval=60,
                             clock=clock)
    for n in range(50):
        bridge(progress(n))
    assert len(seen) == 50, "every event updates the state"
    assert drawn == [0], "only the first redraws; the rest wait for the interval"
    clock.now += 60
    bridge(progress(50))
    assert drawn == [0, 50]


def test_a_final_event_is_drawn_at_once_even_inside_the_interval():
    drawn: list[str] = []
    bridge = ThrottledBridge(lambda e: None, lambda: drawn.append("x"), interval=60, clock=FakeClock())
    bridge(progress(1))
    bridge(progress(2))
    bridge(ev.TableFinished("r", "t", 5, 1, 1, 1.0, "/p"))
    bridge(ev.RunFinished("r", ("t",), (), (), 1.0))
    assert len(drawn) == 3


def test_a_held_back_update_is_drawn_by_the_timer():
    state = {"n": -1}
    drawn: list[int] = []
    redrawn = threading.Event()

    def render() -> None:
        drawn.append(state["n"])
        if len(drawn) == 2:
            redrawn.set()

    bridge = ThrottledBridge(lambda e: state.update(n=e.partitions_done), render, interval=0.2)
    for n in range(10):
        bridge(progress(n))
    assert drawn == [0]
    assert redrawn.wait(5), "the trailing redraw never came"
    assert drawn == [0, 9], "the trailing redraw shows the last state"
    time.sleep(0.3)
    assert bridge.renders == 2, "nothing changed since: no more redraws"


def test_a_drawing_error_does_not_reach_the_run():
    def broken() -> None:
        raise RuntimeError("widget gone")

    bridge = ThrottledBridge(lambda e: None, broken, interval=0)
    bridge(progress(1))  # no exception
    assert bridge.renders == 1


def test_now_applies_a_main_thread_change_and_draws_at_once():
    drawn: list[str] = []
    bridge = ThrottledBridge(lambda e: None, lambda: drawn.append("x"), interval=60, clock=FakeClock())
    bridge(progress(1))
    bridge.now(lambda: drawn.append("changed"))
    assert drawn == ["x", "changed", "x"]
