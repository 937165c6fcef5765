"""Per-partition local graphs with HALO nodes, laid out as DGL's ``partition_graph`` does.

For partition ``p`` with ``halo_hops = h >= 1`` (DGL ``GetSubgraphWithHalo``):

1. every in-edge of an inner node (its *inner edges*; the EID range of ``p``); their
   sources outside ``p`` become HALO hop 0;
2. for k = 1..h-1: the in-edges of HALO hop k-1 whose source is not inner; new
   sources become HALO hop k;
3. the out-edges of inner nodes whose destination is outside ``p``; new destinations
   are HALO nodes too (not expanded).

Local order (spec/SPEC.md, "Partition graph"; reference 2.3): inner nodes first in
ascending hid (so ``local = hid - start``), then HALO nodes hop by hop, each hop in
ascending hid, then the out-edge HALO nodes in ascending hid (DGL uses discovery
order, which no reader relies on).  Inner edges first in ascending EID, then the
others in ascending EID.

Fields and dtypes (DGL >= 1.0): ndata ``_ID`` int64, ``inner_node`` uint8, ``part_id``
int64 (only when P > 1), ``_TYPE`` int32 (heterogeneous input, or P == 1); edata
``_ID`` int64, ``inner_edge`` uint8, ``_TYPE`` int32 (same rule).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gpf.sdk.arrays import unique
from gpf.sdk.read.book import IdMap
from gpf.sdk.write.reshuffle import Reshuffle

__all__ = ["LocalGraph", "HaloBuilder", "gather_ranges"]


@dataclass
class LocalGraph:
    """One partition's structure in local IDs plus its DGL fields."""

    num_nodes: int
    src: np.ndarray
    dst: np.ndarray
    ndata: dict[str, np.ndarray]
    edata: dict[str, np.ndarray]
    num_inner_nodes: int
    num_inner_edges: int


def gather_ranges(indptr: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(indptr[r], indptr[r+1])`` for every ``r`` in ``rows`` (vectorised)."""
    starts = indptr[rows]
    lens = indptr[rows + 1] - starts
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    shift = np.repeat(starts - (np.cumsum(lens) - lens), lens)
    return np.arange(total, dtype=np.int64) + shift


class HaloBuilder:
    """Builds the local graph of each partition from a :class:`Reshuffle`.

    Holds O(N) scratch arrays and, per source partition, the cut edges (grouped once);
    with ``halo_hops >= 2`` also an in-edge index (CSC) of the reshuffled graph.
    """

    def __init__(self, rs: Reshuffle, halo_hops: int, *, with_types: bool) -> None:
        if halo_hops < 1:
            raise ValueError("halo_hops must be >= 1 (DGL loses cut edges with 0)")
        self.rs = rs
        self.h = int(halo_hops)
        self.with_types = with_types
        self.P = rs.num_parts
        n = rs.num_nodes
        self.nodes = IdMap(rs.node_ranges, tuple(rs.ntypes), "node")
        self.edges = IdMap(rs.edge_ranges, tuple(":".join(e) for e in rs.etypes), "edge")
        # Cut edges (src and dst owned by different partitions), grouped by the src's partition.
        src_part = rs.node_part[rs.edge_src]
        dst_part = np.repeat(np.arange(self.P, dtype=src_part.dtype),
                             [rs.edge_part_range(p)[1] - rs.edge_part_range(p)[0] for p in range(self.P)])
        cut = np.flatnonzero(src_part != dst_part)
        del dst_part
        cut_src_part = src_part[cut]
        del src_part
        order = np.argsort(cut_src_part, kind="stable")  # radix sort on a small key
        self.cut_eids = cut[order]  # ascending EID inside each group (stable)
        self.cut_ptr = np.zeros(self.P + 1, dtype=np.int64)
        np.cumsum(np.bincount(cut_src_part, minlength=self.P)[: self.P], out=self.cut_ptr[1:])
        del cut, cut_src_part, order
        self.edge_cut = int(self.cut_eids.shape[0])
        # Scratch: which partition last took a node (p + 1), a flag array, local IDs.
        self._stamp = np.zeros(n, dtype=np.int32)
        self._flag = np.zeros(n, dtype=bool)
        self._local = np.zeros(n, dtype=np.int64)
        if self.h >= 2 and self.P > 1:
            self.csc_eids = np.argsort(rs.edge_dst, kind="stable")
            self.csc_ptr = np.zeros(n + 1, dtype=np.int64)
            np.cumsum(np.bincount(rs.edge_dst, minlength=n), out=self.csc_ptr[1:])

    def _new_nodes(self, cand: np.ndarray, p: int) -> np.ndarray:
        """Sorted unique nodes of ``cand`` not yet in partition ``p``'s node set; stamps them."""
        cand = cand[self._stamp[cand] != p + 1]
        if cand.size == 0:
            return cand
        if cand.size * 16 < self._flag.shape[0]:  # few candidates: sort them
            new = unique(cand)
        else:  # many: mark and scan, O(N) without sorting
            self._flag[cand] = True
            new = np.flatnonzero(self._flag)
            self._flag[new] = False
        self._stamp[new] = p + 1
        return new

    def build(self, p: int) -> LocalGraph:
        rs = self.rs
        ns, ne = rs.node_part_range(p)
        es, ee = rs.edge_part_range(p)
        self._stamp[ns:ne] = p + 1
        inner_src = rs.edge_src[es:ee]
        levels = [np.arange(ns, ne, dtype=np.int64)]
        other_eids = []
        outside = inner_src[(inner_src < ns) | (inner_src >= ne)]
        frontier = self._new_nodes(outside, p)
        levels.append(frontier)
        for _k in range(1, self.h):
            if frontier.size == 0:
                break
            eids = self.csc_eids[gather_ranges(self.csc_ptr, frontier)]
            srcs = rs.edge_src[eids]
            keep = (srcs < ns) | (srcs >= ne)
            other_eids.append(eids[keep])
            frontier = self._new_nodes(srcs[keep], p)
            levels.append(frontier)
        out_eids = self.cut_eids[self.cut_ptr[p]: self.cut_ptr[p + 1]]
        other_eids.append(out_eids)
        levels.append(self._new_nodes(rs.edge_dst[out_eids], p))

        nodes = np.concatenate(levels)
        n_local = int(nodes.shape[0])
        self._local[nodes] = np.arange(n_local, dtype=np.int64)
        others = np.concatenate(other_eids)
        if len(other_eids) > 1:
            others.sort()
        eids = np.concatenate([np.arange(es, ee, dtype=np.int64), others])
        src = self._local[rs.edge_src[eids]]
        dst = self._local[rs.edge_dst[eids]]
        n_inner, m_inner = ne - ns, ee - es

        inner_node = np.zeros(n_local, dtype=np.uint8)
        inner_node[:n_inner] = 1
        inner_edge = np.zeros(eids.shape[0], dtype=np.uint8)
        inner_edge[:m_inner] = 1
        ndata: dict[str, np.ndarray] = {"_ID": nodes, "inner_node": inner_node}
        edata: dict[str, np.ndarray] = {"_ID": eids, "inner_edge": inner_edge}
        if self.P > 1:
            ndata["part_id"] = rs.node_part[nodes].astype(np.int64)
        if self.with_types:
            ndata["_TYPE"] = self.nodes.to_per_type(nodes)[0].astype(np.int32)
            edata["_TYPE"] = self.edges.to_per_type(eids)[0].astype(np.int32)
        return LocalGraph(n_local, src, dst, ndata, edata, n_inner, m_inner)
