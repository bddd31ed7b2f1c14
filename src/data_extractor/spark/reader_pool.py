"""Idle reader connections kept for the next partition read in the same process (driver or Python worker).

Opening a reader connection costs more than reading a small partition (ADBC PostgreSQL loads the server's
type catalog on connect: about 0.1-0.3 s here). A connection goes back to the pool only after a read that
ran to its end outside any snapshot, so it carries no transaction or half-read result; it is checked with
a one-row query before reuse and closed after `IDLE_SECONDS` unused.
"""

from __future__ import annotations

import hashlib
import threading
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from data_extractor.source.dialects.base import Dialect

IDLE_SECONDS = 30.0
_idle: dict[str, list[tuple[Any, float]]] = {}
_lock = threading.Lock()


def source_key(dialect: Dialect) -> str:
    """One key per source and credentials (a digest: the password is never kept in the clear)."""
    cfg = dialect.source
    secret = cfg.password.get_secret_value() if cfg.password else ""
    return hashlib.sha256((cfg.model_dump_json() + "\0" + secret).encode()).hexdigest()


def take(dialect: Dialect) -> Any | None:
    """An idle connection to this source that still answers, or None."""
    key = source_key(dialect)
    now = time.monotonic()
    while True:
        with _lock:
            stack = _idle.get(key)
            if not stack:
                return None
            conn, since = stack.pop()
        if now - since <= IDLE_SECONDS and _answers(dialect, conn):
            return conn
        close(conn)


def give_back(dialect: Dialect, conn: Any) -> None:
    """Keep a connection whose read ended cleanly; close what has idled too long."""
    key = source_key(dialect)
    now = time.monotonic()
    with _lock:
        stack = _idle.setdefault(key, [])
        stale = [c for c, since in stack if now - since > IDLE_SECONDS]
        stack[:] = [(c, since) for c, since in stack if now - since <= IDLE_SECONDS]
        stack.append((conn, now))
    for c in stale:
        close(c)


def drain() -> None:
    """Close every idle connection (a run's end on the driver)."""
    with _lock:
        conns = [c for stack in _idle.values() for c, _ in stack]
        _idle.clear()
    for c in conns:
        close(c)


def _answers(dialect: Dialect, conn: Any) -> bool:
    try:
        dialect.fetch_one(conn, dialect.ping_sql)
        return True
    except Exception:  # noqa: BLE001 - dropped by the server, or broken: not reused
        return False


def close(conn: Any) -> None:
    try:
        conn.close()
    except Exception:  # noqa: BLE001 - a broken connection may fail to close; nothing to do
        pass
