"""The thin side of the warm daemon: hand `data-extractor run` to a running daemon and relay what it prints.

Imports only the standard library, so a run handed over costs milliseconds before the daemon's warm Spark
session takes it. The daemon (`cli/daemon.py`) listens on a Unix socket in a folder only this user can open
(`$XDG_RUNTIME_DIR/data-extractor-<uid>/`, or `DATA_EXTRACTOR_DAEMON_DIR`); nothing listens on the network.
Ctrl-C and SIGTERM are passed on to the run, so it stops as it would in this process (exit 130 / 143).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import sys
import tempfile
from typing import Any

import data_extractor

SOCKET = "daemon.sock"


def daemon_dir() -> str:
    base = os.environ.get("DATA_EXTRACTOR_DAEMON_DIR")
    if base:
        return base
    return os.path.join(os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir(), f"data-extractor-{os.getuid()}")


def socket_path() -> str:
    return os.path.join(daemon_dir(), SOCKET)


def connect(timeout: float | None = 5.0) -> socket.socket | None:
    """A connection to this user's daemon, or None when none runs (or the socket is not this user's own)."""
    path = socket_path()
    try:
        st = os.stat(path)
        folder = os.stat(os.path.dirname(path))
    except OSError:
        return None
    if st.st_uid != os.getuid() or folder.st_uid != os.getuid() or stat.S_IMODE(folder.st_mode) & 0o077:
        return None  # someone else's socket, or a folder others can enter: never hand them a run
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(path)
    except OSError:
        sock.close()
        return None
    return sock


def send(sock: socket.socket, message: dict[str, Any]) -> None:
    sock.sendall((json.dumps(message) + "\n").encode("utf-8"))


def ask(message: dict[str, Any]) -> dict[str, Any] | None:
    """One request, one answer (status, stop); None when no daemon runs."""
    sock = connect()
    if sock is None:
        return None
    with sock, sock.makefile("r", encoding="utf-8") as lines:
        send(sock, message)
        line = lines.readline()
    return json.loads(line) if line else None


def _terminal() -> dict[str, Any]:
    try:
        size = os.get_terminal_size(sys.stderr.fileno())
        columns, lines = size.columns, size.lines
    except (OSError, ValueError, AttributeError):
        columns = lines = None
    return {"stdout": sys.stdout.isatty(), "stderr": sys.stderr.isatty(), "columns": columns, "lines": lines}


def try_run(argv: list[str]) -> int | None:
    """Run `argv` on the warm daemon; its exit code, or None when no daemon runs or it declines (run here)."""
    sock = connect()
    if sock is None:
        return None
    lines = sock.makefile("r", encoding="utf-8")
    try:
        installation = {"python": sys.executable, "package": os.path.dirname(data_extractor.__file__),
                        "version": data_extractor.__version__}
        send(sock, {"run": argv, "cwd": os.getcwd(), "env": dict(os.environ), "terminal": _terminal(),
                    "installation": installation})
        sock.settimeout(None)
        first = lines.readline()
        answer = json.loads(first) if first else {"declined": "the daemon closed the connection"}
        if "declined" in answer:
            if os.environ.get("DATA_EXTRACTOR_DAEMON_VERBOSE"):
                print(f"warm daemon not used: {answer['declined']}", file=sys.stderr)
            return None
        return _relay(sock, lines)
    finally:
        lines.close()
        sock.close()


def _relay(sock: socket.socket, lines: Any) -> int:
    def forward(signum: int, frame: Any) -> None:
        try:
            send(sock, {"signal": signum})
        except OSError:
            pass

    old = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        for line in lines:
            message = json.loads(line)
            if "out" in message:
                sys.stdout.write(message["out"])
                sys.stdout.flush()
            elif "err" in message:
                sys.stderr.write(message["err"])
                sys.stderr.flush()
            elif "exit" in message:
                return int(message["exit"])
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
    print("error: the warm daemon stopped during the run (see `data-extractor daemon status`); "
          "run again, with --no-daemon to run in this process", file=sys.stderr)
    return 1
