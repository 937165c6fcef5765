"""Neighbour sampling in plain torch: the core of :class:`gpf.converters.pyg_sampler.GpfNeighborSampler`.

No PyG in here: tensors in, tensors out, on whatever device the graph lives on (CPU or
CUDA), no per-node Python loops.  Semantics are those of ``pyg-lib``'s
``neighbor_sample``, which PyG's loaders are written against:

* a graph is one :class:`Csc` per edge type (in-edges grouped by destination; ``eid``
  names the edge each slot holds), sampled hop by hop from the seeds' destination type;
* hop ``h`` samples in-edges of the nodes first reached at hop ``h - 1``; a node is
  added once (per seed in ``disjoint`` mode), seeds first, then in order of discovery;
* fan-out ``k``: ``-1`` = every in-edge; otherwise ``k`` distinct edges uniformly
  (``replace=False``: Floyd's subset sampling, vectorised over the frontier), ``k``
  draws with replacement, or weighted by an edge weight (without replacement: the
  Efraimidis-Spirakis keys ``log(u) / w``; edges of weight 0 are never taken);
* temporal: a neighbour (node time) or an edge (edge time) is eligible when its time
  is ``<=`` the time of the seed the sampled tree grows from; strategy ``"uniform"``
  picks uniformly among eligible edges, ``"last"`` the ``k`` most recent;
* ``induced``: the nodes are sampled as above, the edges are every edge between them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

__all__ = ["Csc", "csc_from_coo", "csc_from_csr", "Hop", "sample_neighbors", "induced_edges"]

_NONE = torch.iinfo(torch.int64).max


@dataclass
class Csc:
    """In-edges of one edge type: ``colptr`` over destinations, ``row`` sources, ``eid`` edge IDs.

    ``weight`` / ``time``: per slot (already in CSC order), or ``None``.
    """

    colptr: Tensor
    row: Tensor
    eid: Tensor
    num_src: int
    weight: Tensor | None = None
    time: Tensor | None = None

    @property
    def num_dst(self) -> int:
        return int(self.colptr.numel()) - 1

    def to(self, device: Any) -> Csc:
        move = (lambda t: None if t is None else t.to(device))  # noqa: E731
        return Csc(self.colptr.to(device), self.row.to(device), self.eid.to(device), self.num_src,
                   move(self.weight), move(self.time))

    def with_slot_values(self, weight: Tensor | None = None, time: Tensor | None = None) -> Csc:
        """A copy carrying per-edge ``weight``/``time`` given by edge ID (permuted to slots here)."""
        return Csc(self.colptr, self.row, self.eid, self.num_src,
                   None if weight is None else weight.to(self.row.device)[self.eid],
                   None if time is None else time.to(self.row.device)[self.eid])


def _ptr(index: Tensor, size: int) -> Tensor:
    ptr = torch.zeros(size + 1, dtype=torch.int64, device=index.device)
    if index.numel():
        ptr[1:] = torch.cumsum(torch.bincount(index, minlength=size), 0)
    return ptr


def _check_range(ids: Tensor, size: int, what: str) -> None:
    if ids.numel():
        lo, hi = torch.aminmax(ids)
        if int(lo) < 0 or int(hi) >= size:
            bad = ids[(ids < 0) | (ids >= size)][0]
            raise ValueError(f"{what}: node ID {int(bad)} is out of range [0, {size})")


def _stable_order(key: Tensor, bound: int) -> Tensor:
    """``torch.sort(key, stable=True).indices`` for a key in ``[0, bound)``: sorted as int32 where
    the bound allows (torch's radix sort then runs about 3x faster than on int64 keys)."""
    if key.dtype == torch.int64 and bound <= torch.iinfo(torch.int32).max:
        key = key.to(torch.int32)
    return torch.sort(key, stable=True).indices


def csc_from_coo(src: Tensor, dst: Tensor, num_src: int, num_dst: int, *, is_sorted: bool = False,
                 within: Tensor | None = None) -> Csc:
    """CSC of a COO edge list; edge ID = position in ``(src, dst)``.

    ``within``: a per-edge key that orders the edges of each destination (times, as PyG
    sorts neighbourhoods for temporal sampling); otherwise the edge order is kept.
    """
    src, dst = src.to(torch.int64).reshape(-1), dst.to(torch.int64).reshape(-1)
    _check_range(src, num_src, "edge source")
    _check_range(dst, num_dst, "edge destination")
    if is_sorted:
        perm = torch.arange(dst.numel(), device=dst.device)
        return Csc(_ptr(dst, num_dst), src.clone(), perm, int(num_src))
    if within is not None:
        perm = torch.sort(within.reshape(-1), stable=True).indices
        perm = _take(perm, _stable_order(_take(dst, perm), num_dst))
    else:
        perm = _stable_order(dst, num_dst)
    return Csc(_ptr(dst, num_dst), _take(src, perm), perm, int(num_src))


def csc_from_csr(rowptr: Tensor, col: Tensor, num_src: int, num_dst: int) -> Csc:
    """CSC of a CSR edge list; edge ID = position in the CSR."""
    rowptr, col = rowptr.to(torch.int64), col.to(torch.int64)
    src = torch.repeat_interleave(torch.arange(rowptr.numel() - 1, device=col.device), rowptr.diff())
    return csc_from_coo(src, col, num_src, num_dst)


def csc_of_csc(row: Tensor, colptr: Tensor, num_src: int) -> Csc:
    """A CSC given as such; edge ID = slot."""
    row = row.to(torch.int64)
    _check_range(row, num_src, "edge source")
    return Csc(colptr.to(torch.int64), row, torch.arange(row.numel(), device=row.device), int(num_src))


def sort_within(csc: Csc, key: Tensor) -> Csc:
    """The same CSC with each destination's slots ordered by ``key`` (per slot, stable)."""
    dst = torch.repeat_interleave(torch.arange(csc.num_dst, device=csc.row.device), csc.colptr.diff())
    perm = torch.sort(key, stable=True).indices
    perm = perm[torch.sort(dst[perm], stable=True).indices]
    pick = (lambda t: None if t is None else t[perm])  # noqa: E731
    return Csc(csc.colptr, csc.row[perm], csc.eid[perm], csc.num_src, pick(csc.weight), pick(csc.time))


def reverse(csc: Csc, num_dst: int | None = None) -> Csc:
    """The CSC of the reversed edges (out-edges grouped by source), same edge IDs."""
    dst = torch.repeat_interleave(torch.arange(csc.num_dst, device=csc.row.device), csc.colptr.diff())
    out = csc_from_coo(dst, csc.row, csc.num_dst, csc.num_src)
    out.eid = csc.eid[out.eid]
    if csc.weight is not None or csc.time is not None:
        # slot values follow the slots they were attached to
        order = torch.sort(csc.row, stable=True).indices
        out.weight = None if csc.weight is None else csc.weight[order]
        out.time = None if csc.time is None else csc.time[order]
    return out


# -- choosing edges ------------------------------------------------------------------------------
def _segments(start: Tensor, deg: Tensor) -> tuple[Tensor, Tensor]:
    """``(owner, slot)`` of every slot of every segment ``[start, start + deg)``."""
    n = deg.numel()
    owner = torch.repeat_interleave(torch.arange(n, device=deg.device), deg)
    first = torch.cumsum(deg, 0) - deg
    offs = torch.arange(owner.numel(), device=deg.device) - first[owner]
    return owner, start[owner] + offs


def _rand(n: int, like: Tensor, generator: torch.Generator | None) -> Tensor:
    return torch.rand(n, generator=generator, dtype=torch.float64, device=like.device)


def _floyd(deg: Tensor, k: int, generator: torch.Generator | None) -> Tensor:
    """``(len(deg), k)`` distinct offsets in ``[0, deg)`` per row, uniformly (rows with
    ``deg <= k`` hold garbage: the caller replaces them).

    Floyd's algorithm: step ``i`` draws ``t`` in ``[0, deg - k + i]`` and takes ``t``, or
    ``deg - k + i`` when ``t`` is taken already.  All draws are made at once, one step per
    row of a ``(k, n)`` table (contiguous rows).
    """
    n = deg.numel()
    tops = (deg - k).unsqueeze(0) + torch.arange(k, device=deg.device).unsqueeze(1)
    exact32 = n == 0 or int(deg.max()) < (1 << 24)          # float32 draws are exact below 2**24
    tops = tops.clamp_min(0)
    u = torch.rand((k, n), generator=generator, dtype=torch.float32 if exact32 else torch.float64,
                   device=deg.device)
    t = torch.minimum((u * (tops + 1)).to(torch.int64), tops)
    for i in range(1, k):
        row = t[i]
        dup = t[0] == row
        for j in range(1, i):
            dup |= t[j] == row
        torch.where(dup, tops[i], row, out=t[i])
    return t.t()


def _take(x: Tensor, index: Tensor) -> Tensor:
    """``x[index]`` for a 1-D ``x`` and int64 index (``gather`` is several times faster on CPU)."""
    return torch.gather(x, 0, index)


def _uniform(start: Tensor, deg: Tensor, k: int, replace: bool,
             generator: torch.Generator | None) -> tuple[Tensor, Tensor]:
    if k < 0:
        return _segments(start, deg)
    n = deg.numel()
    device = deg.device
    if replace:
        has = torch.nonzero(deg > 0).view(-1)
        owner = has.repeat_interleave(k)
        d = _take(deg, owner)
        pick = (_rand(owner.numel(), deg, generator) * d.to(torch.float64)).to(torch.int64)
        return owner, _take(start, owner) + torch.minimum(pick, d - 1)
    # One row of k offsets per frontier node: a uniform k-subset of [0, deg) (Floyd) where
    # deg > k, 0..k-1 masked to deg where deg <= k.  Row-major = grouped by frontier node.
    offs = torch.where((deg <= k).unsqueeze(0), torch.arange(k, device=device).unsqueeze(1),
                       _floyd(deg, k, generator).t()).t()
    valid = offs < deg.unsqueeze(1)
    slot = (start.unsqueeze(1) + offs).masked_select(valid)
    owner = torch.repeat_interleave(torch.arange(n, device=device), deg.clamp_max(k))
    return owner, slot


def _top_k_per_owner(owner: Tensor, key: Tensor, k: int) -> Tensor:
    """Mask keeping, per owner, the ``k`` largest keys (``owner`` ascending; ties: earlier slot first)."""
    if k < 0 or owner.numel() == 0:
        return torch.ones(owner.shape, dtype=torch.bool, device=owner.device)
    order = torch.sort(key, descending=True, stable=True).indices
    order = order[torch.sort(owner[order], stable=True).indices]
    counts = torch.bincount(owner, minlength=int(owner.max()) + 1)
    first = torch.cumsum(counts, 0) - counts
    rank = torch.empty_like(order)
    rank[order] = torch.arange(order.numel(), device=owner.device) - first[owner[order]]
    return rank < k


def _general(csc: Csc, start: Tensor, deg: Tensor, k: int, replace: bool, generator: torch.Generator | None,
             limit: Tensor | None, node_time: Tensor | None, strategy: str) -> tuple[Tensor, Tensor]:
    """Weighted and/or temporal choice: every candidate slot is looked at."""
    owner, slot = _segments(start, deg)
    ok = torch.ones(slot.shape, dtype=torch.bool, device=slot.device)
    stamp = None
    if limit is not None:
        if csc.time is not None:
            stamp = csc.time[slot]
        elif node_time is not None:
            stamp = node_time[csc.row[slot]]
        if stamp is not None:
            ok &= stamp <= limit[owner]
    w = None
    if csc.weight is not None:
        w = csc.weight[slot].to(torch.float64)
        ok &= w > 0
        w = w[ok]
    owner, slot = owner[ok], slot[ok]
    if stamp is not None:
        stamp = stamp[ok]
    if k < 0:
        return owner, slot
    if replace:
        n = deg.numel()
        cnt = torch.bincount(owner, minlength=n)
        first = torch.cumsum(cnt, 0) - cnt
        has = torch.nonzero(cnt > 0).view(-1)
        own = has.repeat_interleave(k)
        u = _rand(own.numel(), deg, generator)
        if w is None:
            pick = first[own] + torch.minimum((u * cnt[own].to(torch.float64)).to(torch.int64), cnt[own] - 1)
        else:
            cum = torch.cumsum(w, 0)
            before = torch.where(first > 0, cum[(first - 1).clamp_min(0)], torch.zeros_like(cum[:1]).expand(n)) \
                if cum.numel() else torch.zeros(n, dtype=torch.float64, device=deg.device)
            total = cum[(first + cnt - 1).clamp_min(0)] - before if cum.numel() else before
            x = before[own] + u * total[own]
            pick = torch.searchsorted(cum, x, right=True)
            pick = torch.minimum(torch.maximum(pick, first[own]), first[own] + cnt[own] - 1)
        return own, slot[pick]
    if strategy == "last" and stamp is not None:
        key = stamp.to(torch.float64)                 # most recent first (ties: earlier slot first)
    elif w is not None:
        key = torch.log(_rand(owner.numel(), deg, generator).clamp_min(1e-300)) / w
    else:
        key = _rand(owner.numel(), deg, generator)
    keep = _top_k_per_owner(owner, key, k)
    return owner[keep], slot[keep]


def choose(csc: Csc, frontier: Tensor, k: int, *, replace: bool = False,
           generator: torch.Generator | None = None, limit: Tensor | None = None,
           node_time: Tensor | None = None, strategy: str = "uniform") -> tuple[Tensor, Tensor]:
    """``(position in frontier, CSC slot)`` of the in-edges sampled for each frontier node.

    ``limit``: per frontier node, the latest time allowed (temporal sampling; compared to
    ``csc.time`` per edge or ``node_time`` of the source).
    """
    start = _take(csc.colptr, frontier)
    deg = _take(csc.colptr, frontier + 1) - start
    if k == 0 or frontier.numel() == 0:
        empty = torch.zeros(0, dtype=torch.int64, device=frontier.device)
        return empty, empty
    temporal = limit is not None and (csc.time is not None or node_time is not None)
    if csc.weight is None and not temporal:
        return _uniform(start, deg, k, replace, generator)
    return _general(csc, start, deg, k, replace, generator, limit if temporal else None, node_time, strategy)


# -- the set of sampled nodes -----------------------------------------------------------------
class _Dense:
    """Sampled nodes of one type (no ``disjoint``): a dense global -> local map, reset after use."""

    def __init__(self, num_nodes: int, device: Any) -> None:
        self.map = torch.full((num_nodes,), _NONE, dtype=torch.int64, device=device)
        self.count = 0
        self.chunks: list[Tensor] = []

    def add(self, ids: Tensor, batch: Tensor | None = None) -> Tensor:
        """Local IDs of ``ids``; the ones not seen yet are appended in order of first occurrence."""
        if ids.numel() == 0:
            return ids
        cand = ids.masked_select(_take(self.map, ids) == _NONE)
        if cand.numel():
            m = cand.numel()
            pos = torch.arange(-m, 0, device=ids.device)     # negative: below any local ID; first one wins
            self.map.scatter_reduce_(0, cand, pos, reduce="amin")
            fresh = cand.masked_select(_take(self.map, cand) == pos)
            self.map.scatter_(0, fresh, self.count + torch.arange(fresh.numel(), device=ids.device))
            self.count += int(fresh.numel())
            self.chunks.append(fresh)
        return _take(self.map, ids)

    def seed(self, ids: Tensor) -> None:
        """Seeds in order, duplicates kept (each maps to its first position)."""
        self.chunks.append(ids)
        if ids.numel():
            pos = torch.arange(ids.numel(), device=ids.device)
            self.map.scatter_reduce_(0, ids, pos, reduce="amin")
        self.count = int(ids.numel())

    def mark(self) -> int:
        return len(self.chunks)

    def since(self, mark: int) -> tuple[Tensor, Tensor | None]:
        """Nodes added since chunk ``mark`` (the next frontier) and their seeds (disjoint only)."""
        chunks = self.chunks[mark:]
        return (torch.cat(chunks) if chunks else self.map.new_zeros(0)), None

    def nodes(self) -> Tensor:
        return torch.cat(self.chunks) if self.chunks else self.map.new_zeros(0)

    def batch(self) -> Tensor | None:
        return None

    def release(self) -> None:
        for c in self.chunks:
            self.map.index_fill_(0, c, _NONE)
        self.chunks, self.count = [], 0


class _Disjoint:
    """Sampled ``(seed, node)`` pairs of one type (``disjoint``): sorted keys, binary search."""

    def __init__(self, num_nodes: int, device: Any) -> None:
        self.n = max(int(num_nodes), 1)
        self.device = device
        self.keys = torch.zeros(0, dtype=torch.int64, device=device)     # sorted
        self.local = torch.zeros(0, dtype=torch.int64, device=device)
        self.node_chunks: list[Tensor] = []
        self.batch_chunks: list[Tensor] = []
        self.count = 0

    def seed(self, ids: Tensor, batch: Tensor) -> None:
        self.add(ids, batch)

    def add(self, ids: Tensor, batch: Tensor | None = None) -> Tensor:
        """Local IDs of ``(batch, ids)`` pairs; new pairs appended in order of first occurrence."""
        assert batch is not None
        if ids.numel() == 0:
            return ids
        key = batch * self.n + ids
        if self.keys.numel():
            pos = torch.searchsorted(self.keys, key).clamp_max(self.keys.numel() - 1)
            found = self.keys[pos] == key
        else:
            pos = torch.zeros_like(key)
            found = torch.zeros(key.shape, dtype=torch.bool, device=key.device)
        out = torch.empty_like(key)
        out[found] = self.local[pos[found]]
        new = ~found
        cand = key[new]
        if cand.numel():
            uk, inv = torch.unique(cand, return_inverse=True)
            first = torch.full((uk.numel(),), _NONE, dtype=torch.int64, device=key.device)
            first.scatter_reduce_(0, inv, torch.arange(cand.numel(), device=key.device), reduce="amin")
            order = torch.sort(first).indices                   # unique keys in order of first occurrence
            rank = torch.empty_like(order)
            rank[order] = torch.arange(order.numel(), device=key.device)
            reg_local = self.count + rank
            out[new] = reg_local[inv]
            fresh = uk[order]
            self.node_chunks.append(fresh % self.n)
            self.batch_chunks.append(torch.div(fresh, self.n, rounding_mode="floor"))
            self.count += int(fresh.numel())
            keys = torch.cat([self.keys, uk])
            local = torch.cat([self.local, reg_local])
            srt = torch.sort(keys).indices
            self.keys, self.local = keys[srt], local[srt]
        return out

    def mark(self) -> int:
        return len(self.node_chunks)

    def since(self, mark: int) -> tuple[Tensor, Tensor | None]:
        nodes, batch = self.node_chunks[mark:], self.batch_chunks[mark:]
        empty = torch.zeros(0, dtype=torch.int64, device=self.device)
        return (torch.cat(nodes) if nodes else empty), (torch.cat(batch) if batch else empty)

    def nodes(self) -> Tensor:
        return torch.cat(self.node_chunks) if self.node_chunks else torch.zeros(0, dtype=torch.int64,
                                                                                device=self.device)

    def batch(self) -> Tensor | None:
        return torch.cat(self.batch_chunks) if self.batch_chunks else torch.zeros(0, dtype=torch.int64,
                                                                                  device=self.device)

    def release(self) -> None:
        self.__init__(self.n, self.device)  # type: ignore[misc]


# -- hop by hop -------------------------------------------------------------------------------
@dataclass
class Hop:
    """What :func:`sample_neighbors` returns (per node type / edge type)."""

    node: dict
    batch: dict | None
    row: dict
    col: dict
    edge: dict
    num_sampled_nodes: dict
    num_sampled_edges: dict


class SampleState:
    """Per-graph scratch (dense maps) reused across mini-batches; one per sampler and process."""

    def __init__(self, num_nodes: dict, device: Any) -> None:
        self.num_nodes = num_nodes
        self.device = device
        self._dense: dict = {}

    def registry(self, ntype: Any, disjoint: bool):
        if disjoint:
            return _Disjoint(self.num_nodes[ntype], self.device)
        reg = self._dense.get(ntype)
        if reg is None:
            reg = self._dense[ntype] = _Dense(self.num_nodes[ntype], self.device)
        return reg


def sample_neighbors(graph: dict, edge_types: list, pairs: dict, fanouts: dict, seeds: dict, state: SampleState, *,
                     replace: bool = False, disjoint: bool = False, generator: torch.Generator | None = None,
                     seed_time: dict | None = None, node_time: dict | None = None,
                     strategy: str = "uniform") -> Hop:
    """Sample ``len(fanouts[et])`` hops from ``seeds`` (``{ntype: ids}``).

    ``graph``: ``{edge type: Csc}`` (in-edges, or out-edges for backward sampling);
    ``pairs``: ``{edge type: (type sampled from = source, type of the frontier = dest)}``;
    ``seed_time``: ``{ntype: time per seed}`` (temporal; implies ``disjoint``).
    """
    ntypes = list(state.num_nodes)
    regs = {t: state.registry(t, disjoint) for t in ntypes}
    try:
        for t in ntypes:
            s = seeds.get(t)
            s = torch.zeros(0, dtype=torch.int64, device=state.device) if s is None else s.to(torch.int64)
            _check_range(s, state.num_nodes[t], f"seed of node type {t!r}" if t is not None else "seed")
            if disjoint:
                regs[t].seed(s, torch.arange(s.numel(), device=s.device))
            else:
                regs[t].seed(s)
        limits = None
        if seed_time is not None:
            limits = {t: seed_time[t].to(state.device) for t in seed_time}
        num_hops = max((len(f) for f in fanouts.values()), default=0)
        n_nodes = {t: [regs[t].count] for t in ntypes}
        n_edges: dict = {et: [] for et in edge_types}
        rows: dict = {et: [] for et in edge_types}
        cols: dict = {et: [] for et in edge_types}
        edges: dict = {et: [] for et in edge_types}
        lo = {t: 0 for t in ntypes}
        hi = {t: regs[t].count for t in ntypes}
        frontier, frontier_batch, chunk_mark = {}, {}, {}
        for t in ntypes:
            frontier[t], frontier_batch[t] = regs[t].since(0)
            chunk_mark[t] = regs[t].mark()
        for hop in range(num_hops):
            for et in edge_types:
                st, dt = pairs[et]
                k = fanouts[et][hop]
                if hi[dt] == lo[dt] or k == 0:
                    n_edges[et].append(0)
                    continue
                front = frontier[dt]
                fbatch = frontier_batch[dt] if disjoint else None
                limit = None
                if limits is not None and fbatch is not None:
                    seed_type = next(iter(limits))
                    limit = limits[seed_type][fbatch]
                csc = graph[et]
                who, slot = choose(csc, front, k, replace=replace, generator=generator, limit=limit,
                                   node_time=None if node_time is None else node_time.get(st), strategy=strategy)
                src = _take(csc.row, slot)
                rows[et].append(regs[st].add(src, None if fbatch is None else _take(fbatch, who)))
                cols[et].append(who + lo[dt])
                edges[et].append(_take(csc.eid, slot))
                n_edges[et].append(int(slot.numel()))
            for t in ntypes:
                lo[t], hi[t] = hi[t], regs[t].count
                n_nodes[t].append(hi[t] - lo[t])
                frontier[t], frontier_batch[t] = regs[t].since(chunk_mark[t])
                chunk_mark[t] = regs[t].mark()
        cat = (lambda xs: torch.cat(xs) if xs else torch.zeros(0, dtype=torch.int64, device=state.device))  # noqa
        return Hop(node={t: regs[t].nodes() for t in ntypes},
                   batch={t: regs[t].batch() for t in ntypes} if disjoint else None,
                   row={et: cat(rows[et]) for et in edge_types}, col={et: cat(cols[et]) for et in edge_types},
                   edge={et: cat(edges[et]) for et in edge_types},
                   num_sampled_nodes=n_nodes, num_sampled_edges=n_edges)
    finally:
        for reg in regs.values():
            reg.release()


def _first_position(ids: Tensor, size: int) -> Tensor:
    """Dense map: global ID -> first position in ``ids`` (``-1`` where absent)."""
    out = torch.full((size,), _NONE, dtype=torch.int64, device=ids.device)
    out.scatter_reduce_(0, ids, torch.arange(ids.numel(), device=ids.device), reduce="amin")
    return torch.where(out == _NONE, torch.full_like(out, -1), out)


def induced_edges(graph: dict, edge_types: list, pairs: dict, nodes: dict,
                  num_nodes: dict) -> tuple[dict, dict, dict]:
    """Every edge between the sampled nodes: ``({et: row}, {et: col}, {et: edge id})`` in local IDs."""
    rows, cols, eids = {}, {}, {}
    for et in edge_types:
        st, dt = pairs[et]
        csc = graph[et]
        dst_nodes, src_nodes = nodes[dt], nodes[st]
        device = csc.row.device
        local_src = _first_position(src_nodes, num_nodes[st])
        first_dst = _first_position(dst_nodes, num_nodes[dt])
        uniq = torch.nonzero(first_dst[dst_nodes] == torch.arange(dst_nodes.numel(), device=device)).view(-1)
        start = csc.colptr[dst_nodes[uniq]]
        owner, slot = _segments(start, csc.colptr[dst_nodes[uniq] + 1] - start)
        src_local = local_src[csc.row[slot]]
        keep = src_local >= 0
        rows[et], cols[et], eids[et] = src_local[keep], uniq[owner[keep]], csc.eid[slot[keep]]
    return rows, cols, eids
