"""`python -m data_extractor_tui -c config.yaml`."""

from __future__ import annotations

import argparse
import sys

from . import main


def entry(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m data_extractor_tui",
                                     description="Open the Data Extractor terminal dashboard.")
    parser.add_argument("-c", "--config", required=True, help="the YAML config file")
    args = parser.parse_args(argv)
    return main(args.config)


if __name__ == "__main__":
    sys.exit(entry())
