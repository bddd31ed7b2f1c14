"""The panel's one-line message: the current hint, or an engine error in red (never a traceback)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from data_extractor.errors import ExtractorError

from .compat import text_widget
from .formatting import error_html, hint_html, ok_html, one_line

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None


class MessageLine:
    def __init__(self) -> None:
        self.widget = text_widget("", "dx-message")
        self.kind = "hint"

    @property
    def text(self) -> str:
        return self.widget.value

    def clear(self) -> None:
        self.kind, self.widget.value = "hint", ""

    def hint(self, text: str) -> None:
        self.kind, self.widget.value = "hint", hint_html(text)

    def ok(self, text: str) -> None:
        self.kind, self.widget.value = "ok", ok_html(text)

    def error(self, text: str) -> None:
        self.kind, self.widget.value = "error", error_html(text)

    @contextmanager
    def guard(self, doing: str) -> Iterator[Outcome]:
        """Run a user action; an engine error (or any other) ends it with a red one-line message.

        Example:
            >>> with messages.guard("listing the tables") as outcome:
            ...     tables = extractor.catalog.tables(schema)
            >>> if outcome.failed: ...
        """
        outcome = Outcome()
        try:
            yield outcome
        except ExtractorError as exc:  # the engine's own sentence names the cause and the fix
            outcome.error = one_line(exc)
            self.error(outcome.error)
        except Exception as exc:  # noqa: BLE001 - a notebook panel shows one line, never a traceback
            log.debug("%s failed", doing, exc_info=True)
            outcome.error = f"{doing} failed: {one_line(exc)} ({type(exc).__name__})"
            self.error(outcome.error)
