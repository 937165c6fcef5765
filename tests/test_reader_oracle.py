"""gpf reads real DGL 1.1.3 partition sets exactly as dgl.distributed.load_partition does."""

import json

import numpy as np
import pytest

import gpf
from tests.helpers.asserts import assert_same_array as _eq
from tests.helpers.cases import DGL_CASES
from tests.oracle.runner import load_dump

pytestmark = pytest.mark.oracle


def _open(dgl_sets, case):
    return gpf.open(dgl_sets / case / f"{case}.json")


@pytest.mark.parametrize("case", DGL_CASES)
def test_structure_and_fields_equal_load_partition(dgl_sets, case):
    ps = _open(dgl_sets, case)
    meta = json.loads((dgl_sets / case / "expected" / "meta.json").read_text())
    assert ps.num_parts == meta["num_parts"]
    assert ps.ntypes == meta["ntypes"]
    assert [":".join(e) for e in ps.etypes] == meta["etypes"]
    assert ps.num_nodes == meta["num_nodes"] and ps.num_edges == meta["num_edges"]
    for part in ps:
        exp = load_dump(dgl_sets / case / "expected" / f"part{part.part_id}.npz")
        where = f"{case} part {part.part_id}"
        assert part.num_nodes == int(exp["num_nodes"])
        _eq(part.src, exp["src"], f"{where} src")
        _eq(part.dst, exp["dst"], f"{where} dst")
        nkeys = {k[6:] for k in exp if k.startswith("ndata:")}
        ekeys = {k[6:] for k in exp if k.startswith("edata:")}
        assert set(part.ndata) == nkeys, where
        assert set(part.edata) == ekeys, where
        for k in nkeys:
            _eq(part.ndata[k], exp[f"ndata:{k}"], f"{where} ndata {k}")
        for k in ekeys:
            _eq(part.edata[k], exp[f"edata:{k}"], f"{where} edata {k}")
        _eq(part.global_nid, exp["ndata:_ID"], f"{where} global_nid")
        _eq(part.global_eid, exp["edata:_ID"], f"{where} global_eid")
        _eq(part.inner_node, exp["ndata:inner_node"] != 0, f"{where} inner_node")
        _eq(part.inner_edge, exp["edata:inner_edge"] != 0, f"{where} inner_edge")
        # Type IDs: stored _TYPE where DGL wrote it, the book's answer otherwise; both agree.
        _eq(part.ntype_ids, exp["book:ntype_ids"][exp["ndata:_ID"]].astype(np.int32), f"{where} ntype_ids")
        _eq(part.etype_ids, exp["book:etype_ids"][exp["edata:_ID"]].astype(np.int32), f"{where} etype_ids")
        if "ndata:part_id" in exp:
            _eq(part.owner, exp["ndata:part_id"], f"{where} owner")
        else:
            _eq(part.owner, exp["book:nid2partid"][exp["ndata:_ID"]], f"{where} owner")
        s, e = part.node_range
        assert part.num_inner_nodes == int(part.inner_node.sum()) == e - s


@pytest.mark.parametrize("case", DGL_CASES)
def test_features_equal_load_partition(dgl_sets, case):
    ps = _open(dgl_sets, case)
    for part in ps:
        exp = load_dump(dgl_sets / case / "expected" / f"part{part.part_id}.npz")
        where = f"{case} part {part.part_id}"
        nf = {k[6:]: v for k, v in exp.items() if k.startswith("nfeat:")}
        ef = {k[6:]: v for k, v in exp.items() if k.startswith("efeat:")}
        assert set(part.node_feats) == set(nf), where
        assert set(part.edge_feats) == set(ef), where
        for k, v in nf.items():
            _eq(part.node_feats[k], v, f"{where} node feat {k}")
        for k, v in ef.items():
            _eq(part.edge_feats[k], v, f"{where} edge feat {k}")


@pytest.mark.parametrize("case", DGL_CASES)
def test_book_equals_dgl_partition_book(dgl_sets, case):
    ps = _open(dgl_sets, case)
    exp = load_dump(dgl_sets / case / "expected" / "part0.npz")
    n, m = ps.num_nodes, ps.num_edges
    book = ps.book
    _eq(book.nid2partid(np.arange(n)), exp["book:nid2partid"], "nid2partid")
    _eq(book.eid2partid(np.arange(m)), exp["book:eid2partid"], "eid2partid")
    t, per = book.map_to_per_ntype(np.arange(n))
    _eq(t, exp["book:ntype_ids"], "map_to_per_ntype types")
    _eq(per, exp["book:per_ntype_ids"], "map_to_per_ntype ids")
    t, per = book.map_to_per_etype(np.arange(m))
    _eq(t, exp["book:etype_ids"], "map_to_per_etype types")
    _eq(per, exp["book:per_etype_ids"], "map_to_per_etype ids")
    for i, nt in enumerate(ps.ntypes):
        _eq(book.map_to_homogeneous(nt, np.arange(book.nodes.count(i))), exp[f"book:homo_nid:{nt}"], nt)
    for i, et in enumerate(ps.etypes):
        key = ":".join(et)
        _eq(book.map_to_homogeneous_eid(et, np.arange(book.edges.count(i))), exp[f"book:homo_eid:{key}"], key)
    for p in range(ps.num_parts):
        _eq(book.partid2nids(p), exp[f"book:partid2nids:{p}"], f"partid2nids {p}")
        _eq(book.partid2eids(p), exp[f"book:partid2eids:{p}"], f"partid2eids {p}")


@pytest.mark.parametrize("case", DGL_CASES)
def test_features_match_input_graph_by_original_id(dgl_sets, case):
    """Rows read by gpf equal the input graph's rows, through DGL's return_mapping."""
    ps = _open(dgl_sets, case)
    g = load_dump(dgl_sets / case / "expected" / "graph.npz")
    book = ps.book
    for part in ps:
        for key, rows in part.node_feats.items():
            ntype, name = key.split("/")
            if name == "trainer_id":  # added by DGL, not in the input
                continue
            t = ps.ntypes.index(ntype)
            s, e = book.nodes.ranges[t, part.part_id]
            _, per = book.map_to_per_ntype(np.arange(s, e))
            orig = g[f"orig_nids:{ntype}"][per]
            src = g[f"ndata:{ntype}/{name}"]
            if src.dtype == bool:
                src = src.astype(np.uint8)
            np.testing.assert_array_equal(rows, src[orig], err_msg=f"{case} {key}")
        for key, rows in part.edge_feats.items():
            etype, name = key.split("/")
            if name == "trainer_id":
                continue
            t = [":".join(x) for x in ps.etypes].index(etype)
            s, e = book.edges.ranges[t, part.part_id]
            _, per = book.map_to_per_etype(np.arange(s, e))
            orig = g[f"orig_eids:{etype}"][per]
            np.testing.assert_array_equal(rows, g[f"edata:{etype}/{name}"][orig], err_msg=f"{case} {key}")


@pytest.mark.parametrize("case", DGL_CASES)
def test_edges_match_input_graph(dgl_sets, case):
    """Every inner edge, mapped back through the book and return_mapping, is an input edge."""
    ps = _open(dgl_sets, case)
    g = load_dump(dgl_sets / case / "expected" / "graph.npz")
    book = ps.book
    seen = 0
    for part in ps:
        inner = part.inner_edge
        gsrc = part.global_nid[part.src[inner]]
        gdst = part.global_nid[part.dst[inner]]
        et, per_e = book.map_to_per_etype(part.global_eid[inner])
        st, per_s = book.map_to_per_ntype(gsrc)
        dt, per_d = book.map_to_per_ntype(gdst)
        for i, (sn, rel, dn) in enumerate(ps.etypes):
            sel = et == i
            key = f"{sn}:{rel}:{dn}"
            assert (st[sel] == ps.ntypes.index(sn)).all() and (dt[sel] == ps.ntypes.index(dn)).all()
            orig_e = g[f"orig_eids:{key}"][per_e[sel]]
            np.testing.assert_array_equal(g[f"orig_nids:{sn}"][per_s[sel]], g[f"src:{key}"][orig_e])
            np.testing.assert_array_equal(g[f"orig_nids:{dn}"][per_d[sel]], g[f"dst:{key}"][orig_e])
            seen += int(sel.sum())
    assert seen == ps.num_edges


@pytest.mark.parametrize("case", ["hetero_metis_h2_t2", "homo_random_h1"])
def test_private_reads_equal_memory_mapped_reads(dgl_sets, case):
    a_set = gpf.open(dgl_sets / case / f"{case}.json", mmap=False)
    b_set = _open(dgl_sets, case)
    for a, b in zip(a_set, b_set):
        for name in ("src", "dst", "global_nid", "global_eid", "inner_node", "inner_edge", "ntype_ids", "etype_ids"):
            _eq(getattr(a, name), getattr(b, name), name)
        for k in b.node_feats:
            _eq(a.node_feats[k], b.node_feats[k], k)
            assert not a.node_feats[k].flags.writeable  # read-only either way
        for k in b.edge_feats:
            _eq(a.edge_feats[k], b.edge_feats[k], k)
