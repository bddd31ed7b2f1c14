"""Which ADBC PostgreSQL driver reads the rows, and whether it is one measured to waste CPU or to crash."""

from __future__ import annotations

from importlib import metadata

from data_extractor.source.dialects.checks import Check

PACKAGE = "adbc-driver-postgresql"
FIX = f"pip install '{PACKAGE}<1.9' (1.8 is the newest well-built release measured)"


def driver_check() -> Check:
    """`doctor`'s line on the installed driver.

    Its wheels from 1.9 to 1.13 are built without compiler optimization: decoding a row costs 3x the CPU of
    1.8 (`bench/bench_adbc.py`: 231 against 686-699 ns a row on the bench table), and PostgreSQL's backends
    share those cores. 1.9 and 1.10 also abort the process on a query over a connection the server ended
    (arrow-adbc#3878); the reader pool never sends one (`spark/reader_pool.py`), whatever the version.
    """
    try:
        version = metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return Check("reader driver", False, f"{PACKAGE} is not installed", FIX)
    parts = tuple(int(p) for p in version.split(".")[:2] if p.isdigit())
    if (1, 9) <= parts <= (1, 13):
        return Check("reader driver", False, f"{PACKAGE} {version}: an unoptimized build, decoding rows with "
                     "about 3x the CPU of 1.8", FIX)
    return Check("reader driver", True, f"{PACKAGE} {version}")
