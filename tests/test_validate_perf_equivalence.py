"""The fast paths of gpf.validators (int32 set endpoints, the one-pass EID layout, blockwise work on
unaligned arrays, the owner-major HALO comparison) report exactly what the plain definitions do.

Each test runs a check on random inputs, valid and with random defects, and compares its problems
(code, message, examples) with a reference written the straightforward way (the implementations
these fast paths replaced), on aligned and on unaligned (DGL-file-like) arrays.
"""

from __future__ import annotations

import numpy as np
import pytest

from gpf.sdk.aligned import BLOCK
from gpf.spec import parse_config
from gpf.validators import edge_checks, id_coverage
from gpf.validators import feature_checks as fc
from gpf.validators import partition_checks as pc
from gpf.validators import set_checks as sc
from gpf.validators.report import Report

SEEDS = range(12)


def unaligned(a: np.ndarray) -> np.ndarray:
    """A read-only copy of ``a`` at an odd address, as arrays memory-mapped from DGL's files are."""
    a = np.ascontiguousarray(a)
    buf = np.zeros(a.nbytes + 1, dtype=np.uint8)
    out = np.ndarray(a.shape, dtype=a.dtype, buffer=buf, offset=1)
    out[...] = a
    out.flags.writeable = False
    assert a.size == 0 or not out.flags.aligned or a.dtype.itemsize == 1
    return out


def problems(rep: Report) -> list[tuple]:
    return [(p.code, p.message, p.partition, list(p.examples)) for p in rep.problems]


# -- a random two-partition set in DGL's layout --------------------------------------------------------------------
def random_set(rng: np.random.Generator, n0: int = 40, n1: int = 50, m: int = 600) -> tuple[pc.SetFacts, list]:
    """Global graph (src, dst) with EIDs grouped by the owner of dst; per partition the stored arrays:
    inner nodes, HALO nodes (sources of inner edges and destinations of out-edges), inner edges, HALO edges."""
    n = n0 + n1
    dst = np.sort(rng.integers(0, n, m))  # owner of dst ascending: EIDs grouped by owner
    src = rng.integers(0, n, m)
    src[:5] = dst[:5]  # self-loops
    src[5:15], dst[5:15] = src[15:25], dst[15:25]  # parallel edges
    order = np.concatenate([np.flatnonzero(dst < n0), np.flatnonzero(dst >= n0)])
    src, dst = src[order], dst[order]
    m0 = int((dst < n0).sum())
    cfg = {"graph_name": "g", "num_nodes": n, "num_edges": m, "part_method": "random", "num_parts": 2,
           "halo_hops": 1, "node_map": {"_N": [[0, n0], [n0, n]]}, "edge_map": {"_N:_E:_N": [[0, m0], [m0, m]]},
           "ntypes": {"_N": 0}, "etypes": {"_N:_E:_N": 0},
           "part-0": {"node_feats": "p0/n", "edge_feats": "p0/e", "part_graph": "p0/g"},
           "part-1": {"node_feats": "p1/n", "edge_feats": "p1/e", "part_graph": "p1/g"}}
    f = pc.SetFacts.from_config(parse_config(cfg))
    parts = []
    for lo, hi, elo, ehi in [(0, n0, 0, m0), (n0, n, m0, m)]:
        inner_e = np.arange(elo, ehi)
        out_e = np.flatnonzero((src >= lo) & (src < hi) & ((dst < lo) | (dst >= hi)))  # HALO edges, EID order
        halo_nodes = np.setdiff1d(np.concatenate([src[inner_e], dst[out_e]]), np.arange(lo, hi))
        nid = np.concatenate([np.arange(lo, hi), halo_nodes])
        local = np.full(n, -1)
        local[nid] = np.arange(nid.size)
        eids = np.concatenate([inner_e, out_e])
        parts.append(dict(src=local[src[eids]], dst=local[dst[eids]], nid=nid, eid=eids,
                          inner=np.arange(nid.size) < hi - lo, inner_e=np.arange(eids.size) < ehi - elo,
                          ndata={"part_id": (nid >= n0).astype(np.int64)}, edata={}))
    return f, parts


def defect(rng: np.random.Generator, a: dict) -> dict:
    """One random defect of the kinds the G checks look for (or none)."""
    a = {k: (v.copy() if isinstance(v, np.ndarray) else dict(v)) for k, v in a.items()}
    kind = rng.integers(0, 10)
    ne, nn = a["eid"].size, a["nid"].size
    i, j = rng.integers(0, ne, 2)
    if kind == 1:
        a["eid"][[i, j]] = a["eid"][[j, i]]
    elif kind == 2:
        a["eid"][i] = a["eid"][j]
    elif kind == 3:
        a["eid"][i] = rng.choice([-3, 10 ** 6, a["eid"][i] + 1])
    elif kind == 4:
        a["inner_e"][i] = not a["inner_e"][i]
    elif kind == 5:
        a["dst"][i] = rng.integers(0, nn)
    elif kind == 6:
        k, j = rng.integers(0, nn, 2)
        a["nid"][[k, j]] = a["nid"][[j, k]]
    elif kind == 7:
        a["nid"][rng.integers(0, nn)] = rng.choice([-1, 10 ** 6])
    elif kind == 8:
        a["inner"][rng.integers(0, nn)] ^= True
    elif kind == 9:
        a["eid"][-2:] = a["eid"][-2:][::-1]
    return a


def make_part(p: int, a: dict, odd: bool) -> pc.PartData:
    wrap = unaligned if odd else np.asarray
    return pc.PartData(p, f"part{p}", a["nid"].size, wrap(a["src"]), wrap(a["dst"]), wrap(a["nid"]), a["inner"],
                       wrap(a["eid"]), a["inner_e"], a["ndata"], a["edata"])


# -- the reference per-partition edge checks (the implementations before the one-pass layout) ------------------------
def ref_check_edge_ids(rep, f, d):
    bad = np.flatnonzero((d.eid < 0) | (d.eid >= f.num_edges))
    if bad.size:
        rep.error("edge_id.range", f"{bad.size} edge _ID(s) outside [0, {f.num_edges})", partition=d.p,
                  path=d.path, examples=d.eid[bad])
        return
    d.edges_ok = True


def ref_check_inner_edges(rep, f, d):
    if not d.edges_ok:
        return
    lo, hi = f.edge_range(d.p)
    m_in = hi - lo
    e = d.eid[:m_in]
    is_range = e.shape[0] == m_in and (m_in == 0 or (e[0] == lo and e[-1] == hi - 1 and bool(np.all(e[1:] > e[:-1]))))
    if m_in <= d.num_edges and d.inner_e[:m_in].all() and not d.inner_e[m_in:].any() and is_range:
        d.inner_edges_ok = True
        return
    ids = d.eid[d.inner_e]
    out = np.flatnonzero((ids < lo) | (ids >= hi))
    if out.size:
        rep.error("inner_edge.owner", f"{out.size} inner edge(s) have an _ID outside this partition's edge range "
                  f"[{lo}, {hi})", partition=d.p, path=d.path, examples=ids[out])
        ids = np.delete(ids, out)
    ok = id_coverage.range_coverage(rep, ids, lo, hi, d.p, d.path, "edge") and not out.size
    if ok:
        first = np.flatnonzero(~d.inner_e)
        rep.error("inner_edge.order", "inner edges are not local edge IDs 0..m_inner-1 in ascending _ID "
                  f"(local = _ID - {lo})", partition=d.p, path=d.path, examples=first)


def ref_check_inner_edge_flags(rep, f, d):
    if not d.local_ok:
        return
    bad = np.flatnonzero(d.inner_e != d.inner[d.dst])
    if bad.size:
        rep.error("inner_edge.dst", f"{bad.size} edge(s) have inner_edge != inner_node of their destination "
                  "(edge _IDs in examples)", partition=d.p, path=d.path, examples=d.eid[bad])


def ref_check_halo_edges(rep, f, d):
    if not d.edges_ok:
        return
    lo, hi = f.edge_range(d.p)
    halo = d.eid[hi - lo:] if d.inner_edges_ok else d.eid[~d.inner_e]
    own = halo[(halo >= lo) & (halo < hi)]
    s = np.sort(halo)
    dup = np.unique(s[1:][s[1:] == s[:-1]])
    if own.size:
        rep.error("halo_edge.owner", f"{own.size} HALO edge(s) have an _ID owned by this partition itself",
                  partition=d.p, path=d.path, examples=own)
    if dup.size:
        rep.error("edge_id.duplicate", f"{dup.size} HALO edge _ID(s) appear more than once", partition=d.p,
                  path=d.path, examples=dup)


@pytest.mark.parametrize("seed", SEEDS)
def test_partition_checks_same_on_unaligned_arrays(seed):
    """Every per-partition check reports the same on aligned and unaligned (DGL-file-like) arrays."""
    rng = np.random.default_rng(seed)
    f, parts = random_set(rng)
    for p, a in enumerate(parts):
        for _ in range(8):
            bad = defect(rng, a)
            reps = []
            for odd in (False, True):
                d = make_part(p, bad, odd)
                d.local_ok = bool(((bad["src"] >= 0) & (bad["dst"] >= 0)).all()) and odd
                rep = Report("g.json")
                for check in pc.PARTITION_CHECKS:
                    check(rep, f, d)
                reps.append((problems(rep), d.nodes_ok, d.inner_nodes_ok, d.edges_ok, d.inner_edges_ok))
            assert reps[0] == reps[1]


@pytest.mark.parametrize("seed", SEEDS)
def test_edge_checks_match_reference(seed):
    """G5/G6 edge checks (one pass over the EIDs, reductions for the flags) report what the plain
    definitions report: the same codes, messages and examples, and the same facts for later checks."""
    rng = np.random.default_rng(seed)
    f, parts = random_set(rng)
    new_checks = (pc.check_edge_ids, pc.check_inner_edges, pc.check_inner_edge_flags, pc.check_halo_edges)
    ref_checks = (ref_check_edge_ids, ref_check_inner_edges, ref_check_inner_edge_flags, ref_check_halo_edges)
    for p, a in enumerate(parts):
        for _ in range(12):
            bad = defect(rng, a)
            if (bad["dst"] < 0).any() or (bad["dst"] >= bad["nid"].size).any():
                continue
            for odd in (False, True):
                out = []
                for checks in (new_checks, ref_checks):
                    d = make_part(p, bad, odd)
                    d.local_ok = True
                    rep = Report("g.json")
                    for check in (pc.check_node_ids, pc.check_inner_nodes, *checks):
                        check(rep, f, d)
                    out.append((problems(rep), d.edges_ok, d.inner_edges_ok))
                assert out[0] == out[1]


@pytest.mark.parametrize("seed", SEEDS)
def test_global_endpoints_are_the_gathers(seed):
    """inner_endpoints / halo_copy (and its halo_ends) give nid[src], nid[dst] (int32 when the set's hids fit)."""
    rng = np.random.default_rng(seed)
    f, parts = random_set(rng)
    for p, a in enumerate(parts):
        for odd in (False, True):
            for g3 in (True, False):
                d = make_part(p, a, odd)
                rep = Report("g.json")
                for check in pc.PARTITION_CHECKS:
                    check(rep, f, d)
                assert rep.problems == [] and d.inner_nodes_ok and d.hid_dtype == np.int32
                d.inner_nodes_ok = g3
                lo, hi = f.edge_range(p)
                n_lo, n_hi = f.node_range(p)
                s, t = d.inner_endpoints(hi - lo, n_lo)
                assert s.dtype == t.dtype == np.int32
                assert np.array_equal(s, a["nid"][a["src"][:hi - lo]]) and np.array_equal(t, a["nid"][a["dst"][:hi - lo]])
                h = d.halo_copy(hi - lo, n_lo, n_hi - n_lo)
                assert h.eid_ascending and h.p == p and h.path == d.path
                assert np.array_equal(h.eid, a["eid"][hi - lo:])
                hs, hd = h.endpoints()
                assert np.array_equal(hs, a["nid"][a["src"][hi - lo:]]) and np.array_equal(hd, a["nid"][a["dst"][hi - lo:]])
                k = hs.shape[0]
                for x, y in ((0, k // 3), (k // 3, k), (k, k)):  # any range of positions
                    assert [v.tolist() for v in h.endpoints(x, y)] == [hs[x:y].tolist(), hd[x:y].tolist()]
                m = h.materialized()
                assert m.ends is None and np.array_equal(m.src, hs) and np.array_equal(m.dst, hd)
                mixed = np.concatenate([a["src"], a["dst"]])  # inner and HALO local IDs in one array
                assert np.array_equal(d.to_global(mixed, n_lo, n_hi - n_lo), a["nid"][mixed])


def test_hid_dtype_stays_int64_when_hids_do_not_fit():
    rng = np.random.default_rng(0)
    f, parts = random_set(rng)
    f.num_nodes = 2 ** 31
    d = make_part(0, parts[0], True)
    pc.check_node_ids(Report("g.json"), f, d)
    assert d.nodes_ok and d.hid_dtype == np.int64
    assert d.inner_endpoints(3, 0)[0].dtype == np.int64


# -- across partitions -------------------------------------------------------------------------------------------------
def ref_halo_endpoints(rep: Report, g_src: np.ndarray, g_dst: np.ndarray, halos: list[sc.HaloCopy]) -> None:
    for h in halos:
        bad = np.flatnonzero((g_src[h.eid] != h.src) | (g_dst[h.eid] != h.dst))
        if bad.size:
            rep.error("halo_edge.endpoints", f"{bad.size} HALO edge(s) join other nodes than the owner's copy "
                      "(edge _IDs in examples)", partition=h.p, path=h.path, examples=h.eid[bad])


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_halo_endpoints_match_reference(seed, dtype):
    rng = np.random.default_rng(seed)
    n, m, parts = 1000, 5000, int(rng.integers(1, 6))
    g_src, g_dst = rng.integers(0, n, m).astype(dtype), rng.integers(0, n, m).astype(dtype)
    starts = np.concatenate([[0], np.sort(rng.integers(0, m, parts - 1)), [m]])
    e = sc.SetEdges(starts, [g_src[a:b] for a, b in zip(starts[:-1], starts[1:])],
                    [g_dst[a:b] for a, b in zip(starts[:-1], starts[1:])], n)
    halos = []
    for p in range(4):
        eid = np.sort(rng.choice(m, int(rng.integers(0, 800)), replace=False))
        if p == 3:
            eid = rng.permutation(eid)  # any order: the gather path
        s, d = g_src[eid].astype(np.int64), g_dst[eid].astype(np.int64)
        for arr in (s, d):
            if eid.size and rng.random() < 0.6:
                arr[rng.integers(0, eid.size, int(rng.integers(1, 4)))] += 1
        halos.append(sc.HaloCopy(p, f"p{p}", unaligned(eid) if p % 2 else eid, s, d,
                                 eid_ascending=True if p == 1 else None))
    got, want = Report("g.json"), Report("g.json")
    sc.check_halo_endpoints(got, e, halos)
    ref_halo_endpoints(want, g_src, g_dst, halos)
    assert problems(got) == problems(want)


@pytest.mark.parametrize("seed", range(4))
def test_set_warnings_same_for_int32_and_int64(seed):
    """Self-loops, parallel edges and isolated nodes: int32 endpoints (blockwise casts over more than one
    block) give the same warnings as int64."""
    rng = np.random.default_rng(seed)
    n, m = 50_000, 3 * BLOCK + 17
    cfg = {"graph_name": "g", "num_nodes": n, "num_edges": m, "part_method": "random", "num_parts": 2,
           "halo_hops": 1, "node_map": {"_N": [[0, n // 2], [n // 2, n]]},
           "edge_map": {"_N:_E:_N": [[0, m // 3], [m // 3, m]]}, "ntypes": {"_N": 0}, "etypes": {"_N:_E:_N": 0},
           "part-0": {"node_feats": "a", "edge_feats": "b", "part_graph": "c"},
           "part-1": {"node_feats": "a", "edge_feats": "b", "part_graph": "c"}}
    f = pc.SetFacts.from_config(parse_config(cfg))
    src, dst = rng.integers(0, n - 7, m), rng.integers(0, n - 7, m)
    src[:50] = dst[:50]
    src[100:300], dst[100:300] = src[300:500], dst[300:500]
    out = []
    for dtype in (np.int64, np.int32):
        starts = np.array([0, m // 3, m])
        e = sc.SetEdges(starts, [src[:m // 3].astype(dtype), src[m // 3:].astype(dtype)],
                        [dst[:m // 3].astype(dtype), dst[m // 3:].astype(dtype)], n)
        rep = Report("g.json")
        for check in (sc.check_self_loops, sc.check_duplicate_edges, sc.check_isolated_nodes):
            check(rep, f, e)
        out.append(problems(rep))
    assert out[0] == out[1] and {p[0] for p in out[0]} == {"graph.self_loop", "graph.duplicate_edge",
                                                            "graph.isolated_node"}


# -- k-hop HALO ----------------------------------------------------------------------------------------------------------
def ref_halo_hops(rep: Report, f: pc.SetFacts, e: sc.SetEdges, halos: list) -> None:
    """The k-hop rule through a global in-CSR (argsort by destination) and np.unique frontiers."""
    from gpf.sdk.write.halo import gather_ranges

    g_src, g_dst = e.concat()
    n, m = f.num_nodes, g_src.shape[0]
    order = np.argsort(g_dst, kind="stable")
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(g_dst, minlength=n), out=ptr[1:])
    stamp, stored = np.zeros(n, np.int32), np.zeros(m, np.int32)
    for h in halos:
        p = h.p
        lo, hi = f.node_range(p)
        elo, ehi = f.edge_range(p)
        stored[elo:ehi] = p + 1
        stored[h.eid] = p + 1
        stamp[lo:hi] = p + 1
        srcs = g_src[elo:ehi]
        frontier = np.unique(srcs[(srcs < lo) | (srcs >= hi)])
        stamp[frontier] = p + 1
        for k in range(1, f.halo_hops):
            if frontier.size == 0:
                break
            eids = order[gather_ranges(ptr, frontier)]
            s = g_src[eids]
            keep = (s < lo) | (s >= hi)
            need = eids[keep]
            missing = need[stored[need] != p + 1]
            if missing.size:
                rep.error("halo.missing_edge", f"{missing.size} in-edge(s) of hop-{k - 1} HALO nodes are not "
                          f"stored (halo_hops = {f.halo_hops}; edge _IDs in examples)", partition=p, path=h.path,
                          examples=np.sort(missing))
                break
            cand = s[keep]
            cand = np.unique(cand[stamp[cand] != p + 1])
            stamp[cand] = p + 1
            frontier = cand


@pytest.mark.parametrize("seed", range(8))
def test_halo_hops_by_owner_scans_equal_the_csc_walk(seed):
    """The k-hop check (flag scans of the owners' chunks, frontiers by marks) reports what a walk of a
    global in-CSR reports, for complete HALOs and HALOs with random edges missing, h = 2..4."""
    rng = np.random.default_rng(seed)
    P, n, m, hops = 3, 60, 400, int(rng.integers(2, 5))
    node_ends = np.sort(rng.choice(np.arange(1, n), P - 1, replace=False)).tolist() + [n]
    node_starts = [0] + node_ends[:-1]
    dst = np.sort(rng.integers(0, n, m))  # EIDs grouped by the owner of dst
    src = rng.integers(0, n, m)
    owner = np.searchsorted(node_ends, dst, side="right")
    edge_bounds = np.searchsorted(owner, np.arange(P + 1))
    cfg = {"graph_name": "g", "num_nodes": n, "num_edges": m, "part_method": "random", "num_parts": P,
           "halo_hops": hops, "node_map": {"_N": [[a, b] for a, b in zip(node_starts, node_ends)]},
           "edge_map": {"_N:_E:_N": [[int(edge_bounds[p]), int(edge_bounds[p + 1])] for p in range(P)]},
           "ntypes": {"_N": 0}, "etypes": {"_N:_E:_N": 0},
           **{f"part-{p}": {"node_feats": "a", "edge_feats": "b", "part_graph": "c"} for p in range(P)}}
    f = pc.SetFacts.from_config(parse_config(cfg))
    starts = np.asarray(edge_bounds, dtype=np.int64)
    e = sc.SetEdges(starts, [src[a:b].astype(np.int32) for a, b in zip(starts[:-1], starts[1:])],
                    [dst[a:b].astype(np.int32) for a, b in zip(starts[:-1], starts[1:])], n)
    halos = []
    for p in range(P):  # every edge of the graph outside p's range as a HALO copy (a superset of the rule)
        eid = np.flatnonzero(owner != p)
        if seed % 2 and rng.random() < 0.7:  # odd seeds: drop some
            eid = np.delete(eid, rng.integers(0, eid.size, int(rng.integers(1, 40))))
        halos.append(sc.HaloCopy(p, f"p{p}", unaligned(eid) if p % 2 else eid, None, None))
    got, want = Report("g.json"), Report("g.json")
    sc.check_halo_hops(got, f, e, halos)
    ref_halo_hops(want, f, e, halos)
    assert problems(got) == problems(want) and (seed % 2 or not got.problems)


# -- heterogeneous sets: etype runs --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def hetero_set(tmp_path_factory):
    import gpf
    from tests.helpers.writer import make_hetero

    root = tmp_path_factory.mktemp("het")
    gpf.partition(make_hetero(seed=5), 3, root / "s", "s", method="random", halo_hops=1, verbose=False)
    return gpf.open(root / "s" / "s.json")


def _typed_part(pset, p: int, rng: np.random.Generator, kind: int):
    """Partition p's arrays with one kind of random damage: _TYPE values, endpoints moved to other local
    nodes, HALO _IDs out of order (no etype runs), or none."""
    from gpf.sdk.storage.base import PartGraph

    g = pset.store.read_graph(p)
    src, dst = np.array(g.src), np.array(g.dst)
    nd, ed = {k: np.array(v) for k, v in g.ndata.items()}, {k: np.array(v) for k, v in g.edata.items()}
    m = src.shape[0]
    at = rng.integers(0, m, int(rng.integers(1, 6)))
    if kind == 1:
        ed["_TYPE"][at] = (ed["_TYPE"][at] + 1) % 6  # always another etype
    elif kind == 2:
        (src if rng.random() < 0.5 else dst)[at] = rng.integers(0, g.num_nodes, at.size)
    elif kind == 3:
        m_in = int(ed["inner_edge"].sum())
        order = np.concatenate([np.arange(m_in), m_in + rng.permutation(m - m_in)])
        src, dst, ed = src[order], dst[order], {k: v[order] for k, v in ed.items()}
    return lambda: PartGraph(g.num_nodes, unaligned(src), unaligned(dst), nd,
                             {k: unaligned(v) for k, v in ed.items()}, "part")


@pytest.mark.parametrize("seed", range(6))
def test_typed_checks_by_runs_equal_the_per_edge_lookup(hetero_set, seed, monkeypatch):
    """G7 (edge _TYPE) and the endpoint-type check through etype runs report what the per-edge type lookup
    reports, on damaged and undamaged partitions."""
    rng = np.random.default_rng(seed)
    f = pc.SetFacts.from_config(hetero_set.config)
    for p in range(f.num_parts):
        kind = int(rng.integers(0, 4))
        read = _typed_part(hetero_set, p, rng, kind)
        out = []
        for runs in (True, False):
            if not runs:
                monkeypatch.setattr(edge_checks, "_edge_type_runs", lambda f, d: None)
            rep = Report("g.json")
            d = pc.load_part(rep, p, read, "part")
            for check in pc.PARTITION_CHECKS:
                check(rep, f, d)
            out.append(problems(rep))
            if runs:
                assert (edge_checks._edge_type_runs(f, d) is None) == (kind == 3)
            monkeypatch.undo()
        assert out[0] == out[1]
        assert (kind != 1) or "edge_type.mismatch" in {c for c, *_ in out[0]}


def ref_duplicate_edges(rep: Report, f: pc.SetFacts, e: sc.SetEdges) -> None:
    """The parallel-edge warning as one sort of (src, dst, etype) keys per partition."""
    n, r, count, examples = max(f.num_nodes, 1), len(f.etypes), 0, []
    for lo, s, d in e.chunks():
        et = f.book.edges.to_per_type(np.arange(lo, lo + s.shape[0]))[0]
        key = np.sort((s.astype(np.int64) * n + d) * r + et)
        at = np.flatnonzero(key[1:] == key[:-1])
        pairs = key[at[:rep.max_examples] + 1] // r
        count += at.size
        examples += [f"{a}->{b}" for a, b in zip((pairs // n).tolist(), (pairs % n).tolist())]
    if count:
        rep.warn("graph.duplicate_edge", f"{count:,} parallel edge(s) (source->destination hids in examples)",
                 examples=examples)


@pytest.mark.parametrize("seed", range(4))
def test_parallel_edges_by_etype_block_equal_one_sort(hetero_set, seed):
    rng = np.random.default_rng(seed)
    f = pc.SetFacts.from_config(hetero_set.config)
    starts = np.array([f.edge_range(p)[0] for p in range(f.num_parts)] + [f.num_edges])
    n = f.num_nodes
    srcs, dsts = [], []
    for p in range(f.num_parts):
        k = int(starts[p + 1] - starts[p])
        s, d = rng.integers(0, 6, k), rng.integers(0, 6, k)  # few nodes: many repeats, within and across etypes
        srcs.append(s.astype(np.int32))
        dsts.append(d.astype(np.int32))
    e = sc.SetEdges(starts, srcs, dsts, n)
    got, want = Report("g.json"), Report("g.json")
    sc.check_duplicate_edges(got, f, e)
    ref_duplicate_edges(want, f, e)
    assert problems(got) == problems(want) and got.problems


# -- original-ID maps --------------------------------------------------------------------------------------------------
def ref_orig_permutation(rep, f, kind, per_part):
    names = f.ntypes if kind == "node" else f.etypes
    counts = fc.type_counts(f, kind)
    out, ok = {}, True
    for t, name in enumerate(names):
        chunks = [per_part.get(p, {}).get(name) for p in range(f.num_parts)]
        if any(c is None for c in chunks):
            ok = False
            continue
        n = int(counts[t].sum())
        starts = np.cumsum([0] + [c.shape[0] for c in chunks])
        bad = [np.flatnonzero((c < 0) | (c >= n)) + s for c, s in zip(chunks, starts)
               if c.size and (int(c.min()) < 0 or int(c.max()) >= n)]
        if bad:
            bad_at = np.concatenate(bad)
            p = fc.orig_culprit(chunks, bad_position=int(bad_at[0]))
            rep.error("orig_ids.permutation", f"original {kind}-ID map of {name!r} has {bad_at.size} value(s) outside "
                      f"[0, {n}) (new per-type IDs in examples), the first in partition {p}", partition=p,
                      examples=bad_at)
            ok = False
            continue
        seen = np.zeros(n, dtype=bool)
        for c in chunks:
            seen[c] = True
        if int(starts[-1]) == n and seen.all():
            out[name] = chunks
            continue
        hits = np.zeros(n, dtype=np.int64)
        for c in chunks:
            hits += np.bincount(c, minlength=n)
        repeated = np.flatnonzero(hits > 1)
        p = fc.orig_culprit(chunks, value=int(repeated[0])) if repeated.size else None
        where = f"; original ID {int(repeated[0])} is stored again in partition {p}" if p is not None else ""
        rep.error("orig_ids.permutation", f"original {kind}-ID map of {name!r} is not a permutation of [0, {n}): "
                  f"{int((hits == 0).sum())} original ID(s) missing (examples), "
                  f"{int(repeated.size)} repeated{where}", partition=p, examples=np.flatnonzero(hits != 1))
        ok = False
    return out if ok else None


@pytest.mark.parametrize("seed", SEEDS)
def test_orig_permutation_matches_reference(seed):
    rng = np.random.default_rng(seed)
    f, _parts = random_set(rng)
    n = f.num_nodes
    perm = rng.permutation(n)
    cut = f.node_range(0)[1]
    for case in range(6):
        c = [perm[:cut].copy(), perm[cut:].copy()]
        if case == 1:
            c[1][3] = c[0][0]  # a repeat (and a missing ID)
        elif case == 2:
            c[0][2] = rng.choice([-1, n, 10 ** 9])
        elif case == 3:
            c = [x.astype(np.uint32) for x in c]  # unsigned: the plain path
        elif case == 4:
            c = [x.astype(np.int32) for x in c]
        elif case == 5:
            c = [x.astype(np.uint64) for x in c]
            c[1][0] = n + 5
        for odd in (False, True):
            chunks = [unaligned(x) if odd else x for x in c]
            got, want = Report("g.json"), Report("g.json")
            r_got = fc.check_orig_permutation(got, f, "node", {0: {"_N": chunks[0]}, 1: {"_N": chunks[1]}})
            r_want = ref_orig_permutation(want, f, "node", {0: {"_N": chunks[0]}, 1: {"_N": chunks[1]}})
            assert problems(got) == problems(want)
            assert (r_got is None) == (r_want is None)


def test_orig_permutation_blockwise_over_several_blocks():
    n = 3 * BLOCK + 5
    f = pc.SetFacts.from_config(parse_config({
        "graph_name": "g", "num_nodes": n, "num_edges": 0, "part_method": "random", "num_parts": 1, "halo_hops": 1,
        "node_map": {"_N": [[0, n]]}, "edge_map": {"_N:_E:_N": [[0, 0]]}, "ntypes": {"_N": 0},
        "etypes": {"_N:_E:_N": 0}, "part-0": {"node_feats": "a", "edge_feats": "b", "part_graph": "c"}}))
    perm = np.random.default_rng(1).permutation(n)
    for change in (None, (n - 1, -4), (2 * BLOCK + 1, n), (BLOCK, perm[0])):
        c = perm.copy()
        if change:
            c[change[0]] = change[1]
        got, want = Report("g.json"), Report("g.json")
        fc.check_orig_permutation(got, f, "node", {0: {"_N": unaligned(c)}})
        ref_orig_permutation(want, f, "node", {0: {"_N": c}})
        assert problems(got) == problems(want) and (change is None) == (got.problems == [])
