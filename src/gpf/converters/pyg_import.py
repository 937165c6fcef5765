"""Import PyG's partition outputs: ``ClusterData`` caches and ``distributed.Partitioner`` directories.

Both give ``(graph, assignment)``: a :class:`gpf.Graph` in the original node/edge IDs and
the partition PyG chose for every node, so the same partitioning becomes a gpf set with
``gpf.partition(graph, num_parts, out_dir, name, method=assignment)``.

* :func:`from_cluster_data` — a ``ClusterData`` cache (``<save_dir>/part_<P>/metis.pt``),
  its ``save_dir``, or a live ``ClusterData``.  The cache holds structure only (the
  permuted CSR/CSC, ``partptr``, ``node_perm``, ``edge_perm``); pass the ``Data`` it was
  built from to get the features too — its edges are checked against the cache, because a
  cache is keyed only on ``num_parts`` and may belong to another graph.
* :func:`from_pyg_partitioner` — a directory written by
  ``torch_geometric.distributed.Partitioner`` (``META.json``, ``node_map``/``edge_map``,
  ``part_<i>/{graph,node_feats,edge_feats}.pt``), homogeneous or heterogeneous.  The
  Partitioner saves only ``x`` and ``edge_attr`` (no labels or masks); for heterogeneous
  data it saves ``x`` only when every node type has the same width (``to_homogeneous``
  drops it otherwise), and those are imported as saved.

The ``.pt`` files are pickles.  They are read with ``torch.load(weights_only=True)`` and a
safe-globals allowlist (PyG's ``Partition`` dataclass); the Partitioner's
``edge_feats.pt`` holds a ``collections.defaultdict``, which torch's weights-only loader
cannot rebuild, so those files go through a restricted unpickler that allows only
``defaultdict``/``dict``/``OrderedDict``, torch's tensor rebuild functions and storage
types, and refuses any other global with an error naming it and the file.  Nothing is
ever unpickled without restriction.
"""

from __future__ import annotations

import json
import os
import pickle
import types
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from gpf.converters.pyg_from import from_pyg
from gpf.errors import FormatError, GpfError
from gpf.sdk.write.graph import Graph

__all__ = ["ClusterPartition", "read_cluster_data", "from_cluster_data", "from_pyg_partitioner", "safe_torch_load"]


# -- safe loading ----------------------------------------------------------------------------
_ALLOWED_GLOBALS = {
    ("collections", "OrderedDict"), ("collections", "defaultdict"),
    ("builtins", "dict"), ("__builtin__", "dict"),
    ("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_tensor_v3"),
    ("torch", "Size"),
}


class _RestrictedUnpickler(pickle.Unpickler):
    source = "<pickle>"

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        if module == "torch" and isinstance(getattr(torch, name, None), torch.dtype):
            return getattr(torch, name)
        raise pickle.UnpicklingError(f"refusing to unpickle global {module}.{name}")


def _restricted_module() -> types.ModuleType:
    mod = types.ModuleType("gpf_restricted_pickle")
    mod.Unpickler = _RestrictedUnpickler  # type: ignore[attr-defined]
    mod.load = pickle.load  # type: ignore[attr-defined]
    mod.UnpicklingError = pickle.UnpicklingError  # type: ignore[attr-defined]
    return mod


def safe_torch_load(path: str) -> Any:
    """A ``torch.save`` file: weights-only with PyG's ``Partition`` allowed, else restricted (see above)."""
    from torch_geometric.loader.cluster import Partition

    if not os.path.isfile(path):
        raise GpfError(f"{path}: no such file")
    try:
        with torch.serialization.safe_globals([Partition]):
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as first:
        if "defaultdict" not in str(first):
            raise FormatError(path, None, f"refusing to unpickle: {_first_line(first)}") from None
    try:
        return torch.load(path, map_location="cpu", weights_only=False, pickle_module=_restricted_module())
    except pickle.UnpicklingError as exc:
        raise FormatError(path, None, str(exc)) from None


def _bad(path: str, what: str, message: str) -> FormatError:
    """A FormatError naming the file and the entry (``what``) inside it."""
    return FormatError(path, None, f"{what}: {message}")


def _first_line(exc: Exception) -> str:
    """The reason in torch's weights-only message (the paragraph that is not boilerplate)."""
    msg = str(exc).split("WeightsUnpickler error:", 1)[-1]
    paras = [" ".join(p.split()) for p in msg.split("\n\n") if p.strip()]
    reason = [p for p in paras if not p.startswith(("Weights only load failed", "Check the documentation",
                                                     "Please file an issue"))]
    return (reason[0] if reason else paras[0] if paras else "unknown reason")[:300]


def _np(t: Any, path: str, what: str) -> np.ndarray:
    if not isinstance(t, torch.Tensor):
        raise FormatError(path, None, f"{what} is a {type(t).__name__}, expected a tensor")
    return t.detach().cpu().numpy()


# -- ClusterData -------------------------------------------------------------------------------
@dataclass
class ClusterPartition:
    """A ``ClusterData`` partition (``metis.pt``) as numpy arrays, with the original-ID views."""

    indptr: np.ndarray
    index: np.ndarray
    partptr: np.ndarray
    node_perm: np.ndarray
    edge_perm: np.ndarray
    sparse_format: str
    source: str = "<ClusterData>"

    @property
    def num_parts(self) -> int:
        return int(self.partptr.shape[0] - 1)

    @property
    def num_nodes(self) -> int:
        return int(self.node_perm.shape[0])

    @property
    def assignment(self) -> np.ndarray:
        """Cluster of every original node ID."""
        out = np.empty(self.num_nodes, dtype=np.int64)
        out[self.node_perm] = np.repeat(np.arange(self.num_parts), np.diff(self.partptr))
        return out

    def edges(self) -> tuple[np.ndarray, np.ndarray]:
        """``(src, dst)`` in original node IDs, in original edge order."""
        ptr_side = np.repeat(np.arange(self.indptr.shape[0] - 1), np.diff(self.indptr))
        row, col = (ptr_side, self.index) if self.sparse_format == "csr" else (self.index, ptr_side)
        src = np.empty_like(row)
        dst = np.empty_like(col)
        src[self.edge_perm] = self.node_perm[row]
        dst[self.edge_perm] = self.node_perm[col]
        return src, dst


def read_cluster_data(source: Any) -> ClusterPartition:
    """A ``metis.pt`` path, a ``save_dir`` holding one ``part_*/metis.pt``, or a live ``ClusterData``."""
    from torch_geometric.loader.cluster import ClusterData, Partition

    if isinstance(source, ClusterData):
        part, where = source.partition, "<ClusterData>"
    else:
        where = os.fspath(source)
        if os.path.isdir(where):
            found = sorted(os.path.join(where, d, f) for d in os.listdir(where)
                           if d.startswith("part_") and os.path.isdir(os.path.join(where, d))
                           for f in os.listdir(os.path.join(where, d)) if f.endswith(".pt"))
            if len(found) != 1:
                raise GpfError(f"{where}: expected one ClusterData cache part_*/<file>.pt, found {found or 'none'}: "
                               "pass the file")
            where = found[0]
        part = safe_torch_load(where)
    if not isinstance(part, Partition):
        raise FormatError(where, None, f"holds a {type(part).__name__}, not a ClusterData Partition")
    arrays = {k: _np(getattr(part, k), where, k) for k in ("indptr", "index", "partptr", "node_perm", "edge_perm")}
    cp = ClusterPartition(**arrays, sparse_format=str(part.sparse_format), source=where)
    n, m = cp.num_nodes, cp.index.shape[0]
    if cp.sparse_format not in ("csr", "csc") or cp.indptr.shape[0] != n + 1 or cp.edge_perm.shape[0] != m \
            or int(cp.partptr[-1]) != n or int(cp.indptr[-1]) != m:
        raise FormatError(where, None, f"inconsistent ClusterData partition (nodes {n}, edges {m}, "
                                       f"indptr {cp.indptr.shape}, partptr end {int(cp.partptr[-1])})")
    return cp


def from_cluster_data(source: Any, data: Any = None, *, exclude=()) -> tuple[Graph, np.ndarray]:
    """``(graph, assignment)`` of a ``ClusterData`` cache (see the module docstring)."""
    cp = read_cluster_data(source)
    src, dst = cp.edges()
    if data is None:
        return Graph.homogeneous(src, dst, cp.num_nodes), cp.assignment
    graph = from_pyg(data, exclude=exclude)
    if graph.num_nodes() != cp.num_nodes or graph.num_edges() != src.shape[0]:
        raise GpfError(f"{cp.source}: the cache has {cp.num_nodes} nodes and {src.shape[0]} edges, the data "
                       f"{graph.num_nodes()} and {graph.num_edges()}: it was built from another graph")
    gs, gd = graph.edges()
    bad = np.flatnonzero((gs != src) | (gd != dst))
    if bad.size:
        e = int(bad[0])
        raise GpfError(f"{cp.source}: edge {e} is ({int(src[e])}, {int(dst[e])}) in the cache but "
                       f"({int(gs[e])}, {int(gd[e])}) in the data: the cache was built from another graph")
    return graph, cp.assignment


# -- distributed.Partitioner ----------------------------------------------------------------------
def from_pyg_partitioner(root: str | os.PathLike[str]) -> tuple[Graph, Any]:
    """``(graph, assignment)`` of a ``Partitioner`` output directory (see the module docstring).

    ``assignment`` is an owner array (homogeneous) or ``{ntype: owner array}``.
    """
    root = os.fspath(root)
    meta_path = os.path.join(root, "META.json")
    try:
        with open(meta_path) as fh:
            meta = json.load(fh)
    except FileNotFoundError:
        raise GpfError(f"{meta_path}: no such file (not a PyG Partitioner directory)") from None
    except json.JSONDecodeError as exc:
        raise FormatError(meta_path, None, f"not JSON ({exc})") from None
    num_parts = meta.get("num_parts")
    if not isinstance(num_parts, int) or num_parts < 1:
        raise _bad(meta_path, "num_parts", f"must be a positive integer, got {num_parts!r}")
    if meta.get("is_hetero"):
        return _hetero_partitioner(root, meta, num_parts)
    return _homo_partitioner(root, num_parts)


def _part_file(root: str, p: int, name: str) -> str:
    return os.path.join(root, f"part_{p}", name)


def _fill(target: np.ndarray | None, rows: np.ndarray, ids: np.ndarray, path: str, what: str, seen: np.ndarray):
    if ids.size and (int(ids.min()) < 0 or int(ids.max()) >= seen.shape[0]):
        raise _bad(path, what, f"ID {int(ids.max())} is out of range [0, {seen.shape[0]})")
    if np.any(seen[ids]):
        raise _bad(path, what, f"ID {int(ids[seen[ids]][0])} was already given by another partition")
    seen[ids] = True
    if target is not None:
        target[ids] = rows


def _features(store: dict, feats: dict | None, n: int, ids: np.ndarray, path: str, seen: dict) -> None:
    for name, rows in (feats or {}).items():
        if rows is None:
            continue
        rows = _np(rows, path, f"feats[{name!r}]")
        if name not in store:
            store[name] = np.zeros((n,) + rows.shape[1:], dtype=rows.dtype)
            seen[name] = np.zeros(n, dtype=bool)
        _fill(store[name], rows, ids, path, f"feats[{name!r}]", seen[name])


def _check_covered(seen: dict, total: int, where: str, what: str) -> None:
    for name, s in seen.items():
        if not s.all():
            raise _bad(where, what, f"{name!r}: {int((~s).sum())} of {total} rows are in no partition "
                                           f"(first ID {int(np.flatnonzero(~s)[0])})")


def _homo_partitioner(root: str, num_parts: int) -> tuple[Graph, np.ndarray]:
    node_map = _np(safe_torch_load(os.path.join(root, "node_map.pt")), root, "node_map.pt").astype(np.int64)
    edge_map_path = os.path.join(root, "edge_map.pt")
    m = _np(safe_torch_load(edge_map_path), root, "edge_map.pt").shape[0]
    n = node_map.shape[0]
    src = np.full(m, -1, np.int64)
    dst = np.full(m, -1, np.int64)
    seen_e = np.zeros(m, dtype=bool)
    ndata: dict = {}
    edata: dict = {}
    seen_n: dict = {}
    seen_ef: dict = {}
    for p in range(num_parts):
        gpath = _part_file(root, p, "graph.pt")
        g = safe_torch_load(gpath)
        eid = _np(g["edge_id"], gpath, "edge_id").astype(np.int64)
        row = _np(g["row"], gpath, "row")
        col = _np(g["col"], gpath, "col")
        _fill(src, row, eid, gpath, "edge_id", seen_e)
        dst[eid] = col
        npath = _part_file(root, p, "node_feats.pt")
        nf = safe_torch_load(npath)
        gid = _np(nf["global_id"], npath, "global_id").astype(np.int64)
        if np.any(node_map[gid] != p):
            raise _bad(npath, "global_id", f"node {int(gid[node_map[gid] != p][0])} is owned by partition "
                                                  f"{int(node_map[gid][node_map[gid] != p][0])} in node_map.pt")
        _features(ndata, nf.get("feats"), n, gid, npath, seen_n)
        epath = _part_file(root, p, "edge_feats.pt")
        ef = safe_torch_load(epath) if os.path.exists(epath) else {}
        if ef:
            _features(edata, ef.get("feats"), m, _np(ef["global_id"], epath, "global_id").astype(np.int64),
                      epath, seen_ef)
    if not seen_e.all():
        raise _bad(root, "graph.pt", f"{int((~seen_e).sum())} of {m} edges are in no partition")
    _check_covered(seen_n, n, root, "node_feats.pt")
    _check_covered(seen_ef, m, root, "edge_feats.pt")
    return Graph.homogeneous(src, dst, n, ndata, edata), node_map


def _etype_str(et) -> str:
    return "__".join(et)


def _hetero_partitioner(root: str, meta: dict, num_parts: int) -> tuple[Graph, dict]:
    ntypes = list(meta["node_types"])
    etypes = [tuple(e) for e in meta["edge_types"]]
    node_map = {nt: _np(safe_torch_load(os.path.join(root, "node_map", f"{nt}.pt")), root, f"node_map/{nt}.pt")
                .astype(np.int64) for nt in ntypes}
    num_edges = {et: _np(safe_torch_load(os.path.join(root, "edge_map", f"{_etype_str(et)}.pt")), root,
                         f"edge_map/{_etype_str(et)}.pt").shape[0] for et in etypes}
    counts = {nt: v.shape[0] for nt, v in node_map.items()}
    edge_offset = dict(zip(etypes, np.concatenate([[0], np.cumsum([num_edges[e] for e in etypes])[:-1]]).tolist()))
    edges = {et: (np.full(num_edges[et], -1, np.int64), np.full(num_edges[et], -1, np.int64)) for et in etypes}
    seen_e = {et: np.zeros(num_edges[et], dtype=bool) for et in etypes}
    ndata: dict = {nt: {} for nt in ntypes}
    edata: dict = {et: {} for et in etypes}
    seen_n: dict = {nt: {} for nt in ntypes}
    seen_ef: dict = {et: {} for et in etypes}
    for p in range(num_parts):
        gpath = _part_file(root, p, "graph.pt")
        g = safe_torch_load(gpath)
        for et in etypes:
            if et not in g:
                raise _bad(gpath, str(et), "edge type missing")
            eid = _np(g[et]["edge_id"], gpath, f"{et}.edge_id").astype(np.int64) - edge_offset[et]
            _fill(edges[et][0], _np(g[et]["row"], gpath, f"{et}.row"), eid, gpath, f"{et}.edge_id", seen_e[et])
            edges[et][1][eid] = _np(g[et]["col"], gpath, f"{et}.col")
        npath = _part_file(root, p, "node_feats.pt")
        nf = safe_torch_load(npath)
        for nt in ntypes:
            ids = _np(nf[nt]["id"], npath, f"{nt}.id").astype(np.int64)
            if np.any(node_map[nt][ids] != p):
                raise _bad(npath, nt, f"node {int(ids[node_map[nt][ids] != p][0])} is not owned by "
                                             f"partition {p} in node_map/{nt}.pt")
            _features(ndata[nt], nf[nt].get("feats"), counts[nt], ids, npath, seen_n[nt])
        epath = _part_file(root, p, "edge_feats.pt")
        ef = safe_torch_load(epath) if os.path.exists(epath) else {}
        for et, entry in ef.items():
            if et not in edata:
                raise _bad(epath, str(et), f"unknown edge type (META.json has {etypes})")
            _features(edata[et], entry.get("feats"), num_edges[et],
                      _np(entry["global_id"], epath, f"{et}.global_id").astype(np.int64), epath, seen_ef[et])
    for et, s in seen_e.items():
        if not s.all():
            raise _bad(root, "graph.pt", f"edge type {et}: {int((~s).sum())} edges are in no partition")
    for nt in ntypes:
        _check_covered(seen_n[nt], counts[nt], root, f"node_feats.pt[{nt!r}]")
    for et in etypes:
        _check_covered(seen_ef[et], num_edges[et], root, f"edge_feats.pt[{et!r}]")
    return Graph(counts, edges, ndata, edata), node_map
