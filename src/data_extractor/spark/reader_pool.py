"""Idle reader connections kept for the next partition read in the same process (driver or Python worker).

Opening a reader connection costs more than reading a small partition (ADBC PostgreSQL loads the server's
type catalog on connect: about 0.1-0.3 s here). A connection goes back to the pool only after a read that
ran to its end outside any snapshot, so it carries no transaction or half-read result; it is checked with
a one-row query before reuse and closed after `IDLE_SECONDS` unused.

Before that query, the connection's socket is checked without a round trip: a server that ended the session
(a restart, `idle_session_timeout`, `pg_terminate_backend`) has closed it or left a farewell message unread.
That check comes first because a query over such a connection aborts the whole process in some drivers (ADBC
PostgreSQL before 1.11: arrow-adbc#3878), so only connections whose socket is known are pooled (`connect`).
"""

from __future__ import annotations

import hashlib
import os
import socket
import stat
import threading
import time
import weakref
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from data_extractor.source.dialects.base import Dialect

IDLE_SECONDS = 30.0
_idle: dict[str, list[tuple[Any, float]]] = {}
_lock = threading.Lock()
_sockets: weakref.WeakKeyDictionary[Any, tuple[int, int]] = weakref.WeakKeyDictionary()  # conn -> (fd, inode)
_FD_FOLDERS = ("/proc/self/fd", "/dev/fd")


def source_key(dialect: Dialect) -> str:
    """One key per source and credentials (a digest: the password is never kept in the clear)."""
    cfg = dialect.source
    secret = cfg.password.get_secret_value() if cfg.password else ""
    return hashlib.sha256((cfg.model_dump_json() + "\0" + secret).encode()).hexdigest()


def connect(dialect: Dialect) -> Any:
    """A new reader connection, its socket noted when it can be told apart from other threads' new sockets."""
    before = _open_sockets()
    conn = dialect.connect_reader()
    new = _open_sockets() - before
    if len(new) == 1:
        try:
            _sockets[conn] = next(iter(new))
        except TypeError:  # a connection type without weak references: read once, never pooled
            pass
    return conn


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
        if now - since <= IDLE_SECONDS and _quiet(conn) and _answers(dialect, conn):
            return conn
        close(conn)


def give_back(dialect: Dialect, conn: Any) -> None:
    """Keep a connection whose read ended cleanly (and whose socket is known); close what has idled too long."""
    if conn not in _sockets:
        close(conn)
        return
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


def _open_sockets() -> set[tuple[int, int]]:
    """(descriptor, inode) of this process's open sockets; empty where descriptors cannot be listed (Windows)."""
    for folder in _FD_FOLDERS:
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        found = set()
        for name in names:
            try:
                st = os.stat(os.path.join(folder, name))
            except (OSError, ValueError):  # closed meanwhile, or the listing's own descriptor
                continue
            if stat.S_ISSOCK(st.st_mode):
                found.add((int(name), st.st_ino))
        return found
    return set()


def _quiet(conn: Any) -> bool:
    """Whether the connection's socket is still open with nothing unread (a peek: no round trip, no query)."""
    known = _sockets.get(conn)
    if known is None:
        return False
    fd, inode = known
    try:
        if os.fstat(fd).st_ino != inode:
            return False
        sock = socket.socket(fileno=os.dup(fd))
    except OSError:
        return False
    try:
        sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        return False  # b"" (closed by the server) or a message nobody asked for (its farewell)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        sock.close()  # the duplicate only: the connection keeps its own descriptor


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
