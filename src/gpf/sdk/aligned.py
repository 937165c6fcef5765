"""Whole-array passes that stay fast on unaligned arrays.

DGL's files put tensors at odd byte offsets, so arrays viewed over a memory-mapped ``graph.dgl``
are unaligned.  numpy then runs reductions and comparisons through slow unaligned loops, and
copies an unaligned (or non-``intp``) index array whole before a gather or scatter.  Each helper
here goes through one cache-sized aligned buffer, block by block, instead; an aligned array takes
numpy's direct path.  Each returns exactly what the plain numpy expression in its docstring
returns (``tests/test_aligned.py``).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

__all__ = ["BLOCK", "blocks", "umax", "min_umax", "min_max", "ascending", "mark", "take"]

BLOCK = 1 << 16  # elements per block: the buffer stays in cache


def _direct(a: np.ndarray, dtype: np.dtype | None = None) -> bool:
    return (a.flags.aligned and (dtype is None or a.dtype == dtype)) or a.shape[0] <= BLOCK


def blocks(a: np.ndarray, dtype: np.dtype | type | None = None, overlap: int = 0,
           count: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """``(start, copy of a[start : start + BLOCK + overlap])`` for start = 0, BLOCK, 2*BLOCK... below
    ``count`` (default ``len(a)``), as ``dtype`` (default ``a.dtype``) in one reused aligned buffer:
    a block is valid until the next one."""
    buf = np.empty(BLOCK + overlap, dtype=a.dtype if dtype is None else dtype)
    for at in range(0, a.shape[0] if count is None else count, BLOCK):
        part = a[at:at + BLOCK + overlap]
        b = buf[:part.shape[0]]
        b[...] = part
        yield at, b


def _unsigned(a: np.ndarray) -> np.ndarray:
    return a.view(a.dtype.str.replace("i", "u")) if a.dtype.kind == "i" else a


def umax(a: np.ndarray) -> int:
    """``a.max()`` with ``a`` viewed unsigned (-1 when empty): below a bound ``n > 0`` exactly when
    every value lies in ``[0, n)`` (a negative value reads as a huge one)."""
    if a.shape[0] == 0:
        return -1
    return int(_unsigned(a).max())  # one reduction: numpy's unaligned loop is as fast as blocks here


def min_umax(a: np.ndarray) -> tuple[int, int]:
    """``(a.min(), umax(a))`` in one pass (``(2**63, -1)`` when empty)."""
    if a.shape[0] == 0:
        return 2 ** 63, -1
    if _direct(a):
        return int(a.min()), int(_unsigned(a).max())
    lo: int | None = None
    hi = -1
    for _at, b in blocks(a):
        bl = int(b.min())
        lo = bl if lo is None or bl < lo else lo
        hi = max(hi, int(_unsigned(b).max()))
    assert lo is not None  # `a` is not empty
    return lo, hi


def min_max(a: np.ndarray) -> tuple[int, int]:
    """``(a.min(), a.max())`` (``a`` not empty)."""
    if _direct(a):
        return int(a.min()), int(a.max())
    lo: int | None = None
    hi: int | None = None
    for _at, b in blocks(a):
        bl, bh = int(b.min()), int(b.max())
        lo = bl if lo is None or bl < lo else lo
        hi = bh if hi is None or bh > hi else hi
    assert lo is not None and hi is not None  # `a` is not empty
    return lo, hi


def ascending(a: np.ndarray, strict: bool = False) -> bool:
    """``bool(np.all(a[1:] > a[:-1]))`` (``>=`` unless ``strict``), stopping at the first drop."""
    if a.shape[0] < 2:
        return True
    cmp = np.greater if strict else np.greater_equal
    if _direct(a):
        return bool(cmp(a[1:], a[:-1]).all())
    return all(cmp(b[1:], b[:-1]).all() for _at, b in blocks(a, overlap=1, count=a.shape[0] - 1))


def mark(flags: np.ndarray, idx: np.ndarray) -> None:
    """``flags[idx] = True`` (``idx`` of any integer dtype, values already known to be in range)."""
    if _direct(idx, np.dtype(np.intp)):
        flags[idx] = True
        return
    for _at, b in blocks(idx, np.intp):
        flags[b] = True


def take(table: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``table.take(idx)`` for indices in ``[0, len(table))``; IndexError for one above, as numpy's
    (blockwise, for any index outside)."""
    if _direct(idx, np.dtype(np.intp)):
        return table.take(idx)
    out = np.empty(idx.shape[0], dtype=table.dtype)
    n = table.shape[0]
    for at, b in blocks(idx, np.intp):
        if int(b.view(np.uintp).max()) >= n:
            raise IndexError(f"index out of range for a table of {n}")
        table.take(b, out=out[at:at + b.shape[0]], mode="wrap")  # "raise" would buffer the output
    return out
