"""Delta and Iceberg output: tasks write data files under the table's root, the driver commits them once.

Layout: the table lives at ``{output}/{schema}/{table}/`` (``_delta_log/`` or ``metadata/`` beside ``data/``).
A full run writes into ``data/{run_id}/``, a window into ``data/{window}/{run_id}/`` (e.g.
``data/extract_date-2026-01-02/<run_id>/``), so each data file belongs to exactly one window and a window
is replaced by replacing the files under its folder. Until the commit no reader sees the new files; a run
killed before it leaves them unreferenced (Delta's `vacuum` removes such files) and the table as it was.
`{output}/_data_extractor/manifests/{schema}/{table}.json` repeats the last commit's manifest for the history.

On S3 (`s3://`, `s3a://`) the tasks write the data files straight to the store under the table's root (the same
file-system layer as Parquet on a store, `stores.py`), the driver reads their footers there and commits them with
the storage options (delta-rs' conditional PUT; pyiceberg's FileIO). An Iceberg table there needs a configured
catalog: the default SQLite file cannot live on an object store.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from typing import Any, NoReturn

import pyarrow as pa

from data_extractor.config.models import OutputConfig
from data_extractor.errors import UserError
from data_extractor.output.fs import for_output, local_path
from data_extractor.output.lakefiles import Commit, check_schema, join_uri, staged_files
from data_extractor.output.names import INTERNAL, folder_name, table_folders
from data_extractor.output.publish import TableOutput, recover
from data_extractor.output.stores import S3, aws_options, scheme

log = logging.getLogger("data_extractor.output")
CATALOG_FILE = "_iceberg_catalog.db"
# Manifest keys that go into the commit's metadata (Delta commitInfo, Iceberg snapshot summary).
COMMIT_KEYS = {"run_id": "run_id", "table": "table", "source_table": "source_table", "rows": "rows",
               "source_count": "source_count", "snapshot": "snapshot", "window": "window", "version": "tool_version"}


def _need(module: str, fmt: str) -> NoReturn:
    raise UserError(f"output.format {fmt} needs the {module} package, which is not installed; "
                    "pip install 'data-extractor[lakehouse]'")


class LakehouseOutput:
    """The same steps as `TableOutput` (prepare, files, written_rows, publish, discard), for one table format."""

    def __init__(self, fmt: str, output: OutputConfig, schema: str | None, table: str, run_id: str,
                 window: str | None, arrow_schema: pa.Schema) -> None:
        self.format, self.output, self.run_id = fmt, output, run_id
        self.schema_name, self.table_name = schema, table
        self.arrow_schema = arrow_schema
        self.is_local = local_path(output.path) is not None
        self.supported = self.is_local or scheme(output.path) in S3
        # local/mounted paths through os, S3 through pyarrow.fs; anything else is refused by prepare
        self._fs, self.base = for_output(output.path, None, output.storage_options) if self.supported else (None, "")
        self.root = os.path.abspath(self.base) if self.is_local else output.path.rstrip("/")
        parts = table_folders(schema, table)
        self.final = join_uri(self.root, "/".join(parts))
        self.manifest_path = join_uri(self.root, "/".join([INTERNAL, "manifests", *parts[:-1], parts[-1] + ".json"]))
        self.window_prefix = f"data/{folder_name(window.replace('=', '-'))}/" if window else None
        self.run_prefix = f"{self.window_prefix or 'data/'}{run_id}/"
        self.staging = join_uri(self.final, self.run_prefix.rstrip("/"))
        self.manifest: dict[str, Any] = {}
        self.commit: Commit | None = None
        self.committed: list[str] | None = None  # the files the tasks that succeeded reported (set by the run)

    # ------------------------------------------------------------ the TableOutput steps
    def prepare(self) -> None:
        if not self.supported:
            raise UserError(f"output.format {self.format} writes to local or mounted paths (/Volumes, /dbfs) and to "
                            f"S3 (s3://, s3a://) in this version, not {self.output.path}; use one of those or "
                            "output.format: parquet")
        if self.format == "iceberg" and not self.is_local and not self.output.iceberg.catalog:
            raise UserError(f"output.format iceberg on {self.output.path} needs output.iceberg.catalog, because the "
                            "default SQLite catalog is a file beside the output and an object store cannot hold one; "
                            "set e.g. output.iceberg.catalog: {type: sql, uri: 'sqlite:////var/lib/data-extractor/"
                            "iceberg.db'} (a file on this machine) or a REST, Glue or Hive catalog")
        try:
            recover(self.base, self._fs)  # what killed runs left in the internal staging folder
            self._fs.rmtree(self.staging)
            if self.is_local:  # an object store has no folders to make
                self._fs.makedirs(self.staging)
            if self.format == "iceberg":
                _sqlite_folder(self.catalog_properties())
        except OSError as exc:
            raise UserError(f"output path {self.output.path} is not writable ({exc.strerror or exc}); "
                            "fix output.path or its permissions") from None
        warm_up(self.output, {self.format})  # a no-op when the run already did it

    def files(self) -> list[str]:
        if self.committed is not None:  # on a store, a failed attempt's upload may still complete: never list
            return sorted(self.committed)
        return sorted(f for f in self._fs.listdir(self.staging) if f.endswith(".parquet"))

    def written_rows(self) -> tuple[int, int]:
        files = self._staged()
        return sum(f.rows for f in files), sum(f.size for f in files)

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        self.manifest = manifest  # committed with the data; the side copy is written after the commit

    def publish(self) -> None:
        t0 = time.monotonic()
        files = self._staged()
        check_schema(files, self.arrow_schema)
        metadata = {f"data_extractor.{name}": _text(self.manifest[k]) for k, name in COMMIT_KEYS.items()
                    if self.manifest.get(k) is not None}
        opts = aws_options(self.output.storage_options)
        self._attempted = True
        if self.format == "delta":
            try:
                from data_extractor.output import delta  # deltalake is an optional extra
            except ImportError:
                _need("deltalake", "delta")
            self.commit = delta.commit(self.final, files, self.arrow_schema, self.window_prefix, metadata, opts)
        else:
            try:
                from data_extractor.output import iceberg  # pyiceberg is an optional extra
            except ImportError:
                _need("pyiceberg", "iceberg")
            catalog = iceberg.open_catalog(self.output.iceberg.catalog_name, self.catalog_properties(), opts)
            self.commit = iceberg.commit(catalog, self.identifier, self.final, files, self.arrow_schema,
                                         self.window_prefix, metadata, self._metadata_files)
        side = {**self.manifest, **self.commit.to_dict(), "commit_seconds": round(time.monotonic() - t0, 3)}
        self._fs.makedirs(self._fs.dirname(self.manifest_path))
        self._fs.write_text(self.manifest_path, json.dumps({**side, "path": self.final}, indent=2, default=str))

    def discard(self) -> None:
        """Delete the run's files, unless a commit may have taken them: orphans are harmless, holes are not."""
        if getattr(self, "_attempted", False):
            log.warning("the commit to %s failed; its data files stay in %s until Delta's vacuum or your own "
                        "clean-up removes them", self.final, self.staging)
            return
        if self._fs is not None:
            self._fs.rmtree(self.staging)

    # ------------------------------------------------------------ helpers
    @property
    def identifier(self) -> tuple[str, str]:
        namespace = self.output.iceberg.namespace or self.schema_name or "default"
        return namespace, self.table_name

    def catalog_properties(self) -> dict[str, str]:
        return catalog_properties(self.output) or {}

    def _staged(self) -> list[Any]:
        if not hasattr(self, "_files"):
            self._files = staged_files(self.final, [f"{self.run_prefix}{n}" for n in self.files()],
                                       self.output.storage_options)
        return self._files

    def _metadata_files(self) -> list[str]:
        """The names in the table's `metadata/` folder (asked only when the catalog does not list the table)."""
        return self._fs.listdir(join_uri(self.final, "metadata"))


def catalog_properties(output: OutputConfig) -> dict[str, str] | None:
    """The Iceberg catalog's properties: the configured ones, else the SQLite file in a local output (None on a
    store, where a catalog must be configured)."""
    if output.iceberg.catalog:
        return dict(output.iceberg.catalog)
    local = local_path(output.path)
    if local is None:
        return None
    root = os.path.abspath(local)
    return {"type": "sql", "uri": f"sqlite:///{os.path.join(root, CATALOG_FILE)}", "warehouse": root}


_WARMED: set[tuple[str, str]] = set()
_WARMING = threading.Lock()


def warm_up(output: OutputConfig, formats: set[str]) -> None:
    """Import the formats' libraries and open the Iceberg catalog in the background, so that no commit waits for
    them (importing pyiceberg alone takes 1-3 s here). A run calls it before Spark starts; once per output."""
    for fmt in sorted(formats & {"delta", "iceberg"}):
        key = (fmt, repr(catalog_properties(output)) if fmt == "iceberg" else "")
        with _WARMING:
            if key in _WARMED:
                continue
            _WARMED.add(key)
        threading.Thread(target=_warm, args=(fmt, output, key), name=f"dx-warm-{fmt}").start()


def _warm(fmt: str, output: OutputConfig, key: tuple[str, str]) -> None:
    try:
        if fmt == "delta":
            from data_extractor.output import delta  # noqa: F401 - deltalake is an optional extra
            return
        from data_extractor.output import iceberg  # pyiceberg is an optional extra

        props = catalog_properties(output)
        if props is not None:
            _sqlite_folder(props)
            iceberg.open_catalog(output.iceberg.catalog_name, props, aws_options(output.storage_options))
    except Exception as exc:  # noqa: BLE001 - best effort: the commit does it again and reports the failure
        log.debug("warming %s up failed (%s); the commit tries again", fmt, type(exc).__name__)
        with _WARMING:
            _WARMED.discard(key)  # a later table may try again (e.g. once the output folder exists)


def _sqlite_folder(properties: dict[str, str]) -> None:
    """SQLite creates its file but not the folder: make the folder of a local SQLite catalog."""
    uri = properties.get("uri", "")
    if properties.get("type", "sql") == "sql" and uri.startswith("sqlite:///") and uri != "sqlite:///:memory:":
        folder = os.path.dirname(uri[len("sqlite:///"):])
        if folder:
            os.makedirs(folder, exist_ok=True)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def open_output(fmt: str, output: OutputConfig, schema: str | None, table: str, run_id: str, window: str | None,
                session: Any, arrow_schema: pa.Schema) -> TableOutput | LakehouseOutput:
    """The output of one table (or window) in its format: a Parquet folder, or a Delta or Iceberg table."""
    if fmt == "parquet":
        return TableOutput(output.path, schema, table, run_id, window, session, output.storage_options)
    return LakehouseOutput(fmt, output, schema, table, run_id, window, arrow_schema)
