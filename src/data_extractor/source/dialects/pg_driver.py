"""The ADBC PostgreSQL driver: whether the installed one is measured to waste CPU, and its errors made plain."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import metadata
from typing import TYPE_CHECKING

from data_extractor.source.dialects.checks import Check

if TYPE_CHECKING:
    import pyarrow as pa

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


def session_kept(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """The stream's batches; a session the server ended mid-read (FATAL, or the connection lost) is raised as a
    ConnectionError, which the partition's retry reads again, not as the ArrowInvalid (a ValueError: bad data,
    never retried) that ADBC 1.8 raises for it."""
    import pyarrow as pa

    try:
        yield from batches
    except pa.ArrowInvalid as exc:
        text = str(exc)
        if "[libpq]" in text and any(s in text for s in _SESSION_ENDED):
            raise ConnectionError(text.strip().splitlines()[0]) from None
        raise


_SESSION_ENDED = ("FATAL:", "server closed the connection", "could not receive data", "no connection to the server")
