"""gpf.partition against REAL DGL 1.1.3 (tests/oracle/dgl_load_gpf_set.py runs in .venv-dgl).

1. DGL's ``load_partition`` (with ``DGL_DIST_DEBUG``) loads every partition gpf writes,
   and the graph it sees is the input graph: edges, features, original-ID maps, HALO
   nodes/edges exactly as DGL's rule makes them, DGL's fields and dtypes.
2. Given the assignment DGL chose for its own fixture sets, gpf writes the same
   partitions as DGL's ``partition_graph``, up to the order inside (partition, type)
   blocks (DGL's sorts are unstable) and the order of HALO nodes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import gpf
from tests.helpers.asserts import arrays_equal as _equal
from tests.helpers.cases import DGL_CASES
from tests.helpers.writer import dgl_views, graph_from_dgl_input, halo_reference, make_hetero, make_homo, read_config
from tests.oracle.runner import load_dump, load_meta, run_dgl

pytestmark = pytest.mark.oracle

# name: (graph, num_parts, method, halo_hops, num_trainers_per_machine)
CASES = {
    "homo_random_h1": ("homo", 4, "random", 1, 1),
    "homo_metis_h2": ("homo", 3, "metis", 2, 1),
    "homo_given_h1_t2": ("homo", 3, "given", 1, 2),
    "homo_one_part": ("homo", 1, "random", 1, 1),
    "hetero_random_h2": ("hetero", 4, "random", 2, 1),
    "hetero_metis_h1_t2": ("hetero", 3, "metis", 1, 2),
    "hetero_given_h2": ("hetero", 3, "given", 2, 1),
    "hetero_one_part": ("hetero", 1, "metis", 1, 1),
    "hetero_metis_balanced": ("hetero", 2, "metis_balance_edges", 1, 1),
}


def _given(graph, P, seed=5):
    rng = np.random.default_rng(seed)
    out = {}
    for nt in graph.ntypes:
        n = graph.num_nodes(nt)
        out[nt] = rng.permutation(np.arange(n) % P)
    return out if not graph.is_homogeneous else out["_N"]


def _dgl_assignment(case_dir: Path, case: str, graph):
    """Owner of every original node in DGL's own set: node_map ranges + return_mapping."""
    cfg = read_config(case_dir / f"{case}.json")
    _, orig_n, _ = graph_from_dgl_input(case_dir / "expected" / "graph.npz")
    owner = {}
    for nt, ranges in cfg["node_map"].items():
        sizes = [e - s for s, e in ranges]
        per_new = np.repeat(np.arange(len(ranges)), sizes)
        o = np.empty(graph.num_nodes(nt), dtype=np.int64)
        o[orig_n[nt]] = per_new
        owner[nt] = o
    return owner


@pytest.fixture(scope="session")
def written(tmp_path_factory, dgl_sets):
    """Every case written by gpf, then loaded by real DGL in one oracle run."""
    root = tmp_path_factory.mktemp("gpf_sets")
    out = {}
    graphs = {"homo": make_homo(), "hetero": make_hetero()}
    for name, (gname, P, method, hops, T) in CASES.items():
        g = graphs[gname]
        kw = {}
        if method == "given":
            kw["method"] = _given(g, P)
        elif method == "metis_balance_edges":
            kw.update(method="metis", balance_edges=True)
        else:
            kw["method"] = method
        ps = gpf.partition(g, P, root / name, name, halo_hops=hops, num_trainers_per_machine=T, seed=3,
                           verbose=False, **kw)
        out[name] = {"config": Path(ps.path), "graph": g, "P": P, "hops": hops, "T": T}
    for case in DGL_CASES:
        meta = load_meta(dgl_sets / case / "expected" / "meta.json")
        g, _, _ = graph_from_dgl_input(dgl_sets / case / "expected" / "graph.npz")
        owner = _dgl_assignment(dgl_sets / case, case, g)
        method = owner if not g.is_homogeneous else owner["_N"]
        ps = gpf.partition(g, meta["num_parts"], root / f"like_{case}", case, method=method,
                           halo_hops=meta["halo_hops"], num_trainers_per_machine=meta["num_trainers_per_machine"],
                           verbose=False)
        out[f"like_{case}"] = {"config": Path(ps.path), "graph": g, "P": meta["num_parts"],
                               "hops": meta["halo_hops"], "T": meta["num_trainers_per_machine"], "owner": owner}
    names = list(out)
    dumps = root / "dgl_view"
    run_dgl("dgl_load_gpf_set.py", str(dumps), *[str(out[n]["config"]) for n in names])
    for i, n in enumerate(names):
        out[n]["dump"] = dumps / str(i)
    return out


def _owner_from_views(views, graph):
    owner = {nt: np.full(graph.num_nodes(nt), -1) for nt in graph.ntypes}
    for p, v in enumerate(views):
        for nt, i in v.inner_nodes:
            assert owner[nt][i] == -1, f"node {nt}:{i} owned twice"
            owner[nt][i] = p
    for nt, o in owner.items():
        assert (o >= 0).all(), f"some {nt} nodes are owned by no partition"
    return owner


ALL = list(CASES) + [f"like_{c}" for c in DGL_CASES]


@pytest.mark.parametrize("name", ALL)
def test_dgl_loads_the_input_graph(written, name):
    w = written[name]
    g, cfg = w["graph"], read_config(w["config"])
    views = dgl_views(w["dump"], cfg, g)  # also checks every local edge's endpoints against the input
    owner = _owner_from_views(views, g)
    if "owner" in w:
        for nt in g.ntypes:
            assert np.array_equal(owner[nt], w["owner"][nt])
    # Every input edge is an inner edge of exactly one partition (its dst's).
    inner = [(k, e) for v in views for (k, e, i) in v.edges if i]
    assert len(inner) == len(set(inner)) == g.num_edges()
    # HALO nodes and edges follow DGL's rule.
    ref = halo_reference(g, owner, w["P"], w["hops"])
    for p, (v, (r_inner, r_nodes, r_edges, r_inner_edges)) in enumerate(zip(views, ref)):
        assert set(v.inner_nodes) == r_inner, f"part {p}: inner nodes"
        assert v.halo_nodes == r_nodes - r_inner, f"part {p}: HALO nodes"
        assert {(k, e) for k, e, _ in v.edges} == r_edges, f"part {p}: edges"
        assert {(k, e) for k, e, i in v.edges if i} == r_inner_edges, f"part {p}: inner edges"
    # Features: each owned row equals the input row of the same original node / edge.
    for v in views:
        for (nt, fname), rows in v.nfeat.items():
            if fname == "trainer_id":
                continue
            src = g.ndata[nt][fname]
            for i, row in rows.items():
                assert _equal(row, src[i].astype(np.uint8) if src.dtype == bool else src[i]), (nt, fname, i)
        for (et, fname), rows in v.efeat.items():
            if fname == "trainer_id":
                continue
            s, r, d = et.split(":")
            src = g.edata[(s, r, d)][fname]
            for e, row in rows.items():
                assert _equal(row, src[e]), (et, fname, e)
    # Every feature of the input is there, for every owned row.
    keys = {k for v in views for k in v.nfeat} | {k for v in views for k in v.efeat}
    for nt, frame in g.ndata.items():
        for fname in frame:
            assert (nt, fname) in keys
    for et, frame in g.edata.items():
        for fname in frame:
            assert (":".join(et), fname) in keys


@pytest.mark.parametrize("name", ALL)
def test_orig_id_maps(written, name):
    w = written[name]
    g, cfg = w["graph"], read_config(w["config"])
    ps = gpf.open(w["config"])
    for nt in g.ntypes:
        o = ps.orig_nids(nt)
        assert np.array_equal(np.sort(o), np.arange(g.num_nodes(nt)))
        assert o.dtype == np.int64
    for et in g.canonical_etypes:
        o = ps.orig_eids(et)
        assert np.array_equal(np.sort(o), np.arange(g.num_edges(et)))
    # What DGL's load_tensors reads from orig_nids.dgl equals what gpf reads.
    for p in range(cfg["num_parts"]):
        a = load_dump(w["dump"] / f"part{p}.npz")
        for nt in g.ntypes:
            s, e = ps.book.nodes.ranges[ps.ntypes.index(nt), p]
            assert a[f"orig_nids:{nt}"].shape == (e - s,)


@pytest.mark.parametrize("name", ALL)
def test_fields_dtypes_and_local_order(written, name):
    w = written[name]
    g, cfg = w["graph"], read_config(w["config"])
    P = cfg["num_parts"]
    typed = (not g.is_homogeneous) or P == 1
    want_n = {"_ID": "int64", "inner_node": "uint8", **({"part_id": "int64"} if P > 1 else {}),
              **({"_TYPE": "int32"} if typed else {})}
    want_e = {"_ID": "int64", "inner_edge": "uint8", **({"_TYPE": "int32"} if typed else {})}
    ps = gpf.open(w["config"])
    for p in range(P):
        a = load_dump(w["dump"] / f"part{p}.npz")
        assert {k[6:]: a[k].dtype.name for k in a if k.startswith("ndata:")} == want_n
        assert {k[6:]: a[k].dtype.name for k in a if k.startswith("edata:")} == want_e
        ns, ne = ps.book.nodes.part_range(p)
        es, ee = ps.book.edges.part_range(p)
        nid, eid = a["ndata:_ID"], a["edata:_ID"]
        assert np.array_equal(nid[: ne - ns], np.arange(ns, ne))
        assert np.array_equal(eid[: ee - es], np.arange(es, ee))
        assert np.all(np.diff(eid[ee - es:]) > 0), "HALO edges in ascending EID"
        if "ndata:part_id" in a:
            assert np.array_equal(a["ndata:part_id"], a["book:nid2partid"][nid])
        if "ndata:_TYPE" in a:
            assert np.array_equal(a["ndata:_TYPE"], a["book:ntype_ids"][nid])
            assert np.array_equal(a["edata:_TYPE"], a["book:etype_ids"][eid])


@pytest.mark.parametrize("name", [n for n in ALL if n.startswith("like_") and "t2" in n
                                  or n in CASES and CASES[n][4] > 1])
def test_trainer_ids(written, name):
    w = written[name]
    g, cfg = w["graph"], read_config(w["config"])
    T = w["T"]
    views = dgl_views(w["dump"], cfg, g)
    tid = {}
    for p, v in enumerate(views):
        for nt in g.ntypes:
            rows = v.nfeat[(nt, "trainer_id")]
            for i, t in rows.items():
                assert int(t) // T == p
                tid[(nt, i)] = int(t)
    for v in views:
        for et in g.canonical_etypes:
            key = ":".join(et)
            for e, t in v.efeat[(key, "trainer_id")].items():
                assert int(t) == tid[(et[2], int(g.edges_dict[et][1][e]))]


@pytest.mark.parametrize("name", ALL)
def test_gpf_reader_agrees_with_dgl(written, name):
    w = written[name]
    ps = gpf.open(w["config"])
    for p, part in enumerate(ps):
        a = load_dump(w["dump"] / f"part{p}.npz")
        assert np.array_equal(part.src, a["src"]) and np.array_equal(part.dst, a["dst"])
        for k, v in part.ndata.items():
            assert _equal(v, a[f"ndata:{k}"])
        for k, v in part.edata.items():
            assert _equal(v, a[f"edata:{k}"])
        assert set(part.node_feats) == {k[6:] for k in a if k.startswith("nfeat:")}
        for k, v in part.node_feats.items():
            assert _equal(v, a[f"nfeat:{k}"])
        for k, v in part.edge_feats.items():
            assert _equal(v, a[f"efeat:{k}"])


@pytest.mark.parametrize("case", DGL_CASES)
def test_equals_dgl_partition_graph(written, dgl_sets, case):
    """Same assignment as DGL chose -> same partitions, up to order inside blocks / of HALO nodes."""
    w = written[f"like_{case}"]
    g = w["graph"]
    cfg_gpf = read_config(w["config"])
    cfg_dgl = read_config(dgl_sets / case / f"{case}.json")
    for key in ("num_nodes", "num_edges", "num_parts", "halo_hops", "node_map", "edge_map", "ntypes", "etypes"):
        assert cfg_gpf[key] == cfg_dgl[key], key
    _, orig_n, orig_e = graph_from_dgl_input(dgl_sets / case / "expected" / "graph.npz")
    dgl = dgl_views(dgl_sets / case / "expected", cfg_dgl, g, orig_n, orig_e)
    ours = dgl_views(w["dump"], cfg_gpf, g)
    for p, (d, o) in enumerate(zip(dgl, ours)):
        assert sorted(o.inner_nodes) == sorted(d.inner_nodes), f"part {p}: inner nodes"
        # Inner nodes come in type-ID blocks on both sides.
        assert [t for t, _ in o.inner_nodes] == [t for t, _ in d.inner_nodes], f"part {p}: type blocks"
        assert o.halo_nodes == d.halo_nodes, f"part {p}: HALO nodes"
        assert o.edges == d.edges, f"part {p}: edges"
        assert [k for k, _ in o.inner_edge_order] == [k for k, _ in d.inner_edge_order], f"part {p}: etype blocks"
        assert o.ndata_dtypes == d.ndata_dtypes and o.edata_dtypes == d.edata_dtypes, f"part {p}: fields"
        assert set(o.nfeat) == set(d.nfeat) and set(o.efeat) == set(d.efeat), f"part {p}: feature names"
        for key in d.nfeat:
            if key[1] == "trainer_id":
                continue
            for i, row in d.nfeat[key].items():
                assert _equal(o.nfeat[key][i], row), (p, key, i)
        for key in d.efeat:
            if key[1] == "trainer_id":
                continue
            for e, row in d.efeat[key].items():
                assert _equal(o.efeat[key][e], row), (p, key, e)
