"""Exact sums of PostgreSQL text hashes (`pg_hash`) over Arrow batches, for the Parquet side of `verify`."""

from __future__ import annotations

from typing import Any

import numpy as np

from data_extractor.source.dialects import pg_hash


def sum_texts(batches: Any) -> dict[tuple[int, int], tuple[int, int]]:
    """(count, exact sum of PostgreSQL text hashes) per (partition, segment), from batches of (part, seg, text)."""
    out: dict[tuple[int, int], list[int]] = {}
    for whole in batches:
        for start in range(0, whole.num_rows, 1 << 20):
            _add_batch(out, whole.slice(start, 1 << 20))
    return {k: (v[0], v[1]) for k, v in out.items()}


def _add_batch(out: dict[tuple[int, int], list[int]], batch: Any) -> None:
    hashes = pg_hash.string_hashes(batch.column(2))
    groups = batch.column(0).to_numpy().astype(np.int64) * 1_000_003 + batch.column(1).to_numpy()
    ids, inverse = np.unique(groups, return_inverse=True)
    # exact sums of the high and low 32 bits: below 2^53 (a float64's exact integers) for under 2^21 rows a batch,
    # joined in Python ints
    high = np.bincount(inverse, weights=(hashes >> 32).astype(np.float64), minlength=len(ids))
    low = np.bincount(inverse, weights=(hashes & 0xFFFFFFFF).astype(np.float64), minlength=len(ids))
    counts = np.bincount(inverse, minlength=len(ids))
    for g, n, hi, lo in zip(ids.tolist(), counts.tolist(), high.tolist(), low.tolist(), strict=True):
        acc = out.setdefault((g // 1_000_003, g % 1_000_003), [0, 0])
        acc[0] += n
        acc[1] += (int(hi) << 32) + int(lo)


def hash_sum(texts: Any) -> int:
    """The exact sum of the hashes of a string array without NULLs."""
    hashes = pg_hash.string_hashes(texts)
    return (int((hashes >> 32).sum()) << 32) + int((hashes & 0xFFFFFFFF).sum())
