"""DGL converters: ``from_dgl``, ``to_dgl``, ``to_dgl_graph``, ``to_dgl_partition`` (needs DGL installed).

The same verbs as :mod:`gpf.converters.pyg` (README, "Converters"):

* :func:`to_dgl` — one partition read by gpf (any storage backend) as the
  ``dgl.DGLGraph`` that ``dgl.distributed.load_partition`` returns: the partition's
  local graph (inner nodes first, then HALO nodes; inner edges first) with every stored
  field and its stored dtype in ``ndata``/``edata`` (``_ID``, ``inner_node``,
  ``inner_edge``, ``part_id``, and ``_TYPE`` for heterogeneous sets, ...).  Like DGL's
  own partition graph it is homogeneous even for a heterogeneous set: ``_TYPE`` holds
  the type IDs.  A list of partitions of one set gives the union of their local graphs
  (HALO copies merged; the inner nodes of every partition first, in partition order), with
  ``_ID``, ``inner_node``, ``inner_edge``, ``part_id`` and, for a heterogeneous set, ``_TYPE``.
* :func:`to_dgl_graph` — the whole set as one ``DGLGraph`` (a heterograph keeping the type
  names; features in ``ndata``/``edata`` per type), in original IDs by default: the twin
  of :func:`gpf.converters.pyg.to_pyg_graph`.
* :func:`to_dgl_partition` — all of ``load_partition``'s 7-tuple
  ``(graph, node_feats, edge_feats, gpb, graph_name, ntypes, etypes)``: the feature
  dicts keyed ``"ntype/name"`` / ``"src:rel:dst/name"`` (rows of owned nodes/edges,
  torch tensors), a ``dgl.distributed.RangePartitionBook`` built from the set's ranges,
  ``ntypes`` as names and ``etypes`` as canonical ``(src, rel, dst)`` tuples, ordered
  by type ID — what DGL 1.x returns.
* :func:`from_dgl` — a ``DGLGraph`` (homogeneous or heterogeneous) as a
  :class:`gpf.Graph` for :func:`gpf.partition`: node counts per type (isolated nodes
  kept), edges per canonical type in edge-ID order, ``ndata``/``edata`` per type as
  features.

This module imports ``dgl`` at import time; ``import gpf`` never does.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import dgl
import numpy as np
import torch

from gpf.converters._setview import batch_partitions, local_union, whole_graph
from gpf.sdk.write.graph import RESERVED_EDGE_NAMES, RESERVED_NODE_NAMES, Graph, GraphError

__all__ = ["to_dgl", "to_dgl_graph", "to_dgl_partition", "partition_book", "from_dgl"]


def _tensor(a: np.ndarray) -> torch.Tensor:
    a = np.asarray(a)
    if not a.flags.writeable or not a.flags.c_contiguous:
        a = np.array(a, order="C")
    return torch.from_numpy(a)


def to_dgl(parts) -> dgl.DGLGraph:
    """The partition graph of ``parts`` (a :class:`gpf.Partition`) as a ``DGLGraph``, or the union
    of the local graphs of a list of partitions of one set (see the module docstring)."""
    plist = batch_partitions(parts, "to_dgl")
    if len(plist) == 1:
        part = plist[0]
        g = dgl.graph((_tensor(part.src), _tensor(part.dst)), num_nodes=part.num_nodes, idtype=torch.int64)
        for name, arr in part.ndata.items():
            g.ndata[name] = _tensor(arr)
        for name, arr in part.edata.items():
            g.edata[name] = _tensor(arr)
        return g
    ps, b = plist[0].set, local_union(plist)
    g = dgl.graph((_tensor(b.src), _tensor(b.dst)), num_nodes=int(b.nid.shape[0]), idtype=torch.int64)
    g.ndata["_ID"] = _tensor(b.nid)
    g.ndata["inner_node"] = _tensor(b.inner_node.astype(np.asarray(plist[0].ndata["inner_node"]).dtype))
    g.ndata["part_id"] = _tensor(ps.book.nid2partid(b.nid))
    g.edata["_ID"] = _tensor(b.eid)
    if "inner_edge" in plist[0].edata:
        g.edata["inner_edge"] = _tensor(b.inner_edge.astype(np.asarray(plist[0].edata["inner_edge"]).dtype))
    if not ps.is_homogeneous:
        g.ndata["_TYPE"] = _tensor(ps.book.map_to_per_ntype(b.nid)[0].astype(np.int32))
        g.edata["_TYPE"] = _tensor(ps.book.map_to_per_etype(b.eid)[0].astype(np.int32))
    return g


def to_dgl_graph(ps, *, ids: str = "original") -> dgl.DGLGraph:
    """The whole set ``ps`` as one ``DGLGraph`` with its features (see the module docstring):
    ``ids="original"`` (default) gives the graph given to the partitioner, ``ids="gpf"`` gpf
    per-type IDs (for a set without original-ID maps)."""
    g = whole_graph(ps, ids, who="to_dgl_graph")
    out = dgl.heterograph({et: (_tensor(s), _tensor(d)) for et, (s, d) in g.edges_dict.items()},
                          num_nodes_dict=dict(g.num_nodes_dict), idtype=torch.int64)
    for nt, feats in g.ndata.items():
        for name, arr in feats.items():
            out.nodes[nt].data[name] = _tensor(arr)
    for et, feats in g.edata.items():
        for name, arr in feats.items():
            out.edges[et].data[name] = _tensor(arr)
    return out


def partition_book(ps, part_id: int):
    """A ``dgl.distributed.RangePartitionBook`` of set ``ps`` seen from partition ``part_id``."""
    from dgl.distributed.graph_partition_book import RangePartitionBook

    book = ps.book
    ntypes = {nt: i for i, nt in enumerate(ps.ntypes)}
    etypes = {tuple(et): i for i, et in enumerate(ps.etypes)}
    node_map = {nt: np.array(book.nodes.ranges[i]) for nt, i in ntypes.items()}
    edge_map = {et: np.array(book.edges.ranges[i]) for et, i in etypes.items()}
    return RangePartitionBook(int(part_id), ps.num_parts, node_map, edge_map, ntypes, etypes)


def to_dgl_partition(part, load_feats: bool = True) -> tuple[Any, dict, dict, Any, str, list, list]:
    """``load_partition``'s tuple ``(graph, node_feats, edge_feats, gpb, graph_name, ntypes, etypes)``."""
    ps = part.set
    g = to_dgl(part)
    nfeat = {k: _tensor(v) for k, v in part.node_feats.items()} if load_feats else {}
    efeat = {k: _tensor(v) for k, v in part.edge_feats.items()} if load_feats else {}
    return (g, nfeat, efeat, partition_book(ps, part.part_id), ps.graph_name, list(ps.ntypes),
            [tuple(et) for et in ps.etypes])


def from_dgl(g: dgl.DGLGraph, *, exclude: Iterable[str] = ()) -> Graph:
    """A :class:`gpf.Graph` holding ``g``'s structure and data (names in ``exclude`` left out).

    Data named ``_ID`` or ``inner_node``/``inner_edge`` (e.g. from ``dgl.node_subgraph``)
    is partition structure, not a feature: gpf refuses it by name; exclude it to go on.
    """
    if not isinstance(g, dgl.DGLGraph):
        raise GraphError(f"from_dgl: expected a dgl.DGLGraph, got {type(g).__name__}")
    if g.batch_size > 1:
        raise GraphError(f"from_dgl: g is a batch of {g.batch_size} graphs; gpf partitions one graph "
                         "(dgl.unbatch it, or partition the batch as one graph by resetting the batch info)")
    skip = set(exclude)
    for what, frames, reserved in (("ndata", {nt: g.nodes[nt].data for nt in g.ntypes}, RESERVED_NODE_NAMES),
                                   ("edata", {c: g.edges[c].data for c in g.canonical_etypes}, RESERVED_EDGE_NAMES)):
        for t, frame in frames.items():
            bad = [k for k in frame.keys() if k in reserved and k not in skip]
            if bad:
                raise GraphError(f"from_dgl: {what} of type {t!r} holds {bad}, which name partition structure "
                                 f"(dgl.node_subgraph and friends add '_ID'); pass exclude={bad} to leave them out")
    num_nodes = {nt: int(g.num_nodes(nt)) for nt in g.ntypes}
    edges, edata = {}, {}
    for c in g.canonical_etypes:
        s, d = g.edges(etype=c, order="eid")
        edges[c] = (_numpy(s, f"edges {c}"), _numpy(d, f"edges {c}"))
        edata[c] = {k: _numpy(v, f"edata {c!r}[{k!r}]") for k, v in g.edges[c].data.items() if k not in skip}
    ndata = {nt: {k: _numpy(v, f"ndata {nt!r}[{k!r}]") for k, v in g.nodes[nt].data.items() if k not in skip}
             for nt in g.ntypes}
    return Graph(num_nodes, edges, ndata, edata)


def _numpy(t: Any, where: str) -> np.ndarray:
    if not isinstance(t, torch.Tensor):
        raise GraphError(f"from_dgl: {where} is a {type(t).__name__}, not a tensor")
    try:
        return t.detach().cpu().numpy()
    except TypeError as exc:
        raise GraphError(f"from_dgl: {where} has dtype {t.dtype}, which numpy cannot hold ({exc})") from None
