"""The object-store layer on its own (no Spark): paths, secrets, and publish-by-manifest on moto's S3 server."""

from __future__ import annotations

import json

import pytest
from pydantic import SecretStr

from data_extractor.errors import UserError
from data_extractor.output.commit import publish_by_manifest
from data_extractor.output.fs import for_output, needs_hadoop
from data_extractor.output.stores import StoreFS, arrow_fs, arrow_path, secret_values


def test_uris_map_to_pyarrow_paths():
    assert arrow_path("s3://bucket/a/b/") == "bucket/a/b"
    assert arrow_path("s3a://bucket/a") == "bucket/a"
    assert arrow_path("gs://bucket/x") == "bucket/x"
    assert arrow_path("abfss://box@acct.dfs.core.windows.net/lake/t") == "box/lake/t"
    assert arrow_path("az://box/lake") == "box/lake"
    assert arrow_path("hdfs://nn:8020/data/x") == "/data/x"
    assert not needs_hadoop("s3a://b/x") and not needs_hadoop("/tmp/x") and needs_hadoop("wasbs://c@a/x")


def test_only_secret_looking_options_are_scrubbed():
    opts = {"endpoint_override": SecretStr("http://127.0.0.1:9"), "secret_key": SecretStr("s3cr3t-value"),
            "access_key": SecretStr("AKIA-VALUE"), "region": SecretStr("eu-west-1")}
    assert sorted(secret_values(opts)) == ["AKIA-VALUE", "s3cr3t-value"]


def test_an_hdfs_uri_without_libhdfs_fails_in_one_line_naming_the_fix():
    with pytest.raises(UserError) as err:
        for_output("hdfs://127.0.0.1:9/out")
    text = str(err.value)
    assert "\n" not in text and "libhdfs" in text and "CLASSPATH" in text


def test_publish_by_manifest_writes_the_manifest_last_and_removes_superseded_files(s3):
    bucket = s3.bucket("dx-commit")
    root = f"s3://{bucket}/t"
    fs = StoreFS(root, s3.options)
    assert isinstance(for_output(root, None, s3.options)[0], StoreFS) and not fs.atomic_rename
    staging, final = f"{root}/_data_extractor/staging/r2", f"{root}/final"
    fs.write_text(f"{final}/part-0-r1.parquet", "old")
    fs.write_text(f"{final}/_manifest.json", json.dumps({"files": ["part-0-r1.parquet"]}))  # an earlier layout's
    fs.write_text(f"{staging}/part-0-r2.parquet", "new")
    fs.write_text(f"{staging}/part-1-r2.parquet", "new")
    manifest = f"{root}/_data_extractor/manifests/final.json"
    publish_by_manifest(fs, staging, final, ["part-0-r2.parquet", "part-1-r2.parquet"], manifest,
                        json.dumps({"files": ["part-0-r2.parquet", "part-1-r2.parquet"]}))
    reader = s3.fs()  # an independent client
    import pyarrow.fs as pafs

    names = sorted(i.base_name for i in reader.get_file_info(pafs.FileSelector(f"{bucket}/t/final")))
    assert names == ["part-0-r2.parquet", "part-1-r2.parquet"]  # Parquet only: the old manifest went too
    with reader.open_input_stream(f"{bucket}/t/_data_extractor/manifests/final.json") as src:
        assert json.loads(src.read())["files"] == ["part-0-r2.parquet", "part-1-r2.parquet"]
    assert not fs.exists(staging)


def test_delta_only_aws_options_do_not_reach_pyarrow(s3):
    # before: AWS_S3_ALLOW_UNSAFE_RENAME or aws_conditional_put (delta-rs options) made pyarrow's S3FileSystem fail
    bucket = s3.bucket("dx-opts")
    options = {**s3.env, "AWS_S3_ALLOW_UNSAFE_RENAME": "true", "aws_conditional_put": "etag"}
    fs = arrow_fs(f"s3://{bucket}/x", options)
    fs.create_dir(f"{bucket}/x")
    assert fs.get_file_info(f"{bucket}/x").type.name == "Directory"
