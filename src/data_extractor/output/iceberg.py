"""Apache Iceberg tables through pyiceberg: the tasks' Parquet files registered as one snapshot.

Every commit is one `overwrite` snapshot in one catalog commit: the old data files of the table (full run)
or of the window's folder are deleted from the table and the new ones added, so readers see the old
version or the new one, never a gap. The files carry no Parquet field ids; the table's name mapping
(`schema.name-mapping.default`) maps columns by name, and schema updates keep it current. The default
catalog is an embedded SQLite file in the output folder; any pyiceberg catalog can be configured instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pyarrow as pa
from pyiceberg.catalog import Catalog, load_catalog
from pyiceberg.exceptions import NoSuchTableError
from pyiceberg.io.pyarrow import (
    _check_pyarrow_schema_compatible,
    compute_statistics_plan,
    data_file_statistics_from_parquet_metadata,
    parquet_path_to_id_mapping,
)
from pyiceberg.manifest import DataFile, DataFileContent, FileFormat, ManifestContent
from pyiceberg.table import Table, TableProperties

from data_extractor.errors import ExtractorError, UserError
from data_extractor.output.lakefiles import Commit, StagedFile, join_uri

# SQLite catalogs serialise writers badly ("database is locked"): one commit at a time per process.
_COMMITS = threading.Lock()
_S3_KEYS = {"AWS_ENDPOINT_URL": "s3.endpoint", "AWS_ACCESS_KEY_ID": "s3.access-key-id",
            "AWS_SECRET_ACCESS_KEY": "s3.secret-access-key", "AWS_SESSION_TOKEN": "s3.session-token",
            "AWS_REGION": "s3.region"}


def io_properties(storage_options: dict[str, str] | None) -> dict[str, str]:
    """pyiceberg FileIO properties for the AWS_* storage options delta-rs and pyarrow take."""
    return {_S3_KEYS[k]: v for k, v in (storage_options or {}).items() if k in _S3_KEYS}


_CATALOGS: dict[str, Catalog] = {}
_OPENING = threading.Lock()


def open_catalog(name: str, properties: dict[str, str], storage_options: dict[str, str] | None = None) -> Catalog:
    """The catalog for these properties, opened once per process (a SQL catalog keeps a connection pool)."""
    props = {**io_properties(storage_options), **properties}
    key = repr((name, sorted(props.items())))
    with _OPENING:
        if key not in _CATALOGS:
            _CATALOGS[key] = load_catalog(name, **props)
        return _CATALOGS[key]


def _table(catalog: Catalog, identifier: tuple[str, str], location: str, schema: pa.Schema,
           metadata_files: Callable[[], list[str]] | None) -> Table:
    try:
        return catalog.load_table(identifier)
    except NoSuchTableError:
        # a table folder with metadata the catalog does not list (a lost or another catalog): creating a second
        # table there would hide its history, so name the fix instead
        found = sorted(n for n in (metadata_files() if metadata_files else []) if n.endswith(".metadata.json"))
        if found:
            name = ".".join(identifier)
            raise UserError(f"{location} already holds an Iceberg table that catalog {catalog.name} does not list; "
                            f"register it (catalog.register_table({name!r}, '{location}/metadata/{found[-1]}')) or "
                            "set output.iceberg.catalog to the catalog that holds it") from None
        catalog.create_namespace_if_not_exists(identifier[0])
        return catalog.create_table(identifier, schema=schema, location=location)


def _data_files(metadata: Any, location: str, files: list[StagedFile]) -> list[DataFile]:
    """Iceberg data file entries from the footers the driver already read (pyiceberg's `parquet_file_to_data_file`
    opens every file again: one more GET per file on object storage). The table's schema, statistics plan and
    column mapping are worked out once, and each distinct file schema is checked once, not per file."""
    schema, spec = metadata.schema(), metadata.spec()
    stats_columns = compute_statistics_plan(schema, metadata.properties)
    column_mapping = parquet_path_to_id_mapping(schema)
    checked: list[pa.Schema] = []
    out = []
    for staged in files:
        arrow = staged.arrow_schema
        if not any(arrow.equals(s) for s in checked):
            _check_pyarrow_schema_compatible(schema, arrow, format_version=metadata.format_version)
            checked.append(arrow)
        stats = data_file_statistics_from_parquet_metadata(
            parquet_metadata=staged.meta, stats_columns=stats_columns, parquet_column_mapping=column_mapping)
        out.append(DataFile.from_args(
            content=DataFileContent.DATA, file_path=join_uri(location, staged.path), file_format=FileFormat.PARQUET,
            partition=stats.partition(spec, schema), file_size_in_bytes=staged.size, sort_order_id=None,
            spec_id=metadata.default_spec_id, equality_ids=None, key_metadata=None, **stats.to_serialized_dict()))
    return out


def _live_files(table: Table, prefix: str | None) -> list[DataFile]:
    """The current snapshot's data files (under `prefix`), read straight from its manifests: a scan plan
    (`plan_files`) would also evaluate filters and build a delete index, which a replace needs neither of."""
    snapshot = table.current_snapshot()
    if snapshot is None:
        return []
    io = table.io
    return [entry.data_file for manifest in snapshot.manifests(io) if manifest.content == ManifestContent.DATA
            for entry in manifest.fetch_manifest_entry(io, discard_deleted=True)
            if prefix is None or entry.data_file.file_path.startswith(prefix)]


def _schema_update(tx: Any, table: Table, schema: pa.Schema, full: bool) -> None:
    """Add new columns (and, for a full run, drop gone ones); a changed type the format cannot promote fails."""
    current = set(table.schema().column_names)
    added = [n for n in schema.names if n not in current]
    dropped = [n for n in current if n not in schema.names] if full else []
    if not added and not dropped:
        return
    with tx.update_schema() as update:
        update.union_by_name(schema)
        for name in dropped:
            update.delete_column(name)


def commit(catalog: Catalog, identifier: tuple[str, str], location: str, files: list[StagedFile],
           schema: pa.Schema, window_prefix: str | None, metadata: dict[str, str],
           metadata_files: Callable[[], list[str]] | None = None) -> Commit:
    """Commit `files` as one Iceberg snapshot: the whole table (window_prefix None) or one window's folder.
    `metadata_files` lists the table folder's `metadata/`, asked only when the catalog does not know the table."""
    old_prefix = join_uri(location, window_prefix) if window_prefix else None
    with _COMMITS:
        table = _table(catalog, identifier, location, schema, metadata_files)
        try:
            with table.transaction() as tx:
                if table.metadata.name_mapping() is None:
                    tx.set_properties(**{TableProperties.DEFAULT_NAME_MAPPING:
                                         table.schema().name_mapping.model_dump_json()})
                _schema_update(tx, table, schema, window_prefix is None)
                old = _live_files(table, old_prefix)
                new = _data_files(tx.table_metadata, location, files)  # one metadata copy for all files
                with tx.update_snapshot(snapshot_properties=metadata).overwrite() as overwrite:
                    for data_file in old:
                        overwrite.delete_data_file(data_file)
                    for data_file in new:
                        overwrite.append_data_file(data_file)
        except ValueError as exc:  # pyiceberg's schema checks: a type the table's column cannot take
            raise ExtractorError(f"the Iceberg table {'.'.join(identifier)} cannot take these files: {exc}") from None
    snap = table.current_snapshot()
    return Commit("iceberg", snap.sequence_number if snap else 0, location, ".".join(identifier),
                  table.metadata_location, snap.snapshot_id if snap else None)
