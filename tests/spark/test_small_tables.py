"""Small tables are read and written on the driver (no Spark job); reader connections are reused safely."""

from __future__ import annotations

import time

import pytest
from pgdata import assert_parquet_equals_source, make_typed

from data_extractor import Extractor
from data_extractor.config.models import SourceConfig
from data_extractor.source.dialects import get_dialect
from data_extractor.source.dialects.base import TableRef
from data_extractor.source.typemap import arrow_schema
from data_extractor.spark import reader_pool
from data_extractor.spark.tasks import ReadSpec, read_partition
from manifests import read_manifest

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def small_and_big(pg_conn):
    make_typed(pg_conn, "small_t", 500)
    make_typed(pg_conn, "big_t", 3_000)
    return ["public.small_t", "public.big_t"]


def manifest(tmp_path, table):
    return read_manifest(tmp_path / "out" / "public" / table)


def test_a_small_one_partition_table_is_read_on_the_driver_and_equals_its_source(pg, pg_conn, tmp_path, spark,
                                                                                  small_and_big):
    cfg = {"source": pg.source(), "spark": {"master": "local[2]"}, "output": {"path": str(tmp_path / "out")},
           "defaults": {"driver_read_rows": 1_000, "partitioning": {"partitions": 1}},
           "tables": small_and_big}
    result = Extractor(cfg).run()
    assert result.ok, result.to_dict()
    for table in ("small_t", "big_t"):
        assert_parquet_equals_source(pg_conn, table, str(tmp_path / "out" / "public" / table))
    assert manifest(tmp_path, "small_t")["on_driver"] is True
    assert manifest(tmp_path, "big_t")["on_driver"] is False  # over the limit: a Spark task read it


def test_zero_turns_driver_reads_off(pg, pg_conn, tmp_path, spark, small_and_big):
    cfg = {"source": pg.source(), "spark": {"master": "local[2]"}, "output": {"path": str(tmp_path / "out")},
           "defaults": {"driver_read_rows": 0}, "tables": ["public.small_t"]}
    assert Extractor(cfg).run().ok
    assert manifest(tmp_path, "small_t")["on_driver"] is False


def spec_for(pg, table: str) -> ReadSpec:
    dialect = get_dialect(SourceConfig(**pg.source()))
    conn = dialect.connect()
    try:
        columns = dialect.columns(conn, TableRef("public", table))
    finally:
        conn.close()
    return ReadSpec(dialect, TableRef("public", table), columns, [None], None, 1000)


def backend_pids(pg_conn) -> set[int]:
    rows = pg_conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                           "AND pid <> pg_backend_pid() AND backend_type = 'client backend'").fetchall()
    return {r[0] for r in rows}


def gone(pg_conn, before: set[int], seconds: float = 10.0) -> bool:
    """Whether every reader backend opened since `before` has ended (a backend exits just after its client)."""
    deadline = time.monotonic() + seconds
    while backend_pids(pg_conn) - before:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_a_finished_read_leaves_its_connection_for_the_next_and_a_dead_one_is_replaced(pg, pg_conn, small_and_big):
    reader_pool.drain()
    spec = spec_for(pg, "small_t")
    schema = arrow_schema(spec.columns)
    before = backend_pids(pg_conn)
    first = sum(b.num_rows for b in read_partition(spec, 0))
    kept = backend_pids(pg_conn) - before
    assert first == 500 and len(kept) == 1  # the reader's backend stays, idle, for the next read
    assert sum(b.num_rows for b in read_partition(spec, 0)) == 500
    assert backend_pids(pg_conn) - before == kept  # the same backend served the second read
    pg_conn.execute("SELECT pg_terminate_backend(%s)", (next(iter(kept)),))
    # pg_terminate_backend returns before the backend has closed its socket: wait until the pooled one shows it
    # (a query sent in between would meet a session still ending, which the socket check cannot see yet)
    pooled = [c for stack in reader_pool._idle.values() for c, _ in stack]
    deadline = time.monotonic() + 10
    while any(reader_pool._quiet(c) for c in pooled) and time.monotonic() < deadline:
        time.sleep(0.05)
    batches = list(read_partition(spec, 0))  # the dead connection fails its check and a new one reads
    assert sum(b.num_rows for b in batches) == 500 and batches[0].schema == schema
    reader_pool.drain()
    assert gone(pg_conn, before)


def test_a_read_stopped_early_does_not_return_its_connection(pg, pg_conn, small_and_big):
    reader_pool.drain()
    spec = spec_for(pg, "big_t")
    spec.fetch_size = 100
    before = backend_pids(pg_conn)
    reader = read_partition(spec, 0)
    next(reader)
    reader.close()  # abandoned mid-read (a cancelled task): the connection is closed, never pooled
    assert reader_pool.take(spec.dialect) is None
    assert gone(pg_conn, before)


def test_the_pool_key_keeps_credentials_apart_and_out_of_sight(pg):
    a = get_dialect(SourceConfig(**{**pg.source(), "password": "secret-one"}))
    b = get_dialect(SourceConfig(**{**pg.source(), "password": "secret-two"}))
    assert reader_pool.source_key(a) != reader_pool.source_key(b)
    assert "secret-one" not in reader_pool.source_key(a)


def test_a_connection_the_server_ended_is_found_without_a_query(pg, pg_conn):
    """ADBC PostgreSQL before 1.11 aborts the process on a query over such a connection (arrow-adbc#3878): the
    pool must tell from the socket alone, and never pool a connection whose socket it does not know."""
    dialect = get_dialect(SourceConfig(**pg.source()))
    conn = reader_pool.connect(dialect)
    try:
        assert conn in reader_pool._sockets and reader_pool._quiet(conn)
        pid = dialect.fetch_one(conn, "SELECT pg_backend_pid()")[0]
        assert reader_pool._quiet(conn)  # a finished query leaves nothing unread
        pg_conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
        deadline = time.monotonic() + 10
        while reader_pool._quiet(conn) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not reader_pool._quiet(conn)
    finally:
        reader_pool.close(conn)
    unknown = dialect.connect_reader()  # opened without noting its socket: read once, never pooled
    reader_pool.give_back(dialect, unknown)
    assert reader_pool.take(dialect) is None
