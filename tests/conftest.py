from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
# A warm daemon the developer started must not take the tests' CLI runs (tests/test_daemon.py starts its own).
os.environ["DATA_EXTRACTOR_DAEMON_DIR"] = os.path.join(tempfile.gettempdir(), f"dx-tests-no-daemon-{os.getpid()}")

from pgserver import PgServer  # noqa: E402
from s3server import S3Server  # noqa: E402


@pytest.fixture(scope="session")
def pg() -> Iterator[PgServer]:
    server = PgServer().start()
    try:
        yield server
    finally:
        server.cleanup()


@pytest.fixture(scope="session")
def pg_conn(pg: PgServer):
    with pg.admin() as conn:
        yield conn


@pytest.fixture(scope="session")
def s3() -> Iterator[S3Server]:
    """One S3 emulator (moto's server) for the whole test run."""
    server = S3Server().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def spark_cluster(tmp_path_factory):
    """One Spark standalone cluster (master + 2 workers) whose executors share no disk with the driver."""
    import os

    if os.geteuid() != 0:
        pytest.skip("the cluster's workers need root for unshare -m and tmpfs mounts")
    from sparkcluster import SparkCluster

    base = tmp_path_factory.mktemp("cluster")
    hidden = base / "local-out"
    hidden.mkdir()
    cluster = SparkCluster(base, [hidden]).start()
    cluster.hidden_out = hidden
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def spark():
    """One local Spark session for the whole test run (the engine reuses it for every run)."""
    from data_extractor.config.models import SparkConfig
    from data_extractor.spark import session

    s = session.get_session(SparkConfig(master="local[2]"))
    yield s
    session.stop()
