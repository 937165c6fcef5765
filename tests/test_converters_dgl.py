"""gpf.converters.dgl against REAL DGL 1.1.3 (oracle scripts run in .venv-dgl; no dgl import here).

1. ``to_dgl_partition(gpf.open(cfg).partition(p))`` equals ``dgl.distributed.load_partition(cfg, p)``
   array for array (graph structure, every ndata/edata field and dtype, feature dicts, the
   partition book's answers, names and types), on DGL's own sets and on gpf-written sets.
2. ``from_dgl`` of real DGLGraphs (homogeneous, heterogeneous, int32 IDs with isolated
   nodes, a node type without edges and an edgeless edge type) equals the graph read through
   DGL's API; partitioned by ``gpf.partition``, real DGL's ``load_partition`` gives the input
   back through the original-ID maps.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

import gpf
from tests.helpers.asserts import assert_same_array
from tests.helpers.cases import DGL_CASES
from tests.helpers.writer import graph_from_dgl_input, make_hetero, make_homo
from tests.oracle.runner import load_dump, load_meta, run_dgl

pytestmark = pytest.mark.oracle

FROM_DGL_CASES = ["homo", "hetero", "hetero_isolated_int32"]


# -- to_dgl ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def to_dgl_run(dgl_sets, tmp_path_factory):
    root = tmp_path_factory.mktemp("to_dgl")
    configs = [dgl_sets / c / f"{c}.json" for c in DGL_CASES]
    for name, g, method in (("gpf_homo", make_homo(), "metis"), ("gpf_hetero", make_hetero(), "random")):
        ps = gpf.partition(g, 3, root / name, name, method=method, halo_hops=2, verbose=False)
        configs.append(Path(ps.path))
    out = root / "out"
    run_dgl("dgl_converters_to_dgl.py", str(out), *map(str, configs))
    return configs, out


def test_to_dgl_partition_equals_load_partition(to_dgl_run):
    configs, out = to_dgl_run
    compared = 0
    for i, config in enumerate(configs):
        meta = load_meta(out / str(i) / "meta.json")
        ps = gpf.open(config)
        for p in range(ps.num_parts):
            want = load_dump(out / str(i) / f"dgl_part{p}.npz")
            got = load_dump(out / str(i) / f"gpf_part{p}.npz")
            assert sorted(got) == sorted(want), (config, p, set(got) ^ set(want))
            for k, w in want.items():
                assert got[k].dtype == w.dtype, (config, p, k, got[k].dtype, w.dtype)
                assert np.array_equal(got[k], w), (config, p, k)
            m_gpf, m_dgl = dict(meta[f"gpf_part{p}"]), dict(meta[f"dgl_part{p}"])
            for k in ("nfeat_keys", "efeat_keys"):   # same keys; dict order is not part of the API
                assert sorted(m_gpf.pop(k)) == sorted(m_dgl.pop(k)), (config, p, k)
            assert m_gpf == m_dgl, (config, p)
            assert meta[f"gpf_part{p}"]["graph_type"] == "DGLGraph"
            assert meta[f"gpf_part{p}"]["book_type"] == "RangePartitionBook"
            assert any(k.startswith("nfeat:") for k in got)
            compared += 1
    assert compared == sum(gpf.open(c).num_parts for c in configs) >= 20


# -- from_dgl ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def from_dgl_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("from_dgl")
    run_dgl("dgl_converters_from_dgl.py", str(out))
    return out


def test_from_dgl_equals_dgl_view(from_dgl_dir):
    assert load_meta(from_dgl_dir / "cases.json")["cases"] == FROM_DGL_CASES
    for case in FROM_DGL_CASES:
        want = load_dump(from_dgl_dir / f"{case}_input.npz")
        got = load_dump(from_dgl_dir / f"{case}_gpf.npz")
        assert sorted(got) == sorted(want), (case, set(got) ^ set(want))
        for k, w in want.items():
            g = got[k]
            if k.startswith(("src:", "dst:")):
                assert g.dtype == np.int64, (case, k)   # int32 DGL IDs become gpf's int64
            else:
                assert g.dtype == w.dtype, (case, k)
            assert np.array_equal(g, w), (case, k)
    iso = load_dump(from_dgl_dir / "hetero_isolated_int32_gpf.npz")
    assert int(iso["num_nodes:venue"]) == 6 and iso["src:paper:about:field"].shape == (0,)
    assert iso["edata:paper:about:field/w"].shape == (0, 3)


def test_from_dgl_refuses_structure_fields_by_name(from_dgl_dir):
    meta = load_meta(from_dgl_dir / "cases.json")
    assert "'_ID'" in meta["subgraph_error"] and "exclude=['_ID']" in meta["subgraph_error"]
    assert meta["subgraph_excluded_ndata"] == ["emb16", "feat", "label", "train_mask"]


def _reconstruct(dump_dir: Path, num_parts: int):
    """The whole graph, in original IDs, from what real DGL's load_partition returned."""
    parts = [load_dump(dump_dir / f"part{p}.npz") for p in range(num_parts)]
    meta = load_meta(dump_dir / "meta.json")
    ntypes, etypes = meta["ntypes"], meta["etypes"]
    b = parts[0]
    orig_n = {nt: np.concatenate([a[f"orig_nids:{nt}"] for a in parts]) for nt in ntypes}
    orig_e = {et: np.concatenate([a[f"orig_eids:{et}"] for a in parts]) for et in etypes}
    ndata, edata = defaultdict(dict), defaultdict(dict)
    for kind, store, orig in (("nfeat", ndata, orig_n), ("efeat", edata, orig_e)):
        names = sorted({k.split(":", 1)[1] for k in b if k.startswith(f"{kind}:")})
        for key in names:
            t, name = key.rsplit("/", 1)
            rows = np.concatenate([a[f"{kind}:{key}"] for a in parts])
            out = np.empty_like(rows)
            out[orig[t]] = rows
            store[t][name] = out
    edges = {et: (np.full(orig_e[et].shape[0], -1), np.full(orig_e[et].shape[0], -1)) for et in etypes}
    for a in parts:
        inner = a["edata:inner_edge"] != 0
        eh = a["edata:_ID"][inner]
        sh, dh = a["ndata:_ID"][a["src"][inner]], a["ndata:_ID"][a["dst"][inner]]
        for r, et in enumerate(etypes):
            sel = b["book:etype_ids"][eh] == r
            st, _, dt = et.split(":")
            oe = orig_e[et][b["book:per_etype_ids"][eh[sel]]]
            edges[et][0][oe] = orig_n[st][b["book:per_ntype_ids"][sh[sel]]]
            edges[et][1][oe] = orig_n[dt][b["book:per_ntype_ids"][dh[sel]]]
    return {nt: v.shape[0] for nt, v in orig_n.items()}, edges, ndata, edata


@pytest.mark.parametrize("method", ["metis", "random"])
def test_from_dgl_partitioned_by_gpf_loads_in_dgl_as_the_input(from_dgl_dir, tmp_path, method):
    configs, graphs = [], []
    for case in FROM_DGL_CASES:
        graph, _, _ = graph_from_dgl_input(from_dgl_dir / f"{case}_gpf.npz", drop=())
        ps = gpf.partition(graph, 3, tmp_path / case, case, method=method, verbose=False)
        configs.append(ps.path)
        graphs.append(graph)
    out = tmp_path / "dgl"
    run_dgl("dgl_load_gpf_set.py", str(out), *configs)
    for i, case in enumerate(FROM_DGL_CASES):
        want = load_dump(from_dgl_dir / f"{case}_input.npz")
        counts, edges, ndata, edata = _reconstruct(out / str(i), 3)
        assert counts == {k.split(":", 1)[1]: int(v) for k, v in want.items() if k.startswith("num_nodes:")}
        for et, (s, d) in edges.items():
            assert np.array_equal(s, want[f"src:{et}"]) and np.array_equal(d, want[f"dst:{et}"]), (case, et)
        got = {f"ndata:{t}/{n}": v for t, f in ndata.items() for n, v in f.items()}
        got.update({f"edata:{t}/{n}": v for t, f in edata.items() for n, v in f.items()})
        expect = {k: v for k, v in want.items() if k.startswith(("ndata:", "edata:"))}
        assert sorted(got) == sorted(expect), case
        for k, w in expect.items():
            stored = w.astype(np.uint8) if w.dtype == np.bool_ else w   # DGL's files keep bool as uint8
            assert got[k].dtype == stored.dtype and np.array_equal(got[k], stored), (case, k)


# -- the same verbs as the PyG converter: to_dgl(list), to_dgl_graph(set) -----------------------
@pytest.fixture(scope="module")
def verbs_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("dgl_verbs")
    g = make_hetero(seed=8)
    ps = gpf.partition(g, 3, root / "set", "het", method="random", seed=2, halo_hops=1, verbose=False)
    run_dgl("dgl_converters_verbs.py", str(root / "out"), ps.path)
    return g, ps, root / "out"


def test_to_dgl_graph_is_the_input_graph(verbs_run):
    g, _, out = verbs_run
    whole, meta = load_dump(out / "whole.npz"), load_meta(out / "meta.json")
    assert meta["ntypes"] == g.ntypes and [tuple(e) for e in meta["etypes"]] == g.canonical_etypes
    assert not meta["is_homogeneous"]
    for nt in g.ntypes:
        assert int(whole[f"num_nodes:{nt}"]) == g.num_nodes(nt)
        assert sorted(k for k in whole if k.startswith(f"ndata:{nt}/")) == sorted(f"ndata:{nt}/{n}" for n in g.ndata[nt])
        for name, want in g.ndata[nt].items():
            assert_same_array(whole[f"ndata:{nt}/{name}"], want, f"{nt}/{name}")
    for et, (src, dst) in g.edges_dict.items():
        key = ":".join(et)
        assert_same_array(whole[f"src:{key}"], src.astype(np.int64), f"{key} src")
        assert_same_array(whole[f"dst:{key}"], dst.astype(np.int64), f"{key} dst")
        for name, want in g.edata[et].items():
            assert_same_array(whole[f"edata:{key}/{name}"], want, f"{key}/{name}")


def test_to_dgl_of_a_list_is_the_union_of_the_local_graphs(verbs_run):
    _, ps, out = verbs_run
    u = load_dump(out / "union.npz")
    parts = [ps.partition(0), ps.partition(1)]
    nid, eid = u["ndata:_ID"], u["edata:_ID"]
    assert np.unique(nid).shape == nid.shape and np.unique(eid).shape == eid.shape
    want_n = np.unique(np.concatenate([p.global_nid for p in parts]))
    np.testing.assert_array_equal(np.sort(nid), want_n)
    inner = np.concatenate([p.global_nid[p.inner_node] for p in parts])
    np.testing.assert_array_equal(nid[: inner.shape[0]], inner)  # inner nodes first, in partition order
    np.testing.assert_array_equal(u["ndata:inner_node"].astype(bool), np.isin(nid, inner))
    np.testing.assert_array_equal(u["ndata:part_id"], ps.book.nid2partid(nid))
    np.testing.assert_array_equal(u["ndata:_TYPE"], ps.book.map_to_per_ntype(nid)[0])
    ends = {}
    for p in parts:
        for e, s, d in zip(p.global_eid.tolist(), p.global_nid[p.src].tolist(), p.global_nid[p.dst].tolist()):
            ends[e] = (s, d)
    assert sorted(ends) == sorted(eid.tolist())
    assert [ends[e] for e in eid.tolist()] == list(zip(nid[u["src"]].tolist(), nid[u["dst"]].tolist()))
    np.testing.assert_array_equal(u["edata:_TYPE"], ps.book.map_to_per_etype(eid)[0])
