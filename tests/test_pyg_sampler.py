"""GpfNeighborSampler / GpfNeighborLoader / gpf's PyG stores behave as PyG's own code expects.

Controls are PyG's own in-memory stores (``torch_geometric.testing.MyFeatureStore`` /
``MyGraphStore``), ``Data``/``HeteroData`` themselves, and neighbourhoods computed here
in numpy from the edge list.  PyG's own ``NeighborSampler`` cannot run here (no pyg-lib).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from torch_geometric.data import Data, HeteroData, TensorAttr
from torch_geometric.loader import NeighborLoader
from torch_geometric.sampler import NegativeSampling, NodeSamplerInput
from torch_geometric.sampler.base import NumNeighbors
from torch_geometric.testing import MyFeatureStore, MyGraphStore
from torch_geometric.utils import to_torch_csc_tensor, to_torch_csr_tensor

import gpf
from gpf.converters import pyg as P
from gpf.converters.pyg_loader import GpfLinkNeighborLoader, GpfNeighborLoader
from gpf.converters.pyg_sampler import GpfNeighborSampler

N, M = 80, 400
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def make_data(seed: int = 0) -> Data:
    g = torch.Generator().manual_seed(seed)
    src = torch.randint(0, N, (M,), generator=g)
    dst = torch.randint(0, N, (M,), generator=g)
    return Data(edge_index=torch.stack([src, dst]), num_nodes=N,
                x=torch.randn(N, 5, generator=g), time=torch.randint(0, 50, (N,), generator=g),
                edge_w=torch.rand(M, generator=g) * (torch.rand(M, generator=g) > 0.3),
                edge_time=torch.randint(0, 50, (M,), generator=g), edge_attr=torch.randn(M, 3, generator=g))


@pytest.fixture(scope="module")
def data() -> Data:
    return make_data()


@pytest.fixture(scope="module")
def stores(data, tmp_path_factory):
    ps = gpf.partition(P.from_pyg(data), 3, tmp_path_factory.mktemp("s") / "g", "g", method="random",
                       verbose=False)
    return P.to_pyg_stores(ps)


def in_edges(data: Data, nodes) -> set:
    s, d = data.edge_index.numpy()
    return {(int(a), int(b)) for a, b in zip(s, d) if int(b) in set(int(x) for x in nodes)}


def sampled_edges(out) -> set:
    node = out.node.cpu()
    return {(int(node[r]), int(node[c])) for r, c in zip(out.row.cpu(), out.col.cpu())}


def k_hop(data: Data, seeds, hops: int) -> tuple[set, set]:
    """Every node and in-edge within ``hops`` of ``seeds`` (full fan-out)."""
    nodes, frontier, edges = set(int(s) for s in seeds), set(int(s) for s in seeds), set()
    for _ in range(hops):
        e = in_edges(data, frontier)
        edges |= e
        frontier = {a for a, _ in e} - nodes
        nodes |= frontier
    return nodes, edges


# -- layouts ---------------------------------------------------------------------------------
@pytest.mark.parametrize("layout", ["coo", "csr", "csc"])
def test_every_declared_layout_is_read_as_declared(data, layout):
    """PyG's MyGraphStore holding CSR/CSC (as in PyG's hetero loader test) was misread as COO."""
    ei = data.edge_index
    gs = MyGraphStore()
    if layout == "coo":
        gs.put_edge_index((ei[0], ei[1]), edge_type=None, layout="coo", size=(N, N))
        pos_src, pos_dst = ei[0], ei[1]
    elif layout == "csr":
        adj = to_torch_csr_tensor(ei, size=(N, N))
        rowptr, col = adj.crow_indices(), adj.col_indices()
        gs.put_edge_index((rowptr, col), edge_type=None, layout="csr", size=(N, N))
        pos_src, pos_dst = torch.repeat_interleave(torch.arange(N), rowptr.diff()), col
    else:
        adj = to_torch_csc_tensor(ei, size=(N, N))
        row, colptr = adj.row_indices(), adj.ccol_indices()
        gs.put_edge_index((row, colptr), edge_type=None, layout="csc", size=(N, N))
        pos_src, pos_dst = row, torch.repeat_interleave(torch.arange(N), colptr.diff())
    seeds = torch.tensor([3, 17, 40, 41])
    out = GpfNeighborSampler(gs, [-1, -1]).sample_from_nodes(NodeSamplerInput(None, seeds))
    nodes, edges = k_hop(data, seeds, 2)
    assert set(out.node.tolist()) == nodes
    assert sampled_edges(out) == edges
    # edge IDs are positions in the declared layout
    node = out.node
    assert torch.equal(pos_src[out.edge], node[out.row]) and torch.equal(pos_dst[out.edge], node[out.col])


def test_hetero_csr_csc_store_in_neighbor_loader_matches_heterodata():
    g = torch.Generator().manual_seed(1)
    hd = HeteroData()
    hd["a"].x = torch.randn(30, 2, generator=g)
    hd["b"].x = torch.randn(20, 2, generator=g)
    fs, gs = MyFeatureStore(), MyGraphStore()
    fs.put_tensor(hd["a"].x, group_name="a", attr_name="x", index=None)
    fs.put_tensor(hd["b"].x, group_name="b", attr_name="x", index=None)
    for et, (n_s, n_d), layout in ((("a", "to", "b"), (30, 20), "csr"), (("b", "to", "a"), (20, 30), "csc"),
                                   (("a", "to", "a"), (30, 30), "coo")):
        flat = torch.randperm(n_s * n_d, generator=g)[:90]      # distinct edges (sparse tensors coalesce)
        ei = torch.stack([flat // n_d, flat % n_d])
        if layout == "csr":        # sorted by source, so positions are the same edges as in hd
            ei = ei[:, torch.argsort(ei[0] * n_d + ei[1])]
            adj = to_torch_csr_tensor(ei, size=(n_s, n_d))
            gs.put_edge_index((adj.crow_indices(), adj.col_indices()), edge_type=et, layout="csr", size=(n_s, n_d))
        elif layout == "csc":
            ei = ei[:, torch.argsort(ei[1] * n_s + ei[0])]
            adj = to_torch_csc_tensor(ei, size=(n_s, n_d))
            gs.put_edge_index((adj.row_indices(), adj.ccol_indices()), edge_type=et, layout="csc", size=(n_s, n_d))
        else:
            gs.put_edge_index((ei[0], ei[1]), edge_type=et, layout="coo", size=(n_s, n_d))
        hd[et].edge_index = ei
    kw = dict(num_neighbors=[-1, -1], input_nodes=("a", torch.arange(30)), batch_size=7)
    ref = NeighborLoader(hd, neighbor_sampler=GpfNeighborSampler(hd, [-1, -1]), **kw)
    got = NeighborLoader((fs, gs), neighbor_sampler=GpfNeighborSampler((fs, gs), [-1, -1]), **kw)
    for b1, b2 in zip(ref, got):
        for nt in ("a", "b"):
            assert torch.equal(b1[nt].n_id, b2[nt].n_id) and torch.equal(b1[nt].x, b2[nt].x)
        for et in hd.edge_types:
            assert torch.equal(b1[et].edge_index, b2[et].edge_index) and torch.equal(b1[et].e_id, b2[et].e_id)


# -- fan-outs ------------------------------------------------------------------------------------
def _hetero_two_types() -> HeteroData:
    hd = HeteroData()
    hd["u"].num_nodes, hd["i"].num_nodes = 10, 8
    hd["u", "buys", "i"].edge_index = torch.tensor([[0, 1, 2, 3], [0, 0, 1, 2]])
    hd["i", "rev", "u"].edge_index = torch.tensor([[0, 0, 1, 2], [0, 1, 2, 3]])
    return hd


def test_num_neighbors_forms():
    hd = _hetero_two_types()
    seeds = NodeSamplerInput(None, torch.tensor([0]), input_type="i")
    forms = [[-1, -1], {("u", "buys", "i"): [-1, -1], ("i", "rev", "u"): [-1, -1]},
             {"u__buys__i": [-1, -1], "i__rev__u": [-1, -1]},
             NumNeighbors({"u__buys__i": [-1, -1]}, default=[-1, -1]),
             NumNeighbors({("u", "buys", "i"): [-1, -1]}, default=[-1, -1])]
    outs = [GpfNeighborSampler(hd, f).sample_from_nodes(seeds) for f in forms]
    for o in outs[1:]:
        for nt in ("u", "i"):
            assert torch.equal(o.node[nt], outs[0].node[nt])
    assert outs[0].node["u"].tolist() == [0, 1] and outs[0].node["i"].tolist() == [0]
    # default fan-out for an edge type not listed: 0 hops of the rev type -> its edges stay empty
    o = GpfNeighborSampler(hd, NumNeighbors({"u__buys__i": [-1, -1]}, default=[0, 0])).sample_from_nodes(seeds)
    assert o.row[("i", "rev", "u")].numel() == 0 and o.row[("u", "buys", "i")].numel() == 2


def test_num_neighbors_errors_are_pygs():
    hd = _hetero_two_types()
    with pytest.raises(ValueError, match="hops must be the same across all"):
        GpfNeighborSampler(hd, {("u", "buys", "i"): [1], ("i", "rev", "u"): [1, 1]})
    with pytest.raises(ValueError, match="Missing number of neighbors"):
        GpfNeighborSampler(hd, {("u", "buys", "i"): [1]})
    with pytest.raises(ValueError, match="Not all edge types specified"):
        GpfNeighborSampler(hd, {("u", "x", "i"): [1], ("u", "buys", "i"): [1], ("i", "rev", "u"): [1]})


# -- disjoint ----------------------------------------------------------------------------------
def _check_disjoint(batch, data: Data, hops: int) -> None:
    n_id, b = batch.n_id, batch.batch
    r, c = batch.edge_index
    assert torch.equal(b[r], b[c])                       # an edge never joins two seeds' trees
    for i in range(batch.batch_size):
        seed = int(n_id[i])
        assert int(b[i]) == i
        nodes, _ = k_hop(data, [seed], hops)
        assert set(n_id[b == i].tolist()) <= nodes
        assert len(n_id[b == i]) == len(set(n_id[b == i].tolist()))   # each node once per tree


@pytest.mark.parametrize("given_sampler", [False, True])
def test_disjoint_is_honoured_however_the_loader_is_configured(data, stores, given_sampler):
    sampler = GpfNeighborSampler(stores, [3, 2], seed=0, warn_edge_features=False) if given_sampler else None
    loader = GpfNeighborLoader(stores, [3, 2], input_nodes=torch.tensor([5, 5, 9, 70]), batch_size=4,
                               disjoint=True, neighbor_sampler=sampler)
    batch = next(iter(loader))
    assert "batch" in batch
    _check_disjoint(batch, data, 2)


@pytest.mark.parametrize("source", ["data", "stores"])
def test_pyg_plain_loaders_hand_disjoint_and_replace_to_a_given_sampler(data, stores, source):
    from torch_geometric.loader import LinkNeighborLoader

    src = data if source == "data" else stores
    sampler = GpfNeighborSampler(src, [3, 2], seed=0, warn_edge_features=False)
    assert not sampler.disjoint and not sampler.replace
    loader = NeighborLoader(src, [3, 2], input_nodes=torch.tensor([5, 5, 9, 70]), batch_size=4,
                            disjoint=True, replace=True, neighbor_sampler=sampler)
    assert sampler.disjoint and sampler.replace           # PyG's own loader kept neither
    batch = next(iter(loader))
    assert "batch" in batch
    r, c = batch.edge_index
    assert torch.equal(batch.batch[r], batch.batch[c])
    link_sampler = GpfNeighborSampler(src, [2], seed=0, warn_edge_features=False)
    eli = data.edge_index[:, :6] if source == "data" else (None, data.edge_index[:, :6])
    link = LinkNeighborLoader(src, [2], edge_label_index=eli, batch_size=6, disjoint=True,
                              neighbor_sampler=link_sampler)
    assert "batch" in next(iter(link))


def test_pyg_plain_loader_refuses_options_the_given_sampler_was_not_built_with(data):
    sampler = GpfNeighborSampler(data, [3], seed=0)
    with pytest.raises(ValueError, match="built with weight_attr=None.*weight_attr='edge_w'"):
        NeighborLoader(data, [3], weight_attr="edge_w", neighbor_sampler=sampler, batch_size=4)
    with pytest.raises(ValueError, match="subgraph_type"):
        NeighborLoader(data, [3], subgraph_type="induced", neighbor_sampler=sampler, batch_size=4)
    NeighborLoader(data, [3], subgraph_type="directional", neighbor_sampler=sampler, batch_size=4)  # as built
    built = GpfNeighborSampler(data, [3], seed=0, weight_attr="edge_w")
    NeighborLoader(data, [3], weight_attr="edge_w", neighbor_sampler=built, batch_size=4)


def test_disjoint_matches_in_memory_control(data, stores):
    seeds = torch.tensor([1, 2, 2, 60])
    a = GpfNeighborSampler(data, [-1, -1], disjoint=True).sample_from_nodes(NodeSamplerInput(None, seeds))
    b = GpfNeighborSampler(stores, [-1, -1], disjoint=True,
                           warn_edge_features=False).sample_from_nodes(NodeSamplerInput(None, seeds))
    assert torch.equal(a.batch, b.batch) and torch.equal(a.node, b.node)
    for i, s in enumerate(seeds.tolist()):
        nodes, _ = k_hop(data, [s], 2)
        assert set(a.node[a.batch == i].tolist()) == nodes


# -- link sampling -------------------------------------------------------------------------------
def test_link_neighbor_loader_binary_over_gpf_stores(data, stores):
    fs, gs = stores
    eli = data.edge_index[:, :40]
    loader = GpfLinkNeighborLoader(stores, [4, 2], edge_label_index=(None, eli), batch_size=10, neg_sampling="binary",
                                   seed=0)
    pos = set(map(tuple, data.edge_index.t().tolist()))
    seen = 0
    for batch in loader:
        lab = batch.edge_label
        assert lab.numel() == 20 and int(lab.sum()) == 10
        glob = batch.n_id[batch.edge_label_index]
        for (s, d), y in zip(glob.t().tolist(), lab.tolist()):
            if y == 1:
                assert (s, d) in pos
                seen += 1
        assert torch.equal(batch.x, fs.get_tensor(TensorAttr(None, "x", batch.n_id)))
    assert seen == 40


@pytest.mark.parametrize("disjoint", [False, True])
def test_link_neighbor_loader_triplet(data, stores, disjoint):
    eli = data.edge_index[:, :12]
    loader = GpfLinkNeighborLoader(stores, [2], edge_label_index=(None, eli), batch_size=6, disjoint=disjoint,
                                   neg_sampling=NegativeSampling("triplet", amount=2), seed=1)
    batch = next(iter(loader))
    assert batch.src_index.shape == (6,) and batch.dst_pos_index.shape == (6,)
    assert batch.dst_neg_index.shape == (6, 2)
    assert torch.equal(batch.n_id[batch.src_index], eli[0, :6])
    assert torch.equal(batch.n_id[batch.dst_pos_index], eli[1, :6])
    if disjoint:
        assert "batch" in batch


# -- weighted ------------------------------------------------------------------------------------
def test_weighted_sampling_never_takes_weight_zero_and_follows_weights(data, stores):
    seeds = torch.arange(N)
    for source in (data, stores):
        s = GpfNeighborSampler(source, [3], weight_attr="edge_w", seed=0, warn_edge_features=False)
        out = s.sample_from_nodes(NodeSamplerInput(None, seeds))
        assert bool((data.edge_w[out.edge] > 0).all())
        per_dst = torch.bincount(data.edge_index[1][data.edge_w > 0], minlength=N)
        assert out.edge.numel() == int(per_dst.clamp_max(3).sum())
    # proportions: one node with in-edges of weight 1 and 3, sampled with replacement
    star = Data(edge_index=torch.tensor([[1, 2], [0, 0]]), num_nodes=3, w=torch.tensor([1.0, 3.0]))
    s = GpfNeighborSampler(star, [4000], replace=True, weight_attr="w", seed=0)
    out = s.sample_from_nodes(NodeSamplerInput(None, torch.tensor([0])))
    share = float((out.edge == 1).float().mean())
    assert 0.72 < share < 0.78


def test_weighted_sampling_without_a_weight_in_the_store_is_refused():
    gs = MyGraphStore()
    gs.put_edge_index((torch.tensor([0]), torch.tensor([1])), edge_type=None, layout="coo", size=(2, 2))
    with pytest.raises(NotImplementedError, match="no edge attribute 'w'"):
        GpfNeighborSampler((MyFeatureStore(), gs), [1], weight_attr="w")


# -- temporal ------------------------------------------------------------------------------------
@pytest.mark.parametrize("time_attr", ["time", "edge_time"])
@pytest.mark.parametrize("strategy", ["uniform", "last"])
def test_temporal_sampling(data, stores, time_attr, strategy):
    seeds = torch.arange(0, N, 3)
    seed_time = torch.full((seeds.numel(),), 25)
    for source in (data, stores):
        s = GpfNeighborSampler(source, [2, 2], time_attr=time_attr, temporal_strategy=strategy, seed=0,
                               warn_edge_features=False)
        out = s.sample_from_nodes(NodeSamplerInput(None, seeds, time=seed_time))
        assert out.batch is not None                    # temporal implies disjoint, as in PyG
        if time_attr == "time":
            assert bool((data.time[out.node[out.row]] <= 25).all())
        else:
            assert bool((data.edge_time[out.edge] <= 25).all())
    if strategy == "last":   # the most recent eligible in-edges of the seeds, per seed
        s = GpfNeighborSampler(data, [2], time_attr="edge_time", temporal_strategy="last")
        out = s.sample_from_nodes(NodeSamplerInput(None, seeds, time=seed_time))
        src, dst = data.edge_index
        for i, v in enumerate(seeds.tolist()):
            ok = (dst == v) & (data.edge_time <= 25)
            want = sorted(data.edge_time[ok].tolist(), reverse=True)[:2]
            got = sorted(data.edge_time[out.edge[out.col == i]].tolist(), reverse=True)
            assert got == want


def test_temporal_neighbor_loader_over_gpf_stores_matches_data(data, stores):
    kw = dict(input_nodes=torch.arange(20), input_time=torch.full((20,), 30), time_attr="time", batch_size=5)
    ref = GpfNeighborLoader(data, [-1, -1], **kw)
    got = GpfNeighborLoader(stores, [-1, -1], **kw)
    for a, b in zip(ref, got):
        assert torch.equal(a.n_id, b.n_id) and torch.equal(a.batch, b.batch) and torch.equal(a.x, b.x)


# -- devices ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("device", DEVICES)
def test_sampling_on_a_device(data, device):
    d = Data(edge_index=data.edge_index.to(device), num_nodes=N)
    s = GpfNeighborSampler(d, [-1, -1], device=device)
    out = s.sample_from_nodes(NodeSamplerInput(None, torch.tensor([4, 8])))
    assert out.node.device.type == device
    nodes, edges = k_hop(data, [4, 8], 2)
    assert set(out.node.tolist()) == nodes and sampled_edges(out) == edges


# -- from_pyg ------------------------------------------------------------------------------------
def test_from_pyg_takes_numpy_and_memmaps_without_copying(tmp_path):
    x = np.lib.format.open_memmap(tmp_path / "x.npy", mode="w+", dtype=np.float32, shape=(N, 4))
    x[:] = np.arange(N * 4, dtype=np.float32).reshape(N, 4)
    ei = make_data().edge_index
    d = Data(edge_index=ei.numpy(), x=x, y=np.arange(N), num_nodes=N, w=np.ones(M))
    g = P.from_pyg(d)
    assert np.shares_memory(g.ndata["_N"]["x"], x)          # the memmap itself, not a copy
    ps = gpf.partition(g, 2, tmp_path / "s", "s", method="random", verbose=False)
    back = P.to_pyg_graph(ps)
    assert np.array_equal(back.x.numpy(), x) and np.array_equal(back.w.numpy(), np.ones(M))
    assert torch.equal(back.edge_index, ei)


# -- store indexing ----------------------------------------------------------------------------
def test_feature_store_indexing_matches_data(data, stores):
    fs, _ = stores
    x = data.x
    for index in (7, -1, -N, np.int64(3), np.array([5, -2, 0]), [1, 2], torch.tensor([-3]),
                  slice(2, 9, 3), torch.arange(N) % 2 == 0):
        want = x[index] if not isinstance(index, np.ndarray) else x[torch.from_numpy(index)]
        got = fs.get_tensor(None, "x", index)
        assert got.shape == want.shape and torch.equal(got, want), index
    with pytest.raises(IndexError, match=f"ID {N} is out of range"):
        fs.get_tensor(TensorAttr(None, "x", torch.tensor([0, N])))


@pytest.mark.parametrize("layout", ["csr", "csc"])
def test_graph_store_serves_csr_csc_natively(data, stores, layout):
    _, gs = stores
    ref = MyGraphStore()      # PyG's own store and conversion as the control
    ref.put_edge_index((data.edge_index[0], data.edge_index[1]), edge_type=None, layout="coo", size=(N, N))
    a, b, _ = ref.csr() if layout == "csr" else ref.csc()
    got = gs.get_edge_index(None, layout)
    eid = gs.edge_ids(None, layout)
    if layout == "csr":
        assert torch.equal(got[0], a)
        assert torch.equal(data.edge_index[1][eid], got[1])
    else:
        assert torch.equal(got[1], b)
        assert torch.equal(data.edge_index[0][eid], got[0])
    assert torch.equal(torch.sort(eid).values, torch.arange(M))


# -- edge features ---------------------------------------------------------------------------------
def test_edge_features_reach_store_backed_batches(data, stores):
    loader = GpfNeighborLoader(stores, [3, 3], input_nodes=torch.arange(10), batch_size=5, seed=0)
    for batch in loader:
        assert torch.equal(batch.edge_attr, data.edge_attr[batch.e_id])
        assert torch.equal(batch.edge_w, data.edge_w[batch.e_id])
        assert torch.equal(batch.x, data.x[batch.n_id])


def test_pyg_loader_over_gpf_stores_warns_that_edge_features_are_dropped(stores):
    with pytest.warns(UserWarning, match="do not fetch edge features"):
        sampler = GpfNeighborSampler(stores, [2])
    batch = next(iter(NeighborLoader(stores, [2], input_nodes=torch.arange(4), batch_size=4,
                                     neighbor_sampler=sampler)))
    assert "edge_attr" not in batch
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        GpfNeighborLoader(stores, [2], input_nodes=torch.arange(4), batch_size=4)


def test_gpf_loader_hetero_edge_features(tmp_path):
    hd = HeteroData()
    hd["u"].x = torch.randn(12, 2)
    hd["i"].x = torch.randn(9, 2)
    hd["u", "buys", "i"].edge_index = torch.stack([torch.randint(0, 12, (40,)), torch.randint(0, 9, (40,))])
    hd["u", "buys", "i"].price = torch.rand(40)
    hd["i", "rev", "u"].edge_index = hd["u", "buys", "i"].edge_index.flip(0)
    ps = gpf.partition(P.from_pyg(hd), 2, tmp_path / "h", "h", method="random", verbose=False)
    stores = P.to_pyg_stores(ps)
    loader = GpfNeighborLoader(stores, [3, 3], input_nodes=("i", torch.arange(9)), batch_size=3, seed=0)
    for batch in loader:
        et = ("u", "buys", "i")
        assert torch.equal(batch[et].price, hd[et].price[batch[et].e_id])


# -- the graph read from a set is the graph given to the partitioner -----------------------------
def _same_output(a, b) -> None:
    if isinstance(a.node, dict):
        assert a.node.keys() == b.node.keys() and a.row.keys() == b.row.keys()
        for t in a.node:
            assert torch.equal(a.node[t], b.node[t])
        for et in a.row:
            assert torch.equal(a.row[et], b.row[et]) and torch.equal(a.col[et], b.col[et])
            assert torch.equal(a.edge[et], b.edge[et])
        return
    for f in ("node", "row", "col", "edge", "num_sampled_nodes", "num_sampled_edges"):
        x, y = getattr(a, f), getattr(b, f)
        assert (torch.equal(x, y) if isinstance(x, torch.Tensor) else x == y), f
    assert (a.batch is None) == (b.batch is None) and (a.batch is None or torch.equal(a.batch, b.batch))


@pytest.mark.parametrize("method", ["random", "metis"])
@pytest.mark.parametrize("opts", [{}, {"replace": True}, {"disjoint": True}])
def test_sampler_over_stores_equals_sampler_over_data_for_a_seed(tmp_path, method, opts):
    """Same seed, same batches: the CSC read from the set is the in-memory graph's, slot for slot."""
    data = make_data(3)
    ps = gpf.partition(P.from_pyg(data), 4, tmp_path / "g", "g", method=method, verbose=False)
    fs, gs = P.to_pyg_stores(ps)
    ref = GpfNeighborSampler(data, [4, 3], seed=7, **opts)
    got = GpfNeighborSampler((fs, gs), [4, 3], seed=7, warn_edge_features=False, **opts)
    for f in ("colptr", "row", "eid"):
        assert torch.equal(getattr(ref._csc[None], f), getattr(got._csc[None], f)), f
    seeds = torch.randperm(N, generator=torch.Generator().manual_seed(0))
    for i in range(0, N, 16):
        _same_output(ref.sample_from_nodes(NodeSamplerInput(None, seeds[i:i + 16])),
                     got.sample_from_nodes(NodeSamplerInput(None, seeds[i:i + 16])))
    # the layouts the graph store serves are those of the Data
    csr = gs.get_edge_index(None, "csr")
    order = torch.sort(data.edge_index[0], stable=True).indices
    assert torch.equal(csr[1], data.edge_index[1][order]) and torch.equal(gs.edge_ids(None, "csr"), order)


def test_hetero_sampler_over_stores_equals_sampler_over_heterodata_for_a_seed(tmp_path):
    g = torch.Generator().manual_seed(5)
    hd = HeteroData()
    # types in the order the set lists them (sorted), so both samplers draw for them in the same order
    hd["i"].x, hd["u"].x = torch.randn(25, 2, generator=g), torch.randn(40, 2, generator=g)
    for et, (a, b) in ((("i", "rev", "u"), (25, 40)), (("u", "buys", "i"), (40, 25)), (("u", "knows", "u"), (40, 40))):
        hd[et].edge_index = torch.stack([torch.randint(0, a, (150,), generator=g),
                                         torch.randint(0, b, (150,), generator=g)])
    ps = gpf.partition(P.from_pyg(hd), 3, tmp_path / "h", "h", method="random", verbose=False)
    fan = {et: [3, 2] for et in hd.edge_types}
    ref = GpfNeighborSampler(hd, fan, seed=11)
    got = GpfNeighborSampler(P.to_pyg_stores(ps), fan, seed=11, warn_edge_features=False)
    assert got.edge_types == ref.edge_types and got.node_types == ref.node_types
    for et in hd.edge_types:
        for f in ("colptr", "row", "eid"):
            assert torch.equal(getattr(ref._csc[et], f), getattr(got._csc[et], f)), (et, f)
    for i in range(0, 40, 8):
        seed = {"u": torch.arange(i, i + 8)}
        _same_output(ref._sample(seed), got._sample(seed))


class _Shuffled:
    """A partition whose local edges are stored in another order (inner edges not first)."""

    def __init__(self, part, perm: np.ndarray) -> None:
        self._part, self._perm = part, perm

    def __getattr__(self, name):
        value = getattr(self._part, name)
        if name in ("src", "dst", "inner_edge", "global_eid", "etype_ids"):
            return np.asarray(value)[self._perm]
        return value


def test_edges_read_whatever_the_local_edge_order(tmp_path):
    from gpf.converters._setview import SetView

    hd = HeteroData()
    hd["u"].num_nodes, hd["i"].num_nodes = 30, 20
    hd["u", "to", "i"].edge_index = torch.stack([torch.randint(0, 30, (90,)), torch.randint(0, 20, (90,))])
    hd["i", "to", "u"].edge_index = torch.stack([torch.randint(0, 20, (70,)), torch.randint(0, 30, (70,))])
    for name, graph in (("homo", make_data(4)), ("hetero", hd)):
        ps = gpf.partition(P.from_pyg(graph), 3, tmp_path / name, name, method="random", verbose=False)
        plain, shuffled = SetView(ps), SetView(ps)
        rng = np.random.default_rng(0)
        shuffled.__dict__["_parts"] = {p: _Shuffled(ps.partition(p), rng.permutation(ps.partition(p).num_edges))
                                       for p in range(ps.num_parts)}
        inner = [np.asarray(shuffled.part(p).inner_edge) for p in range(ps.num_parts)]
        assert all(not m[:m.sum()].all() for m in inner)          # inner edges no longer come first
        for original in (False, True):
            a, b = plain.edge_lists(original), shuffled.edge_lists(original)
            for key in a:
                assert np.array_equal(a[key][0], b[key][0]) and np.array_equal(a[key][1], b[key][1])
        got = plain.edge_lists(original=True)        # the partitioner's input, edge for edge
        for et, key in zip(plain.etypes, plain.ekeys):
            ei = graph.edge_index if name == "homo" else graph[et].edge_index
            assert np.array_equal(np.stack(got[key]), ei.numpy())
