"""Delta and Iceberg output: tasks write data files under the table's root, the driver commits them once.

Layout: the table lives at ``{output}/{schema}/{table}/`` (``_delta_log/`` or ``metadata/`` beside ``data/``).
A full run writes into ``data/{run_id}/``, a window into ``data/{window}/{run_id}/`` (e.g.
``data/extract_date-2026-01-02/<run_id>/``), so each data file belongs to exactly one window and a window
is replaced by replacing the files under its folder. Until the commit no reader sees the new files; a run
killed before it leaves them unreferenced (Delta's `vacuum` removes such files) and the table as it was.
`{output}/_data_extractor/manifests/{schema}/{table}.json` repeats the last commit's manifest for the history.
"""

from __future__ import annotations

import json
import logging
import os
import time
from typing import Any, NoReturn

import pyarrow as pa

from data_extractor.config.models import OutputConfig
from data_extractor.errors import UserError
from data_extractor.output.fs import LocalFS, local_path
from data_extractor.output.lakefiles import Commit, check_schema, join_uri, staged_files
from data_extractor.output.names import INTERNAL, folder_name, table_folders
from data_extractor.output.publish import TableOutput
from data_extractor.output.stores import aws_options

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
        local = local_path(output.path)
        self.is_local = local is not None
        self.root = os.path.abspath(local) if local is not None else output.path.rstrip("/")
        parts = table_folders(schema, table)
        self.final = join_uri(self.root, "/".join(parts))
        self.manifest_path = join_uri(self.root, "/".join([INTERNAL, "manifests", *parts[:-1], parts[-1] + ".json"]))
        self.window_prefix = f"data/{folder_name(window.replace('=', '-'))}/" if window else None
        self.run_prefix = f"{self.window_prefix or 'data/'}{run_id}/"
        self.staging = join_uri(self.final, self.run_prefix.rstrip("/"))
        self.manifest: dict[str, Any] = {}
        self.commit: Commit | None = None
        self._fs = LocalFS()

    # ------------------------------------------------------------ the TableOutput steps
    def prepare(self) -> None:
        if not self.is_local:
            raise UserError(f"output.format {self.format} writes to local or mounted paths (/Volumes, /dbfs) in "
                            f"this version, not {self.output.path}; use a mounted path or output.format: parquet")
        try:
            self._fs.rmtree(self.staging)
            self._fs.makedirs(self.staging)
        except OSError as exc:
            raise UserError(f"output path {self.output.path} is not writable ({exc.strerror or exc}); "
                            "fix output.path or its permissions") from None

    def files(self) -> list[str]:
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
                                         self.window_prefix, metadata)
        side = {**self.manifest, **self.commit.to_dict(), "commit_seconds": round(time.monotonic() - t0, 3)}
        self._fs.makedirs(self._fs.dirname(self.manifest_path))
        self._fs.write_text(self.manifest_path, json.dumps({**side, "path": self.final}, indent=2, default=str))

    def discard(self) -> None:
        """Delete the run's files, unless a commit may have taken them: orphans are harmless, holes are not."""
        if getattr(self, "_attempted", False):
            log.warning("the commit to %s failed; its data files stay in %s until Delta's vacuum or your own "
                        "clean-up removes them", self.final, self.staging)
            return
        self._fs.rmtree(self.staging)

    # ------------------------------------------------------------ helpers
    @property
    def identifier(self) -> tuple[str, str]:
        namespace = self.output.iceberg.namespace or self.schema_name or "default"
        return namespace, self.table_name

    def catalog_properties(self) -> dict[str, str]:
        if self.output.iceberg.catalog:
            return dict(self.output.iceberg.catalog)
        return {"type": "sql", "uri": f"sqlite:///{os.path.join(self.root, CATALOG_FILE)}", "warehouse": self.root}

    def _staged(self) -> list[Any]:
        if not hasattr(self, "_files"):
            self._files = staged_files(self.final, [f"{self.run_prefix}{n}" for n in self.files()],
                                       aws_options(self.output.storage_options))
        return self._files


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def open_output(fmt: str, output: OutputConfig, schema: str | None, table: str, run_id: str, window: str | None,
                session: Any, arrow_schema: pa.Schema) -> TableOutput | LakehouseOutput:
    """The output of one table (or window) in its format: a Parquet folder, or a Delta or Iceberg table."""
    if fmt == "parquet":
        return TableOutput(output.path, schema, table, run_id, window, session, output.storage_options)
    return LakehouseOutput(fmt, output, schema, table, run_id, window, arrow_schema)
