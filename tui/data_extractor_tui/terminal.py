"""Keep the screen clean: Spark's JVM writes to file descriptor 2, which is the dashboard's terminal.

While the dashboard runs, descriptor 2 (inherited by the JVM, and used by Python warnings) points
at a log file, and Textual draws on a duplicate of the terminal.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def console_log_path() -> Path:
    return Path(tempfile.gettempdir()) / "data-extractor-tui.log"


@contextmanager
def console_to_log(path: Path | None = None) -> Iterator[Path | None]:
    """Send descriptor 2 to `path` and Textual's output to the terminal; yields the log's path.

    Does nothing (and yields None) when stderr is not a terminal.
    """
    original = sys.__stderr__
    if original is None or not original.isatty():
        yield None
        return
    path = path or console_log_path()
    original.flush()
    terminal_fd = os.dup(2)
    terminal = os.fdopen(terminal_fd, "w", buffering=1, encoding=original.encoding or "utf-8",
                         errors=original.errors or "strict", closefd=False)
    log = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed below, after descriptor 2 is restored
    os.dup2(log.fileno(), 2)
    sys.__stderr__ = terminal
    try:
        yield path
    finally:
        sys.__stderr__ = original
        terminal.flush()
        os.dup2(terminal_fd, 2)
        os.close(terminal_fd)
        log.close()
