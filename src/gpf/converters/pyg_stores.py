"""PyG's remote-backend interface over a gpf partition set, and a pure-torch neighbour sampler.

``fs, gs = to_pyg_stores(ps)`` gives a ``torch_geometric.data.FeatureStore`` and
``GraphStore`` that read a set through :func:`gpf.open`'s public API (any storage
backend), so PyG's own loaders train from gpf data without converting it::

    fs, gs = to_pyg_stores(ps)                       # IDs: original (default) or "gpf"
    sampler = GpfNeighborSampler(gs, [10, 5])
    loader = NeighborLoader((fs, gs), [10, 5], input_nodes=seeds, batch_size=128,
                            neighbor_sampler=sampler)

The sampler (:class:`~gpf.converters.pyg_sampler.GpfNeighborSampler`, re-exported here)
stands in for PyG's ``NeighborSampler``, which needs the compiled ``pyg-lib`` or
``torch-sparse``.  :class:`gpf.converters.pyg_loader.GpfNeighborLoader` /
``GpfLinkNeighborLoader`` build PyG's loaders with it and add edge features to the
batches (PyG's store-backed path never fetches them).

Conventions of the stores:

* a homogeneous set (``_N``/``_E``) is exposed as PyG's homogeneous remote graph:
  ``group_name=None``, ``edge_type=None`` (loaders then yield ``Data``); a
  heterogeneous set by node type names and ``(src, rel, dst)`` tuples (``HeteroData``);
* ``get_all_tensor_attrs()`` lists node features (PyG's loaders treat every listed
  attribute as a node attribute); edge features are read with the edge type as group,
  e.g. ``fs[("_N", "_E", "_N"), "w", batch.e_id]`` (``e_id`` indexes them), listed by
  ``edge_tensor_attrs()``;
* indices behave as on ``Data``: an int gives one row of shape ``(F,)``, negative IDs
  count from the end, tensors, numpy arrays, lists, slices and bool masks select rows;
* the graph store declares COO (position = edge ID) and also serves CSR ``(rowptr, col)``
  and CSC ``(row, colptr)`` when asked for them (``gs.get_edge_index(et, "csc")``);
  edges in those layouts are ordered by source / destination, stable in edge ID;
* ``ids="original"`` (default): node and edge IDs are those of the graph given to the
  partitioner (needs the set's original-ID maps); ``ids="gpf"``: gpf per-type IDs;
* the stores are read-only: ``put``/``remove`` raise :class:`gpf.UnsupportedError`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch_geometric.data import EdgeAttr, FeatureStore, GraphStore, TensorAttr
from torch_geometric.data.graph_store import EdgeLayout

from gpf.converters import neighbor_sampling as ns
from gpf.converters._setview import set_view
from gpf.converters.pyg_common import as_bool
from gpf.errors import GpfError, UnsupportedError

__all__ = ["GpfFeatureStore", "GpfGraphStore", "GpfNeighborSampler", "to_pyg_stores"]

HOMO_NTYPE = "_N"
HOMO_EKEY = "_N:_E:_N"


def to_pyg_stores(ps, *, ids: str = "original", bool_features="masks") -> tuple[GpfFeatureStore, GpfGraphStore]:
    """``(GpfFeatureStore, GpfGraphStore)`` over partition set ``ps`` (``bool_features``: as in
    :func:`gpf.converters.pyg.to_pyg`)."""
    return GpfFeatureStore(ps, ids=ids, bool_features=bool_features), GpfGraphStore(ps, ids=ids)


class _IdSpace:
    """Maps the IDs a store is addressed with to gpf per-type IDs and back."""

    def __init__(self, ps, ids: str) -> None:
        if ids not in ("original", "gpf"):
            raise ValueError(f"ids must be 'original' or 'gpf', got {ids!r}")
        self.ps = ps
        self.view = set_view(ps)
        self.ids = ids
        self.homogeneous = ps.is_homogeneous
        if ids == "original" and not self.view.has_original_ids():
            raise GpfError(f"{ps.path}: the set stores no original-ID maps (orig_nids/orig_eids); "
                           "open the stores with ids='gpf'")

    def type_of(self, group: Any) -> tuple[str, str]:
        """``(kind, type name)`` of a PyG group name (ntype, None, or an edge-type tuple)."""
        v = self.view
        if group is None and self.homogeneous:
            return "node", v.ntypes[0]
        if isinstance(group, (tuple, list)) and len(group) == 3:
            key = ":".join(group)
            if key in v.ekeys:
                return "edge", key
        if isinstance(group, str):
            if group in v.ntypes and not self.homogeneous:
                return "node", group
            if group in v.ekeys:
                return "edge", group
        known = [None] if self.homogeneous else list(v.ntypes)
        raise KeyError(f"{self.ps.path}: unknown group {group!r}; node groups {known}, edge groups {v.etypes}")

    def to_gpf(self, kind: str, tname: str, ids: np.ndarray) -> np.ndarray:
        return ids if self.ids == "gpf" else self.view.from_original(tname, ids)

    def count(self, kind: str, tname: str) -> int:
        return self.view.num_nodes(tname) if kind == "node" else self.view.num_edges(tname)


def row_ids(index: Any, n: int, where: str) -> tuple[np.ndarray, bool]:
    """``(int64 row IDs, is_scalar)`` of an index as ``Data`` takes it (``None``, slice, int,
    tensor, numpy array, list, bool mask); negative IDs count from the end."""
    if index is None:
        return np.arange(n, dtype=np.int64), False
    if isinstance(index, slice):
        return np.arange(n, dtype=np.int64)[index], False
    if isinstance(index, torch.Tensor):
        index = index.detach().cpu().numpy()
    ids = np.asarray(index)
    scalar = ids.ndim == 0
    ids = ids.reshape(-1)
    if ids.dtype == np.bool_:
        if ids.shape[0] != n:
            raise IndexError(f"{where}: a bool mask of length {ids.shape[0]} for {n} rows")
        return np.flatnonzero(ids), False
    if ids.size == 0:
        return np.zeros(0, dtype=np.int64), scalar
    if not np.issubdtype(ids.dtype, np.integer):
        raise IndexError(f"{where}: index of dtype {ids.dtype} (expected integers or a bool mask)")
    ids = ids.astype(np.int64, copy=False)
    bad = (ids < -n) | (ids >= n)
    if bad.any():
        raise IndexError(f"{where}: ID {int(ids[bad][0])} is out of range for {n} rows")
    return np.where(ids < 0, ids + n, ids), scalar


class GpfFeatureStore(FeatureStore):
    """Read-only ``FeatureStore`` of a partition set's node and edge features."""

    def __init__(self, ps, *, ids: str = "original", bool_features="masks") -> None:
        super().__init__()
        self._space = _IdSpace(ps, ids)
        self._bool_features = bool_features

    @property
    def partition_set(self):
        return self._space.ps

    def get_all_tensor_attrs(self) -> list[TensorAttr]:
        v = self._space.view
        group = (lambda nt: None) if self._space.homogeneous else (lambda nt: nt)  # noqa: E731
        return [TensorAttr(group(nt), name) for nt in v.ntypes for name in v.node_feature_names[nt]]

    def edge_tensor_attrs(self) -> list[TensorAttr]:
        """Edge features (not listed by :meth:`get_all_tensor_attrs`, see the module docstring)."""
        v = self._space.view
        return [TensorAttr(et, name) for et, key in zip(v.etypes, v.ekeys) for name in v.edge_feature_names[key]]

    def _resolve(self, attr: TensorAttr) -> tuple[str, str, str]:
        kind, tname = self._space.type_of(attr.group_name)
        v = self._space.view
        names = v.node_feature_names[tname] if kind == "node" else v.edge_feature_names[tname]
        if attr.attr_name not in names:
            raise KeyError(f"{self._space.ps.path}: {kind} type {tname!r} has no feature {attr.attr_name!r} "
                           f"(it has {names})")
        return kind, tname, attr.attr_name

    def get_tensor(self, *args, convert_type: bool = False, **kwargs):
        """PyG's ``get_tensor``; a numpy index is taken too (PyG's ``TensorAttr`` cannot compare one)."""
        args = tuple(torch.from_numpy(a) if isinstance(a, np.ndarray) and a.ndim else a for a in args)
        if isinstance(kwargs.get("index"), np.ndarray) and kwargs["index"].ndim:
            kwargs["index"] = torch.from_numpy(kwargs["index"])
        if args and isinstance(args[0], TensorAttr) and isinstance(args[0].index, np.ndarray):
            args = (TensorAttr(args[0].group_name, args[0].attr_name, torch.from_numpy(args[0].index)),) + args[1:]
        return super().get_tensor(*args, convert_type=convert_type, **kwargs)

    def _get_tensor(self, attr: TensorAttr) -> torch.Tensor:
        kind, tname, name = self._resolve(attr)
        if kind == "edge" and not self._space.view.edge_ids_stored():
            # the graph store's edge positions are then not edge IDs: rows by ID would not match its edges
            raise GpfError(f"{self._space.ps.path}: edge feature {tname}/{name}: the set's GraphBolt files store no "
                           "edge IDs (written without store_eids), so edge features cannot be matched to the graph "
                           "store's edges; node features and the graph work")
        n = self._space.count(kind, tname)
        ids, scalar = row_ids(attr.index, n, f"{self._space.ps.path}: {kind} type {tname!r}")
        rows = self._space.view.feature_rows(kind, tname, name, self._space.to_gpf(kind, tname, ids))
        out = torch.from_numpy(as_bool(name, rows, self._bool_features))
        return out[0] if scalar else out

    def edge_tensor(self, edge_type: Any, name: str) -> torch.Tensor:
        """Edge feature ``name`` of ``edge_type`` (``None`` for a homogeneous set), all rows by edge ID."""
        group = self._space.view.etypes[0] if edge_type is None and self._space.homogeneous else edge_type
        kind, tname = self._space.type_of(group)
        if kind != "edge" or name not in self._space.view.edge_feature_names[tname]:
            raise KeyError(f"{self._space.ps.path}: edge type {edge_type!r} has no feature {name!r}")
        return self.get_tensor(TensorAttr(group, name, None))

    def _multi_get_tensor(self, attrs: list[TensorAttr]) -> list[torch.Tensor]:
        return [self._get_tensor(a) for a in attrs]

    def _get_tensor_size(self, attr: TensorAttr) -> tuple[int, ...]:
        kind, tname, name = self._resolve(attr)
        v = self._space.view
        part0 = v.part(0)
        sample = (part0.node_feats if kind == "node" else part0.edge_feats)[f"{tname}/{name}"]
        return (self._space.count(kind, tname),) + tuple(sample.shape[1:])

    def _put_tensor(self, tensor, attr: TensorAttr) -> bool:
        raise UnsupportedError(f"{self._space.ps.path}: the gpf feature store is read-only (put {attr.attr_name!r})")

    def _remove_tensor(self, attr: TensorAttr) -> bool:
        raise UnsupportedError(f"{self._space.ps.path}: the gpf feature store is read-only "
                               f"(remove {attr.attr_name!r})")

    def __repr__(self) -> str:
        return f"GpfFeatureStore({self._space.ps.path!r}, ids={self._space.ids!r})"


class GpfGraphStore(GraphStore):
    """Read-only ``GraphStore``: every edge type as COO ``(row, col)``, position = edge ID."""

    def __init__(self, ps, *, ids: str = "original") -> None:
        super().__init__()
        self._space = _IdSpace(ps, ids)

    @property
    def partition_set(self):
        return self._space.ps

    def _edge_type(self, key: str):
        return None if self._space.homogeneous else tuple(key.split(":"))

    def get_all_edge_attrs(self) -> list[EdgeAttr]:
        v = self._space.view
        out = []
        for et, key in zip(v.etypes, v.ekeys):
            size = (v.num_nodes(et[0]), v.num_nodes(et[2]))
            out.append(EdgeAttr(self._edge_type(key), EdgeLayout.COO, is_sorted=False, size=size))
        return out

    def coo_arrays(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """``(src, dst)`` of one edge type in the store's ID space, indexed by edge ID."""
        cache = self.__dict__.setdefault("_coo_cache", {})
        if key not in cache:
            v = self._space.view
            # original IDs: mapped per partition as the edges are read (every type in one pass)
            cache.update({key: v.whole_edges[key]} if self._space.ids == "gpf" else v.edge_lists(original=True))
        return cache[key]

    def _key(self, edge_type: Any) -> str | None:
        if edge_type is None and self._space.homogeneous:
            return self._space.view.ekeys[0]
        key = ":".join(edge_type) if isinstance(edge_type, (tuple, list)) else str(edge_type)
        key = key.replace("__", ":") if key.count("__") == 2 and ":" not in key else key
        return key if key in self._space.view.ekeys else None

    def _get_edge_index(self, edge_attr: EdgeAttr) -> tuple[torch.Tensor, torch.Tensor] | None:
        key = self._key(edge_attr.edge_type)
        if key is None:
            return None
        if edge_attr.layout == EdgeLayout.COO:
            src, dst = self.coo_arrays(key)
            return torch.from_numpy(src), torch.from_numpy(dst)
        if edge_attr.layout == EdgeLayout.CSC:
            csc = self._compressed(key, "csc")
            return csc.row, csc.colptr
        csr = self._compressed(key, "csr")
        return csr.colptr, csr.row                       # (rowptr, col)

    def _compressed(self, key: str, layout: str) -> ns.Csc:
        """CSC (or CSR as the CSC of the reversed edges), stable in edge ID, with edge IDs."""
        cache = self.__dict__.setdefault("_compressed_cache", {})
        if (key, layout) not in cache:
            st, _, dt = key.split(":")
            v = self._space.view
            src, dst = (torch.from_numpy(a) for a in self.coo_arrays(key))
            ns_, nd = v.num_nodes(st), v.num_nodes(dt)
            cache[key, layout] = ns.csc_from_coo(src, dst, ns_, nd) if layout == "csc" else \
                ns.csc_from_coo(dst, src, nd, ns_)
        return cache[key, layout]

    def edge_ids(self, edge_type: Any, layout: str = "coo") -> torch.Tensor:
        """Edge ID of every position of ``get_edge_index(edge_type, layout)``."""
        key = self._key(edge_type)
        if key is None:
            raise KeyError(f"{self._space.ps.path}: unknown edge type {edge_type!r}")
        layout = EdgeLayout(layout).value
        if layout == "coo":
            return torch.arange(self._space.view.num_edges(key))
        return self._compressed(key, layout).eid

    def sampling_csc(self, edge_type: Any) -> ns.Csc | None:
        """In-edges of ``edge_type`` for :class:`GpfNeighborSampler` (edge IDs kept)."""
        key = self._key(edge_type)
        return None if key is None else self._compressed(key, "csc")

    def _put_edge_index(self, edge_index, edge_attr: EdgeAttr) -> bool:
        raise UnsupportedError(f"{self._space.ps.path}: the gpf graph store is read-only")

    def _remove_edge_index(self, edge_attr: EdgeAttr) -> bool:
        raise UnsupportedError(f"{self._space.ps.path}: the gpf graph store is read-only")

    def __repr__(self) -> str:
        return f"GpfGraphStore({self._space.ps.path!r}, ids={self._space.ids!r})"


from gpf.converters.pyg_sampler import GpfNeighborSampler  # noqa: E402  (re-exported)
