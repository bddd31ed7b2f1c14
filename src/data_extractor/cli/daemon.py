"""`data-extractor daemon start|stop|status`: a warm local Spark engine that later CLI runs hand their work to.

A CLI run pays for its JVM, SparkContext, Python workers and imports (seconds) before its first row; the
daemon pays once and keeps them for `--idle-minutes` (default 15) after its last run. While it runs,
`data-extractor run` in the same folder, with the same Spark settings and the same installation, is handed to
it over a Unix socket (`daemon_client.py`) and prints exactly what it would print itself; any other run (a
cluster, Spark Connect, Databricks, other Spark settings, another folder, a run already in progress) runs in
its own process as before, as does `run --no-daemon`. One user only: the socket's folder is the user's alone
(mode 0700) and each connection's peer uid is checked. `daemon stop` (or the idle timeout) stops Spark cleanly.
"""

from __future__ import annotations

import _thread
import argparse
import io
import json
import logging
import os
import queue
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from typing import Any

import data_extractor
from data_extractor import __version__
from data_extractor.cli.daemon_client import ask, daemon_dir, send, socket_path
from data_extractor.errors import UserError

log = logging.getLogger("data_extractor.daemon")
IDLE_MINUTES = 15.0


def add_parser(sub: Any) -> None:
    d = sub.add_parser("daemon", help="Keep a warm local Spark engine for later runs in this folder.",
                       description="Keep a warm local Spark engine for later runs in this folder.")
    d.add_argument("action", choices=["start", "stop", "status", "serve"], help="serve: run in the foreground")
    d.add_argument("-c", "--config", help="warm Spark with this config's spark settings at start")
    d.add_argument("--idle-minutes", type=float, default=IDLE_MINUTES,
                   help=f"stop after this many minutes without a run (default {IDLE_MINUTES:g})")


def installation() -> dict[str, str]:
    """What a handed-over run must share with the daemon: the interpreter, the package and its version."""
    return {"python": sys.executable, "package": os.path.dirname(data_extractor.__file__), "version": __version__}


def cmd_daemon(args: argparse.Namespace, out: Any) -> int:
    if args.action == "serve":
        return serve(args.idle_minutes, args.config)
    if args.action == "status":
        status = ask({"status": True})
        if status is None:
            print("no warm daemon runs for this user")
            return 1
        print(f"warm daemon pid {status['pid']} in {status['cwd']}: {status['runs']} run(s) served, "
              f"{'running one now' if status['busy'] else 'idle'}; Spark {status['spark'] or 'not started yet'}; "
              f"stops after {status['idle_minutes']:g} idle minute(s)")
        return 0
    if args.action == "stop":
        return 0 if stop() else 1
    return start(args.idle_minutes, args.config)


def start(idle_minutes: float, config: str | None) -> int:
    if ask({"status": True}) is not None:
        raise UserError("a warm daemon already runs for this user; `data-extractor daemon stop` it first")
    folder = daemon_dir()
    os.makedirs(folder, mode=0o700, exist_ok=True)
    os.chmod(folder, 0o700)
    argv = [sys.executable, "-m", "data_extractor", "daemon", "serve", "--idle-minutes", str(idle_minutes)]
    if config:
        argv += ["-c", os.path.abspath(config)]
    with open(os.path.join(folder, "daemon.log"), "ab") as logfile:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=logfile, stderr=logfile,
                                start_new_session=True, env={k: v for k, v in os.environ.items()
                                                             if k != "DATA_EXTRACTOR_SHORT_RUN"})
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise UserError(f"the warm daemon did not start (exit {proc.returncode}); see "
                            f"{os.path.join(folder, 'daemon.log')}")
        if ask({"status": True}) is not None:
            print(f"warm daemon ready (pid {proc.pid}{', Spark started' if config else ''}): `data-extractor run` in "
                  f"{os.getcwd()} uses it; it stops after {idle_minutes:g} idle minute(s) or "
                  "`data-extractor daemon stop`", file=sys.stderr)
            return 0
        time.sleep(0.1)
    proc.terminate()
    raise UserError(f"the warm daemon did not answer within 180 s; see {os.path.join(folder, 'daemon.log')}")


def stop() -> bool:
    answer = ask({"stop": True})
    if answer is None:
        print("no warm daemon runs for this user", file=sys.stderr)
        return False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and os.path.exists(socket_path()):
        time.sleep(0.1)
    print(f"warm daemon pid {answer['pid']} stopped", file=sys.stderr)
    return True


class Pipe(io.TextIOBase):
    """sys.stdout / sys.stderr of a handed-over run: every write goes to the client, as the client's stream."""

    def __init__(self, reply: Any, key: str, tty: bool) -> None:
        self._reply, self._key, self._tty = reply, key, tty

    def write(self, text: str) -> int:
        if text:
            self._reply({self._key: text})
        return len(text)

    def isatty(self) -> bool:
        return self._tty

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"


class Daemon:
    def __init__(self, idle_minutes: float) -> None:
        self.idle = idle_minutes * 60
        self.cwd = os.getcwd()
        self.spark: str | None = None  # the Spark settings the session was started with (JSON)
        self.runs = 0
        self.busy = False
        self.stopping = False
        self.lock = threading.Lock()
        self.work: queue.Queue[tuple[socket.socket, Any, dict[str, Any]]] = queue.Queue()
        self.current: dict[str, Any] | None = None

    # ------------------------------------------------------------ the listener thread
    def listen(self, server: socket.socket) -> None:
        while not self.stopping:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=self._greet, args=(conn,), daemon=True, name="dx-daemon-conn").start()

    def _greet(self, conn: socket.socket) -> None:
        uid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))[1]
        if uid != os.getuid():
            conn.close()
            return
        conn.settimeout(10)
        lines = conn.makefile("r", encoding="utf-8")
        try:
            request = json.loads(lines.readline() or "{}")
        except (OSError, ValueError):
            conn.close()
            return
        conn.settimeout(None)
        if "status" in request or "stop" in request:
            send(conn, {"pid": os.getpid(), "cwd": self.cwd, "runs": self.runs, "busy": self.busy,
                        "spark": self.spark, "idle_minutes": self.idle / 60})
            conn.close()
            if "stop" in request:
                self.stopping = True
                self.work.put((None, None, {}))  # type: ignore[arg-type]
            return
        with self.lock:
            if self.busy or self.stopping:
                send(conn, {"declined": "the warm daemon is running another run"})
                conn.close()
                return
            self.busy = True
        self.work.put((conn, lines, request))

    # ------------------------------------------------------------ the main thread: one run at a time
    def serve(self) -> None:
        while not self.stopping:
            try:
                conn, lines, request = self.work.get(timeout=self.idle)
            except queue.Empty:
                log.info("idle for %g minute(s): stopping", self.idle / 60)
                return
            if conn is None:
                return
            try:
                self.handle(conn, lines, request)
            finally:
                with self.lock:
                    self.busy = False
                conn.close()

    def decline(self, request: dict[str, Any]) -> str | None:
        """Why this run must run in its own process, or None to take it."""
        if request.get("cwd") != self.cwd:
            return f"it serves runs in {self.cwd}"
        if request.get("installation") not in (None, installation()):
            return "another Python or data-extractor installation"
        from data_extractor.cli.main import build_parser  # the CLI imports this module: a true cycle
        from data_extractor.config.models import load_config

        try:
            args = build_parser().parse_args(request["run"])
        except UserError:
            return None  # bad flags: the one-line error is the same either way
        if args.command != "run" or getattr(args, "no_daemon", False):
            return "only `run` is handed over"
        try:
            config = load_config(args.config)
        except Exception:  # noqa: BLE001 - a bad config is reported by the run itself
            return None
        spark = config.spark
        if spark.remote or spark.mode in ("cluster", "databricks", "connect") or not spark.master.startswith("local"):
            return "it runs local Spark only"
        key = json.dumps(spark.model_dump(mode="json"), sort_keys=True)
        if self.spark is not None and key != self.spark:
            return "its Spark session has other settings (`data-extractor daemon stop`, then start it again)"
        self.spark = key
        return None

    def handle(self, conn: socket.socket, lines: Any, request: dict[str, Any]) -> None:
        write = threading.Lock()

        def reply(message: dict[str, Any]) -> None:
            with write:
                try:
                    send(conn, message)
                except OSError:
                    pass  # the client went away: its watcher stops the run

        saved_env, saved = dict(os.environ), (sys.stdout, sys.stderr)
        os.environ.clear()
        os.environ.update(request.get("env") or {})
        os.environ.pop("DATA_EXTRACTOR_SHORT_RUN", None)
        terminal = request.get("terminal") or {}
        for name, key in (("COLUMNS", "columns"), ("LINES", "lines")):
            if terminal.get(key):
                os.environ[name] = str(terminal[key])
        try:
            try:
                reason = self.decline(request)
            except Exception as exc:  # noqa: BLE001 - whatever it is, the run can still run in its own process
                reason = f"it could not check the run ({type(exc).__name__})"
            if reason is not None:
                reply({"declined": reason})
                return
            reply({"accepted": True})
            self.runs += 1
            running = threading.Event()
            running.set()
            threading.Thread(target=self._watch, args=(lines, running), daemon=True, name="dx-daemon-watch").start()
            sys.stdout = Pipe(reply, "out", bool(terminal.get("stdout")))
            sys.stderr = Pipe(reply, "err", bool(terminal.get("stderr")))
            code = self._run(request["run"])
            running.clear()
            sys.stdout, sys.stderr = saved
            reply({"exit": code})
        finally:
            sys.stdout, sys.stderr = saved
            os.environ.clear()
            os.environ.update(saved_env)
            _drop_console_handlers()

    def _run(self, argv: list[str]) -> int:
        from data_extractor.cli.main import Terminated, main  # the CLI imports this module: a true cycle
        from data_extractor.spark.session import mark_warm

        mark_warm()  # this run's Spark start: none
        try:
            return main(argv)
        except (KeyboardInterrupt, Terminated):  # arrived after main() returned its own code
            return 130

    @staticmethod
    def _watch(lines: Any, running: threading.Event) -> None:
        """The client's signals reach the run as they would in its own process; a vanished client stops it."""
        for line in lines:
            try:
                signum = int(json.loads(line).get("signal", 0))
            except (ValueError, AttributeError):
                continue
            if signum and running.is_set():
                _thread.interrupt_main(signum)
        if running.is_set():
            _thread.interrupt_main(signal.SIGTERM)


def _drop_console_handlers() -> None:
    """A run's `--log-level` handler wrote to its client; the next run sets up its own."""
    root = logging.getLogger("data_extractor")
    root.handlers = [h for h in root.handlers if type(h) is not logging.StreamHandler]


def serve(idle_minutes: float, config: str | None = None) -> int:
    from data_extractor.cli.main import Terminated, _on_sigterm  # the CLI imports this module: a true cycle

    signal.signal(signal.SIGTERM, _on_sigterm)
    folder = daemon_dir()
    os.makedirs(folder, mode=0o700, exist_ok=True)
    os.chmod(folder, 0o700)
    daemon = Daemon(idle_minutes)
    if config:  # warm now: the first run handed over finds the JVM, the session and the Python workers ready
        from data_extractor.config.models import load_config
        from data_extractor.spark import session as spark

        cfg = load_config(config)
        spark.prewarm(spark.get_session(cfg.spark))
        daemon.spark = json.dumps(cfg.spark.model_dump(mode="json"), sort_keys=True)
    path = socket_path()
    if os.path.exists(path):
        os.remove(path)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o077)
    try:
        server.bind(path)
    finally:
        os.umask(old)
    server.listen(8)
    threading.Thread(target=daemon.listen, args=(server,), daemon=True, name="dx-daemon-listen").start()
    log.info("warm daemon %d listening on %s", os.getpid(), path)
    try:
        daemon.serve()
    except (KeyboardInterrupt, Terminated):
        pass
    finally:
        daemon.stopping = True
        server.close()
        if os.path.exists(path):
            os.remove(path)
        from data_extractor.api import Extractor

        Extractor.stop_spark()
    return 0
