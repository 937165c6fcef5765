"""The array tree shared by the ``npy``, ``hdf5`` and ``zarr`` backends (SPEC.md section 11).

Each partition is one tree of named arrays (``.npy`` files in folders, HDF5 datasets
in groups, or Zarr arrays in groups)::

    graph/src, graph/dst          int64 local endpoint IDs, local edge order
    graph/ndata/<field>           _ID, inner_node, part_id, _TYPE, ... (one row per local node)
    graph/edata/<field>           _ID, inner_edge, _TYPE, ...            (one row per local edge)
    node_feats/<ntype>/<name>     the feature key "ntype/name" is the path
    edge_feats/<src:rel:dst>/<name>
    orig_nids/<ntype>             optional: original per-type IDs of the owned nodes
    orig_eids/<src:rel:dst>       optional

The number of local nodes is the length of ``graph/ndata/_ID``.  This module checks
names on the way in and arrays on the way out; backends only move bytes.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from gpf.errors import FormatError, UnsupportedError
from gpf.sdk.storage.base import PartGraph

__all__ = [
    "GRAPH", "ROLES", "array_path", "check_key", "check_graph", "check_feature",
    "default_chunk_rows", "graph_arrays", "as_stored", "check_claim",
]

GRAPH = "graph"
#: Array groups besides the graph (``orig_*`` are optional).
ROLES = ("node_feats", "edge_feats", "orig_nids", "orig_eids")

# Fields whose dtype kind the reader relies on.
_FIELD_KINDS = {"_ID": "iu", "_TYPE": "iu", "part_id": "iu", "inner_node": "biu", "inner_edge": "biu"}
_NUMERIC_KINDS = "biuf"


def check_key(key: str, role: str) -> str:
    """Refuse a key that cannot be a path in every backend (empty, ``.``/``..``, hidden or
    reserved segments, NUL, backslash)."""
    segs = key.split("/") if isinstance(key, str) else [""]
    for s in segs:
        if not s or s in (".", "..") or s.startswith((".", "__")) or "\x00" in s or "\\" in s:
            raise UnsupportedError(f"{role} key {key!r} cannot be stored as an array path "
                                   "(segments must be non-empty, not start with '.' or '__', no '\\' or NUL)")
    return key


def array_path(role: str, key: str) -> str:
    """Path of array ``key`` of ``role`` inside a partition's tree."""
    return f"{role}/{key}"


def graph_arrays(graph: PartGraph) -> dict[str, np.ndarray]:
    """The arrays of ``graph`` by path (``src``, ``dst``, ``ndata/<f>``, ``edata/<f>``) under ``graph/``."""
    out = {"src": graph.src, "dst": graph.dst}
    for f, a in graph.ndata.items():
        out[f"ndata/{check_key(f, 'ndata')}"] = a
    for f, a in graph.edata.items():
        out[f"edata/{check_key(f, 'edata')}"] = a
    if "_ID" not in graph.ndata:
        raise UnsupportedError("partition graph has no node field '_ID' (every partition graph has one)")
    return out


def as_stored(a: np.ndarray) -> np.ndarray:
    """The array as every backend stores it: bool as uint8 (as DGL's files hold it), so a
    set reads back the same whatever its backend and converts losslessly between them."""
    a = np.asarray(a)
    return a.view(np.uint8) if a.dtype == np.bool_ else a


def _dtype_ok(dtype: np.dtype) -> bool:
    from gpf.sdk.codecs.dgl_bytes import BFLOAT16

    return dtype.kind in _NUMERIC_KINDS or dtype == BFLOAT16


def check_feature(a, where: str, part_id: int, name: str) -> None:
    """Refuse an array that is not numeric (object, string, arbitrary structured dtypes)."""
    if not _dtype_ok(np.dtype(a.dtype)):
        raise FormatError(where, None, f"partition {part_id}: array {name!r} has dtype {a.dtype}, "
                          "expected a numeric dtype")


def check_graph(where: str, part_id: int, src: np.ndarray, dst: np.ndarray,
                ndata: Mapping[str, np.ndarray], edata: Mapping[str, np.ndarray]) -> PartGraph:
    """Build a :class:`PartGraph` from stored arrays, checking dtypes, shapes and ranges;
    every problem is a :class:`FormatError` naming ``where``, the partition and the array."""
    def bad(name: str, msg: str) -> FormatError:
        return FormatError(where, None, f"partition {part_id}: array {name!r} {msg}")

    if "_ID" not in ndata:
        raise bad("graph/ndata/_ID", "is missing")
    num_nodes = int(ndata["_ID"].shape[0]) if ndata["_ID"].ndim else -1
    for name, a in (("graph/src", src), ("graph/dst", dst)):
        if a.ndim != 1 or a.dtype.kind not in "iu":
            raise bad(name, f"has shape {a.shape} dtype {a.dtype}, expected a 1-D integer array")
    if src.shape != dst.shape:
        raise bad("graph/dst", f"has {dst.shape[0]} entries but graph/src has {src.shape[0]}")
    num_edges = int(src.shape[0])
    for kind, data, count in (("ndata", ndata, num_nodes), ("edata", edata, num_edges)):
        for f, a in data.items():
            name = f"graph/{kind}/{f}"
            if a.ndim < 1 or a.shape[0] != count:
                raise bad(name, f"has shape {a.shape}, expected {count} rows")
            want = _FIELD_KINDS.get(f)
            if want is not None and a.dtype.kind not in want:
                raise bad(name, f"has dtype {a.dtype}, expected {'an integer' if want == 'iu' else 'a bool/integer'} dtype")
            if not _dtype_ok(a.dtype):
                raise bad(name, f"has dtype {a.dtype}, expected a numeric dtype")
    src = src if src.dtype == np.int64 else src.astype(np.int64)
    dst = dst if dst.dtype == np.int64 else dst.astype(np.int64)
    for name, a in (("graph/src", src), ("graph/dst", dst)):
        if a.size and (int(a.min()) < 0 or int(a.max()) >= num_nodes):
            raise bad(name, f"has node IDs outside [0, {num_nodes}): min {int(a.min())}, max {int(a.max())}")
    return PartGraph(num_nodes, src, dst, dict(ndata), dict(edata), where)


def check_claim(shape: tuple[int, ...], config, where: str, part_id: int, name: str) -> None:
    """Refuse an array whose stored shape claims more rows than the whole graph has nodes or
    edges (no partition array can), before anything is allocated for it."""
    limit = max(int(config.num_nodes), int(config.num_edges))
    if any(int(d) < 0 for d in shape):
        raise FormatError(where, None, f"partition {part_id}: array {name!r} has a negative dimension {shape}")
    if shape and int(shape[0]) > limit:
        raise FormatError(where, None, f"partition {part_id}: array {name!r} claims {int(shape[0]):,} rows, "
                          f"more than the graph's {limit:,} nodes/edges")


def default_chunk_rows(shape: tuple[int, ...], itemsize: int, target_bytes: int = 64 << 10) -> int:
    """Rows per chunk: about ``target_bytes`` of data (64 KiB: a random row gather reads little
    more than it needs), a power of two between 1 and 1 Mi rows, no more than the array has."""
    row = itemsize * int(np.prod(shape[1:], dtype=np.int64)) if len(shape) > 1 else itemsize
    rows = max(1, target_bytes // max(1, row))
    rows = 1 << (int(rows).bit_length() - 1)
    rows = min(rows, 1 << 20)
    n = shape[0] if shape else 1
    return max(1, min(rows, n))
