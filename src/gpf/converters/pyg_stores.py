"""PyG's remote-backend interface over a gpf partition set, and a pure-torch neighbour sampler.

``fs, gs = to_pyg_stores(ps)`` gives a ``torch_geometric.data.FeatureStore`` and
``GraphStore`` that read a set through :func:`gpf.open`'s public API (any storage
backend), so PyG's own loaders train from gpf data without converting it::

    fs, gs = to_pyg_stores(ps)                       # IDs: original (default) or "gpf"
    sampler = GpfNeighborSampler(gs, [10, 5])
    loader = NeighborLoader((fs, gs), [10, 5], input_nodes=seeds, batch_size=128,
                            neighbor_sampler=sampler)

Why a sampler of our own: PyG's ``NeighborSampler`` samples only through the compiled
``pyg-lib`` (``torch.ops.pyg.neighbor_sample``) or ``torch-sparse``
(``torch.ops.torch_sparse.neighbor_sample``) and raises ``ImportError`` without either;
neither installs beside torch 2.13 (no wheels, pyg-lib is not on PyPI).
:class:`GpfNeighborSampler` is a ``BaseSampler`` that samples with vectorised torch ops
over the graph store's CSC and returns PyG's ``SamplerOutput`` / ``HeteroSamplerOutput``;
``NeighborLoader`` takes it through its public ``neighbor_sampler=`` argument, and
everything else (seed batching, feature fetching, ``Data``/``HeteroData`` assembly) is
PyG's own code.  Only ``subgraph_type="directional"`` sampling without time or weights
is implemented.

Conventions of the stores:

* a homogeneous set (``_N``/``_E``) is exposed as PyG's homogeneous remote graph:
  ``group_name=None``, ``edge_type=None`` (loaders then yield ``Data``); a
  heterogeneous set by node type names and ``(src, rel, dst)`` tuples (``HeteroData``);
* ``get_all_tensor_attrs()`` lists node features (PyG's loaders treat every listed
  attribute as a node attribute); edge features are read with the edge type as group,
  e.g. ``fs[("_N", "_E", "_N"), "w", batch.e_id]`` (``e_id`` indexes them);
* ``ids="original"`` (default): node and edge IDs are those of the graph given to the
  partitioner (needs the set's original-ID maps); ``ids="gpf"``: gpf per-type IDs;
* the stores are read-only: ``put``/``remove`` raise :class:`gpf.UnsupportedError`.
"""

from __future__ import annotations

from typing import Any, Optional, Union

import numpy as np
import torch
from torch_geometric.data import EdgeAttr, FeatureStore, GraphStore, TensorAttr
from torch_geometric.data.graph_store import EdgeLayout
from torch_geometric.sampler import (BaseSampler, HeteroSamplerOutput, NodeSamplerInput, SamplerOutput)

from gpf.converters._setview import set_view
from gpf.converters.pyg_common import as_bool
from gpf.errors import GpfError, UnsupportedError

__all__ = ["GpfFeatureStore", "GpfGraphStore", "GpfNeighborSampler", "to_pyg_stores"]

HOMO_NTYPE = "_N"
HOMO_EKEY = "_N:_E:_N"


def to_pyg_stores(ps, *, ids: str = "original", bool_features="masks") -> tuple["GpfFeatureStore", "GpfGraphStore"]:
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
            return "node", HOMO_NTYPE
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

    def _get_tensor(self, attr: TensorAttr) -> torch.Tensor:
        kind, tname, name = self._resolve(attr)
        n = self._space.count(kind, tname)
        index = attr.index
        if index is None or (isinstance(index, slice) and index == slice(None)):
            ids = np.arange(n, dtype=np.int64)
        elif isinstance(index, slice):
            ids = np.arange(n, dtype=np.int64)[index]
        else:
            ids = np.asarray(index.cpu() if isinstance(index, torch.Tensor) else index).reshape(-1)
            if ids.dtype == np.bool_:
                ids = np.flatnonzero(ids)
            ids = ids.astype(np.int64, copy=False)
        rows = self._space.view.feature_rows(kind, tname, name, self._space.to_gpf(kind, tname, ids))
        return torch.from_numpy(as_bool(name, rows, self._bool_features))

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
            cache[key] = self._coo(key)
        return cache[key]

    def _coo(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        v = self._space.view
        src, dst = v.whole_edges[key]
        if self._space.ids == "gpf":
            return src, dst
        st, _, dt = key.split(":")
        order = v.ps.orig_eids(key)
        out_s = np.empty_like(src)
        out_d = np.empty_like(dst)
        out_s[order] = v.to_original(st, src)
        out_d[order] = v.to_original(dt, dst)
        return out_s, out_d

    def _get_edge_index(self, edge_attr: EdgeAttr) -> Optional[tuple[torch.Tensor, torch.Tensor]]:
        if edge_attr.layout != EdgeLayout.COO:
            return None
        v = self._space.view
        if edge_attr.edge_type is None and self._space.homogeneous:
            key = HOMO_EKEY
        else:
            key = ":".join(edge_attr.edge_type) if isinstance(edge_attr.edge_type, tuple) else str(edge_attr.edge_type)
        if key not in v.ekeys:
            return None
        src, dst = self.coo_arrays(key)
        return torch.from_numpy(src), torch.from_numpy(dst)

    def _put_edge_index(self, edge_index, edge_attr: EdgeAttr) -> bool:
        raise UnsupportedError(f"{self._space.ps.path}: the gpf graph store is read-only")

    def _remove_edge_index(self, edge_attr: EdgeAttr) -> bool:
        raise UnsupportedError(f"{self._space.ps.path}: the gpf graph store is read-only")

    def __repr__(self) -> str:
        return f"GpfGraphStore({self._space.ps.path!r}, ids={self._space.ids!r})"


class _Csc:
    """In-edges of one edge type: ``colptr`` over destinations, ``row`` sources, ``eid`` edge IDs."""

    def __init__(self, src: torch.Tensor, dst: torch.Tensor, num_dst: int) -> None:
        dst_sorted, perm = torch.sort(dst, stable=True)
        self.row = src[perm]
        self.eid = perm
        self.colptr = torch.zeros(num_dst + 1, dtype=torch.int64)
        self.colptr[1:] = torch.cumsum(torch.bincount(dst_sorted, minlength=num_dst), 0)


class GpfNeighborSampler(BaseSampler):
    """Uniform neighbour sampling in pure torch, for ``NeighborLoader(neighbor_sampler=...)``.

    ``graph_store``: any PyG ``GraphStore`` (e.g. :class:`GpfGraphStore`);
    ``num_neighbors``: a fan-out per hop (``-1`` = all in-neighbours), or for
    heterogeneous graphs ``{(src, rel, dst): [fan-outs]}``.  Output: PyG's
    ``SamplerOutput`` / ``HeteroSamplerOutput`` with seeds first, edges from sampled
    neighbour (``row``) to the node it was sampled for (``col``), ``edge`` = edge IDs.
    ``seed``: a private generator (reproducible, the same stream in every worker);
    ``None`` (default): torch's global RNG, reseeded per DataLoader worker.
    """

    def __init__(self, graph_store: GraphStore, num_neighbors, *, replace: bool = False,
                 seed: Optional[int] = None) -> None:
        attrs = graph_store.get_all_edge_attrs()
        self.homogeneous = all(a.edge_type is None for a in attrs)
        self.replace = replace
        # seed=None: torch's global RNG, which DataLoader reseeds in every worker process.
        self.generator = None if seed is None else torch.Generator().manual_seed(int(seed))
        self.csc: dict[Any, _Csc] = {}
        self.edge_types: list[Any] = []
        for a in attrs:
            row, col = graph_store.get_edge_index(a)
            num_dst = a.size[1] if a.size is not None else int(col.max()) + 1 if col.numel() else 0
            self.csc[a.edge_type] = _Csc(row.to(torch.int64), col.to(torch.int64), int(num_dst))
            self.edge_types.append(a.edge_type)
        if isinstance(num_neighbors, dict):
            if self.homogeneous:
                raise ValueError("GpfNeighborSampler: a homogeneous graph takes a list of fan-outs, not a dict")
            missing = [et for et in self.edge_types if et not in num_neighbors]
            if missing:
                raise ValueError(f"GpfNeighborSampler: num_neighbors has no fan-outs for edge types {missing}")
            self.fanouts = {et: list(num_neighbors[et]) for et in self.edge_types}
        else:
            self.fanouts = {et: list(num_neighbors) for et in self.edge_types}
        hops = {len(f) for f in self.fanouts.values()}
        if len(hops) != 1:
            raise ValueError(f"GpfNeighborSampler: every edge type needs the same number of hops, got {self.fanouts}")
        self.num_hops = hops.pop()

    # -- one hop of one edge type ----------------------------------------------------------------
    def _sample_in_edges(self, csc: _Csc, frontier: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        """``(position in frontier, CSC slot)`` of the sampled in-edges of each frontier node."""
        start = csc.colptr[frontier]
        deg = csc.colptr[frontier + 1] - start
        take_all = k < 0 or deg.numel() == 0 or (not self.replace and k >= int(deg.max()))
        if take_all:
            owner = torch.repeat_interleave(torch.arange(frontier.numel()), deg)
            offs = torch.arange(owner.numel()) - torch.repeat_interleave(torch.cumsum(deg, 0) - deg, deg)
            return owner, start[owner] + offs
        if self.replace:
            has = torch.nonzero(deg > 0).view(-1)
            owner = has.repeat_interleave(k)
            pick = (torch.rand(owner.numel(), generator=self.generator) * deg[owner]).to(torch.int64)
            return owner, start[owner] + pick
        # Without replacement: a random key per candidate, ordered within each node; keep the first k.
        owner = torch.repeat_interleave(torch.arange(frontier.numel()), deg)
        offs = torch.arange(owner.numel()) - torch.repeat_interleave(torch.cumsum(deg, 0) - deg, deg)
        key = owner.to(torch.float64) + torch.rand(owner.numel(), generator=self.generator, dtype=torch.float64)
        order = torch.argsort(key)
        rank = torch.empty_like(order)
        rank[order] = torch.arange(order.numel()) - torch.repeat_interleave(torch.cumsum(deg, 0) - deg, deg)
        keep = rank < k
        return owner[keep], start[owner[keep]] + offs[keep]

    # -- BaseSampler -------------------------------------------------------------------------------
    def sample_from_nodes(self, index: NodeSamplerInput, **kwargs) -> Union[SamplerOutput, HeteroSamplerOutput]:
        if index.time is not None:
            raise UnsupportedError("GpfNeighborSampler: temporal sampling is not supported")
        seeds = index.node.to(torch.int64)
        if self.homogeneous:
            out = self._sample({None: seeds})
            nodes, rows, cols, edges, n_nodes, n_edges = out
            return SamplerOutput(node=nodes[None], row=rows[None], col=cols[None], edge=edges[None],
                                 num_sampled_nodes=n_nodes[None], num_sampled_edges=n_edges[None],
                                 metadata=(index.input_id, index.time))
        if index.input_type is None:
            raise ValueError("GpfNeighborSampler: heterogeneous sampling needs the seeds' node type")
        nodes, rows, cols, edges, n_nodes, n_edges = self._sample({index.input_type: seeds})
        return HeteroSamplerOutput(node=nodes, row=rows, col=cols, edge=edges,
                                   num_sampled_nodes=n_nodes, num_sampled_edges=n_edges,
                                   metadata=(index.input_id, index.time))

    def sample_from_edges(self, index, neg_sampling=None):
        raise UnsupportedError("GpfNeighborSampler: link sampling (LinkNeighborLoader) is not supported")

    def _ntype_pairs(self) -> dict[Any, tuple[Any, Any]]:
        return {et: ((None, None) if et is None else (et[0], et[2])) for et in self.edge_types}

    def _sample(self, seeds: dict[Any, torch.Tensor]):
        pairs = self._ntype_pairs()
        ntypes = {t for pair in pairs.values() for t in pair} | set(seeds)
        nodes = {t: seeds.get(t, torch.zeros(0, dtype=torch.int64)) for t in ntypes}
        index = {t: _Index(nodes[t]) for t in ntypes}
        frontier = {t: torch.unique(nodes[t]) for t in ntypes}
        n_nodes = {t: [int(nodes[t].numel())] for t in ntypes}
        rows = {et: [] for et in self.edge_types}
        cols = {et: [] for et in self.edge_types}
        edges = {et: [] for et in self.edge_types}
        n_edges = {et: [] for et in self.edge_types}
        for hop in range(self.num_hops):
            found: dict[Any, list[torch.Tensor]] = {t: [] for t in ntypes}
            picked = {}
            for et in self.edge_types:
                st, dt = pairs[et]
                fr = frontier[dt]
                if fr.numel() == 0:
                    picked[et] = None
                    n_edges[et].append(0)
                    continue
                csc = self.csc[et]
                who, slot = self._sample_in_edges(csc, fr, self.fanouts[et][hop])
                picked[et] = (csc.row[slot], fr[who], csc.eid[slot])
                found[st].append(csc.row[slot])
                n_edges[et].append(int(slot.numel()))
            new_frontier = {}
            for t in ntypes:
                cand = torch.unique(torch.cat(found[t])) if found[t] else torch.zeros(0, dtype=torch.int64)
                fresh = cand[~index[t].contains(cand)] if cand.numel() else cand
                index[t].extend(fresh)
                new_frontier[t] = fresh
                n_nodes[t].append(int(fresh.numel()))
            for et in self.edge_types:
                if picked[et] is None:
                    continue
                st, dt = pairs[et]
                src, dst, eid = picked[et]
                rows[et].append(index[st].local(src))
                cols[et].append(index[dt].local(dst))
                edges[et].append(eid)
            frontier = new_frontier
        cat = lambda xs: torch.cat(xs) if xs else torch.zeros(0, dtype=torch.int64)  # noqa: E731
        return ({t: index[t].nodes for t in ntypes}, {et: cat(rows[et]) for et in self.edge_types},
                {et: cat(cols[et]) for et in self.edge_types}, {et: cat(edges[et]) for et in self.edge_types},
                n_nodes, n_edges)


class _Index:
    """Sampled nodes of one type (global IDs, seeds first) and global -> local lookup by binary search."""

    def __init__(self, seeds: torch.Tensor) -> None:
        self.nodes = seeds
        self._refresh()

    def _refresh(self) -> None:
        self.sorted, self.order = torch.sort(self.nodes, stable=True)

    def extend(self, fresh: torch.Tensor) -> None:
        if fresh.numel():
            self.nodes = torch.cat([self.nodes, fresh])
            self._refresh()

    def contains(self, ids: torch.Tensor) -> torch.Tensor:
        if self.sorted.numel() == 0:
            return torch.zeros(ids.shape, dtype=torch.bool)
        pos = torch.searchsorted(self.sorted, ids).clamp_max(self.sorted.numel() - 1)
        return self.sorted[pos] == ids

    def local(self, ids: torch.Tensor) -> torch.Tensor:
        """First local position of each global ID (all must be present)."""
        return self.order[torch.searchsorted(self.sorted, ids)]
