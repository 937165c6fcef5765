"""Reshuffle: new global IDs so that every partition owns contiguous ID ranges.

Nodes (spec/SPEC.md, "ID scheme"; DGL's ``reshuffle_graph``): the new homogeneous ID
(hid) space is partition-major, type-minor: partition 0's type-0 nodes, its type-1
nodes, ..., then partition 1's.  Inside one (partition, type) block nodes keep their
original relative order (a stable sort), so new per-type IDs are partition-major too.

Edges: an edge belongs to the partition of its destination node.  Edge IDs are
partition-major, edge-type-minor, and stable inside a block.

DGL sorts with unstable sorts, so the order inside a block differs from DGL's; the
blocks themselves (which items, which ranges) are the same for the same assignment.

Everything is vectorised: per type one radix argsort of the small partition-ID array.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gpf.sdk.write.graph import CanonicalEtype, Graph
from gpf.sdk.write.partitioners import Assignment, part_dtype

__all__ = ["Reshuffle", "reshuffle"]


@dataclass
class Reshuffle:
    """New IDs of a graph under one assignment.

    * ``node_ranges[t, p] = [start, end)``: hid range of ntype ID ``t`` in partition ``p``;
      ``edge_ranges`` likewise for edges (the config's ``node_map`` / ``edge_map``).
    * ``node_typed_starts[t, p]``: first new per-type ID of type ``t`` in partition ``p``
      (``[:, P]`` = type count); ``edge_typed_starts`` likewise.
    * ``orig_nids[ntype][new per-type ID] = original per-type ID``; ``orig_eids[etype]`` likewise.
    * ``node_hid[ntype][original per-type ID] = new hid``.
    * ``edge_src`` / ``edge_dst``: new hid of both endpoints of every edge, indexed by new
      edge hid (the reshuffled homogeneous structure, no features).
    * ``node_part[hid]``: owner partition of every node.
    """

    ntypes: list[str]
    etypes: list[CanonicalEtype]
    num_parts: int
    node_ranges: np.ndarray
    edge_ranges: np.ndarray
    node_typed_starts: np.ndarray
    edge_typed_starts: np.ndarray
    orig_nids: dict[str, np.ndarray]
    orig_eids: dict[CanonicalEtype, np.ndarray]
    node_hid: dict[str, np.ndarray]
    edge_src: np.ndarray
    edge_dst: np.ndarray
    node_part: np.ndarray

    @property
    def num_nodes(self) -> int:
        return int(self.node_part.shape[0])

    @property
    def num_edges(self) -> int:
        return int(self.edge_src.shape[0])

    def node_part_range(self, p: int) -> tuple[int, int]:
        """hid range ``[start, end)`` owned by partition ``p`` (all types)."""
        return _part_range(self.node_ranges, p)

    def edge_part_range(self, p: int) -> tuple[int, int]:
        return _part_range(self.edge_ranges, p)

    def owned_orig_nids(self, ntype: str, p: int) -> np.ndarray:
        """Original per-type IDs of the ``ntype`` nodes partition ``p`` owns, in new-ID order."""
        t = self.ntypes.index(ntype)
        return self.orig_nids[ntype][self.node_typed_starts[t, p]: self.node_typed_starts[t, p + 1]]

    def owned_orig_eids(self, etype: CanonicalEtype, p: int) -> np.ndarray:
        r = self.etypes.index(etype)
        return self.orig_eids[etype][self.edge_typed_starts[r, p]: self.edge_typed_starts[r, p + 1]]


def _part_range(ranges: np.ndarray, p: int) -> tuple[int, int]:
    if ranges.shape[0] == 0:
        return 0, 0
    return int(ranges[0, p, 0]), int(ranges[-1, p, 1])


def _layout(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(ranges (T,P,2), typed_starts (T,P+1))`` of a partition-major, type-minor ID space."""
    t_n, p_n = counts.shape
    flat = counts.T.reshape(-1)  # p-major, t-minor
    ends = np.cumsum(flat).reshape(p_n, t_n).T
    starts = ends - counts
    ranges = np.stack([starts, ends], axis=2).astype(np.int64)
    typed = np.zeros((t_n, p_n + 1), dtype=np.int64)
    np.cumsum(counts, axis=1, out=typed[:, 1:])
    return ranges, typed


def _stable_order(keys: np.ndarray) -> np.ndarray:
    # Small unsigned keys: numpy's stable sort is a radix sort, O(n).
    return np.argsort(keys, kind="stable")


def reshuffle(graph: Graph, assignment: Assignment) -> Reshuffle:
    """Compute new node and edge IDs of ``graph`` under ``assignment`` (see module doc)."""
    P = assignment.num_parts
    ntypes, etypes = graph.ntypes, graph.canonical_etypes
    pdt = part_dtype(P)

    # -- nodes ----------------------------------------------------------------------------------
    node_counts = np.zeros((len(ntypes), P), dtype=np.int64)
    orig_nids: dict[str, np.ndarray] = {}
    for t, nt in enumerate(ntypes):
        parts = assignment.parts[nt]
        node_counts[t] = np.bincount(parts, minlength=P)[:P] if parts.size else 0
        orig_nids[nt] = _stable_order(parts)
    node_ranges, node_typed = _layout(node_counts)
    node_hid: dict[str, np.ndarray] = {}
    for t, nt in enumerate(ntypes):
        hid = np.empty(graph.num_nodes(nt), dtype=np.int64)
        order = orig_nids[nt]
        for p in range(P):
            a, b = node_typed[t, p], node_typed[t, p + 1]
            if b > a:
                hid[order[a:b]] = np.arange(node_ranges[t, p, 0], node_ranges[t, p, 1], dtype=np.int64)
        node_hid[nt] = hid
    per_part = node_counts.sum(axis=0)
    node_part = np.repeat(np.arange(P, dtype=pdt), per_part)

    # -- edges ----------------------------------------------------------------------------------
    edge_counts = np.zeros((len(etypes), P), dtype=np.int64)
    orig_eids: dict[CanonicalEtype, np.ndarray] = {}
    for r, et in enumerate(etypes):
        _, dst = graph.edges_dict[et]
        dpart = assignment.parts[et[2]][dst]
        edge_counts[r] = np.bincount(dpart, minlength=P)[:P] if dpart.size else 0
        orig_eids[et] = _stable_order(dpart)
        del dpart
    edge_ranges, edge_typed = _layout(edge_counts)
    m = int(edge_counts.sum())
    edge_src = np.empty(m, dtype=np.int64)
    edge_dst = np.empty(m, dtype=np.int64)
    for r, et in enumerate(etypes):
        src, dst = graph.edges_dict[et]
        order = orig_eids[et]
        hs, hd = node_hid[et[0]], node_hid[et[2]]
        for p in range(P):
            a, b = edge_typed[r, p], edge_typed[r, p + 1]
            if b > a:
                s = edge_ranges[r, p, 0]
                idx = order[a:b]
                edge_src[s: s + (b - a)] = hs[src[idx]]
                edge_dst[s: s + (b - a)] = hd[dst[idx]]
    return Reshuffle(list(ntypes), list(etypes), P, node_ranges, edge_ranges, node_typed, edge_typed,
                     orig_nids, orig_eids, node_hid, edge_src, edge_dst, node_part)
