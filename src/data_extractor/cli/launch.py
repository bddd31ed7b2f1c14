"""The `data-extractor` command: a run goes to the warm daemon when one serves it, else to the CLI here.

Kept to the standard library so a run handed to the daemon starts in milliseconds; the CLI (`main.py`, which
imports the engine, pydantic and rich) is imported only when this process does the work itself.
"""

from __future__ import annotations

import sys

from data_extractor.cli.daemon_client import try_run


def entry() -> None:
    argv = sys.argv[1:]
    if argv[:1] == ["run"] and not {"--no-daemon", "-h", "--help"} & set(argv):
        code = try_run(argv)
        if code is not None:
            sys.exit(code)
    from data_extractor.cli.main import entry as run_here  # heavy: only when this process runs the command

    run_here()
