"""A throwaway S3 (moto's server) on loopback, with the settings a client needs."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.request

from pgserver import free_port

KEY, SECRET, REGION = "dx-test-key", "dx-test-secret-value", "us-east-1"


class S3Server:
    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> S3Server:
        exe = shutil.which("moto_server")
        if exe is None:
            raise RuntimeError("moto_server is not installed: pip install 'moto[server]'")
        self.proc = subprocess.Popen([exe, "-H", "127.0.0.1", "-p", str(self.port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.endpoint + "/moto-api/", timeout=1)
                return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("moto_server did not start in 30 s")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)

    @property
    def env(self) -> dict[str, str]:
        """The standard variables every S3 client reads."""
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": SECRET,
                "AWS_REGION": REGION, "AWS_ALLOW_HTTP": "true"}

    @property
    def options(self) -> dict[str, str]:
        """The same, as output.storage_options."""
        return {"endpoint_override": self.endpoint, "access_key": KEY, "secret_key": SECRET, "region": REGION}

    def fs(self):
        """An independent reader: pyarrow's S3 client built here, not by the tool."""
        import pyarrow.fs as pafs

        return pafs.S3FileSystem(endpoint_override=f"127.0.0.1:{self.port}", scheme="http", access_key=KEY,
                                 secret_key=SECRET, region=REGION, allow_bucket_creation=True)

    def bucket(self, name: str) -> str:
        self.fs().create_dir(name)
        return name


def with_env(server: S3Server) -> dict[str, str]:
    return {**os.environ, **server.env}
