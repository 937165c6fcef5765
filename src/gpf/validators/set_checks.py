"""Checks across partitions (G6, G9, SPEC 5.1's HALO rule) and the warnings.

Once every partition's inner edges are known to be exactly its EID range in order, their
global endpoints, concatenated over partitions, are the whole graph in EID order
(:class:`GlobalEdges`); HALO copies and k-hop neighbourhoods are checked against it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gpf.validators.partition_checks import PartData, SetFacts
from gpf.validators.report import Report

__all__ = [
    "GlobalEdges",
    "HaloCopy",
    "check_balance",
    "check_halo_endpoints",
    "check_halo_hops",
    "check_self_loops",
    "check_duplicate_edges",
    "check_isolated_nodes",
]

IMBALANCE = 2.0


@dataclass
class GlobalEdges:
    """Source and destination hid of every EID of the set (from the inner edges)."""

    src: np.ndarray
    dst: np.ndarray
    num_nodes: int

    @property
    def packed(self) -> bool:
        """Whether ``src * n + dst`` fits in int64 (one key per edge)."""
        return (max(self.num_nodes, 1) ** 2).bit_length() <= 62

    def key(self) -> np.ndarray:
        """``src * num_nodes + dst`` per EID (computed once; only when :attr:`packed`)."""
        if not hasattr(self, "_key"):
            k = self.src * max(self.num_nodes, 1)
            k += self.dst
            self._key = k
        return self._key


@dataclass
class HaloCopy:
    """What one partition stores beyond its inner edges: the HALO edges' EIDs and global endpoints."""

    p: int
    path: str
    eid: np.ndarray
    src: np.ndarray
    dst: np.ndarray


def check_balance(rep: Report, f: SetFacts) -> None:
    """Warnings from the ranges alone: empty partitions, empty type blocks, strong imbalance."""
    sizes = f.book.nodes.part_sizes()
    empty = np.flatnonzero(sizes == 0)
    if empty.size:
        rep.warn("partition.empty", f"{empty.size} partition(s) own no nodes", examples=empty)
    typed = f.book.nodes.ranges[:, :, 1] - f.book.nodes.ranges[:, :, 0]  # (T, P)
    for t, name in enumerate(f.ntypes):
        parts = np.flatnonzero((typed[t] == 0) & (sizes > 0))
        if parts.size and typed[t].sum() > 0:
            rep.warn("type_range.empty", f"node type {name!r}: {parts.size} partition(s) own none of its nodes",
                     examples=parts)
    for kind, sz in (("nodes", sizes), ("edges", f.book.edges.part_sizes())):
        mean = float(sz.mean()) if sz.size else 0.0
        if f.num_parts > 1 and mean > 0 and float(sz.max()) > IMBALANCE * mean:
            rep.warn("partition.imbalance", f"partition {int(sz.argmax())} owns {int(sz.max()):,} {kind}, "
                     f"{float(sz.max()) / mean:.1f}x the mean {mean:,.0f}", examples=[int(sz.argmax())])


def build_global_edges(f: SetFacts, parts: list[PartData]) -> GlobalEdges:
    """Concatenate the inner edges' global endpoints (every partition's inner edges are sound)."""
    srcs, dsts = [], []
    for d in parts:
        lo, hi = f.edge_range(d.p)
        s, t = d.inner_endpoints(hi - lo, f.node_range(d.p)[0])
        srcs.append(s)
        dsts.append(t)
    cat = (lambda xs: np.concatenate(xs) if xs else np.zeros(0, np.int64))
    return GlobalEdges(cat(srcs), cat(dsts), f.num_nodes)


def check_halo_endpoints(rep: Report, g: GlobalEdges, halos: list[HaloCopy]) -> None:
    """G9: a HALO edge joins the same two nodes as its owner partition's inner copy."""
    n = max(g.num_nodes, 1)
    for h in halos:
        if g.packed:  # one gather of the packed key instead of two
            bad = np.flatnonzero(g.key()[h.eid] != h.src * n + h.dst)
        else:
            bad = np.flatnonzero((g.src[h.eid] != h.src) | (g.dst[h.eid] != h.dst))
        if bad.size:
            rep.error("halo_edge.endpoints", f"{bad.size} HALO edge(s) join other nodes than the owner's copy "
                      "(edge _IDs in examples)", partition=h.p, path=h.path, examples=h.eid[bad])


def _gather_ranges(indptr: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(indptr[r], indptr[r+1])`` for the rows (vectorised)."""
    starts = indptr[rows]
    lens = indptr[rows + 1] - starts
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    return np.arange(total, dtype=np.int64) + np.repeat(starts - (np.cumsum(lens) - lens), lens)


def check_halo_hops(rep: Report, f: SetFacts, g: GlobalEdges, halos: list[HaloCopy]) -> None:
    """SPEC 5.1 / DGL's k-hop rule: with ``halo_hops = h >= 2`` partition p also stores, for k = 1..h-1,
    every in-edge (with a source outside p) of its hop-(k-1) HALO nodes.  Hop 0 are the sources of
    inner edges outside p, whose in-edges are the inner edges themselves (checked by G5/G6)."""
    if f.halo_hops < 2 or f.num_parts < 2 or g.src.size == 0:
        return
    n, m = f.num_nodes, g.src.shape[0]
    order = np.argsort(g.dst, kind="stable")
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(g.dst, minlength=n), out=ptr[1:])
    stamp = np.zeros(n, dtype=np.int32)
    stored = np.zeros(m, dtype=np.int32)
    for h in halos:
        p = h.p
        lo, hi = f.node_range(p)
        elo, ehi = f.edge_range(p)
        stored[elo:ehi] = p + 1
        stored[h.eid] = p + 1
        stamp[lo:hi] = p + 1
        srcs = g.src[elo:ehi]
        frontier = np.unique(srcs[(srcs < lo) | (srcs >= hi)])
        stamp[frontier] = p + 1
        for _k in range(1, f.halo_hops):
            if frontier.size == 0:
                break
            eids = order[_gather_ranges(ptr, frontier)]
            s = g.src[eids]
            keep = (s < lo) | (s >= hi)
            need = eids[keep]
            missing = need[stored[need] != p + 1]
            if missing.size:
                rep.error("halo.missing_edge", f"{missing.size} in-edge(s) of hop-{_k - 1} HALO nodes are not "
                          f"stored (halo_hops = {f.halo_hops}; edge _IDs in examples)", partition=p, path=h.path,
                          examples=np.sort(missing))
                break
            cand = s[keep]
            cand = np.unique(cand[stamp[cand] != p + 1])
            stamp[cand] = p + 1
            frontier = cand


def check_self_loops(rep: Report, f: SetFacts, g: GlobalEdges) -> None:
    """Warning: edges whose source is their destination."""
    loops = np.flatnonzero(g.src == g.dst)
    if loops.size:
        rep.warn("graph.self_loop", f"{loops.size:,} self-loop(s) (edge _IDs in examples)", examples=loops)


def check_duplicate_edges(rep: Report, f: SetFacts, g: GlobalEdges) -> None:
    """Warning: parallel edges (same etype, same source and destination hid)."""
    m = g.src.shape[0]
    if m < 2:
        return
    n, r = max(f.num_nodes, 1), len(f.etypes)
    et = f.book.edges.to_per_type(np.arange(m, dtype=np.int64))[0] if r > 1 else np.zeros(m, np.int64)
    if (n * n * r).bit_length() <= 62:
        key = g.key().copy()
        if r > 1:
            key *= r
            key += et
        key.sort()
        at = np.flatnonzero(key[1:] == key[:-1])
        pairs = key[at[: rep.max_examples] + 1] // r
        src, dst = pairs // n, pairs % n
    else:  # hids too large to pack: sort the three columns
        order = np.lexsort((et, g.dst, g.src))
        s, d, t = g.src[order], g.dst[order], et[order]
        at = np.flatnonzero((s[1:] == s[:-1]) & (d[1:] == d[:-1]) & (t[1:] == t[:-1]))
        src, dst = s[at[: rep.max_examples] + 1], d[at[: rep.max_examples] + 1]
    if at.size:
        rep.warn("graph.duplicate_edge", f"{at.size:,} parallel edge(s) (source->destination hids in examples)",
                 examples=[f"{a}->{b}" for a, b in zip(src.tolist(), dst.tolist())])


def check_isolated_nodes(rep: Report, f: SetFacts, g: GlobalEdges) -> None:
    """Warning: nodes that are neither the source nor the destination of any edge."""
    n = f.num_nodes
    touched = np.zeros(n, dtype=bool)
    touched[g.src] = True
    touched[g.dst] = True
    iso = np.flatnonzero(~touched)
    if iso.size:
        rep.warn("graph.isolated_node", f"{iso.size:,} isolated node(s) (hids in examples)", examples=iso)
