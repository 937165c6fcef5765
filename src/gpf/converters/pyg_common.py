"""Names shared by the PyG converter modules: the homogeneous type names, the structure keys of a
PyG store, and the ``bool_features`` rule (which stored uint8 features come back as ``torch.bool``;
see :mod:`gpf.converters.pyg`)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from gpf.errors import GpfError

__all__ = ["HOMO_NTYPE", "HOMO_ETYPE", "STRUCTURE_KEYS", "BoolFeatures", "as_bool"]

HOMO_NTYPE = "_N"
HOMO_ETYPE = ("_N", "_E", "_N")
#: Keys of a PyG store that are structure, not features.
STRUCTURE_KEYS = ("edge_index", "num_nodes")

BoolFeatures = str | Iterable[str] | None


def as_bool(name: str, rows: np.ndarray, bool_features: BoolFeatures) -> np.ndarray:
    """``rows`` as bool when ``bool_features`` names feature ``name`` (see the module docstring)."""
    if bool_features is None or rows.dtype == np.bool_:
        return rows
    if isinstance(bool_features, str):
        if bool_features != "masks":
            raise ValueError(f"bool_features must be 'masks', an iterable of names or None, got {bool_features!r}")
        if rows.dtype != np.uint8 or not name.endswith("mask") or (rows.size and int(rows.max()) > 1):
            return rows
        return rows.view(np.bool_)
    if name not in set(bool_features):
        return rows
    if rows.dtype.kind not in "iu" or (rows.size and (int(rows.min()) < 0 or int(rows.max()) > 1)):
        raise GpfError(f"feature {name!r} ({rows.dtype}) holds values other than 0/1: it cannot be read as bool")
    return rows.astype(np.bool_)
