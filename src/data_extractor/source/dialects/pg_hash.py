"""PostgreSQL's `hashtextextended(text, 0)` (Bob Jenkins' lookup3, `hash_bytes_extended` in src/common/hashfn.c),
vectorised over Arrow string arrays, so that DuckDB can mirror the hash PostgreSQL computes ~30x faster than md5
(PostgreSQL's md5 goes through OpenSSL's EVP layer: about 3 µs a call here).

Little-endian byte order, as on the x86 and ARM servers PostgreSQL runs on; the result is the signed 64-bit
`(b << 32) | c`. Strings longer than `VECTOR_MAX` bytes are hashed one by one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

VECTOR_MAX = 512
_M = 0xFFFFFFFF


def _rot(x: Any, k: int) -> Any:
    return (x << np.uint32(k)) | (x >> np.uint32(32 - k))


def _mix(a: Any, b: Any, c: Any) -> tuple[Any, Any, Any]:
    a -= c; a ^= _rot(c, 4); c += b  # noqa: E702
    b -= a; b ^= _rot(a, 6); a += c  # noqa: E702
    c -= b; c ^= _rot(b, 8); b += a  # noqa: E702
    a -= c; a ^= _rot(c, 16); c += b  # noqa: E702
    b -= a; b ^= _rot(a, 19); a += c  # noqa: E702
    c -= b; c ^= _rot(b, 4); b += a  # noqa: E702
    return a, b, c


def _final(a: Any, b: Any, c: Any) -> tuple[Any, Any, Any]:
    c ^= b; c -= _rot(b, 14)  # noqa: E702
    a ^= c; a -= _rot(c, 11)  # noqa: E702
    b ^= a; b -= _rot(a, 25)  # noqa: E702
    c ^= b; c -= _rot(b, 16)  # noqa: E702
    a ^= c; a -= _rot(c, 4)  # noqa: E702
    b ^= a; b -= _rot(a, 14)  # noqa: E702
    c ^= b; c -= _rot(b, 24)  # noqa: E702
    return a, b, c


_TAIL_MASKS = np.array([0, 0xFF, 0xFFFF, 0xFFFFFF, 0xFFFFFFFF], dtype=np.uint32)


class _Words:
    """Little-endian 32-bit words at any byte offset of `data`: unaligned views with a one-byte stride (no copy
    of the data), gathered by fancy indexing."""

    def __init__(self, data: Any) -> None:
        padded = np.concatenate([data, np.zeros(24, dtype=np.uint8)])
        self.view = np.ndarray((len(padded) - 3,), dtype="<u4", buffer=padded, strides=(1,))
        self.triples = np.ndarray((len(padded) - 11, 3), dtype="<u4", buffer=padded, strides=(1, 4))

    def at(self, pos: Any) -> Any:
        return self.view[pos]

    def three(self, pos: Any) -> Any:
        """The words at pos, pos + 4 and pos + 8, as columns (one gather of 12 bytes a row)."""
        return self.triples[pos]


def hash_many(data: Any, offsets: Any) -> Any:
    """int64 hashes of the strings `data[offsets[i]:offsets[i+1]]` (data: uint8 array)."""
    starts = offsets[:-1].astype(np.int64)
    lengths = (offsets[1:] - offsets[:-1]).astype(np.int64)
    out = np.empty(len(lengths), dtype=np.int64)
    long = lengths > VECTOR_MAX
    for i in np.nonzero(long)[0]:  # one by one; the others are hashed together
        out[i] = hash_one(bytes(data[starts[i]: starts[i] + lengths[i]]))
    short = np.nonzero(~long)[0]
    if not len(short):
        return out
    blocks = lengths[short] // 12
    order = short[np.argsort(-blocks, kind="stable")]  # most blocks first: each round works on a prefix
    st, ln = starts[order], lengths[order]
    blocks = ln // 12
    words = _Words(data)
    with np.errstate(over="ignore"):
        a = ((0x9E3779B9 + ln + 3923095) & _M).astype(np.uint32)
        b, c = a.copy(), a.copy()
        descending = -blocks
        for j in range(int(blocks[0])):
            k = int(np.searchsorted(descending, -j, side="left"))  # rows with more than j blocks
            p = st[:k] + 12 * j
            x, y, z = a[:k], b[:k], c[:k]
            w = words.three(p)
            x += w[:, 0]
            y += w[:, 1]
            z += w[:, 2]
            _mix(x, y, z)
        rest = ln - 12 * blocks
        p = st + 12 * blocks
        a += words.at(p) & _TAIL_MASKS[np.clip(rest, 0, 4)]
        b += words.at(p + 4) & _TAIL_MASKS[np.clip(rest - 4, 0, 4)]
        c += (words.at(p + 8) & _TAIL_MASKS[np.clip(rest - 8, 0, 3)]) << np.uint32(8)  # low byte: the length's
        a, b, c = _final(a, b, c)
    out[order] = ((b.astype(np.uint64) << np.uint64(32)) | c.astype(np.uint64)).view(np.int64)
    return out


def hash_one(key: bytes) -> int:
    """The same hash of one byte string, in plain Python (long strings; also the tests' oracle)."""
    def rot(x: int, k: int) -> int:
        return ((x << k) | (x >> (32 - k))) & _M

    n = len(key)
    a = b = c = (0x9E3779B9 + n + 3923095) & _M

    def mix(a: int, b: int, c: int) -> tuple[int, int, int]:
        a = (a - c) & _M; a ^= rot(c, 4); c = (c + b) & _M  # noqa: E702
        b = (b - a) & _M; b ^= rot(a, 6); a = (a + c) & _M  # noqa: E702
        c = (c - b) & _M; c ^= rot(b, 8); b = (b + a) & _M  # noqa: E702
        a = (a - c) & _M; a ^= rot(c, 16); c = (c + b) & _M  # noqa: E702
        b = (b - a) & _M; b ^= rot(a, 19); a = (a + c) & _M  # noqa: E702
        c = (c - b) & _M; c ^= rot(b, 4); b = (b + a) & _M  # noqa: E702
        return a, b, c

    i = 0
    while n - i >= 12:
        a = (a + int.from_bytes(key[i:i + 4], "little")) & _M
        b = (b + int.from_bytes(key[i + 4:i + 8], "little")) & _M
        c = (c + int.from_bytes(key[i + 8:i + 12], "little")) & _M
        a, b, c = mix(a, b, c)
        i += 12
    tail = key[i:] + bytes(12 - (n - i))
    a = (a + int.from_bytes(tail[0:4], "little")) & _M
    b = (b + int.from_bytes(tail[4:8], "little")) & _M
    c = (c + (int.from_bytes(tail[8:11], "little") << 8)) & _M
    c ^= b; c = (c - rot(b, 14)) & _M  # noqa: E702
    a ^= c; a = (a - rot(c, 11)) & _M  # noqa: E702
    b ^= a; b = (b - rot(a, 25)) & _M  # noqa: E702
    c ^= b; c = (c - rot(b, 16)) & _M  # noqa: E702
    a ^= c; a = (a - rot(c, 4)) & _M  # noqa: E702
    b ^= a; b = (b - rot(a, 14)) & _M  # noqa: E702
    c ^= b; c = (c - rot(b, 24)) & _M  # noqa: E702
    value = (b << 32) | c
    return value - (1 << 64) if value >= 1 << 63 else value



def string_hashes(arr: Any) -> Any:
    """int64 hashes of a pyarrow string array without NULLs (one numpy pass per 12-byte block)."""
    import pyarrow as pa

    arr = arr.cast(pa.large_string())
    _validity, offsets, data = arr.buffers()
    offs = np.frombuffer(offsets, dtype=np.int64)[arr.offset: arr.offset + len(arr) + 1]
    raw = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    return hash_many(raw, offs)
