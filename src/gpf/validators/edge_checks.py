"""Per-partition edge checks (SPEC.md section 10: G5, G6, G7 for edges, G9) and the agreement of a
partition's DGL and GraphBolt graphs (B2), each one rule on a :class:`~gpf.validators.part_data.PartData`."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from gpf.sdk import aligned
from gpf.sdk.aligned import ascending
from gpf.sdk.storage.base import PartGraph
from gpf.validators.id_coverage import duplicates, inner_coverage, outside, owned_here
from gpf.validators.part_data import PartData, SetFacts, search_sorted
from gpf.validators.report import Report

__all__ = ["check_edge_ids", "check_inner_edges", "check_inner_edge_flags", "check_halo_edges", "check_edge_types",
           "check_endpoint_types", "check_graph_files_agree"]


def check_edge_ids(rep: Report, f: SetFacts, d: PartData) -> None:
    """G5 (part): every edge _ID is an EID of the set.  Without stored edge IDs: the number of inner
    edges of each type is the partition's edge_map range (what the IDs' ranges would have shown)."""
    if not d.eids_stored:
        _check_inner_edge_counts(rep, f, d)
        return
    bad = _outside_eids(f, d)
    if bad.size:
        rep.error("edge_id.range", f"{bad.size} edge _ID(s) outside [0, {f.num_edges})", partition=d.p,
                  path=d.path, examples=d.eid[bad])
        return
    d.edges_ok = True


def _check_inner_edge_counts(rep: Report, f: SetFacts, d: PartData) -> None:
    lo, hi = f.edge_range(d.p)
    types = d.edata.get("_TYPE")
    if len(f.etypes) == 1 or types is None:
        have, want, names = [int(np.count_nonzero(d.inner_e))], [hi - lo], ["(all types)"]
    else:
        have = np.bincount(np.asarray(types)[d.inner_e].astype(np.int64), minlength=len(f.etypes)).tolist()
        want = [0] * len(f.etypes)
        for t, a, b in f.book.edges.type_blocks(d.p):
            want[t] += b - a
        names = [":".join(e) if isinstance(e, (tuple, list)) else str(e) for e in f.etypes]
    for t, (h, w) in enumerate(zip(have, want)):
        if h != w:
            rep.error("inner_edge.count", f"{h} inner edge(s) of type {names[t]!r}, but edge_map gives this "
                      f"partition {w}", partition=d.p, path=d.path, examples=[names[t]])
            return


def _outside_eids(f: SetFacts, d: PartData) -> np.ndarray:
    """Positions of edge _IDs outside [0, num_edges); from the ends of the sorted runs when the layout is
    DGL's (inner edges a range, HALO edges ascending), else two reductions."""
    lo, hi = f.edge_range(d.p)
    m_in, a = hi - lo, d.eid
    if a.size and m_in <= a.size and d.eid_layout(m_in, lo) == (True, True):
        ends = [int(a[0]), int(a[m_in - 1])] if m_in else []
        if m_in < a.size:
            ends += [int(a[m_in]), int(a[-1])]
        if min(ends) >= 0 and max(ends) < f.num_edges:
            return np.zeros(0, dtype=np.int64)
    return outside(a, 0, f.num_edges)


def check_inner_edges(rep: Report, f: SetFacts, d: PartData) -> None:
    """G5: the inner edges are exactly local edge IDs 0..m_inner-1 with _ID = edge S_p + local."""
    if not d.edges_ok:
        return
    lo, hi = f.edge_range(d.p)
    m_in = hi - lo
    if m_in <= d.num_edges and d.inner_e[:m_in].all() and not d.inner_e[m_in:].any() and d.eid_layout(m_in, lo)[0]:
        d.inner_edges_ok = True
        return
    if inner_coverage(rep, d.eid[d.inner_e], lo, hi, d.p, d.path, "edge", range_name="edge range"):
        first = np.flatnonzero(~d.inner_e)
        rep.error("inner_edge.order", "inner edges are not local edge IDs 0..m_inner-1 in ascending _ID "
                  f"(local = _ID - {lo})", partition=d.p, path=d.path, examples=first)


def check_inner_edge_flags(rep: Report, f: SetFacts, d: PartData) -> None:
    """G6: inner_edge is 1 exactly for the edges whose destination is an inner node."""
    if not d.local_ok:
        return
    if d.inner_nodes_ok:  # inner nodes are local IDs 0..n_inner-1: no gather needed
        lo, hi = f.node_range(d.p)
        m_in = f.edge_range(d.p)[1] - f.edge_range(d.p)[0]
        if d.inner_edges_ok and _flags_split_at(d, m_in, hi - lo):
            d.__dict__["_dst_split"] = (id(d.dst), m_in, hi - lo)  # halo_edges need not look again
            return
        bad = np.flatnonzero(d.inner_e != (d.dst < hi - lo))
    else:
        bad = np.flatnonzero(d.inner_e != d.inner[d.dst])
    if bad.size:
        rep.error("inner_edge.dst", f"{bad.size} edge(s) have inner_edge != inner_node of their destination "
                  f"({'edge _IDs' if d.eids_stored else 'local edge IDs'} in examples)", partition=d.p,
                  path=d.path, examples=d.eid[bad] if d.eids_stored else bad)


def _flags_split_at(d: PartData, m_in: int, n_in: int) -> bool:
    """With inner edges first (G5 holds): edges before ``m_in`` end below ``n_in``, the rest at or above it
    (from G1's extremes when split at ``m_in``, else two reductions)."""
    x = d.ends
    if x is not None and x.m == m_in:
        return x.dst_head_umax < n_in and x.dst_tail_min >= n_in
    head, tail = d.dst[:m_in], d.dst[m_in:]
    return (head.size == 0 or int(head.max()) < n_in) and (tail.size == 0 or int(tail.min()) >= n_in)


def check_halo_edges(rep: Report, f: SetFacts, d: PartData) -> None:
    """G5: HALO edges are owned by other partitions and no HALO _ID repeats."""
    if not d.edges_ok:
        return
    lo, hi = f.edge_range(d.p)
    halo = d.eid[hi - lo:] if d.inner_edges_ok else d.eid[~d.inner_e]
    up = d.eid_layout(hi - lo, lo)[1] if d.inner_edges_ok else ascending(halo, strict=True)
    own, dup = owned_here(f, halo, d.p, "edge", up), duplicates(halo, f.num_edges, up)  # 5.2: ascending
    if own.size:
        rep.error("halo_edge.owner", f"{own.size} HALO edge(s) have an _ID owned by this partition itself",
                  partition=d.p, path=d.path, examples=own)
    if dup.size:
        rep.error("edge_id.duplicate", f"{dup.size} HALO edge _ID(s) appear more than once", partition=d.p,
                  path=d.path, examples=dup)


def _edge_types(f: SetFacts, d: PartData) -> np.ndarray:
    if len(f.etypes) == 1:
        return np.zeros(d.num_edges, np.int64)
    return f.book.edges.to_per_type(d.eid)[0]


def _edge_type_runs(f: SetFacts, d: PartData) -> list[tuple[int, int, int]] | None:
    """``(start, end, etype)``: the local edge IDs in runs of one etype, when the _IDs are laid out as
    written (G5: the inner range, then ascending HALO _IDs): the runs are the edge map's blocks, found
    by binary search, with no per-edge lookup.  None for any other layout."""
    lo, hi = f.edge_range(d.p)
    m = hi - lo
    if not (d.edges_ok and d.inner_edges_ok and d.eid_layout(m, lo)[1]):
        return None
    runs = [(a - lo, b - lo, t) for t, a, b in f.book.edges.type_blocks(d.p)]
    blocks = f.book.edges.type_blocks()
    cuts = search_sorted(d.eid[m:], [b for _t, _a, b in blocks])  # HALO _IDs ascending: one cut per block end
    prev = 0
    for (t, _a, _b), cut in zip(blocks, cuts):
        if cut > prev:
            runs.append((m + prev, m + cut, t))
            prev = cut
    return runs


def _mismatches(runs: list[tuple[int, int, int]], differs: Callable[[int, int, int], np.ndarray]) -> np.ndarray:
    """Positions where the mask ``differs(start, end, etype)`` is set, over every run."""
    bad = []
    for a, b, t in runs:
        diff = differs(a, b, t)
        if diff.any():
            bad.append(np.flatnonzero(diff) + a)
    return np.concatenate(bad) if bad else np.zeros(0, dtype=np.int64)


def check_edge_types(rep: Report, f: SetFacts, d: PartData) -> None:
    """G7 (edges): _TYPE, when stored, is the etype edge_map gives each _ID."""
    t = d.edata.get("_TYPE")
    if t is None or not d.edges_ok:
        return
    t = np.asarray(t)
    runs = _edge_type_runs(f, d) if len(f.etypes) > 1 else None
    if len(f.etypes) == 1:
        bad = np.flatnonzero(t != 0)
    elif runs is not None:
        bad = _mismatches(runs, lambda a, b, r: t[a:b] != r)
    else:
        bad = np.flatnonzero(t.astype(np.int64) != _edge_types(f, d))
    if bad.size:
        rep.error("edge_type.mismatch", f"{bad.size} edge(s) have a _TYPE other than the etype of their _ID",
                  partition=d.p, path=d.path, examples=d.eid[bad])


def check_endpoint_types(rep: Report, f: SetFacts, d: PartData) -> None:
    """G9: each edge of etype src:rel:dst joins a node of type src to a node of type dst (the etype of
    its _ID; without stored edge IDs, the stored edge type, GraphBolt's type_per_edge)."""
    if len(f.ntypes) == 1:
        return
    if not d.eids_stored and "_TYPE" in d.edata and d.nodes_ok and d.local_ok:
        et = np.asarray(d.edata["_TYPE"]).astype(np.int64)
        if et.size and (int(et.min()) < 0 or int(et.max()) >= len(f.etypes)):
            rep.error("edge_type.mismatch", f"edge types outside 0..{len(f.etypes) - 1}", partition=d.p,
                      path=d.path)
            return
        ends = f.etype_ends[et]
        nt = d.node_types
        if nt is None:
            return
        bad = np.flatnonzero((nt[d.src] != ends[:, 0]) | (nt[d.dst] != ends[:, 1]))
        if bad.size:
            rep.error("edge.endpoint_type", f"{bad.size} edge(s) join nodes whose types differ from their edge "
                      "type's source/destination types (local edge IDs in examples)", partition=d.p, path=d.path,
                      examples=bad)
        return
    if not (d.edges_ok and d.nodes_ok and d.local_ok):
        return
    runs = _edge_type_runs(f, d)
    nt = d.node_types
    if nt is None:  # set with nodes_ok whenever there are several node types
        return
    if runs is not None:
        ends = f.etype_ends.tolist()
        bad = _mismatches(runs, lambda a, b, r: (aligned.take(nt, d.src[a:b]) != ends[r][0]) |
                          (aligned.take(nt, d.dst[a:b]) != ends[r][1]))
    else:
        ends = f.etype_ends[_edge_types(f, d)]
        bad = np.flatnonzero((nt[d.src] != ends[:, 0]) | (nt[d.dst] != ends[:, 1]))
    if bad.size:
        rep.error("edge.endpoint_type", f"{bad.size} edge(s) join nodes whose types differ from their etype's "
                  "source/destination types (edge _IDs in examples)", partition=d.p, path=d.path,
                  examples=d.eid[bad])


def check_graph_files_agree(rep: Report, f: SetFacts, d: PartData, other: PartGraph) -> None:
    """B2: when a partition names a DGL and a GraphBolt graph, both hold the same nodes (same local
    order, same _ID) and the same edges (each EID joining the same two nodes)."""
    o_nid = np.asarray(other.ndata.get("_ID", np.zeros(0, np.int64))).astype(np.int64, copy=False)
    o_eid = np.asarray(other.edata.get("_ID", np.zeros(0, np.int64))).astype(np.int64, copy=False)
    where = f"{d.path} and {other.source}"
    if other.num_nodes != d.num_nodes or not np.array_equal(o_nid, d.nid):
        rep.error("graph.files_disagree", f"{where}: node _ID arrays differ ({d.num_nodes} vs {other.num_nodes} "
                  "nodes)", partition=d.p, path=other.source)
        return
    if "_ID" not in other.edata or not d.eids_stored:  # a GraphBolt file without edge IDs: compare edge multisets
        if other.src.shape[0] != d.num_edges or not d.local_ok:
            rep.error("graph.files_disagree", f"{where}: {d.num_edges} vs {other.src.shape[0]} edges",
                      partition=d.p, path=other.source)
            return
        a = np.lexsort((d.src, d.dst))
        b = np.lexsort((np.asarray(other.src), np.asarray(other.dst)))
        bad = np.flatnonzero((d.src[a] != np.asarray(other.src)[b]) | (d.dst[a] != np.asarray(other.dst)[b]))
        if bad.size:
            rep.error("graph.files_disagree", f"{where}: the edges differ (local destination IDs in examples; "
                      "no edge IDs stored to say more)", partition=d.p, path=other.source, examples=d.dst[a][bad])
        return
    if o_eid.shape[0] != d.num_edges or not (d.local_ok and o_eid.shape[0] == other.src.shape[0]):
        rep.error("graph.files_disagree", f"{where}: {d.num_edges} vs {o_eid.shape[0]} edges", partition=d.p,
                  path=other.source)
        return
    a, b = np.argsort(d.eid, kind="stable"), np.argsort(o_eid, kind="stable")
    bad = np.flatnonzero((d.eid[a] != o_eid[b]) | (d.src[a] != other.src[b]) | (d.dst[a] != other.dst[b]))
    if bad.size:
        rep.error("graph.files_disagree", f"{where}: {bad.size} edge(s) differ (edge _IDs in examples)",
                  partition=d.p, path=other.source, examples=d.eid[a][bad])
