"""Logging with run and table context (contextvars), plain or JSON lines, secrets scrubbed.

Log records also flow out as `LogLine` events to whoever started the run.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
from collections.abc import Callable, Iterable

from data_extractor.run.events import LogLine

run_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("dx_run_id", default=None)
table_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("dx_table", default=None)

LOGGER = "data_extractor"
log = logging.getLogger(LOGGER)


class ContextFilter(logging.Filter):
    """Stamps each record with the run and table of the thread that logged it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "run_id"):
            record.run_id = run_id_var.get()
        if not hasattr(record, "table"):
            record.table = table_var.get()
        return True


class Scrubber(logging.Filter):
    """Replaces every known secret with *** in the message, whatever its origin."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def scrub(self, text: str) -> str:
        for s in self.secrets:
            text = text.replace(s, "***")
        return re.sub(r"(password=)[^\s&;]+", r"\1***", text, flags=re.I)

    def filter(self, record: logging.LogRecord) -> bool:
        msg = self.scrub(record.getMessage())
        record.msg, record.args = msg, None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {"ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
               "level": record.levelname.lower(), "logger": record.name, "run_id": getattr(record, "run_id", None),
               "table": getattr(record, "table", None), "message": record.getMessage()}
        if record.exc_info and record.exc_info[1] is not None:
            out["error"] = f"{type(record.exc_info[1]).__name__}: {record.exc_info[1]}"
        return json.dumps(out, ensure_ascii=False)


class PlainFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        table = getattr(record, "table", None)
        stamp = time.strftime("%H:%M:%S", time.localtime(record.created))
        return f"{stamp} {record.levelname:<7} {table + ' ' if table else ''}{record.getMessage()}"


class EventHandler(logging.Handler):
    """Sends each record to the run's event callback as a LogLine."""

    def __init__(self, run_id: str, emit: Callable[[LogLine], None]) -> None:
        super().__init__(logging.DEBUG)
        self.run_id = run_id
        self._emit = emit

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "run_id", None) != self.run_id:
            return
        self._emit(LogLine(self.run_id, record.levelname.lower(), record.getMessage(),
                           getattr(record, "table", None), record.name, at=record.created))


def configure(level: str = "INFO", fmt: str = "plain", stream: object = None, secrets: Iterable[str] = ()) -> None:
    """Console logging for the CLI (`--log-format plain|json`)."""
    handler = logging.StreamHandler(stream)  # type: ignore[arg-type]
    handler.setFormatter(JsonFormatter() if fmt == "json" else PlainFormatter())
    handler.addFilter(ContextFilter())
    handler.addFilter(Scrubber(secrets))
    root = logging.getLogger(LOGGER)
    root.handlers = [h for h in root.handlers if not isinstance(h, logging.StreamHandler)
                     or isinstance(h, EventHandler)]
    root.addHandler(handler)
    root.setLevel(level.upper())
    root.propagate = False


def attach(run_id: str, emit: Callable[[LogLine], None], secrets: Iterable[str]) -> EventHandler:
    handler = EventHandler(run_id, emit)
    handler.addFilter(ContextFilter())
    handler.addFilter(Scrubber(secrets))
    root = logging.getLogger(LOGGER)
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)
    return handler


def detach(handler: logging.Handler) -> None:
    logging.getLogger(LOGGER).removeHandler(handler)
