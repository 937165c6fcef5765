"""The one check of a per-node array a caller hands the writer (balance labels, a given partition
assignment): one dimension, one entry per node, integer values; an empty array of any dtype is read as
int64.  Each caller names the array and raises its own error class."""

from __future__ import annotations

from typing import Any

import numpy as np

from gpf.errors import GpfError

__all__ = ["per_node_array"]


def per_node_array(arr: Any, n: int, where: str, error: type[GpfError], *, kinds: str, holds: str,
                   array_of: str = "", hint: str = "") -> np.ndarray:
    """``arr`` as a 1-D array of ``n`` values of a numpy kind in ``kinds`` (``"iu"``, ``"biu"``...).

    Otherwise raises ``error`` naming ``where``: ``array_of`` qualifies "a 1-D array" (" of labels"),
    ``holds`` says what the values must be ("integer partition IDs"), ``hint`` follows the count of
    nodes."""
    a = np.asarray(arr)
    if a.ndim != 1:
        raise error(f"{where}: must be a 1-D array{array_of}, got shape {a.shape}")
    if a.shape[0] != n:
        raise error(f"{where}: has {a.shape[0]} entries but there are {n} nodes{hint}")
    if a.dtype.kind not in kinds:
        if a.size:
            raise error(f"{where}: must hold {holds}, got dtype {a.dtype}")
        a = a.astype(np.int64)
    return a
