"""Datasets bundled with gpf (no network needed): Planetoid Cora and CiteSeer.

Both come from the Planetoid raw files (Yang et al. 2016) as PyG's ``Planetoid`` loader reads
them (public split); how they were made: ``tools/bundle_planetoid.py``, provenance and
licence notes: ``gpf/data/PROVENANCE.md``.
"""

from __future__ import annotations

from importlib import resources

import numpy as np

__all__ = ["cora", "citeseer", "planetoid"]


def cora() -> dict[str, np.ndarray]:
    """Planetoid Cora (2,708 nodes, 10,556 directed edges, 1,433 features, 7 classes).

    Returns plain numpy arrays: ``src``, ``dst`` (int64), ``num_nodes``, ``feat``
    (float32, 2708x1433, 0/1), ``label`` (int64), ``train_mask``/``val_mask``/``test_mask``
    (bool, the standard Planetoid split: 140/500/1,000).
    """
    return planetoid("cora")


def citeseer() -> dict[str, np.ndarray]:
    """Planetoid CiteSeer (3,327 nodes, 9,104 directed edges, 3,703 features, 6 classes).

    The same arrays as :func:`cora` (``feat`` is 3327x3703, 0/1; the split is 120/500/1,000).
    CiteSeer has 15 test-index holes; like PyG, they are isolated nodes with zero features.
    """
    return planetoid("citeseer")


def planetoid(name: str) -> dict[str, np.ndarray]:
    """A bundled Planetoid dataset by name (``"cora"``, ``"citeseer"``) as numpy arrays."""
    key = name.lower()
    if key not in ("cora", "citeseer"):
        raise ValueError(f"no bundled dataset {name!r} (bundled: 'cora', 'citeseer')")
    with resources.files("gpf.data").joinpath(f"{key}.npz").open("rb") as fh, np.load(fh) as z:
        n = int(z["num_nodes"])
        feat = np.zeros((n, int(z["num_features"])), dtype=np.float32)
        indptr = z["feat_indptr"].astype(np.int64)
        rows = np.repeat(np.arange(n), np.diff(indptr))
        feat[rows, z["feat_indices"].astype(np.int64)] = 1.0
        return {
            "src": z["src"].astype(np.int64),
            "dst": z["dst"].astype(np.int64),
            "num_nodes": n,
            "feat": feat,
            "label": z["label"].astype(np.int64),
            "train_mask": z["train_mask"].copy(),
            "val_mask": z["val_mask"].copy(),
            "test_mask": z["test_mask"].copy(),
        }
