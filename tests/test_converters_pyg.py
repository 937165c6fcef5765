"""gpf.converters.pyg: PyG Data/HeteroData <-> partition sets, PyG stores + NeighborLoader.

Everything is checked array for array against the PyG input, by ID: Planetoid Cora
(the real loader, offline from the shared raw files) and a generated HeteroData with
isolated nodes, a featureless node type and an edgeless edge type.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch_geometric.data import Data, HeteroData

import gpf
from gpf.converters import pyg as P
from gpf.sdk.write.graph import GraphError

METHODS = ("metis", "random")


# -- inputs --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cora() -> Data:
    """Planetoid Cora as PyG's ``Planetoid(root, "Cora")[0]`` gives it (the bundled copy: no machine path)."""
    from gpf.datasets import cora as bundled

    c = bundled()
    return Data(x=torch.from_numpy(c["feat"]), edge_index=torch.from_numpy(np.stack([c["src"], c["dst"]])),
                y=torch.from_numpy(c["label"]), **{m: torch.from_numpy(c[m]) for m in ("train_mask", "val_mask", "test_mask")})


HETERO_COUNTS = {"user": 60, "item": 45, "tag": 12, "lonely": 5}


def make_hetero(seed: int = 0) -> HeteroData:
    g = torch.Generator().manual_seed(seed)
    d = HeteroData()
    for nt, c in HETERO_COUNTS.items():
        d[nt].num_nodes = c
    d["user"].x = torch.randn(60, 4, generator=g)
    d["user"].y = torch.randint(0, 3, (60,), generator=g)
    d["user"].train_mask = torch.rand(60, generator=g) < 0.5
    d["item"].x = torch.randn(45, 6, generator=g).double()
    d["tag"].code = torch.randint(0, 100, (12, 2), generator=g).to(torch.int16)

    def ei(s, t, m, hi_src=None):
        return torch.stack([torch.randint(0, hi_src or HETERO_COUNTS[s], (m,), generator=g),
                            torch.randint(0, HETERO_COUNTS[t], (m,), generator=g)])

    d["user", "follows", "user"].edge_index = ei("user", "user", 150)
    d["user", "follows", "user"].edge_weight = torch.rand(150, generator=g)
    d["user", "buys", "item"].edge_index = ei("user", "item", 120)
    d["user", "buys", "item"].edge_attr = torch.randint(1, 9, (120, 3), generator=g)
    d["item", "has", "tag"].edge_index = ei("item", "tag", 8)
    d["tag", "links", "user"].edge_index = torch.zeros(2, 0, dtype=torch.long)   # edgeless edge type
    d["tag", "links", "user"].edge_attr = torch.zeros(0, 2)
    return d


@pytest.fixture(scope="module")
def hetero() -> HeteroData:
    return make_hetero()


@pytest.fixture(scope="module")
def cora_sets(cora, tmp_path_factory):
    root = tmp_path_factory.mktemp("cora_sets")
    g = P.from_pyg(cora)
    return {m: gpf.partition(g, 4, root / m, "cora", method=m, verbose=False) for m in METHODS}


@pytest.fixture(scope="module")
def hetero_sets(hetero, tmp_path_factory):
    root = tmp_path_factory.mktemp("hetero_sets")
    g = P.from_pyg(hetero)
    return {m: gpf.partition(g, 3, root / m, "het", method=m, verbose=False) for m in METHODS}


def _stores(data):
    """``{type: store}`` of a Data (one pseudo type) or HeteroData, nodes and edges."""
    if isinstance(data, HeteroData):
        return {nt: data[nt] for nt in data.node_types}, {et: data[et] for et in data.edge_types}
    return {"_N": data}, {("_N", "_E", "_N"): data}


def _node_keys(store, data):
    return [k for k in store.keys() if k not in ("edge_index", "num_nodes") and
            (isinstance(data, HeteroData) or data.is_node_attr(k))]


def _edge_keys(store, data):
    return [k for k in store.keys() if k != "edge_index" and (isinstance(data, HeteroData) or data.is_edge_attr(k))]


def assert_same_graph(a, b):
    """Equal structure (edge order included), node counts and every node/edge tensor."""
    assert type(a) is type(b)
    na, ea = _stores(a)
    nb, eb = _stores(b)
    assert list(na) == list(nb) or set(na) == set(nb)
    assert set(ea) == set(eb)
    for t in na:
        assert na[t].num_nodes == nb[t].num_nodes, t
        keys_a, keys_b = sorted(_node_keys(na[t], a)), sorted(_node_keys(nb[t], b))
        assert keys_a == keys_b, (t, keys_a, keys_b)
        for k in keys_a:
            assert na[t][k].dtype == nb[t][k].dtype, (t, k)
            assert torch.equal(na[t][k], nb[t][k]), (t, k)
    for t in ea:
        assert torch.equal(ea[t].edge_index, eb[t].edge_index), t
        keys_a, keys_b = sorted(_edge_keys(ea[t], a)), sorted(_edge_keys(eb[t], b))
        assert keys_a == keys_b, (t, keys_a, keys_b)
        for k in keys_a:
            assert ea[t][k].dtype == eb[t][k].dtype, (t, k)
            assert torch.equal(ea[t][k], eb[t][k]), (t, k)


# -- from_pyg ------------------------------------------------------------------------------
def test_from_pyg_cora_keeps_everything(cora):
    g = P.from_pyg(cora)
    assert g.ntypes == ["_N"] and g.canonical_etypes == [("_N", "_E", "_N")]
    assert g.num_nodes() == 2708 and g.num_edges() == 10556
    s, d = g.edges()
    assert np.array_equal(s, cora.edge_index[0].numpy()) and np.array_equal(d, cora.edge_index[1].numpy())
    assert sorted(g.ndata["_N"]) == ["test_mask", "train_mask", "val_mask", "x", "y"]
    for k, v in g.ndata["_N"].items():
        assert np.array_equal(v, cora[k].numpy()), k
    assert int(g.ndata["_N"]["train_mask"].sum()) == 140


def test_from_pyg_hetero_keeps_counts_and_edgeless_types(hetero):
    g = P.from_pyg(hetero)
    assert g.num_nodes_dict == {nt: HETERO_COUNTS[nt] for nt in sorted(HETERO_COUNTS)}
    assert g.num_edges(("tag", "links", "user")) == 0
    assert g.edata[("tag", "links", "user")]["edge_attr"].shape == (0, 2)
    assert g.ndata["lonely"] == {}
    assert g.ndata["tag"]["code"].dtype == np.int16
    assert np.array_equal(g.edata[("user", "buys", "item")]["edge_attr"],
                          hetero["user", "buys", "item"].edge_attr.numpy())


def test_from_pyg_refuses_graph_level_attributes_by_name(cora):
    d = cora.clone()
    d.graph_label = torch.tensor([3])
    with pytest.raises(GraphError, match="graph_label"):
        P.from_pyg(d)
    g = P.from_pyg(d, exclude=["graph_label"])
    assert "graph_label" not in g.ndata["_N"]
    h = make_hetero()
    h.note = torch.tensor([1.0])
    with pytest.raises(GraphError, match=r"\['note'\]"):
        P.from_pyg(h)


def test_from_pyg_refuses_bad_inputs():
    with pytest.raises(GraphError, match="no edge_index"):
        P.from_pyg(Data(x=torch.zeros(3, 2)))
    with pytest.raises(GraphError, match="Data or HeteroData"):
        P.from_pyg({"edge_index": torch.zeros(2, 0)})
    d = Data(edge_index=torch.tensor([[0, 1], [1, 0]]), num_nodes=2, x=torch.zeros(2, 2, dtype=torch.bfloat16))
    with pytest.raises(GraphError, match=r"data\.x"):
        P.from_pyg(d)


# -- round trips ---------------------------------------------------------------------------
@pytest.mark.parametrize("method", METHODS)
def test_cora_round_trip(cora, cora_sets, method):
    ps = cora_sets[method]
    assert ps.num_parts == 4
    back = P.to_pyg_graph(ps)
    assert isinstance(back, Data)
    assert_same_graph(cora, back)


@pytest.mark.parametrize("method", METHODS)
def test_hetero_round_trip(hetero, hetero_sets, method):
    back = P.to_pyg_graph(hetero_sets[method])
    assert isinstance(back, HeteroData)
    assert_same_graph(hetero, back)
    assert back["lonely"].num_nodes == 5 and back["tag", "links", "user"].edge_index.shape == (2, 0)


def test_to_pyg_graph_in_gpf_ids_is_the_same_graph_relabelled(cora, cora_sets):
    ps = cora_sets["metis"]
    g = P.to_pyg_graph(ps, ids="gpf")
    orig_n = torch.from_numpy(ps.orig_nids("_N"))     # original ID of each gpf ID
    orig_e = torch.from_numpy(ps.orig_eids())
    assert torch.equal(cora.x[orig_n], g.x) and torch.equal(cora.y[orig_n], g.y)
    assert torch.equal(orig_n[g.edge_index], cora.edge_index[:, orig_e])
    assert not torch.equal(orig_n, torch.arange(2708))   # METIS did relabel


# -- to_pyg: partitions and batches --------------------------------------------------------
def _check_part_against_source(src_data, out, ps, part_ids, halo):
    """Every node/edge of ``out`` by original ID; inner flags by owner; HALO feature rows."""
    src_nodes, src_edges = _stores(src_data)
    out_nodes, out_edges = _stores(out)
    nt_ids = {nt: i for i, nt in enumerate(ps.ntypes)}
    seen_inner_edges = {}
    for nt, st in out_nodes.items():
        n_id = st.n_id
        assert st.num_nodes == n_id.numel() == st.gpf_nid.numel()
        assert n_id.unique().numel() == n_id.numel(), "a node appears twice"
        owner = torch.from_numpy(ps.book.nid2partid(st.gpf_nid.numpy()))
        assert torch.equal(st.inner_node, torch.isin(owner, torch.tensor(part_ids)))
        t, per = ps.book.map_to_per_ntype(st.gpf_nid.numpy())
        assert np.all(t == nt_ids[nt]) and np.array_equal(per, st.gpf_type_nid.numpy())
        assert torch.equal(torch.from_numpy(ps.to_original(nt, per)), n_id)
        for k in _node_keys(src_nodes[nt], src_data):
            expect = src_nodes[nt][k][n_id]
            if halo == "zeros":
                expect = expect.clone()
                expect[~st.inner_node] = 0
            assert torch.equal(st[k], expect), (nt, k)
        # inner nodes first (in each chosen partition's order)
        inner = st.inner_node.int()
        assert torch.all(inner[:-1] >= inner[1:]) if len(part_ids) == 1 else True
    for et, st in out_edges.items():
        e_id = st.e_id
        assert e_id.unique().numel() == e_id.numel(), "an edge appears twice"
        s_nt, _, d_nt = et
        src_ids = out_nodes[s_nt].n_id[st.edge_index[0]]
        dst_ids = out_nodes[d_nt].n_id[st.edge_index[1]]
        assert torch.equal(src_ids, src_edges[et].edge_index[0, e_id]), et
        assert torch.equal(dst_ids, src_edges[et].edge_index[1, e_id]), et
        owner = torch.from_numpy(ps.book.eid2partid(st.gpf_eid.numpy()))
        assert torch.equal(st.inner_edge, torch.isin(owner, torch.tensor(part_ids)))
        # every owned edge points at an owned node (DGL's rule: a partition owns the in-edges of its nodes)
        assert torch.all(out_nodes[d_nt].inner_node[st.edge_index[1, st.inner_edge]])
        for k in _edge_keys(src_edges[et], src_data):
            expect = src_edges[et][k][e_id]
            if halo == "zeros":
                expect = expect.clone()
                expect[~st.inner_edge] = 0
            assert torch.equal(st[k], expect), (et, k)
        seen_inner_edges[et] = e_id[st.inner_edge]
    return seen_inner_edges


@pytest.mark.parametrize("method", METHODS)
def test_to_pyg_each_partition_matches_cora_by_id(cora, cora_sets, method):
    ps = cora_sets[method]
    owned_edges = []
    halo_nodes = 0
    for part in ps:
        out = P.to_pyg(part)
        assert isinstance(out, Data)
        assert torch.equal(out.edge_index[0], torch.from_numpy(np.array(part.src)))
        assert out.num_nodes == part.num_nodes
        owned_edges.append(_check_part_against_source(cora, out, ps, [part.part_id], "fetch")[("_N", "_E", "_N")])
        halo_nodes += int((~out.inner_node).sum())
    assert halo_nodes > 0
    # the owned edges of all partitions are every edge exactly once
    assert torch.equal(torch.sort(torch.cat(owned_edges)).values, torch.arange(cora.num_edges))


def test_to_pyg_halo_zeros_reads_only_inner_rows(cora, cora_sets):
    ps = cora_sets["random"]
    out = P.to_pyg(ps[2], halo="zeros")
    _check_part_against_source(cora, out, ps, [2], "zeros")
    assert int((~out.inner_node).sum()) > 0 and float(out.x[~out.inner_node].abs().sum()) == 0.0


def test_to_pyg_batch_of_partitions(cora, cora_sets):
    ps = cora_sets["metis"]
    out = P.to_pyg([ps[3], ps[1]])
    _check_part_against_source(cora, out, ps, [3, 1], "fetch")
    singles = [P.to_pyg(ps[i]) for i in (3, 1)]
    assert set(out.n_id.tolist()) == set(singles[0].n_id.tolist()) | set(singles[1].n_id.tolist())
    assert set(out.e_id.tolist()) == set(singles[0].e_id.tolist()) | set(singles[1].e_id.tolist())
    # inner nodes of partition 3 first, then those of 1, then HALO nodes
    n3, n1 = int(singles[0].inner_node.sum()), int(singles[1].inner_node.sum())
    assert torch.equal(out.n_id[:n3], singles[0].n_id[:n3])
    assert torch.equal(out.n_id[n3:n3 + n1], singles[1].n_id[:n1])
    assert not out.inner_node[n3 + n1:].any()
    with pytest.raises(ValueError, match="repeat"):
        P.to_pyg([ps[1], ps[1]])


@pytest.mark.parametrize("method", METHODS)
def test_to_pyg_hetero_partitions_match_input_by_id(hetero, hetero_sets, method):
    ps = hetero_sets[method]
    owned = {}
    for part in ps:
        out = P.to_pyg(part)
        assert isinstance(out, HeteroData)
        assert set(out.node_types) == set(HETERO_COUNTS)
        for et, e in _check_part_against_source(hetero, out, ps, [part.part_id], "fetch").items():
            owned.setdefault(et, []).append(e)
    for et in hetero.edge_types:
        assert torch.equal(torch.sort(torch.cat(owned[et])).values, torch.arange(hetero[et].num_edges)), et
    batch = P.to_pyg(list(ps))
    _check_part_against_source(hetero, batch, ps, list(range(ps.num_parts)), "fetch")
    for nt, c in HETERO_COUNTS.items():
        assert batch[nt].num_nodes == c and bool(batch[nt].inner_node.all())


# -- FeatureStore / GraphStore / NeighborLoader -------------------------------------------------
def test_feature_store_reads_rows_by_id(cora, cora_sets):
    ps = cora_sets["metis"]
    fs, gs = P.to_pyg_stores(ps)
    assert {(a.group_name, a.attr_name) for a in fs.get_all_tensor_attrs()} == \
        {(None, k) for k in ("x", "y", "train_mask", "val_mask", "test_mask")}
    idx = torch.tensor([2707, 0, 5, 5, 1200])
    assert torch.equal(fs[None, "x", idx], cora.x[idx])
    assert torch.equal(fs.get_tensor(None, "y", None), cora.y)
    assert torch.equal(fs[None, "train_mask", 10:50], cora.train_mask[10:50])
    assert fs.get_tensor_size(None, "x") == (2708, 1433)
    row, col = gs.get_edge_index(edge_type=None, layout="coo")
    assert torch.equal(torch.stack([row, col]), cora.edge_index)
    fs_g, _ = P.to_pyg_stores(ps, ids="gpf")
    assert torch.equal(fs_g[None, "x", torch.arange(3)], cora.x[torch.from_numpy(ps.orig_nids("_N")[:3])])
    with pytest.raises(KeyError, match="no feature 'nope'"):
        fs[None, "nope", idx]
    with pytest.raises(gpf.UnsupportedError, match="read-only"):
        fs[None, "x", None] = torch.zeros(2708, 1433)


def _check_sampled_homo(batch, cora, seeds, fanouts):
    n_id, e_id = batch.n_id, batch.e_id
    assert torch.equal(n_id[:batch.batch_size], seeds)
    assert n_id.unique().numel() == n_id.numel()
    # every sampled edge exists in the source graph, in its direction (row -> col)
    assert torch.equal(n_id[batch.edge_index], cora.edge_index[:, e_id])
    assert e_id.unique().numel() == e_id.numel()
    for k in ("x", "y", "train_mask", "val_mask", "test_mask"):
        assert torch.equal(batch[k], cora[k][n_id]), k
    # fan-outs respected hop by hop, and each hop samples edges into the previous hop's nodes
    ends = np.cumsum(batch.num_sampled_nodes)
    e_ends = np.cumsum([0] + list(batch.num_sampled_edges))
    for hop, k in enumerate(fanouts):
        cols = batch.edge_index[1, e_ends[hop]:e_ends[hop + 1]]
        lo = 0 if hop == 0 else ends[hop - 1]
        assert torch.all((cols >= lo) & (cols < ends[hop]))
        assert int(torch.bincount(cols).max()) <= k


@pytest.mark.parametrize("ids", ["original", "gpf"])
def test_neighbor_loader_over_gpf_stores(cora, cora_sets, ids):
    from torch_geometric.loader import NeighborLoader

    ps = cora_sets["metis"]
    fs, gs = P.to_pyg_stores(ps, ids=ids)
    if ids == "gpf":   # compare against the source relabelled into gpf IDs
        orig_n = torch.from_numpy(ps.orig_nids("_N"))
        orig_e = torch.from_numpy(ps.orig_eids())
        new_of = torch.empty_like(orig_n)
        new_of[orig_n] = torch.arange(orig_n.numel())
        src = Data(edge_index=new_of[cora.edge_index[:, orig_e]], num_nodes=2708,
                   **{k: cora[k][orig_n] for k in ("x", "y", "train_mask", "val_mask", "test_mask")})
    else:
        src = cora
    seeds = torch.nonzero(src.train_mask).view(-1)
    sampler = P.GpfNeighborSampler(gs, [4, 3], seed=1)
    loader = NeighborLoader((fs, gs), [4, 3], input_nodes=seeds, batch_size=32, neighbor_sampler=sampler)
    got = []
    for batch in loader:
        assert isinstance(batch, Data)
        _check_sampled_homo(batch, src, seeds[len(got) * 32:len(got) * 32 + batch.batch_size], [4, 3])
        got.append(batch.batch_size)
    assert sum(got) == 140 and len(got) == 5


def test_neighbor_loader_full_fanout_is_every_in_edge(cora, cora_sets):
    from torch_geometric.loader import NeighborLoader

    fs, gs = P.to_pyg_stores(cora_sets["random"])
    seeds = torch.tensor([0, 17, 633, 2000])
    loader = NeighborLoader((fs, gs), [-1], input_nodes=seeds, batch_size=4,
                            neighbor_sampler=P.GpfNeighborSampler(gs, [-1]))
    batch = next(iter(loader))
    expect = torch.nonzero(torch.isin(cora.edge_index[1], seeds)).view(-1)
    assert torch.equal(torch.sort(batch.e_id).values, expect)
    assert torch.equal(batch.n_id[batch.edge_index], cora.edge_index[:, batch.e_id])


def test_neighbor_sampler_with_replacement_stays_in_source(cora, cora_sets):
    from torch_geometric.loader import NeighborLoader

    fs, gs = P.to_pyg_stores(cora_sets["metis"])
    seeds = torch.arange(0, 300, 7)
    loader = NeighborLoader((fs, gs), [6, 2], input_nodes=seeds, batch_size=len(seeds),
                            neighbor_sampler=P.GpfNeighborSampler(gs, [6, 2], replace=True, seed=3))
    batch = next(iter(loader))
    assert torch.equal(batch.n_id[batch.edge_index], cora.edge_index[:, batch.e_id])
    # with replacement every node with in-edges gets exactly k samples in hop 0
    deg = torch.bincount(cora.edge_index[1], minlength=2708)
    hop0 = batch.edge_index[1, :batch.num_sampled_edges[0]]
    assert torch.equal(torch.bincount(hop0, minlength=len(seeds))[:len(seeds)], (deg[seeds] > 0).long() * 6)


def test_pyg_neighbor_sampler_needs_compiled_ops(cora_sets):
    """Why GpfNeighborSampler exists: PyG's own sampler needs pyg-lib or torch-sparse."""
    import torch_geometric.typing as tg_typing
    from torch_geometric.loader import NeighborLoader

    assert not tg_typing.WITH_PYG_LIB and not tg_typing.WITH_TORCH_SPARSE
    fs, gs = P.to_pyg_stores(cora_sets["metis"])
    with pytest.raises(ImportError, match="pyg-lib"):
        next(iter(NeighborLoader((fs, gs), [2], input_nodes=torch.arange(4), batch_size=4)))


def test_neighbor_loader_hetero(hetero, hetero_sets):
    from torch_geometric.loader import NeighborLoader

    ps = hetero_sets["metis"]
    fs, gs = P.to_pyg_stores(ps)
    assert fs.get_tensor_size("user", "x") == (60, 4)
    assert torch.equal(fs[("user", "buys", "item"), "edge_attr", torch.tensor([3, 1])],
                       hetero["user", "buys", "item"].edge_attr[[3, 1]])
    fan = {et: [3, 2] for et in hetero.edge_types}
    seeds = torch.arange(0, 60, 3)
    loader = NeighborLoader((fs, gs), fan, input_nodes=("user", seeds), batch_size=8,
                            neighbor_sampler=P.GpfNeighborSampler(gs, fan, seed=0))
    n = 0
    sampled_edges = 0
    for batch in loader:
        assert isinstance(batch, HeteroData)
        bs = batch["user"].batch_size
        assert torch.equal(batch["user"].n_id[:bs], seeds[n:n + bs])
        n += bs
        for nt in batch.node_types:
            st = batch[nt]
            for k in _node_keys(hetero[nt], hetero):
                assert torch.equal(st[k], hetero[nt][k][st.n_id]), (nt, k)
        for et in batch.edge_types:
            st = batch[et]
            s_nt, _, d_nt = et
            e_id = st.e_id
            assert torch.equal(batch[s_nt].n_id[st.edge_index[0]], hetero[et].edge_index[0, e_id])
            assert torch.equal(batch[d_nt].n_id[st.edge_index[1]], hetero[et].edge_index[1, e_id])
            sampled_edges += e_id.numel()
    assert n == seeds.numel() and sampled_edges > 0


# -- imports: ClusterData caches and distributed.Partitioner directories ------------------------
def _pymetis_clusters(self, edge_index, num_nodes):
    """Stands in for ClusterData._metis only (pyg-lib / torch-sparse METIS do not install here):
    the same node -> cluster vector from pymetis on the symmetrised graph; the real PyG code
    around it sorts, permutes and writes the files."""
    import pymetis

    ei = edge_index.numpy()
    s = np.concatenate([ei[0], ei[1]])
    d = np.concatenate([ei[1], ei[0]])
    keep = s != d
    s, d = s[keep], d[keep]
    order = np.lexsort((d, s))
    s, d = s[order], d[order]
    xadj = np.zeros(num_nodes + 1, np.int64)
    np.cumsum(np.bincount(s, minlength=num_nodes), out=xadj[1:])
    _, parts = pymetis.part_graph(self.num_parts, pymetis.CSRAdjacency(xadj, d))
    return torch.tensor(parts, dtype=torch.int64)


@pytest.fixture()
def pymetis_for_pyg(monkeypatch):
    from torch_geometric.loader import ClusterData

    monkeypatch.setattr(ClusterData, "_metis", _pymetis_clusters)


def _small_data(seed=0, n=200, m=900):
    g = torch.Generator().manual_seed(seed)
    return Data(edge_index=torch.randint(0, n, (2, m), generator=g), x=torch.randn(n, 5, generator=g),
                y=torch.randint(0, 3, (n,), generator=g), edge_attr=torch.randn(m, 2, generator=g), num_nodes=n)


def _pairs(src, dst):
    return sorted(zip(src.tolist(), dst.tolist()))


def test_cluster_data_cache_import(pymetis_for_pyg, tmp_path):
    from torch_geometric.loader import ClusterData

    data = _small_data()
    cd = ClusterData(data, 4, save_dir=str(tmp_path / "cache"), log=False)
    cache = tmp_path / "cache" / "part_4" / "metis.pt"
    assert cache.is_file()
    graph, assignment = P.from_cluster_data(tmp_path / "cache", data)
    part = cd.partition
    for c in range(4):
        block = part.node_perm[part.partptr[c]:part.partptr[c + 1]]
        assert np.all(assignment[block.numpy()] == c)
    assert_same_graph(data, P.to_pyg_graph(gpf.partition(graph, 1, tmp_path / "one", "one", method="random",
                                                         verbose=False)))
    g2, a2 = P.from_cluster_data(cd)                   # the live object: structure only, same answer
    assert np.array_equal(a2, assignment) and np.array_equal(g2.edges()[0], data.edge_index[0].numpy())
    g3, _ = P.from_cluster_data(cache)
    assert np.array_equal(g3.edges()[1], data.edge_index[1].numpy()) and g3.ndata["_N"] == {}

    # the same partitioning as a gpf set: each partition owns exactly PyG's cluster, and PyG's
    # cluster subgraph (intra-cluster edges) is the partition's owned edges between owned nodes
    ps = gpf.partition(graph, 4, tmp_path / "set", "clustered", method=assignment, verbose=False)
    for c in range(4):
        out = P.to_pyg(ps[c])
        pyg_cluster = cd[c]
        block = part.node_perm[part.partptr[c]:part.partptr[c + 1]]
        assert torch.equal(torch.sort(out.n_id[out.inner_node]).values, torch.sort(block).values)
        assert torch.equal(pyg_cluster.x, data.x[block]) and torch.equal(pyg_cluster.y, data.y[block])
        both_inner = out.inner_edge & out.inner_node[out.edge_index[0]]
        mine = out.n_id[out.edge_index[:, both_inner]]
        theirs = block[pyg_cluster.edge_index]
        assert _pairs(*mine) == _pairs(*theirs)


def test_cluster_data_cache_of_another_graph_is_refused(pymetis_for_pyg, tmp_path):
    from torch_geometric.loader import ClusterData

    ClusterData(_small_data(seed=0), 4, save_dir=str(tmp_path), log=False)
    with pytest.raises(gpf.GpfError, match="another graph"):
        P.from_cluster_data(tmp_path, _small_data(seed=1))
    with pytest.raises(gpf.GpfError, match="another graph"):
        P.from_cluster_data(tmp_path, _small_data(seed=0, n=201))


def test_partitioner_import_homogeneous(pymetis_for_pyg, tmp_path):
    from torch_geometric.distributed import LocalGraphStore, Partitioner

    data = _small_data(seed=2)
    Partitioner(data, 3, str(tmp_path / "pyg")).generate_partition()
    graph, owner = P.from_pyg_partitioner(tmp_path / "pyg")
    # everything the Partitioner saves comes back: structure, x, edge_attr (it saves no y)
    back = P.to_pyg_graph(gpf.partition(graph, 3, tmp_path / "set", "imported", method=owner, verbose=False))
    assert torch.equal(back.edge_index, data.edge_index)
    assert torch.equal(back.x, data.x) and torch.equal(back.edge_attr, data.edge_attr)
    assert "y" not in back
    ps = gpf.open(tmp_path / "set" / "imported.json")
    for p in range(3):
        pyg_store = LocalGraphStore.from_partition(str(tmp_path / "pyg"), p)   # PyG's own reader
        assert np.array_equal(owner, pyg_store.node_pb.numpy())
        pyg_eids = pyg_store.get_edge_id(edge_type=None, layout="coo")
        out = P.to_pyg(ps[p])
        assert torch.equal(torch.sort(out.e_id[out.inner_edge]).values, torch.sort(pyg_eids).values)
        assert torch.equal(torch.sort(out.n_id[out.inner_node]).values,
                           torch.nonzero(pyg_store.node_pb == p).view(-1))


def test_partitioner_import_heterogeneous(pymetis_for_pyg, tmp_path):
    from torch_geometric.distributed import LocalGraphStore, Partitioner

    g = torch.Generator().manual_seed(4)
    h = HeteroData()
    for nt, n in (("a", 30), ("b", 20), ("c", 7)):
        h[nt].x = torch.randn(n, 4, generator=g)      # equal widths: the Partitioner keeps x
    h["a", "r", "b"].edge_index = torch.stack([torch.randint(0, 30, (60,), generator=g),
                                               torch.randint(0, 20, (60,), generator=g)])
    h["b", "s", "a"].edge_index = torch.stack([torch.randint(0, 20, (40,), generator=g),
                                               torch.randint(0, 30, (40,), generator=g)])
    h["a", "r", "b"].edge_attr = torch.randn(60, 2, generator=g)
    h["b", "s", "a"].edge_attr = torch.randn(40, 2, generator=g)
    Partitioner(h, 2, str(tmp_path / "pyg")).generate_partition()
    graph, owner = P.from_pyg_partitioner(tmp_path / "pyg")
    ps = gpf.partition(graph, 2, tmp_path / "set", "imported", method=owner, verbose=False)
    assert_same_graph(h, P.to_pyg_graph(ps))
    for p in range(2):
        pyg_store = LocalGraphStore.from_partition(str(tmp_path / "pyg"), p)
        out = P.to_pyg(ps[p])
        for nt in ("a", "b", "c"):
            assert np.array_equal(owner[nt], pyg_store.node_pb[nt].numpy())
            assert torch.equal(torch.sort(out[nt].n_id[out[nt].inner_node]).values,
                               torch.nonzero(pyg_store.node_pb[nt] == p).view(-1))
        for et in h.edge_types:
            pyg_eids = pyg_store.get_edge_id(edge_type=et, layout="coo")
            offset = 0 if et == ("a", "r", "b") else 60          # combined-graph edge IDs
            assert torch.equal(torch.sort(out[et].e_id[out[et].inner_edge]).values,
                               torch.sort(pyg_eids - offset).values), et


class _Evil:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_pickles_are_never_unpickled_unrestricted(tmp_path, capsys):
    from collections import defaultdict

    from gpf.converters.pyg_import import safe_torch_load

    torch.save({"x": _Evil()}, tmp_path / "evil.pt")
    with pytest.raises(gpf.FormatError, match=r"evil\.pt: refusing to unpickle.*print"):
        safe_torch_load(str(tmp_path / "evil.pt"))
    # a defaultdict first sends the file to the restricted unpickler, which refuses the rest
    torch.save((defaultdict(dict, {"a": torch.ones(2)}), _Evil()), tmp_path / "evil2.pt")
    with pytest.raises(gpf.FormatError, match=r"evil2\.pt: refusing to unpickle global __builtin__\.print"):
        safe_torch_load(str(tmp_path / "evil2.pt"))
    assert "must never run" not in capsys.readouterr().out
    ok = safe_torch_load_roundtrip(tmp_path, defaultdict(dict, {("a", "r", "b"): {"ids": torch.arange(3)}}))
    assert torch.equal(ok[("a", "r", "b")]["ids"], torch.arange(3))
    (tmp_path / "part_2").mkdir()
    torch.save({"not": "a partition"}, tmp_path / "part_2" / "metis.pt")
    with pytest.raises(gpf.FormatError, match="not a ClusterData Partition"):
        P.from_cluster_data(tmp_path / "part_2" / "metis.pt")


def safe_torch_load_roundtrip(tmp_path, obj):
    from gpf.converters.pyg_import import safe_torch_load

    torch.save(obj, tmp_path / "ok.pt")
    return safe_torch_load(str(tmp_path / "ok.pt"))


# -- any storage backend behind gpf.open -----------------------------------------------------------
@pytest.mark.parametrize("backend", ["npy", "hdf5", "zarr"])
def test_converters_read_every_backend(hetero, hetero_sets, tmp_path, backend):
    from torch_geometric.loader import NeighborLoader

    ref = hetero_sets["metis"]
    out = tmp_path / "set"
    assignment = {nt: ref.book.nid2partid(ref.book.map_to_homogeneous(nt, ref.from_original(nt, np.arange(c))))
                  for nt, c in HETERO_COUNTS.items()}
    ps = gpf.partition(P.from_pyg(hetero), 3, out, "het", method=assignment, backend=backend, verbose=False)
    assert_same_graph(hetero, P.to_pyg_graph(ps))
    for p in range(3):
        a, b = P.to_pyg(ps[p]), P.to_pyg(ref[p])
        for nt in HETERO_COUNTS:
            order_a, order_b = torch.argsort(a[nt].n_id), torch.argsort(b[nt].n_id)
            for k in b[nt].keys():
                if k != "num_nodes":
                    assert torch.equal(a[nt][k][order_a], b[nt][k][order_b]), (backend, p, nt, k)
    fs, gs = P.to_pyg_stores(ps)
    fan = {et: [2, 2] for et in hetero.edge_types}
    loader = NeighborLoader((fs, gs), fan, input_nodes=("user", torch.arange(10)), batch_size=10,
                            neighbor_sampler=P.GpfNeighborSampler(gs, fan, seed=0))
    batch = next(iter(loader))
    assert torch.equal(batch["user"].x, hetero["user"].x[batch["user"].n_id])
    et = ("user", "follows", "user")
    assert torch.equal(batch["user"].n_id[batch[et].edge_index], hetero[et].edge_index[:, batch[et].e_id])


def test_homogeneous_name_clash_and_whole_set_batch(tmp_path):
    rng = np.random.default_rng(3)
    src, dst = rng.integers(0, 40, 150), rng.integers(0, 40, 150)
    w_n, w_e = rng.random(40), rng.random(150)
    g = gpf.Graph.homogeneous(src, dst, 40, ndata={"w": w_n}, edata={"w": w_e})
    ps = gpf.partition(g, 2, tmp_path, "clash", method="random", verbose=False)
    whole = P.to_pyg_graph(ps)
    assert np.array_equal(whole.w.numpy(), w_n) and np.array_equal(whole.edge_w.numpy(), w_e)
    batch = P.to_pyg(ps)                                     # a PartitionSet is a batch of all partitions
    assert bool(batch.inner_node.all()) and batch.num_nodes == 40 and bool(batch.inner_edge.all())
    assert np.array_equal(batch.w.numpy(), w_n[batch.n_id.numpy()])
    assert np.array_equal(batch.edge_w.numpy(), w_e[batch.e_id.numpy()])
    assert torch.equal(torch.sort(batch.e_id).values, torch.arange(150))


# -- sets written by real DGL (no original-ID maps in the files) -----------------------------------
@pytest.mark.oracle
@pytest.mark.parametrize("case", ["homo_random_h1", "hetero_random_h1"])
def test_dgl_written_sets_in_gpf_ids(dgl_sets, case):
    from tests.helpers.writer import graph_from_dgl_input

    ps = gpf.open(dgl_sets / case / f"{case}.json")
    graph, orig_n, orig_e = graph_from_dgl_input(dgl_sets / case / "expected" / "graph.npz")
    with pytest.raises(gpf.GpfError, match="no original-ID maps"):
        P.to_pyg_graph(ps, ids="original")
    with pytest.raises(gpf.GpfError, match="ids='gpf'"):
        P.to_pyg_stores(ps)
    whole = P.to_pyg_graph(ps)                           # the default: gpf IDs, since DGL stores no maps
    assert whole.gpf_ids == "gpf"
    assert_same_graph(whole, P.to_pyg_graph(ps, ids="gpf"))
    nodes, edges = _stores(whole)
    for nt, st in nodes.items():
        o = orig_n[nt]                                   # original ID of each gpf per-type ID
        assert st.num_nodes == graph.num_nodes(nt)
        assert sorted(_node_keys(st, whole)) == sorted(graph.ndata[nt])
        for k, v in graph.ndata[nt].items():
            got = st[k].numpy()
            assert got.dtype == v.dtype and np.array_equal(got, v[o]), (nt, k)   # masks come back bool
    for et, st in edges.items():
        key = ":".join(et)
        s, d = graph.edges(et)
        oe = orig_e[key]
        assert np.array_equal(orig_n[et[0]][st.edge_index[0].numpy()], s[oe]), et
        assert np.array_equal(orig_n[et[2]][st.edge_index[1].numpy()], d[oe]), et
        for k, v in graph.edata[et].items():
            name = k if isinstance(whole, HeteroData) or k not in graph.ndata["_N"] else f"edge_{k}"
            assert np.array_equal(st[name].numpy(), v[oe]), (et, k)
    part = P.to_pyg(ps[1])
    assert "n_id" not in _stores(part)[0][ps.ntypes[0]] and "gpf_type_nid" in _stores(part)[0][ps.ntypes[0]]


def test_neighbor_loader_with_worker_processes(cora, cora_sets):
    from torch_geometric.loader import NeighborLoader

    fs, gs = P.to_pyg_stores(cora_sets["random"])
    seeds = torch.arange(0, 2708, 5)
    loader = NeighborLoader((fs, gs), [3, 3], input_nodes=seeds, batch_size=128, num_workers=2,
                            neighbor_sampler=P.GpfNeighborSampler(gs, [3, 3]))
    done = []
    for batch in loader:
        assert torch.equal(batch.x, cora.x[batch.n_id]) and torch.equal(batch.train_mask, cora.train_mask[batch.n_id])
        assert torch.equal(batch.n_id[batch.edge_index], cora.edge_index[:, batch.e_id])
        done.append(batch.n_id[:batch.batch_size])
    assert torch.equal(torch.cat(done), seeds)


# -- the bundled datasets are exactly PyG's Planetoid ------------------------------------------------
@pytest.mark.parametrize("name", ["Cora", "CiteSeer"])
def test_bundled_planetoid_equals_pygs_planetoid(tmp_path, name):
    """gpf.datasets.cora()/citeseer() are what Planetoid(root, name)[0] reads from the raw files
    (the shared data set, resolved from the repository root: ../shared/data/planetoid)."""
    import shutil
    from pathlib import Path

    from torch_geometric.datasets import Planetoid

    from gpf.datasets import planetoid

    raw = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "planetoid" / name / "raw"
    shutil.copytree(raw, tmp_path / name / "raw")
    d = Planetoid(str(tmp_path), name)[0]
    b = planetoid(name)
    assert b["num_nodes"] == d.num_nodes
    assert np.array_equal(np.stack([b["src"], b["dst"]]), d.edge_index.numpy())
    assert np.array_equal(b["feat"], d.x.numpy()) and np.array_equal(b["label"], d.y.numpy())
    for m in ("train_mask", "val_mask", "test_mask"):
        assert np.array_equal(b[m], getattr(d, m).numpy()), m


# -- to_pyg_graph: defaults a newcomer expects ---------------------------------------------------------
def test_to_pyg_graph_says_which_ids_and_sets_no_stray_num_nodes(cora, cora_sets):
    back = P.to_pyg_graph(cora_sets["metis"])
    assert back.gpf_ids == "original"
    assert "num_nodes" not in back.keys() and "num_nodes" not in cora.keys()   # PyG infers it from x
    assert sorted(back.keys()) == sorted([*cora.keys(), "gpf_ids"])
    assert P.to_pyg_graph(cora_sets["metis"], ids="gpf").gpf_ids == "gpf"


def test_to_pyg_graph_keeps_num_nodes_where_pyg_cannot_infer_it(tmp_path):
    g = gpf.Graph.homogeneous([0, 1], [1, 0], 5, ndata={"label": np.arange(5)})   # no x: 3 isolated nodes
    back = P.to_pyg_graph(gpf.partition(g, 2, tmp_path, "bare", method="random", verbose=False))
    assert back.num_nodes == 5 and "num_nodes" in back.keys()


def test_to_pyg_graph_renames_dgl_names_for_pyg(tmp_path):
    rng = np.random.default_rng(0)
    feat, label = rng.standard_normal((30, 4)).astype(np.float32), rng.integers(0, 3, 30)
    g = gpf.Graph.homogeneous(rng.integers(0, 30, 90), rng.integers(0, 30, 90), 30, ndata={"feat": feat, "label": label})
    ps = gpf.partition(g, 3, tmp_path, "dglish", method="random", verbose=False)
    back = P.to_pyg_graph(ps, rename="pyg")
    assert np.array_equal(back.x.numpy(), feat) and np.array_equal(back.y.numpy(), label)
    assert "feat" not in back.keys() and "num_nodes" not in back.keys()
    back = P.to_pyg_graph(ps, rename={"feat": "h"})
    assert np.array_equal(back.h.numpy(), feat) and np.array_equal(back.label.numpy(), label)
    with pytest.raises(gpf.GpfError, match="renaming 'feat' to 'label' clashes"):
        P.to_pyg_graph(ps, rename={"feat": "label"})
    with pytest.raises(ValueError, match="rename must be"):
        P.to_pyg_graph(ps, rename="dgl")
