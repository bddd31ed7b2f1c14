"""Cluster checks before reading: one tiny job asks the executors what they can import and whether a file they
write into a local output folder reaches the driver (executors on other hosts share no disk with it)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from typing import Any

from data_extractor.errors import UserError
from data_extractor.spark.session import is_connect

FIX_PYTHON = ("install it in the executors' Python, or ship a packed venv (venv-pack -o env.tar.gz; "
              "spark.archives=env.tar.gz#env and PYSPARK_PYTHON=./env/bin/python), or on Databricks add it as a "
              "cluster library")


def is_cluster(session: Any) -> bool:
    """A classic session whose executors may run on other hosts."""
    return not is_connect(session) and not session.sparkContext.master.startswith("local")


def ask_executors(session: Any, modules: Sequence[str], folder: str | None = None) -> list[dict[str, Any]]:
    """One row per probe task: host, Python, each module's version (or MISSING), and the probe file it wrote."""
    sc = session.sparkContext
    n = max(sc.defaultParallelism, 2)
    token = uuid.uuid4().hex[:12]
    mods = tuple(modules)

    def task(index: int) -> dict[str, Any]:  # pickled by value: runs without this package
        import importlib
        import os as _os
        import socket
        import sys

        row: dict[str, Any] = {"host": socket.gethostname(), "python": sys.executable,
                               "version": sys.version.split()[0], "modules": {}}
        for name in mods:
            try:
                module = importlib.import_module(name)
                row["modules"][name] = str(getattr(module, "__version__", "ok"))
            except Exception as exc:  # noqa: BLE001 - reported to the driver
                row["modules"][name] = f"MISSING {type(exc).__name__}"
        if folder is not None:
            path = _os.path.join(folder, f".probe-{token}-{index}")
            try:
                with open(path, "w") as fh:
                    fh.write(row["host"])
                row["wrote"] = path
            except OSError as exc:
                row["wrote"], row["error"] = path, f"{type(exc).__name__}: {exc.strerror or exc}"
        return row

    return sc.parallelize(range(n), n).map(task).collect()


def check_executors(session: Any, modules: Sequence[str], output_root: str, local_folder: str | None) -> str:
    """Refuse, in one line, a cluster whose executors lack a module or cannot see a local output folder."""
    rows = ask_executors(session, modules, local_folder)
    for row in rows:
        for name, version in row["modules"].items():
            if version.startswith("MISSING"):
                raise UserError(f"the executors' Python ({row['python']} {row['version']} on {row['host']}) cannot "
                                f"import {name} ({version.split(' ', 1)[1]}); {FIX_PYTHON}")
    if local_folder is not None:
        unseen = [r for r in rows if not os.path.exists(r["wrote"])]
        for r in rows:
            if os.path.exists(r["wrote"]):
                os.remove(r["wrote"])
        if unseen:
            raise UserError(f"output.path {output_root} is a local folder the executors cannot see (a file written "
                            f"there on {unseen[0]['host']} does not reach the driver); use a folder mounted on every "
                            "node (NFS, /dbfs, /Volumes) or an object store URI (s3://, gs://, abfss://)")
    hosts = sorted({r["host"] for r in rows})
    return f"{len(rows)} task(s) on {', '.join(hosts)}: " + ", ".join(
        f"{k} {v}" for k, v in rows[0]["modules"].items())
