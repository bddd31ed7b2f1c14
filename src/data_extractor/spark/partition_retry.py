"""A partition that fails mid-read is read again whole: fresh connection, fresh file names, backoff.

Runs inside the task (or on the driver for a one-partition plan), so the retry joins the run's snapshot
(its token is in the spec) and costs no new Spark job. Each attempt cleans up its own files before it
fails, so attempts never mix. Failures another attempt cannot fix (wrong data, wrong SQL, bad input) are
raised at once; broken connections and I/O failures are retried `defaults.retries` times.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from data_extractor.errors import UserError

log = logging.getLogger("data_extractor.partition")

# DB-API error classes (psycopg, oracledb, pymysql, ADBC share the names) that mean the data or the SQL is wrong.
_FINAL_NAMES = {"DataError", "ProgrammingError", "IntegrityError", "NotSupportedError"}
_FINAL = (UserError, ValueError, TypeError, MemoryError)


def is_final(exc: BaseException) -> bool:
    """True when reading again cannot help (pyarrow's ArrowInvalid is a ValueError, a bad cast a TypeError)."""
    return isinstance(exc, _FINAL) or any(c.__name__ in _FINAL_NAMES for c in type(exc).__mro__)


def with_retries(attempt: Callable[[int], dict[str, Any]], index: int, retries: int, wait: float) -> dict[str, Any]:
    """`attempt(n)` (n = 1, 2, ...) until it succeeds or `retries` more tries failed.

    The statistics get `attempts` and `retried_after` (the last failure retried, one line), so the driver can
    count and log the retried partitions.
    """
    tries, error = 0, ""
    while True:
        tries += 1
        try:
            stats = attempt(tries)
        except Exception as exc:
            if is_final(exc) or tries > retries:
                raise
            error = f"{type(exc).__name__}: {(str(exc).strip().splitlines() or [''])[0][:300]}"
            log.warning("partition %d failed (%s); reading it again whole", index, error)
            time.sleep(wait * 2 ** (tries - 1))
            continue
        return {**stats, "attempts": tries, "retried_after": error}
