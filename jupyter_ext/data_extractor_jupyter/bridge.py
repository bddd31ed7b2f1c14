"""The throttled bridge from the engine's events (any thread) to the widgets.

Every event updates the run's state at once; the widgets are redrawn at most once per `interval`
(progress events in between coalesce into one redraw), except that a table's or the run's final
state is drawn at once. A redraw that was held back is done by a timer, so the last update is
never lost. Redraws happen in the thread that delivered the event (or the timer's), one at a time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from data_extractor.run import events as ev

log = logging.getLogger(__name__)
FINAL = (ev.TableFinished, ev.TableFailed, ev.TableCancelled, ev.RunFinished)


class ThrottledBridge:
    """An `on_event` callback for `Extractor.start` that applies events and redraws no faster than `interval`.

    Example:
        >>> bridge = ThrottledBridge(state.apply, lambda: tab.render(state), interval=0.25)
        >>> extractor.start(["orders"], on_event=bridge)
    """

    def __init__(self, apply: Callable[[ev.Event], None], render: Callable[[], None], interval: float = 0.25,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._apply = apply
        self._render = render
        self.interval = interval
        self._clock = clock
        self._lock = threading.RLock()
        self._last = float("-inf")
        self._dirty = False
        self._timer: threading.Timer | None = None
        self.renders = 0  # how many redraws happened (the tests pin the throttle with it)

    def __call__(self, event: ev.Event) -> None:
        with self._lock:
            self._apply(event)
            self._dirty = True
            wait = self._last + self.interval - self._clock()
            if isinstance(event, FINAL) or wait <= 0:
                self._flush_locked()
            elif self._timer is None:
                self._timer = threading.Timer(wait, self.flush)
                self._timer.daemon = True
                self._timer.start()

    def now(self, change: Callable[[], None]) -> None:
        """Make a change to the state from the main thread (e.g. a Cancel click) and redraw at once."""
        with self._lock:
            change()
            self._dirty = True
            self._flush_locked()

    def flush(self) -> None:
        """Redraw now if anything changed since the last redraw."""
        with self._lock:
            self._flush_locked()

    def _flush_locked(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._dirty:
            return
        self._dirty = False
        self._last = self._clock()
        self.renders += 1
        try:
            self._render()
        except Exception:  # noqa: BLE001 - a drawing bug must not break the run that called us
            log.warning("the panel could not redraw", exc_info=True)
