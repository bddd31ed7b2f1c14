"""Type fidelity for Delta and Iceberg output: every PostgreSQL type at its edges, read back by independent readers.

The table is the one the Parquet fidelity tests use (Berlin session time, DST edges, year 1 and 9999, 38-digit
decimals, NaN and subnormal floats, 5 MB text and bytea). Each reader's rows are compared value by value with
the source read by psycopg.
"""

from __future__ import annotations

import json

import duckdb
import polars as pl
import pyarrow as pa
import pytest
from deltalake import DeltaTable
from fid_common import config
from fid_compare import differences
from fid_pg_types import BERLIN, columns, create, read_source
from pyiceberg.table import StaticTable

from data_extractor import Extractor

pytestmark = pytest.mark.spark
DATABASE = "fidelity_lake"


@pytest.fixture(scope="module")
def lake_db(pg):
    with pg.admin("postgres") as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DATABASE} OWNER {pg.user}")
        conn.execute(f"ALTER DATABASE {DATABASE} SET TimeZone = '{BERLIN}'")
    with pg.admin(DATABASE) as conn:
        create(conn)
        yield {"source": pg.source(database=DATABASE), "rows": read_source(conn), "columns": columns(conn)}


def by_id(table: pa.Table) -> dict:
    return {r["id"]: r for r in table.to_pylist()}


def extract(lake_db, tmp_path, fmt: str, writer: str = "arrow"):
    cfg = config(lake_db["source"], tmp_path / "out", ["public.fid_types"], "python", writer)
    cfg["output"]["format"] = fmt
    result = Extractor(cfg).run()
    assert result.ok, result.to_dict()
    return result.tables[0]


@pytest.mark.parametrize("writer", ["arrow", "spark"])
def test_every_type_arrives_exactly_in_delta_through_deltalake_polars_and_duckdb(lake_db, tmp_path, spark, writer):
    t = extract(lake_db, tmp_path, "delta", writer)
    assert (t.format, t.version) == ("delta", 0)
    table = DeltaTable(t.path)
    got = table.to_pyarrow_table()
    assert got.column_names == lake_db["columns"]
    assert differences(lake_db["rows"], by_id(got), got.column_names, "deltalake: ") == []
    # polars: the same values through its own Delta reader (floats, decimals, bytes, instants)
    frame = pl.read_delta(t.path)
    assert differences(lake_db["rows"], by_id(frame.to_arrow()), frame.columns, "polars: ") == []
    # DuckDB reads the very data files the log lists
    files = table.file_uris()
    assert files and all(f.startswith(t.path) for f in files)
    duck = duckdb.sql(f"SELECT * FROM read_parquet({files!r})").to_arrow_table()
    assert differences(lake_db["rows"], by_id(duck), duck.column_names, "duckdb: ") == []
    protocol = table.protocol()
    # timestamp without time zone is Delta's timestamp_ntz: (3, 7) with that one feature, nothing else
    assert (protocol.min_reader_version, protocol.min_writer_version) == (3, 7)
    assert protocol.reader_features == ["timestampNtz"] and protocol.writer_features == ["timestampNtz"]
    commit = table.history(1)[0]
    assert commit["data_extractor.rows"] == str(len(lake_db["rows"]))
    assert commit["data_extractor.source_count"] == str(len(lake_db["rows"]))


@pytest.mark.parametrize("writer", ["arrow", "spark"])
def test_every_type_arrives_exactly_in_iceberg_through_pyiceberg_and_duckdb(lake_db, tmp_path, spark, writer):
    t = extract(lake_db, tmp_path, "iceberg", writer)
    assert t.format == "iceberg" and t.identifier == "public.fid_types"
    assert t.metadata_location.startswith(t.path + "/metadata/") and t.metadata_location.endswith(".metadata.json")
    table = StaticTable.from_metadata(t.metadata_location)
    got = table.scan().to_arrow()
    assert got.column_names == lake_db["columns"]
    assert differences(lake_db["rows"], by_id(got), got.column_names, "pyiceberg: ") == []
    schema = table.schema()
    assert str(schema.find_field("ts").field_type) == "timestamp"
    assert str(schema.find_field("tstz").field_type) == "timestamptz"
    assert str(schema.find_field("num_38_10").field_type) == "decimal(38, 10)"
    mapping = json.loads(table.properties["schema.name-mapping.default"])
    assert {m["names"][0]: m["field-id"] for m in mapping} == {f.name: f.field_id for f in schema.fields}
    files = [task.file.file_path for task in table.scan().plan_files()]
    duck = duckdb.sql(f"SELECT * FROM read_parquet({files!r})").to_arrow_table()
    assert differences(lake_db["rows"], by_id(duck), duck.column_names, "duckdb: ") == []
    summary = table.current_snapshot().summary
    assert summary["data_extractor.rows"] == str(len(lake_db["rows"]))
    assert summary["data_extractor.run_id"]
