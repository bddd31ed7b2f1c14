"""A throwaway MariaDB server on 127.0.0.1 for the tests (Debian's mariadb-server package).

One server serves the whole test session: `shared_server(config)` starts it on first use and registers
its shutdown with pytest's config, so every test module that asks gets the same server.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import pymysql
import pytest

PASSWORD = "my-Test-Secret-4417"


def _binary(name: str) -> str | None:
    found = [p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if os.path.exists(p)]
    return shutil.which(name) or (found[0] if found else None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MariaDBServer:
    def __init__(self) -> None:
        self.mariadbd = _binary("mariadbd")
        self.install_db = _binary("mariadb-install-db")
        self.root = Path(tempfile.mkdtemp(prefix="dx-mariadb-"))
        self.data = self.root / "data"
        self.socket = str(self.root / "mysqld.sock")
        self.port = free_port()
        self.host = "127.0.0.1"
        self.user = "extractor"
        self.password = PASSWORD
        self.database = "shop"
        self.proc: subprocess.Popen | None = None

    @property
    def available(self) -> bool:
        return bool(self.mariadbd and self.install_db)

    def start(self) -> MariaDBServer:
        as_root = ["--user=root"] if os.geteuid() == 0 else []
        subprocess.run([self.install_db, "--no-defaults", f"--datadir={self.data}", "--skip-test-db",
                        "--auth-root-authentication-method=normal", *as_root],
                       check=True, capture_output=True, text=True)
        self.proc = subprocess.Popen(
            [self.mariadbd, "--no-defaults", f"--datadir={self.data}", f"--socket={self.socket}",
             f"--port={self.port}", "--bind-address=127.0.0.1", f"--pid-file={self.root / 'mysqld.pid'}",
             f"--log-error={self.root / 'error.log'}", "--skip-name-resolve", "--skip-log-bin",
             "--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci",
             "--innodb-flush-log-at-trx-commit=0", "--innodb-buffer-pool-size=256M", "--innodb-doublewrite=0",
             "--max-connections=200", *as_root],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        deadline = time.time() + 60
        while True:
            try:
                self.admin(None).close()
                break
            except pymysql.MySQLError:
                if self.proc.poll() is not None or time.time() > deadline:
                    log = (self.root / "error.log").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"MariaDB did not start:\n{log}") from None
                time.sleep(0.2)
        with self.admin(None) as conn, conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE {self.database} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
            cur.execute(f"CREATE USER '{self.user}'@'%' IDENTIFIED BY '{self.password}'")
            cur.execute(f"GRANT ALL ON {self.database}.* TO '{self.user}'@'%'")
            cur.execute(f"GRANT SELECT ON mysql.column_stats TO '{self.user}'@'%'")  # histograms
        return self

    def admin(self, database: str | None = "shop") -> pymysql.Connection:
        """A root connection over the Unix socket (no password)."""
        return pymysql.connect(unix_socket=self.socket, user="root", database=database, charset="utf8mb4",
                               autocommit=True, init_command="SET time_zone = '+00:00'")

    def execute(self, *statements: str) -> None:
        with self.admin() as conn, conn.cursor() as cur:
            for sql in statements:
                cur.execute(sql)

    def query(self, sql: str) -> list[tuple]:
        with self.admin() as conn, conn.cursor() as cur:
            cur.execute(sql)
            return list(cur.fetchall())

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def source(self, **extra: Any) -> dict:
        return {"type": "mariadb", "host": self.host, "port": self.port, "database": self.database,
                "user": self.user, "password": self.password, **extra}


_shared: MariaDBServer | BaseException | None = None


def shared_server(config: pytest.Config) -> MariaDBServer:
    """The session's server, started on first use and stopped when pytest ends (skips without MariaDB)."""
    global _shared
    if _shared is None:
        server = MariaDBServer()
        if not server.available:
            shutil.rmtree(server.root, ignore_errors=True)
            pytest.skip("MariaDB server binaries not found: apt-get install -y mariadb-server")
        config.add_cleanup(server.cleanup)
        try:
            _shared = server.start()
        except BaseException as exc:
            _shared = exc
            raise
    if isinstance(_shared, BaseException):
        raise RuntimeError(f"the MariaDB test server failed to start earlier: {_shared}")
    return _shared
