"""One run at a time per output table: an advisory `fcntl.flock` on `_data_extractor/locks/<table>.lock`.

The kernel drops the lock when its holder exits, however it exits (kill -9 included), so a crash never
leaves a table locked. A second run asking for a held lock is refused at once, naming the holder. Only
local and mounted paths are locked: object stores, Hadoop URIs and Delta/Iceberg outputs have no such
lock (Delta and Iceberg commits are optimistic and refuse a conflicting commit themselves).
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from typing import Any

from data_extractor.errors import UserError
from data_extractor.output.names import INTERNAL, escape
from data_extractor.output.publish import TableOutput


class TableLock:
    def __init__(self, fd: int | None = None) -> None:
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None


def lock_path(out: TableOutput) -> str:
    """The lock file of the published table (all its windows share one: they share one state file)."""
    parts = out.parts[:-1] if out.window else out.parts
    return os.path.join(out.base, INTERNAL, "locks", f"{escape('/'.join(parts))}.lock")


def hold(out: Any, run_id: str, label: str) -> TableLock:
    """Lock `out`'s table for this run, or refuse naming the run that holds it."""
    if not isinstance(out, TableOutput) or not out.is_local:
        return TableLock()
    path = lock_path(out)
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise UserError(f"output path {out.root} is not writable ({exc.strerror or exc}); "
                        "fix output.path or its permissions") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _holder(fd)
        os.close(fd)
        raise UserError(f"{out.final} is being written by another run ({holder}); wait for it to finish, "
                        "or stop it, then run again") from None
    info = {"run_id": run_id, "table": label, "pid": os.getpid(), "host": os.uname().nodename,
            "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(info).encode(), 0)
    return TableLock(fd)


def _holder(fd: int) -> str:
    try:
        info = json.loads(os.pread(fd, 4096, 0) or b"{}")
        return f"run {info['run_id']}, pid {info['pid']} on {info['host']}, since {info['since']}"
    except (OSError, ValueError, KeyError):
        return "holder unknown"
