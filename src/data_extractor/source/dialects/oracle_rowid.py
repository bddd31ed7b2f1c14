"""Oracle ROWID ranges from extents (ORACLE.md §2): encoding and chunking into balanced ranges."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _b64(value: int, width: int) -> str:
    if not 0 <= value < 64**width:
        raise ValueError(f"{value} does not fit {width} ROWID characters")
    return "".join(_B64[(value >> 6 * i) & 63] for i in reversed(range(width)))


def encode_rowid(data_object_id: int, relative_fno: int, block: int, row: int, bigfile: bool = False) -> str:
    """An extended ROWID: OOOOOO FFF BBBBBB RRR, or OOOOOO LLLLLLLLL RRR in a bigfile tablespace."""
    if bigfile:  # no file number: the block number takes all 9 characters (ORACLE.md §2)
        return _b64(data_object_id, 6) + _b64(block, 9) + _b64(row, 3)
    return _b64(data_object_id, 6) + _b64(relative_fno, 3) + _b64(block, 6) + _b64(row, 3)


def _rowid_chunks(extents: Sequence[tuple[Any, ...]], n: int) -> list[str]:
    """Cuts extents (sorted by segment, file, block) into ~n chunks of equal block counts.

    A chunk holds one ROWID range per segment it touches, over consecutive blocks of that segment's
    extents only (a large extent may be split), so every block lies in exactly one range.
    """
    target = max(1, math.ceil(sum(int(e[3]) for e in extents) / max(n, 1)))
    chunks: list[list[str]] = [[]]
    start: tuple[int, bool, int, int] | None = None  # (obj, bigfile, fno, block) opening the range
    end = (0, 0)  # (fno, last block) of the open range
    size = 0

    def close() -> None:
        nonlocal start
        if start is not None:
            obj, big, fno, block = start
            lo, hi = encode_rowid(obj, fno, block, 0, big), encode_rowid(obj, *end, 32767, big)
            chunks[-1].append(f"ROWID BETWEEN CHARTOROWID('{lo}') AND CHARTOROWID('{hi}')")
            start = None

    for obj, fno, block, blocks, bigfile in extents:
        obj, fno, block, left = int(obj), int(fno), int(block), int(blocks)
        if start is not None and start[0] != obj:
            close()
        while left > 0:
            start = start or (obj, str(bigfile).upper() == "YES", fno, block)
            take = min(left, target - size)
            end, size, block, left = (fno, block + take - 1), size + take, block + take, left - take
            if size >= target:
                close()
                chunks.append([])
                size = 0
    close()
    return [" OR ".join(c) for c in chunks if c]
