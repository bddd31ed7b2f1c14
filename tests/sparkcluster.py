"""A Spark standalone cluster whose executors share nothing with the driver (see ../shared/TESTING.md).

A master and two workers from pyspark's own `bin/spark-class`. Each worker runs under `unshare -m` with a tmpfs
over the hidden folders and over its own work dir, so its executors cannot see the driver's files there, as on
separate hosts. Executors run a Python that has the third-party packages but not this project (a venv whose
only link to the system site-packages is a path line, so the editable install's .pth hook never runs).
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
import time
from pathlib import Path

import pyspark

from pgserver import free_port

SPARK_HOME = os.path.dirname(pyspark.__file__)


def executor_python(base: Path) -> str:
    venv = base / "executor-venv"
    if not (venv / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
        lib = next((venv / "lib").iterdir()) / "site-packages"
        (lib / "system_packages.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    return str(venv / "bin" / "python")


def clean_env() -> dict[str, str]:
    """The environment of the cluster's processes: no PYTHONPATH (it points at this project), loopback only."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYSPARK_PYTHON", "SPARK_HOME")}
    env.update(SPARK_LOCAL_IP="127.0.0.1", SPARK_HOME=SPARK_HOME)
    return env


class SparkCluster:
    def __init__(self, base: Path, hidden: list[Path], workers: int = 2) -> None:
        self.base, self.hidden, self.workers = base, hidden, workers
        self.port = free_port()
        self.url = f"spark://127.0.0.1:{self.port}"
        self.procs: list[subprocess.Popen] = []
        self.python = executor_python(base)

    def _spawn(self, args: list[str], log: Path) -> subprocess.Popen:
        out = open(log, "wb")  # noqa: SIM115 - the process owns it until it stops
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=clean_env(), start_new_session=True)
        self.procs.append(proc)
        return proc

    def start(self) -> SparkCluster:
        cls = os.path.join(SPARK_HOME, "bin", "spark-class")
        log = self.base / "master.log"
        self._spawn([cls, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(self.port),
                     "--webui-port", str(free_port())], log)
        for i in range(self.workers):
            work = self.base / f"worker{i}"
            work.mkdir(exist_ok=True)
            mounts = " && ".join(f"mount -t tmpfs tmpfs {p}" for p in [*self.hidden, work])
            worker = (f"exec {cls} org.apache.spark.deploy.worker.Worker {self.url} --host 127.0.0.1 --cores 1 "
                      f"--memory 1536m --work-dir {work} --webui-port {free_port()}")
            self._spawn(["unshare", "-m", "sh", "-c", f"{mounts} && {worker}"], self.base / f"worker{i}.log")
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            text = log.read_text(errors="replace") if log.exists() else ""
            if text.count("Registering worker") >= self.workers:
                return self
            if any(p.poll() is not None for p in self.procs):
                break
            time.sleep(0.5)
        self.stop()
        logs = {p.name: p.read_text(errors="replace")[-800:] for p in self.base.glob("*.log")}
        raise RuntimeError(f"the Spark cluster did not start: {logs}")

    def driver_env(self) -> dict[str, str]:
        """For a driver process (the CLI) of this cluster: executors run the Python without this project."""
        return {**os.environ, "PYSPARK_PYTHON": self.python, "PYSPARK_DRIVER_PYTHON": sys.executable,
                "SPARK_LOCAL_IP": "127.0.0.1"}

    def stop(self) -> None:
        for proc in reversed(self.procs):  # workers first (their executors are their children), then the master
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
