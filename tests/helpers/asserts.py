"""One assert helper per kind of comparison, shared by the test modules."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

__all__ = ["arrays_equal", "assert_same_array", "assert_same_set", "assert_same_tree", "tree_bytes"]

#: The Partition attributes compared by :func:`assert_same_set`.
PARTITION_ATTRS = ("src", "dst", "global_nid", "global_eid", "inner_node", "inner_edge", "ntype_ids", "etype_ids",
                   "owner")


def arrays_equal(a, b) -> bool:
    """Same dtype, shape and values (NaNs in the same places count as equal)."""
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))


def assert_same_array(a, b, what: str = "array") -> None:
    """:func:`arrays_equal`, failing with what differs (dtype, shape or values) and where."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype, f"{what}: dtype {a.dtype} != {b.dtype}"
    assert a.shape == b.shape, f"{what}: shape {a.shape} != {b.shape}"
    assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), f"{what}: values differ"


def assert_same_set(ref, got, *, config: bool = True) -> None:
    """Every Partition attribute, feature, ID map and book answer of set ``got`` equals ``ref``'s
    (``config=False``: the configs may differ in their ``part-N`` entries, e.g. another backend)."""
    if config:
        same = {"parts": [], "gpf_version": None}  # gpf writes gpf_version; DGL's own configs have none
        assert got.config.model_copy(update=same) == ref.config.model_copy(update=same)
    assert got.num_parts == ref.num_parts and got.ntypes == ref.ntypes and got.etypes == ref.etypes
    for a, b in zip(ref, got):
        w = f"part {a.part_id}"
        assert a.num_nodes == b.num_nodes and a.num_edges == b.num_edges
        for name in PARTITION_ATTRS:
            assert_same_array(getattr(a, name), getattr(b, name), f"{w} {name}")
        for kind, x, y in (("ndata", a.ndata, b.ndata), ("edata", a.edata, b.edata),
                           ("node feat", a.node_feats, b.node_feats), ("edge feat", a.edge_feats, b.edge_feats)):
            assert sorted(x) == sorted(y), f"{w} {kind}: {sorted(x)} != {sorted(y)}"
            for k in x:
                assert_same_array(x[k], y[k], f"{w} {kind} {k}")
        assert a.node_range == b.node_range and a.edge_range == b.edge_range
    for p in range(ref.num_parts):
        for kind in ("nodes", "edges"):
            ma, mb = ref.store.read_orig_ids(p, kind), got.store.read_orig_ids(p, kind)
            assert (ma is None) == (mb is None)
            if ma is not None:
                assert ma.keys() == mb.keys()
                for k in ma:
                    assert_same_array(ma[k], mb[k], f"part {p} orig {kind} {k}")
    ids = np.arange(ref.num_nodes)
    assert_same_array(ref.book.nid2partid(ids), got.book.nid2partid(ids), "book nid2partid")


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (relative path -> bytes); fails on leftovers such as spill folders."""
    out = {}
    for dirpath, dirnames, files in os.walk(root):
        assert not [d for d in dirnames if d.startswith(".")], f"hidden folder left in {dirpath}: {dirnames}"
        for f in files:
            path = Path(dirpath) / f
            out[str(path.relative_to(root))] = path.read_bytes()
    return out


def assert_same_tree(a: Path, b: Path) -> None:
    ta, tb = tree_bytes(a), tree_bytes(b)
    assert sorted(ta) == sorted(tb)
    different = [k for k in ta if ta[k] != tb[k]]
    assert not different, f"files differ: {different}"
