"""A throwaway JupyterLab server on 127.0.0.1 and a headless Chromium, for the end-to-end test.

Follows ../shared/TESTING.md: the server gets a private config, data and runtime folder, a token and a free
port; it is stopped with POST /api/shutdown (which stops its kernels too). Chromium is Debian's, launched by
Playwright with `executable_path` (no browser download).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def notebook(cells: list[str]) -> dict:
    """A minimal nbformat 4 notebook of code cells."""
    return {"nbformat": 4, "nbformat_minor": 5,
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                        "language": "python"}},
            "cells": [{"cell_type": "code", "id": f"c{i}", "metadata": {}, "execution_count": None, "outputs": [],
                       "source": source} for i, source in enumerate(cells)]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    def __init__(self, root: Path, python: str = sys.executable) -> None:
        self.root = root
        self.python = python  # the server's, and so its kernel's, interpreter
        self.port = free_port()
        self.token = uuid.uuid4().hex
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = root / "jupyterlab.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 90) -> LabServer:
        private = self.root / ".jupyter"
        env = {**os.environ, "JUPYTER_CONFIG_DIR": str(private / "config"), "JUPYTER_DATA_DIR": str(private / "data"),
               "JUPYTER_RUNTIME_DIR": str(private / "runtime"), "IPYTHONDIR": str(private / "ipython"),
               "JUPYTER_PLATFORM_DIRS": "1"}
        env = {k: v for k, v in env.items() if not k.startswith(("PYSPARK_", "PYTEST_"))}
        env["JUPYTERLAB_SETTINGS_DIR"] = str(private / "lab-settings")
        quiet = private / "lab-settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
        quiet.parent.mkdir(parents=True, exist_ok=True)
        quiet.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))  # no news pop-up
        cmd = [self.python, "-m", "jupyterlab", "--no-browser", f"--port={self.port}", "--ServerApp.ip=127.0.0.1",
               f"--IdentityProvider.token={self.token}", "--allow-root", f"--ServerApp.root_dir={self.root}",
               "--LabApp.news_url=None", "--LabApp.expose_app_in_browser=True",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
        if self.python != sys.executable:  # a venv over this Python: JupyterLab's own files stay where they are
            from jupyterlab.commands import get_app_dir

            cmd.append(f"--LabApp.app_dir={get_app_dir()}")
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(cmd, cwd=self.root, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self._request("/api/status"), timeout=2) as answer:
                    json.load(answer)
                    return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.3)
        raise RuntimeError(f"JupyterLab did not answer within {timeout} s:\n{self.log_tail()}")

    def _request(self, path: str, method: str = "GET") -> urllib.request.Request:
        return urllib.request.Request(self.url + path, method=method,
                                      headers={"Authorization": f"token {self.token}"})

    def lab_url(self, notebook_name: str) -> str:
        return f"{self.url}/lab/tree/{notebook_name}?reset&token={self.token}"

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process is None:
            return
        try:
            urllib.request.urlopen(self._request("/api/shutdown", "POST"), timeout=10).close()
            self.process.wait(30)
        except Exception:  # noqa: BLE001 - fall back to ending the process we started
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self._log.close()
        self.process = None
