"""Delta Lake tables through delta-rs: the tasks' Parquet files committed as one log version.

A full run is one `overwrite` transaction (every live file removed, the new ones added, the schema
replaced). A window is one `append` transaction of the window's new files plus a remove action for each
live file under the window's folder, so a re-run replaces exactly that window. Files never move: they
are written under the table root and only the log changes. Protocol: (1, 2) unless a column is a
timestamp without time zone, which Delta calls `timestamp_ntz` and needs (3, 7) with that feature
(Databricks Runtime 13.3 LTS and later, Delta 2.4 and later read it).
"""

from __future__ import annotations

import time

import pyarrow as pa
from deltalake import CommitProperties, DeltaTable, Field, Schema
from deltalake.exceptions import CommitFailedError
from deltalake.transaction import AddAction, RemoveAction, create_table_with_add_actions

from data_extractor.errors import ExtractorError
from data_extractor.output.delta_stats import file_stats
from data_extractor.output.lakefiles import Commit, StagedFile

RETRIES = 3


def _adds(files: list[StagedFile]) -> list[AddAction]:
    return [AddAction(f.path, f.size, {}, f.modified_ms, True, file_stats(f.meta)) for f in files]


def _removes(table: DeltaTable, prefix: str | None) -> list[RemoveAction]:
    """Remove actions for the live files under `prefix` (every live file when None)."""
    live = pa.table(table.get_add_actions(flatten=True))
    now = int(time.time() * 1000)
    return [RemoveAction(path, True, now, size=int(size), partition_values={})
            for path, size in zip(live["path"].to_pylist(), live["size_bytes"].to_pylist(), strict=True)
            if prefix is None or path.startswith(prefix)]


def _evolve(table: DeltaTable, schema: pa.Schema, props: CommitProperties) -> None:
    """Add the window's new columns to the table (Delta schema evolution); refuse a changed type."""
    current = {f.name: f for f in table.schema().fields}
    wanted = Schema.from_arrow(schema)
    added = [f for f in wanted.fields if f.name not in current]
    for f in wanted.fields:
        if f.name in current and current[f.name].type != f.type:
            raise ExtractorError(f"column {f.name!r} changed type ({current[f.name].type} -> {f.type}); a window "
                                 "cannot change the Delta table's schema: run the table without a window to replace it")
    if added:
        table.alter.add_columns([Field(f.name, f.type, nullable=True) for f in added], commit_properties=props)


def commit(uri: str, files: list[StagedFile], schema: pa.Schema, window_prefix: str | None,
           metadata: dict[str, str], storage_options: dict[str, str] | None = None) -> Commit:
    """Commit `files` as one Delta version: the whole table (window_prefix None) or one window's folder."""
    opts = storage_options or None
    props = CommitProperties(custom_metadata=metadata)
    adds = _adds(files)
    if not DeltaTable.is_deltatable(uri, storage_options=opts):
        create_table_with_add_actions(uri, Schema.from_arrow(schema), adds, mode="error", storage_options=opts,
                                      commit_properties=props)
        return Commit("delta", DeltaTable(uri, storage_options=opts).version(), uri)
    for attempt in range(RETRIES):
        table = DeltaTable(uri, storage_options=opts)
        try:
            if window_prefix is None:
                table.create_write_transaction(adds, "overwrite", schema, commit_properties=props)
            else:
                _evolve(table, schema, props)
                table.update_incremental()
                table.create_write_transaction(adds + _removes(table, window_prefix), "append",
                                               table.schema(), commit_properties=props)
            break
        except CommitFailedError:  # another writer committed in between: rebuild the removes and retry
            if attempt == RETRIES - 1:
                raise
    return Commit("delta", DeltaTable(uri, storage_options=opts).version(), uri)

