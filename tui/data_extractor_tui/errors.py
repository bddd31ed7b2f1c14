"""One line for any failure, for a notification: never a traceback."""

from __future__ import annotations

from data_extractor.errors import ExtractorError


def one_line(exc: BaseException) -> str:
    """The engine's own sentence for its errors; the exception's first line for anything else."""
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    if isinstance(exc, ExtractorError):
        return first or type(exc).__name__
    return f"{type(exc).__name__}: {first}"[:300] if first else type(exc).__name__
