"""The Delta and Iceberg commit steps on an S3 emulator (moto's HTTP server): the same code as for local paths,
given an s3:// URI and the AWS_* storage options."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import time
import urllib.request
from decimal import Decimal

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable
from pyiceberg.table import StaticTable

from data_extractor.errors import ExtractorError
from data_extractor.output import delta, iceberg
from data_extractor.output.lakefiles import filesystem, join_uri, staged_files
from pgserver import free_port  # tests/ is on sys.path (tests/conftest.py)

SCHEMA = pa.schema([("id", pa.int64()), ("amount", pa.decimal128(12, 2)), ("at", pa.timestamp("us", tz="UTC")),
                    ("day", pa.date32()), ("v", pa.large_string())])


@pytest.fixture(scope="module")
def s3():
    if shutil.which("moto_server") is None:
        pytest.skip("moto_server is not installed: pip install 'moto[server]'")
    port = free_port()
    proc = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 30
        while True:
            try:
                urllib.request.urlopen(url, timeout=1)
                break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.2)
        opts = {"AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_REGION": "us-east-1", "AWS_ALLOW_HTTP": "true"}
        boto3.client("s3", endpoint_url=url, aws_access_key_id="testing", aws_secret_access_key="testing",
                     region_name="us-east-1").create_bucket(Bucket="lake")
        yield opts
    finally:
        proc.kill()
        proc.wait(10)


def rows(ids: range, note: str) -> pa.Table:
    return pa.table({"id": list(ids), "amount": [Decimal(i) / 100 for i in ids],
                     "at": [dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(seconds=i) for i in ids],
                     "day": [dt.date(1, 1, 1) + dt.timedelta(days=i) for i in ids], "v": [note] * len(ids)},
                    schema=SCHEMA)


def put(table_uri: str, rel: str, data: pa.Table, opts: dict) -> str:
    fs, base = filesystem(table_uri, opts)
    pq.write_table(data, join_uri(base, rel), filesystem=fs, store_schema=False)
    return rel


def sorted_rows(table: pa.Table) -> list[dict]:
    return sorted(table.select(SCHEMA.names).to_pylist(), key=lambda r: r["id"])


def test_delta_commits_a_table_and_replaces_one_window_on_s3(s3):
    uri = "s3://lake/delta/events"
    day1 = put(uri, "data/extract_date-2026-01-01/r1/part-0.parquet", rows(range(0, 100), "one"), s3)
    day2 = put(uri, "data/extract_date-2026-01-02/r1/part-0.parquet", rows(range(100, 200), "two"), s3)
    first = delta.commit(uri, staged_files(uri, [day1], s3), SCHEMA, "data/extract_date-2026-01-01/",
                         {"data_extractor.run_id": "r1"}, s3)
    delta.commit(uri, staged_files(uri, [day2], s3), SCHEMA, "data/extract_date-2026-01-02/", {}, s3)
    redo = put(uri, "data/extract_date-2026-01-02/r2/part-0.parquet", rows(range(100, 150), "two again"), s3)
    last = delta.commit(uri, staged_files(uri, [redo], s3), SCHEMA, "data/extract_date-2026-01-02/",
                        {"data_extractor.run_id": "r2"}, s3)
    assert (first.version, last.version) == (0, 2)
    table = DeltaTable(uri, storage_options=s3)
    assert sorted_rows(table.to_pyarrow_table()) == sorted_rows(pa.concat_tables([rows(range(0, 100), "one"),
                                                                                  rows(range(100, 150), "two again")]))
    assert table.history(1)[0]["data_extractor.run_id"] == "r2"
    assert sorted(pa.table(table.get_add_actions(flatten=True))["num_records"].to_pylist()) == [50, 100]


def test_iceberg_commits_to_an_s3_warehouse_with_a_local_sqlite_catalog(s3, tmp_path):
    location = "s3://lake/iceberg/events"
    props = {"type": "sql", "uri": f"sqlite:///{tmp_path}/catalog.db", "warehouse": "s3://lake/iceberg"}
    catalog = iceberg.open_catalog("dx", props, s3)
    full = put(location, "data/r1/part-0.parquet", rows(range(0, 300), "full"), s3)
    first = iceberg.commit(catalog, ("public", "events"), location, staged_files(location, [full], s3), SCHEMA,
                           None, {"data_extractor.run_id": "r1"})
    again = put(location, "data/r2/part-0.parquet", rows(range(0, 200), "full again"), s3)
    second = iceberg.commit(catalog, ("public", "events"), location, staged_files(location, [again], s3), SCHEMA,
                            None, {"data_extractor.run_id": "r2"})
    assert second.metadata_location.startswith(location + "/metadata/") and second.version == first.version + 1
    static = StaticTable.from_metadata(second.metadata_location, properties=iceberg.io_properties(s3))
    assert sorted_rows(static.scan().to_arrow()) == sorted_rows(rows(range(0, 200), "full again"))
    assert static.current_snapshot().summary["data_extractor.run_id"] == "r2"
    old = StaticTable.from_metadata(first.metadata_location, properties=iceberg.io_properties(s3))
    assert old.scan().to_arrow().num_rows == 300  # the previous version is still readable


def test_iceberg_replaces_one_window_on_s3_and_keeps_the_others(s3, tmp_path):
    location = "s3://lake/iceberg/windows"
    props = {"type": "sql", "uri": f"sqlite:///{tmp_path}/catalog.db", "warehouse": "s3://lake/iceberg"}
    catalog = iceberg.open_catalog("dx", props, s3)
    ident = ("public", "windows")
    for day, ids in (("2026-01-01", range(0, 100)), ("2026-01-02", range(100, 200))):
        rel = put(location, f"data/extract_date-{day}/r1/part-0.parquet", rows(ids, day), s3)
        iceberg.commit(catalog, ident, location, staged_files(location, [rel], s3), SCHEMA,
                       f"data/extract_date-{day}/", {})
    redo = put(location, "data/extract_date-2026-01-02/r2/part-0.parquet", rows(range(100, 120), "redo"), s3)
    last = iceberg.commit(catalog, ident, location, staged_files(location, [redo], s3), SCHEMA,
                          "data/extract_date-2026-01-02/", {})
    static = StaticTable.from_metadata(last.metadata_location, properties=iceberg.io_properties(s3))
    assert sorted_rows(static.scan().to_arrow()) == sorted_rows(
        pa.concat_tables([rows(range(0, 100), "2026-01-01"), rows(range(100, 120), "redo")]))
    assert len(static.snapshots()) == 3  # one snapshot per commit


def test_a_missing_data_file_fails_before_anything_is_committed(s3):
    uri = "s3://lake/delta/missing"
    with pytest.raises(ExtractorError, match="missing"):
        staged_files(uri, ["data/r1/part-0.parquet"], s3)
    assert not DeltaTable.is_deltatable(uri, storage_options=s3)
