"""Live row counts without a shared disk: a small TCP listener on the driver that tasks report to.

Executors must reach the driver anyway (Spark's own RPC), so a second port on the driver's address is the one
channel every classic cluster has. Each task sends `partition rows` lines at most once a second; the listener
keeps the latest count per partition. Everything is best effort: a task that cannot connect just stops
reporting, and the table's progress falls back to partitions done.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

EVERY = 1.0  # seconds between a task's reports


def driver_host(session: Any) -> str:
    """The address executors reach the driver at (loopback for a local session or where unknown)."""
    try:
        return session.conf.get("spark.driver.host") or "127.0.0.1"
    except Exception:  # noqa: BLE001 - Spark Connect hides it: the client is not the driver
        return "127.0.0.1"


class RowsListener:
    def __init__(self, host: str) -> None:
        self._server = socket.create_server((host, 0))
        self.address = (host, self._server.getsockname()[1])
        self._rows: dict[int, int] = {}
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True, name="dx-rows-listener").start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._read, args=(conn,), daemon=True, name="dx-rows-conn").start()

    def _read(self, conn: socket.socket) -> None:
        with conn, conn.makefile("r", encoding="ascii") as lines:
            try:
                for line in lines:
                    partition, _, rows = line.strip().partition(" ")
                    with self._lock:
                        self._rows[int(partition)] = int(rows)
            except (OSError, ValueError):
                return

    def rows(self) -> int | None:
        """Rows the tasks have fetched so far (None before any report)."""
        with self._lock:
            return sum(self._rows.values()) if self._rows else None

    def close(self) -> None:
        self._closed = True
        try:
            self._server.shutdown(socket.SHUT_RDWR)  # wakes the accept() blocked on another thread
        except OSError:
            pass
        self._server.close()


class RowsReporter:
    """The task's side: `report(rows)` sends at most one line a second; any failure silences it."""

    def __init__(self, address: tuple[str, int] | None, partition: int) -> None:
        self.address, self.partition = address, partition
        self._sock: socket.socket | None = None
        self._last = 0.0

    def report(self, rows: int, force: bool = False) -> None:
        if self.address is None or (not force and time.monotonic() - self._last < EVERY):
            return
        self._last = time.monotonic()
        try:
            if self._sock is None:
                self._sock = socket.create_connection(self.address, timeout=2)
            self._sock.sendall(f"{self.partition} {rows}\n".encode("ascii"))
        except OSError:
            self.address = None  # unreachable: stop trying

    def close(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            except OSError:
                pass
