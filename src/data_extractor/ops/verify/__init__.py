"""`data-extractor verify`: prove that published tables equal their source, down to the key of a differing row.

Usage from Python::

    from data_extractor.ops.verify import verify_tables
    verdicts = verify_tables("config.yaml", ["public.orders"], on_event=print)
"""

from __future__ import annotations

import importlib.util
import os
import time
import uuid
from collections.abc import Callable
from typing import Any

from data_extractor.api import Extractor
from data_extractor.errors import UserError
from data_extractor.ops.verify.report import TableVerdict, render
from data_extractor.ops.verify.table import TableCheck, failed
from data_extractor.output.fs import local_path
from data_extractor.output.history import data_files, published, read_manifest
from data_extractor.run import events as ev
from data_extractor.source.dialects.checksum import checksum_for, kind_of

__all__ = ["TableVerdict", "column_kinds", "render", "verify_tables"]


def _targets(ex: Extractor, tables: list[str] | None) -> list[str]:
    names = ex.table_names()
    if not tables:
        return names
    unknown = [t for t in tables if t not in names]
    if unknown:
        raise UserError(f"table {unknown[0]} is not in the config (configured: {', '.join(names) or 'none'}); "
                        "name a configured table with -t")
    return tables


def _key_columns(ex: Extractor, manifest: dict[str, Any]) -> list[str]:
    plan = manifest.get("plan") or {}
    if plan.get("query"):
        return []
    ref = ex.catalog.resolve(manifest.get("source_table") or manifest.get("table", ""))
    cols = [c for c in ex.catalog.columns(ref) if c.primary_key]
    return [c.name for c in sorted(cols, key=lambda c: c.primary_key or 0)]


def column_kinds(manifests: dict[str, dict[str, Any]]) -> dict[str, dict[str, str]]:
    return {label: {c["name"]: kind_of(c["type"]) for c in m.get("columns", [])} for label, m in manifests.items()}


def verify_tables(config: Any, tables: list[str] | None = None,
                  on_event: Callable[[ev.Event], None] | None = None, *, max_rows: int = 10,
                  manifests: dict[str, dict[str, Any]] | None = None) -> list[TableVerdict]:
    """Verify each published table (every window of an incremental one); events as a run emits them."""
    if importlib.util.find_spec("duckdb") is None:
        raise UserError("verify reads the Parquet with DuckDB, which is not installed; "
                        "pip install 'data-extractor[verify]'")
    run_id = "verify-" + uuid.uuid4().hex[:8]
    emit = on_event or (lambda _e: None)
    t0 = time.monotonic()
    verdicts: list[TableVerdict] = []
    with Extractor(config) as ex:
        root = ex.config.output.path
        if local_path(root) is None:
            raise UserError(f"verify reads the Parquet through the local file system, and output.path {root} is "
                            "not local; run verify where the output is mounted (e.g. /dbfs, /Volumes)")
        names = _targets(ex, tables)
        checksum = checksum_for(ex.dialect)
        found = {n: [p for p in published(root) if p.table == n] for n in names}
        emit(ev.RunStarted(run_id, tuple(names), root))
        for name in names:
            if not found[name]:
                verdicts.append(TableVerdict(name, root, "missing",
                                             error=f"{name} has no published output under {root}: run it first"))
                emit(ev.TableFailed(run_id, name, verdicts[-1].error or "", 0.0))
                continue
            for pub in sorted(found[name], key=lambda p: p.path):
                manifest = read_manifest(pub)
                window = manifest.get("window")
                # as a run labels a window: by its folder, extract_date=D -> [D]
                label = name if not window else f"{name} [{os.path.basename(pub.path).split('=', 1)[-1]}]"
                if manifests is not None:
                    manifests[label] = manifest
                verdicts.append(_one(ex, checksum, run_id, label, pub.path, manifest, emit, max_rows))
        emit(ev.RunFinished(run_id, tuple(v.table for v in verdicts if v.equal),
                            tuple(v.table for v in verdicts if not v.equal), (), time.monotonic() - t0))
    return verdicts


def _one(ex: Extractor, checksum: Any, run_id: str, label: str, folder: str, manifest: dict[str, Any],
         emit: Callable[[ev.Event], None], max_rows: int) -> TableVerdict:
    t0 = time.monotonic()
    plan = manifest.get("plan") or {}
    emit(ev.TableStarted(run_id, label, len(plan.get("partitions") or []) or 1, manifest.get("rows")))

    def progress(done: int, total: int) -> None:
        elapsed = time.monotonic() - t0
        emit(ev.TableProgress(run_id, label, done, total, None, None, elapsed))

    try:
        check = TableCheck(label, folder, manifest, data_files(folder, manifest), ex.dialect, checksum,
                           _key_columns(ex, manifest), max_rows=max_rows,
                           threads=ex.config.defaults.parallel_tables, progress=progress)
        verdict = check.run()
    except UserError:
        raise
    except Exception as exc:  # noqa: BLE001 - one table's failure is reported, the others still run
        verdict = failed(label, folder, exc)
        emit(ev.TableFailed(run_id, label, verdict.error or "", time.monotonic() - t0))
        return verdict
    emit(ev.TableVerified(run_id, label, verdict.equal, verdict.rows, verdict.row_count(), verdict.seconds,
                          verdict.summary()))
    return verdict
