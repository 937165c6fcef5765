"""A partition's local graph as GraphBolt stores it (``fused_csc_sampling_graph.pt``), and back.

:func:`partition_to_graphbolt` is what DGL 2.1's ``dgl_partition_to_graphbolt`` computes
from a ``graph.dgl`` partition, computed here from the partition arrays directly:

* CSC over local node IDs: the in-edges of node ``v`` are ``indptr[v]:indptr[v+1]``, in
  ascending local edge ID (DGL's ``adj_tensors("csc")`` order); ``indices`` are the
  local source IDs;
* dtypes as DGL casts them: ``indptr`` int32 when the partition has fewer than 2**31-1
  edges (else int64), ``indices`` int32 when it has fewer than 2**31-1 nodes,
  ``type_per_edge`` the smallest of int8/16/32/64 holding the edge-type count;
* node attributes: ``_ID`` (int64) always, ``inner_node`` (uint8) with
  ``store_inner_node``; edge attributes (CSC order): ``_ID`` (int64) with ``store_eids``,
  ``inner_edge`` (uint8) with ``store_inner_edge``; with ``store_all`` (DGL's
  ``DGL_DIST_DEBUG`` mode) every stored field, ``part_id`` and ``_TYPE`` cast to the
  smallest integer type;
* heterogeneous sets: ``type_per_edge`` (edge type ID per CSC edge) and the type maps
  ``node_type_to_id`` / ``edge_type_to_id`` (config order); ``node_type_offset`` is
  never set (HALO nodes break per-type local ranges, as in DGL).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gpf.sdk.codecs.graphbolt import GraphBoltGraph
from gpf.sdk.storage.base import PartGraph

__all__ = ["GraphBoltOptions", "partition_to_graphbolt", "csc_order", "min_int_dtype", "GRAPHBOLT_FILE"]

GRAPHBOLT_FILE = "fused_csc_sampling_graph.pt"
_I32_MAX = int(np.iinfo(np.int32).max)


@dataclass(frozen=True)
class GraphBoltOptions:
    """Which optional fields a GraphBolt partition stores (DGL's ``dgl_partition_to_graphbolt`` flags)."""

    store_eids: bool = False
    store_inner_node: bool = False
    store_inner_edge: bool = False
    #: every field of the partition graph (DGL does this when ``DGL_DIST_DEBUG`` is set)
    store_all: bool = False

    def flags(self) -> str:
        """The command-line flags that give these options (for messages)."""
        on = [f"--store-{n.replace('_', '-')[6:]}" for n in ("store_eids", "store_inner_node", "store_inner_edge")
              if getattr(self, n)]
        return " ".join(on)


def min_int_dtype(bound: int, candidates=(np.int8, np.int16, np.int32, np.int64)) -> np.dtype:
    """The first of ``candidates`` whose maximum exceeds ``bound`` (DGL's ``_cast_to_minimum_dtype``)."""
    for dt in candidates:
        if bound < np.iinfo(dt).max:
            return np.dtype(dt)
    return np.dtype(candidates[-1])


def csc_order(dst: np.ndarray, num_nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """``(indptr int64, order)``: local edge IDs grouped by destination, ascending within a node.

    A stable LSD radix sort on 16-bit digits of ``dst`` (numpy's stable sort of uint16 keys is a
    radix sort): two or three linear passes instead of a comparison sort."""
    dst = np.asarray(dst)
    m = int(dst.shape[0])
    indptr = np.zeros(num_nodes + 1, dtype=np.int64)
    if m:
        np.cumsum(np.bincount(dst, minlength=num_nodes), out=indptr[1:])
    key: np.ndarray = dst.astype(np.uint64 if num_nodes > 0xFFFFFFFF else np.uint32, copy=False)
    order = np.argsort(np.bitwise_and(key, 0xFFFF).astype(np.uint16), kind="stable")
    shift = 16
    while (num_nodes - 1) >> shift > 0:
        digit = np.bitwise_and(np.right_shift(key[order], shift), 0xFFFF).astype(np.uint16)
        order = order[np.argsort(digit, kind="stable")]
        shift += 16
    return indptr, order


def partition_to_graphbolt(part: PartGraph, *, ntypes: list[str], etypes: list[str], num_nodes: int,
                           num_edges: int, num_parts: int, options: GraphBoltOptions = GraphBoltOptions(),
                           etype_ids: np.ndarray | None = None) -> GraphBoltGraph:
    """The GraphBolt graph DGL 2.1 derives from partition ``part`` of a set with these types and sizes.

    ``ntypes`` / ``etypes`` (canonical ``"src:rel:dst"``) are in type-ID order; ``num_nodes`` /
    ``num_edges`` are the whole set's.  ``etype_ids`` (edge type ID per local edge) is needed for a
    heterogeneous set whose partition graph stores no edge ``_TYPE``.
    """
    n = int(part.num_nodes)
    m = int(part.src.shape[0])
    homo = len(ntypes) == 1 and len(etypes) == 1
    indptr, order = csc_order(part.dst, n)
    src = np.asarray(part.src)
    indices = src[order].astype(min_int_dtype(n, (np.int32, np.int64)), copy=False)
    indptr = indptr.astype(min_int_dtype(m, (np.int32, np.int64)), copy=False)

    type_per_edge = None
    if not homo:
        if etype_ids is None:
            if "_TYPE" not in part.edata:
                raise ValueError(f"{part.source or 'partition'}: a heterogeneous partition needs its edge types "
                                 "(edge field '_TYPE')")
            etype_ids = part.edata["_TYPE"]
        type_per_edge = np.asarray(etype_ids)[order].astype(min_int_dtype(len(etypes)), copy=False)

    casts = {"_ID": lambda a, total: a.astype(np.int64, copy=False),
             "part_id": lambda a, total: a.astype(min_int_dtype(num_parts), copy=False),
             "_TYPE": lambda a, total: a.astype(min_int_dtype(len(etypes)), copy=False)}

    def pick(data: dict, wanted: list[str], total: int, perm: np.ndarray | None) -> dict[str, np.ndarray]:
        out = {}
        for k in (list(data) if options.store_all else wanted):
            if k not in data:
                raise ValueError(f"{part.source or 'partition'}: field {k!r} is not in the partition graph")
            a = np.asarray(data[k])
            a = casts[k](a, total) if k in casts else a
            out[k] = a if perm is None else a[perm]
        return out

    node_wanted = ["_ID"] + (["inner_node"] if options.store_inner_node else [])
    edge_wanted = (["_ID"] if options.store_eids else []) + (["inner_edge"] if options.store_inner_edge else [])
    node_attributes = pick(part.ndata, node_wanted, num_nodes, None)
    edge_attributes = pick(part.edata, edge_wanted, num_edges, order)
    return GraphBoltGraph(
        indptr=indptr, indices=indices, node_type_offset=None, type_per_edge=type_per_edge,
        node_type_to_id=None if homo else {nt: i for i, nt in enumerate(ntypes)},
        edge_type_to_id=None if homo else {et: i for i, et in enumerate(etypes)},
        node_attributes=node_attributes, edge_attributes=edge_attributes)
