"""The terminal dashboard of Data Extractor: browse, plan, run and watch, in Textual.

Start it with ``data-extractor tui -c config.yaml`` or ``python -m data_extractor_tui -c config.yaml``.
Importing this package loads neither Textual nor Spark; `main` does the former, a run the latter.
"""

from __future__ import annotations

import sys

__all__ = ["main"]


def main(config_path: str) -> int:
    """Open the dashboard on `config_path` and return the process exit code.

    Example:
        >>> from data_extractor_tui import main
        >>> main("config.yaml")  # doctest: +SKIP
    """
    from data_extractor.errors import ExtractorError

    from .terminal import console_to_log

    with console_to_log() as log_path:  # Spark's console output must not scribble on the screen
        from .app import DataExtractorApp

        try:
            app = DataExtractorApp(config_path, console_log=log_path)
        except ExtractorError as exc:  # a bad config: one line, before the screen is taken
            print(f"error: {exc}", file=sys.__stderr__)
            return 2
        try:
            code = app.run()
        finally:
            _stop_spark()
    return int(code or 0)


def _stop_spark() -> None:
    """Stop the Spark session this process started, if any (the engine has no public call for it)."""
    from data_extractor import Extractor

    if Extractor.spark_started():
        from data_extractor.spark import session

        session.stop()
