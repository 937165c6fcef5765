"""``GpfNeighborSampler``: PyG's ``NeighborSampler`` without ``pyg-lib`` or ``torch-sparse``.

PyG's own ``NeighborSampler`` samples only through the compiled ``pyg-lib``
(``torch.ops.pyg.neighbor_sample``) or ``torch-sparse`` and raises ``ImportError``
without either; neither installs beside current torch.  :class:`GpfNeighborSampler`
takes the same arguments and is a subclass of it, so PyG's loaders use it unchanged::

    NeighborLoader(data, [10, 5], neighbor_sampler=GpfNeighborSampler(data, [10, 5]), ...)
    LinkNeighborLoader(data, [10, 5], neighbor_sampler=GpfNeighborSampler(data, [10, 5]),
                       edge_label_index=..., neg_sampling="binary")

(PyG's loaders pass ``disjoint=``/``replace=`` only to samplers they build; importing this
module makes them hand both to a given ``GpfNeighborSampler`` too, see
:mod:`gpf.converters.pyg_loader_options`; :class:`gpf.converters.pyg_loader.GpfNeighborLoader` /
``GpfLinkNeighborLoader`` also add edge features).  Only ``_sample`` is
ours (pure torch, :mod:`gpf.converters.neighbor_sampling`); seed batching, link and
negative sampling, bidirectional subgraphs and batch assembly are PyG's own code.

``data``: a ``Data``, a ``HeteroData``, a ``(FeatureStore, GraphStore)`` pair, or a
``GraphStore`` alone.  Every layout a graph store declares (COO, CSR, CSC) is read as
declared; edge IDs are positions in the declared layout, as in PyG.  ``num_neighbors``:
anything PyG accepts (a list, a dict keyed by ``(src, rel, dst)`` or ``"src__rel__dst"``,
a ``NumNeighbors`` with a default for unlisted edge types).  ``weight_attr``: an edge
weight (sampling probability proportional to it; weight 0 is never sampled);
``time_attr``: node or edge time (a neighbour or edge is eligible when its time is at
most the seed's), ``temporal_strategy`` ``"uniform"`` or ``"last"``.  For a store pair,
``weight_attr``/``time_attr`` are read from the feature store (the edge-type group for
edge values; ``GpfFeatureStore`` edge features included).  ``seed``: a private
generator (reproducible); ``None``: torch's global RNG (reseeded per DataLoader worker).
``device``: where the graph and the sampling live (default: where the graph is);
seeds are moved there.
"""

from __future__ import annotations

import warnings
from typing import Any

import torch
from torch import Tensor
from torch_geometric.data import Data, FeatureStore, GraphStore, HeteroData, TensorAttr
from torch_geometric.data.graph_store import EdgeLayout
from torch_geometric.sampler import HeteroSamplerOutput, NeighborSampler, SamplerOutput
from torch_geometric.sampler.base import DataType, NumNeighbors, SubgraphType

from gpf.converters import neighbor_sampling as ns
from gpf.converters import pyg_loader_options

__all__ = ["GpfNeighborSampler"]

_TEMPORAL = ("uniform", "last")


class GpfNeighborSampler(NeighborSampler):
    """Neighbour sampler in pure torch; PyG's ``NeighborSampler`` arguments (see the module docstring)."""

    # PyG's attributes, with the homogeneous or heterogeneous shape PyG gives them
    num_nodes: Any
    node_types: Any
    edge_types: Any
    node_time: Any
    edge_time: Any
    edge_weight: Any
    perm: Any

    def __init__(self, data: Any, num_neighbors: Any, subgraph_type: SubgraphType | str = "directional",
                 replace: bool = False, disjoint: bool = False, temporal_strategy: str = "uniform",
                 time_attr: str | None = None, weight_attr: str | None = None, is_sorted: bool = False,
                 share_memory: bool = False, directed: bool = True, sample_direction: str = "forward", *,
                 seed: int | None = None, device: Any = None, warn_edge_features: bool = True) -> None:
        if not directed:
            subgraph_type = SubgraphType.induced
        if sample_direction not in ("forward", "backward"):
            raise ValueError(f"sample_direction must be 'forward' or 'backward', got {sample_direction!r}")
        if sample_direction == "backward" and time_attr is not None:
            raise NotImplementedError("Temporal Sampling not yet supported for backward sampling")
        if temporal_strategy not in _TEMPORAL:
            raise ValueError(f"temporal_strategy must be one of {_TEMPORAL}, got {temporal_strategy!r}")
        self.sample_direction = sample_direction
        self.subgraph_type = SubgraphType(subgraph_type)
        self.replace = bool(replace)
        self.disjoint = bool(disjoint)
        self.temporal_strategy = temporal_strategy
        #: the options that shape what the sampler reads when built (a loader may not change them)
        self.built_with = {"time_attr": time_attr, "weight_attr": weight_attr,
                           "temporal_strategy": temporal_strategy, "subgraph_type": self.subgraph_type}
        self.keep_orig_edges = False
        self.perm = None                      # ``edge`` of every output is already an edge ID
        self.node_time: Any = None
        self.edge_time: Any = None
        self.edge_weight: Any = None
        if isinstance(data, HeteroData):     # (Data and HeteroData are GraphStores too: test them first)
            self.data_type = DataType.heterogeneous
            self._from_hetero(data, time_attr, weight_attr, is_sorted)
        elif isinstance(data, Data):
            self.data_type = DataType.homogeneous
            self._from_homo(data, time_attr, weight_attr, is_sorted)
        elif isinstance(data, GraphStore) or (isinstance(data, (tuple, list)) and len(data) == 2):
            fs, gs = (None, data) if isinstance(data, GraphStore) else data
            self.data_type = DataType.remote
            self._from_stores(fs, gs, time_attr, weight_attr, warn_edge_features)
        else:
            raise TypeError(f"GpfNeighborSampler: data must be a Data, a HeteroData, a (FeatureStore, "
                            f"GraphStore) pair or a GraphStore, got {type(data).__name__}")
        self.device = torch.device(device) if device is not None else self._graph_device()
        self._finish_graph()
        self.generator = None if seed is None else torch.Generator(self.device).manual_seed(int(seed))
        self.num_neighbors = num_neighbors
        self._fanouts()                       # validate now: unknown edge types, unequal hops
        self._state: ns.SampleState | None = None

    # -- graph intake ----------------------------------------------------------------------------
    def _from_homo(self, data: Data, time_attr, weight_attr, is_sorted: bool) -> None:
        self.node_types, self.edge_types = [None], [None]
        n = int(data.num_nodes)
        self.num_nodes = n
        self._sizes = {None: n}
        self._pairs = {None: (None, None)}
        if time_attr is not None:
            if data.is_node_attr(time_attr):
                self.node_time = data[time_attr]
            elif data.is_edge_attr(time_attr):
                self.edge_time = data[time_attr]
            else:
                raise ValueError(f"The time attribute '{time_attr}' is neither a node-level or edge-level "
                                 "attribute")
        if weight_attr is not None:
            if weight_attr not in data or not data.is_edge_attr(weight_attr):
                raise ValueError(f"The weight attribute '{weight_attr}' is not an edge-level attribute")
            self.edge_weight = data[weight_attr]
        src, dst = _coo_of(data)
        self._csc = {None: ns.csc_from_coo(src, dst, n, n, is_sorted=is_sorted,
                                           within=_time_key(self.node_time, self.edge_time, src))}

    def _from_hetero(self, data: HeteroData, time_attr, weight_attr, is_sorted: bool) -> None:
        self.node_types, self.edge_types = (list(x) for x in data.metadata())
        self.num_nodes = {t: int(data[t].num_nodes or 0) for t in self.node_types}
        self._sizes = dict(self.num_nodes)
        self._pairs = {et: (et[0], et[2]) for et in self.edge_types}
        if time_attr is not None:
            on_nodes = any(time_attr in s for s in data.node_stores)
            on_edges = any(time_attr in s for s in data.edge_stores)
            if on_nodes and on_edges:
                raise ValueError(f"The time attribute '{time_attr}' holds both node-level and edge-level "
                                 "information")
            if not on_nodes and not on_edges:
                raise ValueError(f"The time attribute '{time_attr}' is neither a node-level or edge-level "
                                 "attribute")
            if on_nodes:
                self.node_time = data.collect(time_attr)
            else:
                self.edge_time = data.collect(time_attr)
        if weight_attr is not None:
            self.edge_weight = data.collect(weight_attr)
        self._csc = {}
        for et in self.edge_types:
            src, dst = _coo_of(data[et])
            within = _time_key(None if self.node_time is None else self.node_time.get(et[0]),
                               None if self.edge_time is None else self.edge_time.get(et), src)
            self._csc[et] = ns.csc_from_coo(src, dst, self._sizes[et[0]], self._sizes[et[2]],
                                            is_sorted=is_sorted, within=within)

    def _from_stores(self, fs: FeatureStore | None, gs: GraphStore, time_attr, weight_attr,
                     warn_edge_features: bool) -> None:
        attrs = gs.get_all_edge_attrs()
        if not attrs:
            raise ValueError("GpfNeighborSampler: the graph store holds no edges")
        by_type: dict = {}
        for a in attrs:
            by_type.setdefault(a.edge_type, []).append(a)
        self.edge_types = list(by_type)
        hetero = self.edge_types != [None]
        if hetero and None in by_type:
            raise ValueError("GpfNeighborSampler: the graph store mixes edge_type=None with typed edges")
        tensor_attrs = fs.get_all_tensor_attrs() if fs is not None else []
        if hetero:
            ntypes = {et[0] for et in self.edge_types} | {et[2] for et in self.edge_types}
            ntypes |= {a.group_name for a in tensor_attrs if isinstance(a.group_name, str)}
            self.node_types = sorted(ntypes)
            self._pairs = {et: (et[0], et[2]) for et in self.edge_types}
        else:
            self.node_types = [None]
            self._pairs = {None: (None, None)}
        sizes: dict = {t: 0 for t in self.node_types}
        edges = {}
        for et, group in by_type.items():
            edges[et] = _read_edges(gs, group)
            st, dt = self._pairs[et]
            size, lo_src, lo_dst = edges[et][1:]
            if size is not None:
                sizes[st] = max(sizes[st], int(size[0]))
                sizes[dt] = max(sizes[dt], int(size[1]))
            sizes[st] = max(sizes[st], lo_src)
            sizes[dt] = max(sizes[dt], lo_dst)
        if fs is not None:
            for t in self.node_types:
                n = _feature_rows(fs, tensor_attrs, t, hetero)
                if n is not None:
                    sizes[t] = max(sizes[t], n)
        if not hetero:
            sizes = {None: max(sizes.values())}
        self._sizes = sizes
        self.num_nodes = sizes if hetero else sizes[None]
        self._csc = {et: edges[et][0](sizes[self._pairs[et][0]], sizes[self._pairs[et][1]]) for et in edges}
        if weight_attr is not None:
            self.edge_weight = self._edge_values(fs, weight_attr, hetero, required=True)
        if time_attr is not None:
            self._store_time(fs, tensor_attrs, time_attr, hetero)
        if warn_edge_features and fs is not None and getattr(fs, "edge_tensor_attrs", None) and fs.edge_tensor_attrs():
            warnings.warn("PyG's NeighborLoader/LinkNeighborLoader do not fetch edge features from a feature store; "
                          "batches will have no edge features. Use gpf.converters.pyg_loader.GpfNeighborLoader / "
                          "GpfLinkNeighborLoader to get them (as batch.<name>, indexed like batch.e_id).",
                          UserWarning, stacklevel=3)

    def _edge_values(self, fs: FeatureStore | None, name: str, hetero: bool, required: bool):
        """``{edge type: values by edge ID}`` (hetero) or one tensor, from the feature store."""
        out = {}
        for et in self.edge_types:
            value = _edge_tensor(fs, et, name, hetero, self._csc[et].eid.numel())
            if value is None:
                if required:
                    raise NotImplementedError(f"GpfNeighborSampler: the feature store has no edge attribute "
                                              f"{name!r} for edge type {et!r} (weighted sampling reads the weight "
                                              "from the feature store)")
                return None
            out[et] = value
        return out if hetero else out[None]

    def _store_time(self, fs: FeatureStore | None, tensor_attrs, name: str, hetero: bool) -> None:
        if fs is None:
            raise ValueError(f"The time attribute '{name}' needs a feature store")
        node_attrs = [a for a in tensor_attrs if a.attr_name == name and not isinstance(a.group_name, tuple)]
        node_time = {}
        for a in node_attrs:
            t = a.group_name if hetero else None
            value = fs.get_tensor(TensorAttr(a.group_name, a.attr_name, None))
            if hetero or value.numel() == self._sizes[None] and (
                    value.numel() != self._csc[None].eid.numel() or name == "time"):
                node_time[t] = value.reshape(-1)
        if node_time:
            self.node_time = node_time if hetero else node_time[None]
            return
        edge_time = self._edge_values(fs, name, hetero, required=False)
        if edge_time is None:
            raise ValueError("Temporal sampling specified but did not find any temporal data "
                             f"(no node or edge attribute {name!r})")
        self.edge_time = edge_time

    def _graph_device(self) -> torch.device:
        for c in self._csc.values():
            return c.row.device
        return torch.device("cpu")

    def _finish_graph(self) -> None:
        """Attach weights/times to the CSC slots, reverse for backward sampling, move to the device."""
        as_dict = (lambda v: v if isinstance(v, dict) else {None: v})  # noqa: E731
        weight = as_dict(self.edge_weight) if self.edge_weight is not None else {}
        etime = as_dict(self.edge_time) if self.edge_time is not None else {}
        graph: dict = {}
        for et, csc in self._csc.items():
            csc = csc.to(self.device).with_slot_values(
                None if weight.get(et) is None else torch.as_tensor(weight[et]).reshape(-1),
                None if etime.get(et) is None else torch.as_tensor(etime[et]).reshape(-1))
            if self.data_type == DataType.remote and (self.edge_time is not None or self.node_time is not None):
                # PyG orders neighbourhoods by time (``last`` takes the most recent); stores may not
                ntime = as_dict(self.node_time).get(self._pairs[et][0]) if self.node_time is not None else None
                key = csc.time if csc.time is not None else \
                    torch.as_tensor(ntime).reshape(-1).to(self.device)[csc.row] if ntime is not None else None
                if key is not None:
                    csc = ns.sort_within(csc, key)
            if self.sample_direction == "backward":
                csc = ns.reverse(csc)
            graph[et] = csc
        self._graph = graph
        if self.sample_direction == "backward":
            self._walk = {et: (dt, st) for et, (st, dt) in self._pairs.items()}
        else:
            self._walk = dict(self._pairs)
        ntime = self.node_time
        self._node_time = None if ntime is None else {
            k: torch.as_tensor(v).reshape(-1).to(self.device) for k, v in as_dict(ntime).items()}

    # -- PyG's sampler interface ---------------------------------------------------------------------
    @property
    def num_neighbors(self) -> NumNeighbors:
        return self._num_neighbors

    @num_neighbors.setter
    def num_neighbors(self, num_neighbors: Any) -> None:
        if not isinstance(num_neighbors, NumNeighbors):
            num_neighbors = NumNeighbors(num_neighbors)
        self._num_neighbors = num_neighbors
        self._fanout_cache: dict | None = None

    @property
    def is_hetero(self) -> bool:
        return self.edge_types != [None]

    def _fanouts(self) -> dict:
        if self._fanout_cache is None:
            nn = self._num_neighbors
            if self.is_hetero:
                values = nn._get_values(self.edge_types)
            else:
                if isinstance(nn.values, dict):
                    raise ValueError("GpfNeighborSampler: a homogeneous graph takes a list of fan-outs, "
                                     f"not a dict (got {nn.values})")
                values = {None: list(nn.values)}
            self._fanout_cache = {et: [int(k) for k in v] for et, v in values.items()}
        return self._fanout_cache

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_state"] = None
        return state

    def _sample(self, seed: Tensor | dict, seed_time: Tensor | dict | None = None,
                **kwargs) -> SamplerOutput | HeteroSamplerOutput:
        hetero = isinstance(seed, dict)
        seeds: dict = {k: v.to(self.device, torch.int64) for k, v in seed.items()} if isinstance(seed, dict) \
            else {None: seed.to(self.device, torch.int64)}
        induced = self.subgraph_type == SubgraphType.induced
        disjoint = self.disjoint
        if disjoint and induced:
            raise ValueError("'disjoint' sampling not supported for neighbor sampling with "
                             "`subgraph_type='induced'`")
        times = None
        if self.is_temporal:
            if seed_time is None and self._node_time is not None:
                seed_time = {k: self._node_time[k][v] for k, v in seeds.items()} if hetero \
                    else self._node_time[None][seeds[None]]
            if seed_time is not None:
                times = {k: v.to(self.device) for k, v in seed_time.items()} if isinstance(seed_time, dict) \
                    else {None: seed_time.to(self.device)}
        if self._state is None:
            self._state = ns.SampleState(self._sizes, self.device)
        out = ns.sample_neighbors(self._graph, self.edge_types, self._walk, self._fanouts(), seeds, self._state,
                                  replace=self.replace, disjoint=disjoint, generator=self.generator,
                                  seed_time=times, node_time=self._node_time, strategy=self.temporal_strategy)
        row, col, edge = out.row, out.col, out.edge
        n_edges: dict | None = out.num_sampled_edges
        if induced:
            row, col, edge = ns.induced_edges(self._graph_forward(), self.edge_types, self._pairs, out.node,
                                              self._sizes)
            n_edges = None
        elif self.sample_direction == "backward":
            row, col = col, row
        if not hetero:
            return SamplerOutput(node=out.node[None], row=row[None], col=col[None], edge=edge[None],
                                 batch=None if out.batch is None else out.batch[None],
                                 num_sampled_nodes=out.num_sampled_nodes[None],
                                 num_sampled_edges=None if n_edges is None else n_edges[None])
        return HeteroSamplerOutput(node=out.node, row=row, col=col, edge=edge, batch=out.batch,
                                   num_sampled_nodes=out.num_sampled_nodes, num_sampled_edges=n_edges)

    def _graph_forward(self) -> dict:
        if self.sample_direction == "forward":
            return self._graph
        return {et: ns.reverse(c) for et, c in self._graph.items()}


# -- reading graphs --------------------------------------------------------------------------------
def _time_key(node_time: Any, edge_time: Any, src: Tensor) -> Tensor | None:
    """PyG orders each neighbourhood by time for temporal sampling (source node time or edge time)."""
    if edge_time is not None:
        return torch.as_tensor(edge_time).reshape(-1)
    if node_time is not None and src.numel():
        return torch.as_tensor(node_time).reshape(-1)[src.to(torch.int64)]
    return None


def _coo_of(store) -> tuple[Tensor, Tensor]:
    if "edge_index" in store:
        ei = store["edge_index"]
        return torch.as_tensor(ei[0]), torch.as_tensor(ei[1])
    if "adj_t" in store:
        raise ValueError("GpfNeighborSampler: a SparseTensor 'adj_t' needs torch-sparse; store 'edge_index'")
    return torch.zeros(0, dtype=torch.int64), torch.zeros(0, dtype=torch.int64)


def _read_edges(gs: GraphStore, group: list):
    """``(build(num_src, num_dst) -> Csc, declared size, min #src, min #dst)`` of one edge type.

    The layout is read as declared (CSC preferred, then COO, then CSR); edge IDs are
    positions in that layout.  A gpf graph store hands its CSC with real edge IDs.
    """
    native = getattr(gs, "sampling_csc", None)
    attr = next((a for a in group if a.layout == EdgeLayout.CSC), None) or \
        next((a for a in group if a.layout == EdgeLayout.COO), None) or group[0]
    if native is not None:
        csc = native(attr.edge_type)
        if csc is not None:
            return (lambda s, d: csc), attr.size, csc.num_src, csc.num_dst
    a, b = gs.get_edge_index(attr)
    a, b = torch.as_tensor(a).to(torch.int64), torch.as_tensor(b).to(torch.int64)
    mx = (lambda t: int(t.max()) + 1 if t.numel() else 0)  # noqa: E731
    if attr.layout == EdgeLayout.CSC:              # (row, colptr)
        return (lambda s, d: _pad(ns.csc_of_csc(a, b, s), d)), attr.size, mx(a), b.numel() - 1
    if attr.layout == EdgeLayout.CSR:              # (rowptr, col)
        return (lambda s, d: ns.csc_from_csr(_padptr(a, s), b, s, d)), attr.size, a.numel() - 1, mx(b)
    return (lambda s, d: ns.csc_from_coo(a, b, s, d, is_sorted=bool(attr.is_sorted))), attr.size, mx(a), mx(b)


def _padptr(ptr: Tensor, n: int) -> Tensor:
    if ptr.numel() - 1 >= n:
        return ptr
    return torch.cat([ptr, ptr[-1:].expand(n - ptr.numel() + 1)])


def _pad(csc: ns.Csc, num_dst: int) -> ns.Csc:
    csc.colptr = _padptr(csc.colptr, num_dst)
    return csc


def _feature_rows(fs: FeatureStore, tensor_attrs, ntype, hetero: bool) -> int | None:
    for a in tensor_attrs:
        if (a.group_name == ntype) if hetero else not isinstance(a.group_name, tuple):
            try:
                return int(fs.get_tensor_size(TensorAttr(a.group_name, a.attr_name, None))[0])
            except (NotImplementedError, KeyError, TypeError):
                return None
    return None


def _edge_tensor(fs: FeatureStore | None, et, name: str, hetero: bool, num_edges: int) -> Tensor | None:
    if fs is None:
        return None
    getter = getattr(fs, "edge_tensor", None)
    if getter is not None:
        try:
            return getter(et, name)
        except KeyError:
            return None
    for a in fs.get_all_tensor_attrs():
        if a.attr_name != name:
            continue
        if hetero and a.group_name != et:
            continue
        value = fs.get_tensor(TensorAttr(a.group_name, a.attr_name, None))
        if hetero or value.shape[0] == num_edges:
            return value
    return None


pyg_loader_options.install(GpfNeighborSampler)   # PyG's loaders hand it disjoint=/replace= too
