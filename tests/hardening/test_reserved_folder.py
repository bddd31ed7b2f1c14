"""Item 2 and 9 of the hardening pass: schemas named like internal folders, and readers of a table folder.

Everything internal lives in `{output}/_data_extractor/`; a schema whose name starts with `_` is published as
`_` + its name, so no schema (not even one named `_data_extractor`) can land in, or be swept with, it.
"""

from __future__ import annotations

import json

import duckdb
import polars as pl
import pyarrow.parquet as pq
import pytest

from data_extractor import Extractor
from data_extractor.output.history import published
from manifests import read_manifest

SCHEMAS = ["_data_extractor", "_staging", "_state", "__data_extractor", "staging"]


def cfg(pg, out, tables):
    return {"source": pg.source(), "output": {"path": str(out)},
            "spark": {"master": "local[2]"}, "tables": tables,
            "defaults": {"partitioning": {"strategy": "balanced", "partitions": 2}}}


@pytest.fixture
def odd_schemas(pg_conn):
    for i, schema in enumerate(SCHEMAS):
        pg_conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        pg_conn.execute(f'CREATE SCHEMA "{schema}"')
        pg_conn.execute(f'CREATE TABLE "{schema}".t (id int PRIMARY KEY, v text)')
        pg_conn.execute(f"INSERT INTO \"{schema}\".t SELECT g, 's{i}-' || g FROM generate_series(1, 500) g")
        pg_conn.execute(f'ANALYZE "{schema}".t')
    yield [f'"{s}".t' for s in SCHEMAS]
    for schema in SCHEMAS:
        pg_conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_schemas_named_like_internal_folders_survive_later_runs(pg, odd_schemas, tmp_path, spark):
    out = tmp_path / "out"
    first = Extractor(cfg(pg, out, odd_schemas)).run()
    assert first.ok, first.to_dict()
    folders = {t.table: t.path for t in first.tables}
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["_data_extractor", "__data_extractor", "__staging", "__state", "___data_extractor", "staging"])
    again = Extractor(cfg(pg, out, odd_schemas[:1])).run()  # a later run: recovery and sweeps run again
    assert again.ok, again.to_dict()
    for i, table in enumerate(odd_schemas):
        data = pq.read_table(folders[table]).sort_by("id")
        assert data.num_rows == 500 and data["v"][0].as_py() == f"s{i}-1", table
    assert {p.table for p in published(str(out))} == set(odd_schemas)


def test_every_reader_reads_a_table_folder_as_written(pg, pg_conn, tmp_path, spark):
    pg_conn.execute("DROP TABLE IF EXISTS rd_plain")
    pg_conn.execute("CREATE TABLE rd_plain AS SELECT g AS id, 'x' || g AS v FROM generate_series(1, 1000) g")
    pg_conn.execute("ALTER TABLE rd_plain ADD PRIMARY KEY (id)")
    pg_conn.execute("ANALYZE rd_plain")
    out = tmp_path / "out"
    result = Extractor(cfg(pg, out, ["public.rd_plain"])).run()
    assert result.ok, result.to_dict()
    folder = out / "public" / "rd_plain"
    assert all(p.suffix == ".parquet" for p in folder.iterdir())  # nothing beside the data
    assert pl.read_parquet(folder).height == pl.scan_parquet(folder).collect().height == 1000
    assert duckdb.sql(f"SELECT count(*) FROM read_parquet('{folder}/*')").fetchall()[0][0] == 1000
    assert pq.read_table(folder).num_rows == 1000
    import pandas as pd

    assert len(pd.read_parquet(folder)) == 1000
    manifest = read_manifest(folder)
    assert manifest["rows"] == 1000 and manifest["path"] == str(folder)
    assert sorted(manifest["files"]) == sorted(p.name for p in folder.iterdir())


def test_a_manifest_of_the_earlier_layout_is_still_listed_until_the_table_is_published_again(pg, pg_conn, tmp_path,
                                                                                            spark):
    pg_conn.execute("DROP TABLE IF EXISTS rd_legacy")
    pg_conn.execute("CREATE TABLE rd_legacy AS SELECT g AS id FROM generate_series(1, 10) g")
    pg_conn.execute("ALTER TABLE rd_legacy ADD PRIMARY KEY (id)")
    out = tmp_path / "out"
    folder = out / "public" / "rd_legacy"
    folder.mkdir(parents=True)
    pq.write_table(pq.read_table(_one_file(tmp_path)), folder / "part-old.parquet")
    (folder / "_manifest.json").write_text(json.dumps({"table": "public.rd_legacy", "run_id": "old", "rows": 3,
                                                       "files": ["part-old.parquet"],
                                                       "finished_at": "2026-01-01T00:00:00Z"}))
    assert [(p.table, p.run_id) for p in published(str(out))] == [("public.rd_legacy", "old")]
    result = Extractor(cfg(pg, out, ["public.rd_legacy"])).run()
    assert result.ok, result.to_dict()
    assert [(p.table, p.run_id) for p in published(str(out))] == [("public.rd_legacy", result.run_id)]
    assert {p.suffix for p in folder.iterdir()} == {".parquet"} and pl.read_parquet(folder).height == 10


def _one_file(tmp_path):
    import pyarrow as pa

    path = tmp_path / "old.parquet"
    pq.write_table(pa.table({"id": [1, 2, 3]}), path)
    return path
