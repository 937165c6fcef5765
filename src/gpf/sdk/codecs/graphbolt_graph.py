"""The GraphBolt ``FusedCSCSamplingGraph`` as gpf holds it: its fields, its rules and its COO view.

DGL 2.x (``dgl_partition_to_graphbolt``) stores each partition as a ``torch.save`` zip whose pickle is a
``dgl.graphbolt.impl.fused_csc_sampling_graph.FusedCSCSamplingGraph`` (reference:
dgl-partition-format.md section 4).  :class:`GraphBoltGraph` is its content;
:func:`validate_graphbolt` is the one place its rules live (the reader and the writer both call it);
:func:`graphbolt_to_coo` expands it to COO edges.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gpf.sdk.codecs.pickle_scan import short_repr

__all__ = [
    "GraphBoltGraph",
    "validate_graphbolt",
    "graphbolt_to_coo",
    "PICKLE_VERSION",
    "GRAPHBOLT_MODULE",
    "GRAPHBOLT_CLASS",
    "SCRIPT_QUALNAME",
]

#: ``kPickleVersion`` of fused_csc_sampling_graph.cc, checked by DGL's ``SetState``.
PICKLE_VERSION = 6199
GRAPHBOLT_MODULE = "dgl.graphbolt.impl.fused_csc_sampling_graph"
GRAPHBOLT_CLASS = "FusedCSCSamplingGraph"
SCRIPT_QUALNAME = "__torch__.torch.classes.graphbolt.FusedCSCSamplingGraph"



@dataclass
class GraphBoltGraph:
    """The content of a GraphBolt ``FusedCSCSamplingGraph`` (arrays keep their stored dtype).

    ``indptr`` (num_nodes+1) and ``indices`` (num_edges) are the CSC adjacency: the
    in-edges of node ``v`` are CSC positions ``indptr[v]:indptr[v+1]`` and their source
    nodes are ``indices`` there.  Edge attributes are in CSC order.  Arrays returned by
    :func:`read_graphbolt` may be read-only views of the file's memory map.
    """

    indptr: np.ndarray
    indices: np.ndarray
    node_type_offset: np.ndarray | None = None
    type_per_edge: np.ndarray | None = None
    node_type_to_id: dict[str, int] | None = None
    edge_type_to_id: dict[str, int] | None = None
    node_attributes: dict[str, np.ndarray] = field(default_factory=dict)
    edge_attributes: dict[str, np.ndarray] = field(default_factory=dict)
    version_number: int = PICKLE_VERSION

    @property
    def num_nodes(self) -> int:
        return int(len(self.indptr)) - 1

    @property
    def num_edges(self) -> int:
        return int(len(self.indices))


def validate_graphbolt(g: GraphBoltGraph, err: Callable[[str], Exception]) -> None:
    """Check ``g`` against GraphBolt's rules (CSC shape, type maps and offsets, attribute lengths, version);
    the first violation raises ``err(message)``."""

    def int1d(name: str, a: Any) -> np.ndarray:
        if not isinstance(a, np.ndarray):
            raise err(f"{name} is {type(a).__name__}, expected a numpy array")
        if a.ndim != 1 or a.dtype.kind not in "iu":
            raise err(f"{name} must be a 1-D integer array, got shape {a.shape} dtype {a.dtype}")
        return a

    indptr = int1d("indptr", g.indptr)
    indices = int1d("indices", g.indices)
    if len(indptr) < 1:
        raise err("indptr is empty (length must be num_nodes+1)")
    n, m = len(indptr) - 1, len(indices)
    if int(indptr[0]) != 0:
        raise err(f"indptr[0] is {int(indptr[0])}, expected 0")
    if n and np.any(indptr[1:] < indptr[:-1]):
        bad = int(np.flatnonzero(indptr[1:] < indptr[:-1])[0])
        raise err(f"indptr is not monotone: indptr[{bad + 1}]={int(indptr[bad + 1])} < indptr[{bad}]={int(indptr[bad])}")
    if int(indptr[-1]) != m:
        raise err(f"indptr[-1] is {int(indptr[-1])} but there are {m} indices")
    if m and (int(indices.min()) < 0 or int(indices.max()) >= n):
        raise err(f"indices out of range [0, {n}): min {int(indices.min())}, max {int(indices.max())}")

    for what, mp in (("node_type_to_id", g.node_type_to_id), ("edge_type_to_id", g.edge_type_to_id)):
        if mp is None:
            continue
        if not isinstance(mp, dict) or not all(isinstance(k, str) and type(v) is int for k, v in mp.items()):
            raise err(f"{what} must map str to int")
        ids = list(mp.values())
        if any(v < 0 for v in ids) or len(set(ids)) != len(ids):
            raise err(f"{what} ids must be distinct and >= 0, got {sorted(ids)}")

    if g.node_type_offset is not None:
        nto = int1d("node_type_offset", g.node_type_offset)
        if g.node_type_to_id is not None and len(nto) != len(g.node_type_to_id) + 1:
            raise err(f"node_type_offset has {len(nto)} entries, expected {len(g.node_type_to_id) + 1}")
        if len(nto) < 1 or int(nto[0]) != 0 or int(nto[-1]) != n or np.any(nto[1:] < nto[:-1]):
            raise err(f"node_type_offset must rise monotonically from 0 to num_nodes={n}")
    if g.type_per_edge is not None:
        tpe = int1d("type_per_edge", g.type_per_edge)
        if len(tpe) != m:
            raise err(f"type_per_edge has {len(tpe)} entries, expected num_edges={m}")
        if g.edge_type_to_id is None:
            raise err("type_per_edge is set but edge_type_to_id is not")
        if m:
            lim = max(g.edge_type_to_id.values(), default=-1)
            if int(tpe.min()) < 0 or int(tpe.max()) > lim:
                raise err(f"type_per_edge values out of range [0, {lim}]: min {int(tpe.min())}, max {int(tpe.max())}")

    for what, attrs, count in (("node_attributes", g.node_attributes, n), ("edge_attributes", g.edge_attributes, m)):
        if not isinstance(attrs, dict):
            raise err(f"{what} must be a dict")
        for k, a in attrs.items():
            if not isinstance(k, str):
                raise err(f"{what} has a non-string key {short_repr(k)}")
            if not isinstance(a, np.ndarray):
                raise err(f"{what}[{k!r}] is {type(a).__name__}, expected a numpy array")
            if a.ndim < 1 or a.shape[0] != count:
                raise err(f"{what}[{k!r}] has shape {a.shape}, expected first dimension {count}")
    if g.version_number != PICKLE_VERSION:
        raise err(f"version_number is {g.version_number}, expected {PICKLE_VERSION}")


def graphbolt_to_coo(g: GraphBoltGraph) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Expand the CSC adjacency into COO ``(src, dst, csc_order)`` (all int64).

    Edges come in DGL local-EID order when ``edge_attributes['_dgl2gb_eid']`` (DGL
    local EID -> CSC position, written by DGL >= 2.3 with COO) is present and a valid
    permutation, otherwise in CSC order.  ``csc_order[i]`` is the CSC position of
    edge ``i``, so ``g.edge_attributes[k][csc_order]`` lines attributes up with
    ``src``/``dst``.
    """
    indptr = np.asarray(g.indptr, dtype=np.int64)
    src = np.asarray(g.indices, dtype=np.int64)
    n = len(indptr) - 1
    m = len(src)
    dst = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
    perm = g.edge_attributes.get("_dgl2gb_eid")
    if isinstance(perm, np.ndarray) and perm.ndim == 1 and len(perm) == m and m and perm.dtype.kind in "iu":
        p = perm.astype(np.int64)
        if int(p.min()) >= 0 and int(p.max()) < m:
            seen = np.zeros(m, dtype=bool)
            seen[p] = True
            if seen.all():
                return src[p], dst[p], p
    return src, dst, np.arange(m, dtype=np.int64)
