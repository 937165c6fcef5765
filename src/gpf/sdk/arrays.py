"""``unique``: ``np.unique(a)`` by sorting.

numpy >= 2.3 finds the distinct values of an integer array with a hash table, which on arrays of
mostly distinct IDs (HALO frontiers, owner lists) runs ~50x slower than a sort (1 M int64: 0.65 s
against 10 ms with numpy 2.4).  gpf's ID arrays are of that kind.
"""

from __future__ import annotations

import numpy as np

__all__ = ["unique"]


def unique(a) -> np.ndarray:
    """The sorted distinct values of ``a`` (flattened), as ``np.unique(a)``."""
    s = np.sort(np.asarray(a).reshape(-1))
    if s.shape[0] < 2:
        return s
    keep = np.empty(s.shape[0], dtype=bool)
    keep[0] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    return s[keep]
