"""Checks across partitions (G6, G9, SPEC 5.1's HALO rule) and the warnings.

Once every partition's inner edges are known to be exactly its EID range in order, their
global endpoints, taken over partitions, are the whole graph in EID order (:class:`SetEdges`,
one chunk per partition, computed on demand); HALO copies and k-hop neighbourhoods are checked
against it.  Parallel edges share their destination, hence their owner, so they are found one
partition at a time.  :func:`run_set_checks` runs them all in one pass over the chunks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

import numpy as np

from gpf.sdk.aligned import ascending, blocks, mark, take
from gpf.validators.guard import guarded
from gpf.validators.part_data import HaloCopy, PartData, SetFacts, search_sorted
from gpf.validators.report import Report

__all__ = [
    "SetEdges",
    "build_set_edges",
    "run_set_checks",
    "HaloCopy",
    "check_balance",
    "check_halo_endpoints",
    "check_halo_hops",
    "check_self_loops",
    "check_duplicate_edges",
    "check_isolated_nodes",
]

IMBALANCE = 2.0
#: Per node type: warn when a partition owns more than TYPE_IMBALANCE x the type's mean inner
#: nodes, for types with at least TYPE_IMBALANCE_MIN_MEAN nodes per partition on average
#: (smaller types cannot be split evenly; a random split stays far below 1.5x at that size).
TYPE_IMBALANCE = 1.5
TYPE_IMBALANCE_MIN_MEAN = 100


@dataclass
class SetEdges:
    """Source and destination hid of every EID of the set, kept per partition (no global copy).

    Chunk ``k`` holds EIDs ``starts[k] .. starts[k+1]-1``: partition k's inner edges, in EID order,
    either stored (``src[k]``, ``dst[k]``) or, with ``compute``, computed on demand by
    ``compute[k]()`` from the partition's files (nothing O(E) is kept: :func:`run_set_checks`
    computes each chunk once).  :meth:`gather` looks EIDs up; :meth:`concat` builds whole-set
    arrays (only the k-hop check and ``--against`` need them)."""

    starts: np.ndarray
    src: list[np.ndarray]
    dst: list[np.ndarray]
    num_nodes: int
    compute: list[Callable[[], tuple[np.ndarray, np.ndarray]]] | None = None

    @classmethod
    def single(cls, src: np.ndarray, dst: np.ndarray, num_nodes: int) -> SetEdges:
        return cls(np.array([0, src.shape[0]], dtype=np.int64), [src], [dst], num_nodes)

    @property
    def num_edges(self) -> int:
        return int(self.starts[-1])

    def chunks(self) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        """``(first EID, src, dst)`` per chunk (a computed chunk is dropped when the next is asked for)."""
        for k, lo in enumerate(self.starts[:-1].tolist()):
            s, d = self.compute[k]() if self.compute is not None else (self.src[k], self.dst[k])
            yield lo, s, d

    def materialize(self) -> SetEdges:
        """Compute and keep every chunk (for checks that use the whole set at once)."""
        if self.compute is not None:
            pairs = [(s, d) for _lo, s, d in self.chunks()]
            self.src, self.dst, self.compute = [p[0] for p in pairs], [p[1] for p in pairs], None
        return self

    def concat(self) -> tuple[np.ndarray, np.ndarray]:
        if "_cat" not in self.__dict__:
            self.materialize()
            cat = (lambda xs: np.concatenate(xs) if xs else np.zeros(0, np.int64))
            self._cat = (cat(self.src), cat(self.dst))
        return self._cat

    def gather(self, eids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Endpoints of the EIDs ``eids`` (any order; one slice per chunk when sorted)."""
        self.materialize()
        dtype = np.result_type(*self.src, *self.dst) if self.src else np.int64
        out_s = np.empty(eids.shape[0], dtype=dtype)
        out_d = np.empty(eids.shape[0], dtype=dtype)
        order = None
        if eids.size > 1 and not bool(np.all(eids[1:] >= eids[:-1])):
            order = np.argsort(eids, kind="stable")
            eids = eids[order]
        bounds = np.searchsorted(eids, self.starts)
        for k, (lo, s, d) in enumerate(self.chunks()):
            a, b = int(bounds[k]), int(bounds[k + 1])
            if b > a:
                local = eids[a:b] - lo
                out_s[a:b] = s.take(local)
                out_d[a:b] = d.take(local)
        if order is not None:
            back = np.empty_like(order)
            back[order] = np.arange(order.shape[0])
            out_s, out_d = out_s[back], out_d[back]
        return out_s, out_d


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
    if f.num_parts > 1:
        for t, name in enumerate(f.ntypes):
            mean = float(typed[t].sum()) / f.num_parts
            over = np.flatnonzero(typed[t] > TYPE_IMBALANCE * mean)
            if mean >= TYPE_IMBALANCE_MIN_MEAN and over.size:
                worst = int(typed[t].argmax())
                rep.warn("type_range.imbalance",
                         f"node type {name!r}: partition {worst} owns {int(typed[t, worst]):,} of its nodes, "
                         f"{float(typed[t, worst]) / mean:.2f}x the mean {mean:,.0f} ({over.size} partition(s) "
                         f"over {TYPE_IMBALANCE}x); every epoch waits for that partition", examples=over)
    for kind, sz in (("nodes", sizes), ("edges", f.book.edges.part_sizes())):
        mean = float(sz.mean()) if sz.size else 0.0
        if f.num_parts > 1 and mean > 0 and float(sz.max()) > IMBALANCE * mean:
            rep.warn("partition.imbalance", f"partition {int(sz.argmax())} owns {int(sz.max()):,} {kind}, "
                     f"{float(sz.max()) / mean:.1f}x the mean {mean:,.0f}", examples=[int(sz.argmax())])


def build_set_edges(f: SetFacts, parts: list[PartData]) -> SetEdges:
    """The inner edges' global endpoints of every partition (all of them sound), in partition order,
    computed on demand from each part (``part.inner_endpoints``)."""
    compute: list[Callable[[], tuple[np.ndarray, np.ndarray]]] = []
    for d in sorted(parts, key=lambda d: d.p):
        lo, hi = f.edge_range(d.p)
        compute.append(partial(d.inner_endpoints, hi - lo, f.node_range(d.p)[0]))
    starts = np.asarray([f.edge_range(p)[0] for p in range(f.num_parts)] + [f.num_edges], dtype=np.int64)
    return SetEdges(starts, [], [], f.num_nodes, compute)


def run_set_checks(rep: Report, f: SetFacts, e: SetEdges, halos: list[HaloCopy], progress: bool = False) -> None:
    """G9's HALO copies, the k-hop HALO rule and the warnings (self-loops, parallel edges, isolated
    nodes), reported in that order, in one pass over the partitions' inner edges: each partition's
    global endpoints are computed once, used by every check, then dropped."""
    if f.halo_hops >= 2:
        e.materialize()  # the k-hop check walks the whole set
    checks = [_HaloEndpoints(e, halos), _SelfLoops(), _DuplicateEdges(f, rep.max_examples), _IsolatedNodes(f)]
    _one_pass(rep, e, checks, between=lambda: guarded(rep, "check_halo_hops", check_halo_hops, rep, f, e, halos),
              progress=progress)


class _Pass:
    """A check across partitions fed one chunk of inner edges at a time (:func:`_one_pass`)."""

    name = ""

    def add(self, k: int, lo: int, s: np.ndarray, d: np.ndarray) -> bool:
        """Take chunk ``k`` (partition k's inner edges, EIDs from ``lo``; hids ``s`` -> ``d``); True."""
        raise NotImplementedError

    def report(self, rep: Report) -> None:
        """Add the problems found, after the last chunk."""
        raise NotImplementedError


def _one_pass(rep: Report, e: SetEdges, checks: list[_Pass], between: Callable[[], object] | None = None,
              progress: bool = False) -> None:
    """Feed every chunk to every check (a check that crashes is reported and dropped), then let them
    report in order (``between`` runs after the first one's report)."""
    live = list(checks)
    chunks = e.chunks()
    if progress:
        from gpf.progress import track

        chunks = track(chunks, total=len(e.starts) - 1, description="checking across partitions")
    for k, (lo, s, d) in enumerate(chunks):
        live = [c for c in live if guarded(rep, c.name, c.add, k, lo, s, d)]
    for i, c in enumerate(checks):
        if c in live:
            guarded(rep, c.name, c.report, rep)
        if i == 0 and between is not None:
            between()


def check_halo_endpoints(rep: Report, e: SetEdges, halos: list[HaloCopy]) -> None:
    """G9: a HALO edge joins the same two nodes as its owner partition's inner copy."""
    _one_pass(rep, e, [_HaloEndpoints(e, halos)])


class _HaloEndpoints(_Pass):
    """G9, owner by owner: each HALO copy's EIDs, sorted (as written, SPEC 5.2, or by an argsort),
    split into one slice per owner, so an owner's endpoints are read from cache by every copy's slice."""

    name = "check_halo_endpoints"

    def __init__(self, e: SetEdges, halos: list[HaloCopy]) -> None:
        self.halos = halos
        self.bad: list[list[np.ndarray]] = [[] for _ in halos]
        self.bounds: list[list[int]] = []
        # None for a copy whose EIDs are ascending; else (argsort of the EIDs, src, dst): the positions
        # scatter, so its endpoints are computed all at once
        self.sorted: list[tuple[np.ndarray, np.ndarray, np.ndarray] | None] = []
        for h in halos:
            up = bool(h.eid_ascending) or ascending(h.eid)
            if up:
                self.sorted.append(None)
                self.bounds.append(search_sorted(h.eid, e.starts.tolist()))
            else:
                order = np.argsort(h.eid, kind="stable")
                self.sorted.append((order, *h.endpoints()))
                self.bounds.append(search_sorted(h.eid[order], e.starts.tolist()))

    def add(self, k: int, lo: int, s: np.ndarray, d: np.ndarray) -> bool:
        for i, h in enumerate(self.halos):
            a, b = self.bounds[i][k], self.bounds[i][k + 1]
            if b <= a:
                continue
            sorted_i = self.sorted[i]
            if sorted_i is None:
                hs, hd = h.endpoints(a, b)
                diff = _slice_mismatches(s, d, h.eid[a:b] - lo, hs, hd)
                if diff is not None:
                    self.bad[i].append(diff + a)
            else:
                order, src, dst = sorted_i
                at = order[a:b]
                diff = _slice_mismatches(s, d, h.eid[at] - lo, src[at], dst[at])
                if diff is not None:
                    self.bad[i].append(at[diff])
        return True

    def report(self, rep: Report) -> None:
        for h, parts in zip(self.halos, self.bad):
            bad = np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)
            if bad.size:
                rep.error("halo_edge.endpoints", f"{bad.size} HALO edge(s) join other nodes than the owner's copy "
                          "(edge _IDs in examples)", partition=h.p, path=h.path, examples=h.eid[bad])


def _slice_mismatches(s: np.ndarray, d: np.ndarray, local: np.ndarray, hs: np.ndarray,
                      hd: np.ndarray) -> np.ndarray | None:
    """Positions where ``(s[local], d[local])`` differs from ``(hs, hd)``; None when none (early-exit
    equality first, no mask in the common case)."""
    own_s = s.take(local)
    if np.array_equal(own_s, hs):
        own_d = d.take(local)
        if np.array_equal(own_d, hd):
            return None
    else:
        own_d = d.take(local)
    return np.flatnonzero((own_s != hs) | (own_d != hd))


def check_halo_hops(rep: Report, f: SetFacts, e: SetEdges, halos: list[HaloCopy]) -> None:
    """SPEC 5.1 / DGL's k-hop rule: with ``halo_hops = h >= 2`` partition p also stores, for k = 1..h-1,
    every in-edge (with a source outside p) of its hop-(k-1) HALO nodes.  Hop 0 are the sources of
    inner edges outside p, whose in-edges are the inner edges themselves (checked by G5/G6)."""
    if f.halo_hops < 2 or f.num_parts < 2 or e.num_edges == 0:
        return
    e.materialize()
    n, m = f.num_nodes, e.num_edges
    node_starts = [f.node_range(k)[0] for k in range(f.num_parts)] + [n]
    stamp = np.zeros(n, dtype=np.int32)  # p + 1: node already in partition p's hop frontiers
    stored = np.zeros(m, dtype=np.int32)  # p + 1: edge stored in partition p
    flags = np.zeros(n, dtype=bool)       # scratch, all False between uses
    for h in halos:
        p = h.p
        lo, hi = f.node_range(p)
        elo, ehi = f.edge_range(p)
        stored[elo:ehi] = p + 1
        for _at, b in blocks(h.eid, np.intp):  # the HALO _IDs are unaligned in DGL's files
            stored[b] = p + 1
        stamp[lo:hi] = p + 1
        srcs = e.src[p]
        frontier = _new_nodes(srcs[(srcs < lo) | (srcs >= hi)], stamp, p + 1, flags)
        for _k in range(1, f.halo_hops):
            if frontier.size == 0:
                break
            eids, s = _in_edges(e, frontier, node_starts, flags)
            outside = (s < lo) | (s >= hi)
            need = eids[outside]
            missing = need[stored[need] != p + 1]
            if missing.size:
                rep.error("halo.missing_edge", f"{missing.size} in-edge(s) of hop-{_k - 1} HALO nodes are not "
                          f"stored (halo_hops = {f.halo_hops}; edge _IDs in examples)", partition=p, path=h.path,
                          examples=np.sort(missing))
                break
            if _k + 1 < f.halo_hops:  # the next hop's frontier
                frontier = _new_nodes(s[outside], stamp, p + 1, flags)


def _new_nodes(cand: np.ndarray, stamp: np.ndarray, stamp_value: int, flags: np.ndarray) -> np.ndarray:
    """The distinct nodes of ``cand`` not stamped ``stamp_value`` yet, sorted; stamps them.  By marks and one
    scan of the node flags (O(N)), not a sort of the candidates (which repeat a lot)."""
    mark(flags, cand)
    new = np.flatnonzero(flags & (stamp != stamp_value))
    flags[:] = False
    stamp[new] = stamp_value
    return new


def _in_edges(e: SetEdges, frontier: np.ndarray, node_starts: list[int],
              front: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """EIDs (ascending) and sources of the in-edges of ``frontier`` (sorted node IDs).  A node's in-edges
    are inner edges of its owner: only the chunks of partitions owning frontier nodes are scanned,
    each with one lookup per edge in the flags ``front`` (all False; restored)."""
    front[frontier] = True
    cuts = np.searchsorted(frontier, node_starts).tolist()
    eids, srcs = [], []
    for k, (lo, s, d) in enumerate(e.chunks()):
        if cuts[k + 1] > cuts[k]:
            hit = np.flatnonzero(take(front, d))
            eids.append(hit + lo)
            srcs.append(s[hit])
    front[frontier] = False
    cat = (lambda xs, dt: np.concatenate(xs) if xs else np.zeros(0, dt))  # noqa: E731
    return cat(eids, np.int64), cat(srcs, np.int64)


def check_self_loops(rep: Report, f: SetFacts, e: SetEdges) -> None:
    """Warning: edges whose source is their destination."""
    _one_pass(rep, e, [_SelfLoops()])


def check_duplicate_edges(rep: Report, f: SetFacts, e: SetEdges) -> None:
    """Warning: parallel edges (same etype, same source and destination hid).

    Parallel edges share their destination, hence their owner: one sort per partition."""
    _one_pass(rep, e, [_DuplicateEdges(f, rep.max_examples)])


def check_isolated_nodes(rep: Report, f: SetFacts, e: SetEdges) -> None:
    """Warning: nodes that are neither the source nor the destination of any edge."""
    _one_pass(rep, e, [_IsolatedNodes(f)])


class _SelfLoops(_Pass):
    name = "check_self_loops"

    def __init__(self) -> None:
        self.loops: list[np.ndarray] = []

    def add(self, k: int, lo: int, s: np.ndarray, d: np.ndarray) -> bool:
        self.loops.append(np.flatnonzero(s == d) + lo)
        return True

    def report(self, rep: Report) -> None:
        count = sum(x.size for x in self.loops)
        if count:
            rep.warn("graph.self_loop", f"{count:,} self-loop(s) (edge _IDs in examples)",
                     examples=np.concatenate(self.loops)[: rep.max_examples])


class _DuplicateEdges(_Pass):
    name = "check_duplicate_edges"

    def __init__(self, f: SetFacts, max_examples: int) -> None:
        self.f = f
        self.max_examples = max_examples
        self.count = 0
        self.examples: list[str] = []

    def add(self, k: int, lo: int, s: np.ndarray, d: np.ndarray) -> bool:
        """Partition k's inner edges are etype blocks (G5): parallel edges are found block by block."""
        f, keep = self.f, self.max_examples
        if len(f.etypes) == 1:
            blocks = [(0, 0, s.shape[0])]
        else:
            blocks = [(t, a - lo, b - lo) for t, a, b in f.book.edges.type_blocks(k)]
        found: list[tuple[int, int, int]] = []  # the first ``keep`` repeats per block, as (src, dst, etype)
        for t, a, b in blocks:
            count, pairs = _parallel_edges(s[a:b], d[a:b], max(f.num_nodes, 1), keep)
            self.count += count
            found += [(x, y, t) for x, y in pairs]
        found.sort()  # the order one sort of (src, dst, etype) keys over the partition would give
        self.examples += [f"{x}->{y}" for x, y, _t in found[:keep]]
        return True

    def report(self, rep: Report) -> None:
        if self.count:
            rep.warn("graph.duplicate_edge", f"{self.count:,} parallel edge(s) (source->destination hids in "
                     "examples)", examples=self.examples)


class _IsolatedNodes(_Pass):
    name = "check_isolated_nodes"

    def __init__(self, f: SetFacts) -> None:
        self.touched = np.zeros(f.num_nodes, dtype=bool)

    def add(self, k: int, lo: int, s: np.ndarray, d: np.ndarray) -> bool:
        mark(self.touched, s)
        mark(self.touched, d)
        return True

    def report(self, rep: Report) -> None:
        iso = np.flatnonzero(~self.touched)
        if iso.size:
            rep.warn("graph.isolated_node", f"{iso.size:,} isolated node(s) (hids in examples)", examples=iso)


def _parallel_edges(s: np.ndarray, d: np.ndarray, n: int, keep: int) -> tuple[int, list[tuple[int, int]]]:
    """How many edges repeat an earlier (s, d) pair, and the first ``keep`` repeats in (s, d) order.

    One sort of packed ``s * n + d`` keys when they fit 62 bits, else a lexsort of the columns."""
    if s.shape[0] < 2:
        return 0, []
    if (n * n).bit_length() <= 62:
        key = np.multiply(s, n, dtype=np.int64)  # a fresh int64 array in one pass: sorted in place
        key += d
        key.sort()
        at = np.flatnonzero(key[1:] == key[:-1])
        pairs = key[at[:keep] + 1]
        src, dst = pairs // n, pairs % n
    else:  # hids too large to pack
        order = np.lexsort((d, s))
        ss, dd = s[order], d[order]
        at = np.flatnonzero((ss[1:] == ss[:-1]) & (dd[1:] == dd[:-1]))
        src, dst = ss[at[:keep] + 1], dd[at[:keep] + 1]
    return int(at.size), list(zip(src.tolist(), dst.tolist()))
