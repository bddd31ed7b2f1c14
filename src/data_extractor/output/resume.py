"""Resume a table cut short: partitions a killed (or failed) run finished are kept, the others are read again.

A table's staging folder holds `_resume.json` (what its partitions are read with: a digest of the plan,
columns, filter and file settings, and the snapshot) and `_done/<partition>.json` (each finished partition's
statistics, written by its task once its files are closed). When a run fails, or a killed run's staging is
swept, a folder with finished partitions is kept as ``{output}/_data_extractor/partial/{key}/``; the next run
of the same table takes them over when the digest and the snapshot agree, and reads only the rest.

Snapshots: an Oracle SCN outlives the session that chose it (while undo holds it), so a resumed table is read
at the SCN its finished partitions were read at. A PostgreSQL exported snapshot ends with its session: a
table read in one is read again whole, and the log says why. Works on local and mounted paths and on object
stores (through the same file operations as publish).
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from data_extractor.output.names import INTERNAL

log = logging.getLogger("data_extractor.run")
RESUME = "_resume.json"
DONE = "_done"


def digest(spec: Any, compression: str, max_rows_per_file: int | None) -> str:
    """What a finished partition's files depend on, besides the snapshot."""
    body = {"table": str(spec.table), "predicates": spec.predicates, "where": spec.where,
            "columns": [[c.name, c.source_type, c.spark_type, c.nullable] for c in spec.columns],
            "compression": compression, "max_rows_per_file": max_rows_per_file}
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def partial_folder(fs: Any, base: str, key: str) -> str:
    return fs.join(base, INTERNAL, "partial", key)


@dataclass
class TakeOver:
    """What `begin` found: the finished partitions' statistics, and the snapshot the table must be read in."""

    reused: list[dict[str, Any]] = field(default_factory=list)
    snapshot: str | None = None

    @property
    def done(self) -> set[int]:
        return {int(s["partition"]) for s in self.reused}

    @property
    def rows(self) -> int:
        return sum(int(s["rows"]) for s in self.reused)


def begin(out: Any, print_: str, snapshot: str | None, snapshot_outlives_session: bool) -> TakeOver:
    """Set up `out.staging` for a resumable read, taking over what an earlier run of this table finished."""
    fs = out.fs
    old = partial_folder(fs, out.base, out.key)
    found = TakeOver(snapshot=snapshot)
    if fs.exists(old):
        found = _take_over(fs, old, out.staging, print_, snapshot, snapshot_outlives_session)
        fs.rmtree(old)
    fs.makedirs(fs.join(out.staging, DONE))  # tasks create no folders (one outliving a failed job must not)
    _write(fs, fs.join(out.staging, RESUME), {"digest": print_, "snapshot": found.snapshot})
    return found


def _take_over(fs: Any, old: str, staging: str, print_: str, snapshot: str | None, outlives: bool) -> TakeOver:
    try:
        before = json.loads(fs.read_text(fs.join(old, RESUME)))
    except (OSError, ValueError):
        return TakeOver(snapshot=snapshot)
    if before.get("digest") != print_:
        log.info("an earlier run left finished partitions of this table, read with another plan, columns or file "
                 "settings: reading every partition")
        return TakeOver(snapshot=snapshot)
    kept = before.get("snapshot")
    if kept != snapshot:
        if not (kept and snapshot and outlives):
            log.info("an earlier run left finished partitions of this table, read %s: reading every partition",
                     "in another snapshot (a PostgreSQL exported snapshot ends with the session that took it)"
                     if kept or snapshot else "without a snapshot")
            return TakeOver(snapshot=snapshot)
        log.info("resuming at %s, where its finished partitions were read", kept)
    found = TakeOver(snapshot=kept)
    fs.makedirs(fs.join(staging, DONE))
    for name in sorted(fs.listdir(fs.join(old, DONE))):
        try:
            stats = json.loads(fs.read_text(fs.join(old, DONE, name)))
            for f in stats["files"]:
                _move(fs, fs.join(old, f), fs.join(staging, f))
        except (OSError, ValueError, KeyError, TypeError):
            continue  # a partition whose record or files are incomplete is read again
        _write(fs, fs.join(staging, DONE, name), stats)
        found.reused.append({**stats, "reused": True})
    if found.reused:
        log.warning("resuming: taking over %d partition(s) an earlier run finished (%s rows); reading the others",
                 len(found.reused), f"{found.rows:,}")
    return found


def record_done(fs: Any, folder: str, stats: dict[str, Any]) -> None:
    """Called by the task once the partition's files are closed (best effort: without it, it is read again)."""
    try:
        _write(fs, fs.join(folder, DONE, f"{int(stats['partition']):05d}.json"), stats)
    except OSError:
        pass


def finish(fs: Any, staging: str) -> None:
    """Remove the resume records: the published folder holds Parquet only."""
    fs.rmtree(fs.join(staging, DONE))
    if fs.exists(fs.join(staging, RESUME)):
        fs.remove(fs.join(staging, RESUME))


def keep(fs: Any, base: str, staging: str, key: str) -> bool:
    """Keep a failed or killed table's finished partitions for its next run; False when there are none."""
    if not fs.exists(fs.join(staging, RESUME)) or not fs.listdir(fs.join(staging, DONE)):
        return False
    target = partial_folder(fs, base, key)
    fs.rmtree(target)
    fs.makedirs(fs.dirname(target))
    if fs.atomic_rename:
        fs.rename(staging, target)
        return True
    for name in fs.listdir(fs.join(staging, DONE)):  # an object store: copy what the records name
        try:
            stats = json.loads(fs.read_text(fs.join(staging, DONE, name)))
            for f in stats["files"]:
                fs.copy(fs.join(staging, f), fs.join(target, f))
            fs.copy(fs.join(staging, DONE, name), fs.join(target, DONE, name))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    fs.copy(fs.join(staging, RESUME), fs.join(target, RESUME))
    fs.rmtree(staging)
    return True


def _move(fs: Any, src: str, dst: str) -> None:
    if fs.atomic_rename:
        fs.rename(src, dst)
    else:
        fs.copy(src, dst)  # server-side on S3, GCS and Azure; the old folder is removed as a whole


def _write(fs: Any, path: str, data: dict[str, Any]) -> None:
    fs.write_text(path, json.dumps(data, default=str))  # whole or not at all: a temporary file, or one PUT
