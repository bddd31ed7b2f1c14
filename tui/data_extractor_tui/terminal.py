"""Keep the screen clean: Spark's JVM writes to file descriptors 1 and 2, which are the dashboard's terminal.

While the dashboard runs, descriptors 1 and 2 (inherited by the JVM, which logs to both, and used by
Python warnings) point at a log file, and Textual draws on duplicates of the terminal.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO


def console_log_path() -> Path:
    return Path(tempfile.gettempdir()) / "data-extractor-tui.log"


def _duplicate(stream: TextIO) -> tuple[int, TextIO]:
    fd = os.dup(stream.fileno())
    return fd, os.fdopen(fd, "w", buffering=1, encoding=stream.encoding or "utf-8",
                         errors=stream.errors or "strict", closefd=False)


@contextmanager
def console_to_log(path: Path | None = None) -> Iterator[Path | None]:
    """Send descriptors 1 and 2 to `path`, and Textual's output to the terminal; yields the log's path.

    Does nothing (and yields None) unless both stdout and stderr are the terminal.
    """
    out, err = sys.__stdout__, sys.__stderr__
    if out is None or err is None or not (out.isatty() and err.isatty()):
        yield None
        return
    path = path or console_log_path()
    out.flush()
    err.flush()
    (out_fd, terminal_out), (err_fd, terminal_err) = _duplicate(out), _duplicate(err)
    log = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed below, after the descriptors are restored
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)
    sys.__stdout__, sys.__stderr__ = terminal_out, terminal_err  # what Textual draws on
    try:
        yield path
    finally:
        sys.__stdout__, sys.__stderr__ = out, err
        for fd, terminal, target in ((out_fd, terminal_out, 1), (err_fd, terminal_err, 2)):
            terminal.flush()
            os.dup2(fd, target)
            os.close(fd)
        log.close()
