"""PyTorch Geometric converters: ``from_pyg``, ``to_pyg``, ``to_pyg_graph`` (+ stores, imports).

* :func:`from_pyg` — a PyG ``Data`` / ``HeteroData`` -> :class:`gpf.Graph` for
  :func:`gpf.partition`.  Values may be tensors, numpy arrays or ``numpy.memmap``s
  (used in place: a memmap is not read into memory by the conversion).  Node counts are
  kept per type (isolated nodes and edgeless edge types survive); every node-level and
  edge-level tensor becomes a feature of that name (``x``, ``y``, masks, ``edge_attr``, ...).  A homogeneous ``Data`` becomes
  the ``_N`` / ``("_N", "_E", "_N")`` graph.
* :func:`to_pyg` — one partition, or a batch of partitions, as a ``Data`` (homogeneous
  sets) or ``HeteroData``: local ``edge_index`` over the partition's nodes (inner nodes
  first, then HALO nodes), and per node / edge store

  ==================  =====================================================================
  ``n_id``/``e_id``   original per-type IDs (the IDs of the graph given to the partitioner),
                      when the set stores original-ID maps (``orig_nids``/``orig_eids``)
  ``gpf_nid``         gpf homogeneous IDs (hids, the partition graph's ``_ID``)
  ``gpf_eid``
  ``gpf_type_nid``    gpf per-type IDs (the row of the type's features in the set)
  ``gpf_type_eid``
  ``inner_node``      bool: the node (edge) is owned by one of the chosen partitions
  ``inner_edge``
  features            every stored feature by name (``x``, ``y``, ``train_mask``, ...)
  ==================  =====================================================================

  DGL's file format has no bool dtype (bool is stored as uint8).  ``bool_features``
  (every function here, and the feature store) names the features handed back as
  ``torch.bool``: ``"masks"`` (default) = uint8 features whose name ends in ``mask``
  (``train_mask``...) and that hold only 0/1; an iterable of names; or ``None`` to keep
  the stored dtypes.  Backends that store bool natively need no conversion.

  A homogeneous ``Data`` has one namespace for node and edge attributes: an edge feature
  whose name a node feature also has (possible in DGL-made sets) is handed back as
  ``edge_<name>``.

  A set stores feature rows for owned nodes/edges only.  ``halo="fetch"`` (default)
  gives HALO rows the real values, read from their owner partitions through the
  partition book; ``halo="zeros"`` fills HALO rows with zeros (``inner_node`` /
  ``inner_edge`` tell them apart) and reads no other partition.
* :func:`to_pyg_graph` — the whole set as one ``Data`` / ``HeteroData``, by default in
  original IDs: equal to the graph given to :func:`gpf.partition` (edge order too).

PyG's remote-backend interface (``FeatureStore``/``GraphStore``) over a set is in
:mod:`gpf.converters.pyg_stores`; the pure-torch stand-in for PyG's ``NeighborSampler`` in
:mod:`gpf.converters.pyg_sampler` (core: :mod:`gpf.converters.neighbor_sampling`), and PyG's
loaders built on it, with edge features, in :mod:`gpf.converters.pyg_loader`;
imports of PyG ``Partitioner`` directories and ``ClusterData`` caches in
:mod:`gpf.converters.pyg_import`, :func:`from_pyg` in :mod:`gpf.converters.pyg_from`, the names the
modules share (``bool_features``) in :mod:`gpf.converters.pyg_common`.  All are re-exported here.
"""

from __future__ import annotations

import numpy as np

from gpf.extras import require

require("torch", "gpf.converters.pyg", "pyg")
require("torch_geometric", "gpf.converters.pyg", "pyg")

import torch  # noqa: E402
from torch_geometric.data import Data, HeteroData  # noqa: E402

from gpf.converters._setview import (  # noqa: E402
    SetView,
    batch_partitions,
    in_original_order,
    local_union,
    set_view,
)
from gpf.converters.pyg_common import STRUCTURE_KEYS, BoolFeatures, as_bool  # noqa: E402
from gpf.converters.pyg_from import from_pyg  # noqa: E402
from gpf.converters.pyg_import import from_cluster_data, from_pyg_partitioner  # noqa: E402
from gpf.converters.pyg_loader import GpfLinkNeighborLoader, GpfNeighborLoader  # noqa: E402
from gpf.converters.pyg_sampler import GpfNeighborSampler  # noqa: E402
from gpf.converters.pyg_stores import GpfFeatureStore, GpfGraphStore, to_pyg_stores  # noqa: E402
from gpf.errors import GpfError  # noqa: E402

__all__ = ["from_pyg", "to_pyg", "to_pyg_graph", "set_view", "as_bool", "BoolFeatures",
           "GpfFeatureStore", "GpfGraphStore", "GpfNeighborSampler", "to_pyg_stores",
           "GpfNeighborLoader", "GpfLinkNeighborLoader",
           "from_pyg_partitioner", "from_cluster_data"]


# -- gpf -> PyG ----------------------------------------------------------------------------
def to_pyg(parts, *, halo: str = "fetch", features: bool = True,
           bool_features: BoolFeatures = "masks", edge_features: bool = True) -> Data | HeteroData:
    """One partition (a :class:`gpf.Partition`) or a batch (a list of partitions of one set)
    as a PyG ``Data`` (homogeneous set) or ``HeteroData`` (see the module docstring).

    Partitions without stored edge IDs (GraphBolt files written without ``store_eids``) give
    the edges without ``gpf_eid``/``gpf_type_eid``/``e_id``; their edge features cannot be
    placed, so a set that has some needs ``edge_features=False`` (or a rewrite with edge IDs)."""
    plist = batch_partitions(parts, "to_pyg")
    ps = plist[0].set
    if halo not in ("fetch", "zeros"):
        raise ValueError(f"to_pyg: halo must be 'fetch' or 'zeros', got {halo!r}")
    view = set_view(ps)
    b = local_union(plist)
    nt_ids, n_per = view.book.map_to_per_ntype(b.nid)
    eids = b.etype is None
    if eids:
        et_ids, e_per = view.book.map_to_per_etype(b.eid)
    else:
        et_ids, e_per = b.etype, None
        if features and edge_features and any(view.edge_feature_names.values()):
            raise GpfError(_no_eids(ps, "to_pyg", "to_pyg(..., edge_features=False)"))
    originals = view.has_original_ids()

    def node_fields(t: int, sel: np.ndarray) -> dict[str, np.ndarray]:
        nt = view.ntypes[t]
        out = {"gpf_nid": b.nid[sel], "gpf_type_nid": n_per[sel], "inner_node": np.asarray(b.inner_node[sel], bool)}
        if originals:
            out["n_id"] = view.to_original(nt, n_per[sel])
        if features:
            for name in view.node_feature_names[nt]:
                _check_free(out, name, ps.path, nt)
                out[name] = as_bool(name, _rows(view, "node", nt, name, n_per[sel], out["inner_node"], halo),
                                    bool_features)
        return out

    def edge_fields(r: int, sel: np.ndarray) -> dict[str, np.ndarray]:
        key = view.ekeys[r]
        if e_per is None:
            return {"inner_edge": np.asarray(b.inner_edge[sel], bool)}
        out = {"gpf_eid": b.eid[sel], "gpf_type_eid": e_per[sel], "inner_edge": np.asarray(b.inner_edge[sel], bool)}
        if originals:
            out["e_id"] = view.to_original(key, e_per[sel])
        if features and edge_features:
            for name in view.edge_feature_names[key]:
                _check_free(out, name, ps.path, key)
                out[name] = as_bool(name, _rows(view, "edge", key, name, e_per[sel], out["inner_edge"], halo),
                                    bool_features)
        return out

    if ps.is_homogeneous:
        every_n = np.arange(b.nid.shape[0])
        every_e = np.arange(b.src.shape[0])
        data = Data(edge_index=_tensor(np.stack([b.src, b.dst])), num_nodes=int(b.nid.shape[0]))
        for k, v in _one_namespace(node_fields(0, every_n), edge_fields(0, every_e), ps.path).items():
            data[k] = _tensor(v)
        return data

    data = HeteroData()
    local_in_type = np.empty(b.nid.shape[0], np.int64)
    for t, nt in enumerate(view.ntypes):
        sel = np.flatnonzero(nt_ids == t)
        local_in_type[sel] = np.arange(sel.shape[0])
        data[nt].num_nodes = int(sel.shape[0])
        for k, v in node_fields(t, sel).items():
            data[nt][k] = _tensor(v)
    for r, et in enumerate(view.etypes):
        sel = np.flatnonzero(et_ids == r)
        data[et].edge_index = _tensor(np.stack([local_in_type[b.src[sel]], local_in_type[b.dst[sel]]]))
        for k, v in edge_fields(r, sel).items():
            data[et][k] = _tensor(v)
    return data


def _rows(view: SetView, kind: str, tname: str, name: str, ids: np.ndarray, inner: np.ndarray,
          halo: str) -> np.ndarray:
    if halo == "fetch":
        return view.feature_rows(kind, tname, name, ids)
    own = np.flatnonzero(inner)
    got = view.feature_rows(kind, tname, name, ids[own])
    out = np.zeros((ids.shape[0],) + got.shape[1:], dtype=got.dtype)
    out[own] = got
    return out


#: ``rename="pyg"``: DGL's conventional feature names as PyG's.
PYG_NAMES = {"feat": "x", "label": "y"}


def to_pyg_graph(ps, *, ids: str = "auto", bool_features: BoolFeatures = "masks",
                 rename: str | dict[str, str] | None = None, edge_features: bool = True) -> Data | HeteroData:
    """The whole set as one ``Data`` (homogeneous set) or ``HeteroData``.

    ``ids="auto"`` (default): original IDs when the set stores its original-ID maps (sets gpf
    wrote), else gpf's per-type IDs (sets DGL wrote: DGL keeps the maps in memory only).
    ``ids="original"``: node and edge order of the graph given to the partitioner, so the result
    equals the input of :func:`gpf.partition` / :func:`from_pyg` (an error without the maps).
    ``ids="gpf"``: gpf per-type IDs (every set).  The result says which: ``data.gpf_ids`` is
    ``"original"`` or ``"gpf"``.  ``rename``: ``{stored name: attribute name}`` for node and edge
    features, or ``"pyg"`` for DGL's conventional names as PyG's (``feat`` -> ``x``,
    ``label`` -> ``y``).  ``num_nodes`` is stored only where PyG cannot infer it from a node
    tensor (``x``, ``pos``...), as PyG's own datasets do.
    A set without stored edge IDs (GraphBolt files written without ``store_eids``) gives every
    edge and node feature, the edges in an unspecified order; its edge features cannot be
    placed, so a set that has some needs ``edge_features=False``.
    """
    if ids not in ("auto", "original", "gpf"):
        raise ValueError(f"to_pyg_graph: ids must be 'auto', 'original' or 'gpf', got {ids!r}")
    names = _renaming(rename)
    view = set_view(ps)
    if ids == "auto":
        ids = "original" if view.has_original_ids() else "gpf"
    original = ids == "original"
    if original and not view.has_original_ids():
        raise GpfError(f"{ps.path}: the set stores no original-ID maps (orig_nids/orig_eids); "
                       "use to_pyg_graph(ps, ids='gpf') (or ids='auto')")
    eids = view.edge_ids_stored()
    if not eids and edge_features and any(view.edge_feature_names.values()):
        raise GpfError(_no_eids(ps, "to_pyg_graph", "to_pyg_graph(..., edge_features=False)"))

    def node_order(nt: str):
        return ps.orig_nids(nt) if original else None

    nodes: dict[str, dict[str, np.ndarray]] = {}
    for nt in view.ntypes:
        order = node_order(nt)
        nodes[nt] = _renamed({name: as_bool(name, in_original_order(view.whole_feature("node", nt, name), order), bool_features)
                              for name in view.node_feature_names[nt]}, names, ps.path, nt)
    edges: dict[tuple, dict[str, np.ndarray]] = {}
    for key, et in zip(view.ekeys, view.etypes):
        src, dst = view.whole_edges[key]
        order = ps.orig_eids(key) if original and eids else None
        if original:
            src, dst = view.to_original(et[0], src), view.to_original(et[2], dst)
        fields = {"edge_index": np.stack([in_original_order(src, order), in_original_order(dst, order)])}
        feats = {name: as_bool(name, in_original_order(view.whole_feature("edge", key, name), order), bool_features)
                 for name in (view.edge_feature_names[key] if edge_features else ())}
        fields.update(_renamed(feats, names, ps.path, key, reserved=("edge_index",)))
        edges[et] = fields

    if ps.is_homogeneous:
        nt, et = view.ntypes[0], view.etypes[0]
        data = Data()
        for k, v in _one_namespace(nodes[nt], edges[et], ps.path).items():
            data[k] = _tensor(v)
        if not _infers_num_nodes(nodes[nt], view.num_nodes(nt)):
            data.num_nodes = view.num_nodes(nt)
        data.gpf_ids = ids
        return data
    data = HeteroData()
    for nt in view.ntypes:
        for k, v in nodes[nt].items():
            data[nt][k] = _tensor(v)
        if not _infers_num_nodes(nodes[nt], view.num_nodes(nt)):
            data[nt].num_nodes = view.num_nodes(nt)
    for et, fields in edges.items():
        for k, v in fields.items():
            data[et][k] = _tensor(v)
    data.gpf_ids = ids
    return data


def _renaming(rename) -> dict[str, str]:
    if rename is None:
        return {}
    if rename == "pyg":
        return dict(PYG_NAMES)
    if isinstance(rename, dict) and all(isinstance(k, str) and isinstance(v, str) and v for k, v in rename.items()):
        return dict(rename)
    raise ValueError(f"to_pyg_graph: rename must be None, 'pyg' or a {{stored name: new name}} dict, got {rename!r}")


def _renamed(fields: dict, names: dict[str, str], path: str, tname: str, reserved: tuple = ()) -> dict:
    """``fields`` with ``names`` applied; a rename onto a name already there is an error naming both."""
    out: dict = {}
    for k, v in fields.items():
        new = names.get(k, k)
        if new in out or new in reserved or (new != k and new in fields and new not in names):
            raise GpfError(f"{path}: type {tname!r}: renaming {k!r} to {new!r} clashes with the field {new!r}")
        out[new] = v
    return out


def _infers_num_nodes(fields: dict, n: int) -> bool:
    """Whether PyG infers ``n`` nodes from these node fields (``x``, ``pos``, ``batch``, ``*node*``)."""
    from torch_geometric.data.storage import N_KEYS

    return any((k in N_KEYS or "node" in k) and np.ndim(v) and np.shape(v)[0] == n for k, v in fields.items())

def _no_eids(ps, what: str, instead: str) -> str:
    return (f"{ps.path}: {what}: the set's GraphBolt files store no edge IDs (written without store_eids), so its "
            f"edge features cannot be matched to edges; use {instead} for the rest, or rewrite the set with "
            "`gpf convert SRC DST --graphbolt --store-eids` from a copy that has edge IDs")


def _check_free(fields: dict, name: str, path: str, tname: str) -> None:
    if name in fields or name in STRUCTURE_KEYS:
        raise GpfError(f"{path}: type {tname!r}: feature {name!r} has the name of a field to_pyg sets itself")


def _one_namespace(node: dict, edge: dict, path: str) -> dict:
    """Node and edge fields of a homogeneous ``Data``, which has one namespace: an edge feature
    whose name a node field already has is renamed ``edge_<name>``."""
    out = dict(node)
    for k, v in edge.items():
        name = k if k not in out else f"edge_{k}"
        if name in out:
            raise GpfError(f"{path}: edge feature {k!r} clashes with node fields {k!r} and {name!r}")
        out[name] = v
    return out


def _tensor(a: np.ndarray) -> torch.Tensor:
    a = np.asarray(a)
    if not a.flags.writeable or not a.flags.c_contiguous:
        a = np.ascontiguousarray(a).copy()
    return torch.from_numpy(a)
