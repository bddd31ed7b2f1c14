"""Where a lakehouse table's files go, what is refused, and which option values are kept out of logs."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from data_extractor.config.models import OutputConfig
from data_extractor.errors import ExtractorError, UserError
from data_extractor.output.lakefiles import check_schema, staged_files
from data_extractor.output.lakehouse import LakehouseOutput, open_output
from data_extractor.output.publish import TableOutput

SCHEMA = pa.schema([("id", pa.int64())])


def test_full_runs_and_windows_write_into_their_own_run_folder_under_the_table_root(tmp_path):
    out = OutputConfig(path=str(tmp_path), format="delta")
    full = open_output("delta", out, "public", "orders", "r1", None, None, SCHEMA)
    day = open_output("delta", out, "public", "orders", "r2", "extract_date=2026-01-02", None, SCHEMA)
    assert isinstance(full, LakehouseOutput) and full.final == f"{tmp_path}/public/orders"
    assert full.staging == f"{tmp_path}/public/orders/data/r1" and full.window_prefix is None
    assert day.staging == f"{tmp_path}/public/orders/data/extract_date-2026-01-02/r2"
    assert day.window_prefix == "data/extract_date-2026-01-02/"
    assert isinstance(open_output("parquet", out, "public", "orders", "r1", None, None, SCHEMA), TableOutput)


def test_the_default_iceberg_catalog_is_a_sqlite_file_in_the_output_and_the_namespace_the_schema(tmp_path):
    out = OutputConfig(path=str(tmp_path), format="iceberg")
    t = LakehouseOutput("iceberg", out, "sales", "orders", "r1", None, SCHEMA)
    assert t.catalog_properties() == {"type": "sql", "uri": f"sqlite:///{tmp_path}/_iceberg_catalog.db",
                                      "warehouse": str(tmp_path)}
    assert t.identifier == ("sales", "orders")
    named = OutputConfig(path=str(tmp_path), iceberg={"catalog": {"type": "rest", "uri": "http://c"},
                                                      "namespace": "raw"})
    t = LakehouseOutput("iceberg", named, "sales", "orders", "r1", None, SCHEMA)
    assert t.catalog_properties() == {"type": "rest", "uri": "http://c"} and t.identifier == ("raw", "orders")


def test_a_store_other_than_s3_is_refused_in_one_sentence_naming_the_fix():
    t = LakehouseOutput("delta", OutputConfig(path="gs://bucket/lake"), "public", "orders", "r1", None, SCHEMA)
    with pytest.raises(UserError, match=r"output.format delta .* S3 \(s3://, s3a://\) .*not gs://bucket/lake; use one"):
        t.prepare()


def test_iceberg_on_s3_without_a_catalog_is_refused_naming_output_iceberg_catalog():
    # before: the default catalog became sqlite:///s3://bucket/lake/_iceberg_catalog.db, which SQLite cannot open
    t = LakehouseOutput("iceberg", OutputConfig(path="s3://bucket/lake"), "public", "orders", "r1", None, SCHEMA)
    with pytest.raises(UserError, match=r"output.format iceberg on s3://bucket/lake needs output.iceberg.catalog"):
        t.prepare()


def test_a_configured_sqlite_catalog_gets_its_folder_made(tmp_path):
    folder = tmp_path / "state" / "iceberg"
    out = OutputConfig(path=str(tmp_path / "out"), iceberg={"catalog": {"type": "sql",
                                                                        "uri": f"sqlite:///{folder}/c.db"}})
    LakehouseOutput("iceberg", out, "public", "orders", "r1", None, SCHEMA).prepare()
    assert folder.is_dir()


def test_a_table_folder_the_catalog_does_not_list_is_refused_naming_register_table(tmp_path):
    from data_extractor.output import iceberg

    out = OutputConfig(path=str(tmp_path), format="iceberg")
    first = LakehouseOutput("iceberg", out, "public", "t", "r1", None, SCHEMA)
    first.prepare()
    pq.write_table(pa.table({"id": pa.array([1], pa.int64())}), f"{first.staging}/part-0.parquet")
    first.write_manifest({"run_id": "r1"})
    first.publish()
    (tmp_path / "_iceberg_catalog.db").unlink()  # the catalog is lost; the table's files are not
    iceberg._CATALOGS.clear()
    second = LakehouseOutput("iceberg", out, "public", "t", "r2", None, SCHEMA)
    second.prepare()
    pq.write_table(pa.table({"id": pa.array([2], pa.int64())}), f"{second.staging}/part-0.parquet")
    second.write_manifest({"run_id": "r2"})
    with pytest.raises(UserError, match=r"already holds an Iceberg table .*register_table\('public.t', "
                                        r"'.*/public/t/metadata/00001-.*\.metadata\.json'\)"):
        second.publish()


def test_credentials_in_storage_and_catalog_options_are_listed_for_scrubbing_and_ids_are_not():
    out = OutputConfig(storage_options={"AWS_ACCESS_KEY_ID": "AKIA", "AWS_SECRET_ACCESS_KEY": "s3cret",
                                        "AWS_SESSION_TOKEN": "tok", "AWS_REGION": "eu-west-1"},
                       iceberg={"catalog": {"type": "rest", "credential": "client:pw"}})
    assert sorted(out.secret_values()) == ["client:pw", "s3cret", "tok"]


def test_a_data_file_whose_column_type_differs_from_the_table_is_refused_before_the_commit(tmp_path):
    (tmp_path / "data").mkdir()
    pq.write_table(pa.table({"id": ["1"]}), tmp_path / "data" / "a.parquet")
    pq.write_table(pa.table({"id": pa.array([1], pa.int64())}), tmp_path / "data" / "b.parquet")
    good, bad = staged_files(str(tmp_path), ["data/b.parquet", "data/a.parquet"])
    check_schema([good], SCHEMA)
    with pytest.raises(ExtractorError, match=r"data/a.parquet does not match .*id: string \(expected int64\)"):
        check_schema([good, bad], SCHEMA)


def test_a_failure_after_the_commit_keeps_the_committed_files_and_the_table_readable(tmp_path):
    from deltalake import DeltaTable

    out = LakehouseOutput("delta", OutputConfig(path=str(tmp_path), format="delta"), "public", "t", "r1", None,
                          SCHEMA)
    out.prepare()
    pq.write_table(pa.table({"id": pa.array([1, 2, 3], pa.int64())}), f"{out.staging}/part-0.parquet")
    out.write_manifest({"run_id": "r1", "rows": 3})
    (tmp_path / "_data_extractor" / "manifests" / "public" / "t.json").mkdir(parents=True)  # cannot be written
    with pytest.raises(OSError):
        out.publish()
    out.discard()  # what the runner does after any failure
    assert DeltaTable(out.final).to_pyarrow_table()["id"].to_pylist() == [1, 2, 3]


def test_a_format_whose_library_is_missing_says_which_extra_to_install(tmp_path):
    import subprocess
    import sys

    probe = f"""
import sys
sys.modules["deltalake"] = None  # as if the lakehouse extra were not installed
import pyarrow as pa, pyarrow.parquet as pq
from data_extractor.config.models import OutputConfig
from data_extractor.errors import UserError
from data_extractor.output.lakehouse import LakehouseOutput
schema = pa.schema([("id", pa.int64())])
out = LakehouseOutput("delta", OutputConfig(path={str(tmp_path)!r}), None, "t", "r1", None, schema)
out.prepare()
pq.write_table(pa.table({{"id": pa.array([1], pa.int64())}}), out.staging + "/part-0.parquet")
try:
    out.publish()
except UserError as exc:
    print(exc)
"""
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == ("output.format delta needs the deltalake package, which is not installed; "
                                     "pip install 'data-extractor[lakehouse]'"), result.stderr


def test_an_unknown_format_is_refused_naming_the_choices():
    from data_extractor.config.models import load_config
    from data_extractor.errors import ConfigError

    with pytest.raises(ConfigError, match=r"output\.format .*'parquet', 'delta' or 'iceberg'"):
        load_config({"source": {"type": "sqlite", "path": "x.db"}, "output": {"format": "orc"}})


def test_warm_up_imports_pyiceberg_and_opens_the_catalog_in_the_background_before_any_commit(tmp_path):
    import threading

    from data_extractor.output import lakehouse

    out = OutputConfig(path=str(tmp_path / "lake"), format="iceberg")
    lakehouse.warm_up(out, {"iceberg", "parquet"})
    for t in threading.enumerate():
        if t.name == "dx-warm-iceberg":
            t.join(60)
    assert (tmp_path / "lake" / "_iceberg_catalog.db").is_file()  # opened: SqlCatalog made its tables
    lakehouse.warm_up(out, {"iceberg"})  # once per output and catalog
    assert not any(t.name == "dx-warm-iceberg" for t in threading.enumerate())
