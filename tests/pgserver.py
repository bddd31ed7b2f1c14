"""A throwaway PostgreSQL server on 127.0.0.1 for the tests (Debian's postgresql package)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

PASSWORD = "pg-Test-Secret-7731"


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("PostgreSQL server binaries not found: apt-get install -y postgresql")
    return Path(found[-1]).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    def __init__(self) -> None:
        self.bindir = _bindir()
        self.root = Path(tempfile.mkdtemp(prefix="dx-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.host = "127.0.0.1"
        self.user = "extractor"
        self.password = PASSWORD
        self.database = "shop"

    def _run(self, *args: str) -> None:
        cmd = [str(a) for a in args]
        if os.geteuid() == 0:  # the server refuses to run as root
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, text=True)

    def start(self) -> PgServer:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(self.bindir / "initdb", "-D", self.data, "-U", "postgres", "--auth-local=trust",
                  "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8")
        opts = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run(self.bindir / "pg_ctl", "-D", self.data, "-o", opts, "-l", self.root / "log", "-w", "start")
        with self.admin("postgres") as conn:
            conn.execute(f"CREATE ROLE {self.user} LOGIN SUPERUSER PASSWORD '{self.password}'")
            conn.execute(f"CREATE DATABASE {self.database} OWNER {self.user}")
        return self

    def admin(self, dbname: str | None = None) -> psycopg.Connection:
        """A superuser connection over the Unix socket (no password)."""
        return psycopg.connect(host=str(self.root), port=self.port, user="postgres",
                               dbname=dbname or self.database, autocommit=True)

    def stop(self, mode: str = "fast") -> None:
        try:
            self._run(self.bindir / "pg_ctl", "-D", self.data, "-m", mode, "-w", "stop")
        except subprocess.CalledProcessError:
            pass

    def restart(self) -> None:
        opts = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run(self.bindir / "pg_ctl", "-D", self.data, "-o", opts, "-l", self.root / "log", "-w", "start")

    def cleanup(self) -> None:
        self.stop("immediate")
        time.sleep(0.1)
        shutil.rmtree(self.root, ignore_errors=True)

    def source(self, **extra: object) -> dict:
        return {"type": "postgres", "host": self.host, "port": self.port, "database": self.database,
                "user": self.user, "password": self.password, **extra}
