"""ClusterLoader: Cluster-GCN batches checked against the writer's input graph by original ID."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import gpf
from gpf.errors import GpfError
from gpf.loader import Batch, ClusterLoader
from tests.helpers.writer import make_hetero, make_homo


@pytest.fixture(scope="module")
def homo(tmp_path_factory):
    g = make_homo(seed=3, n=300, m=1500)
    out = tmp_path_factory.mktemp("homo")
    # halo_hops=2: HALO edges beyond the inner edges must not leak into batches
    ps = gpf.partition(g, 7, out, "homo", method="random", halo_hops=2, seed=1, verbose=False)
    return g, ps


@pytest.fixture(scope="module")
def hetero(tmp_path_factory):
    g = make_hetero(seed=5)
    out = tmp_path_factory.mktemp("hetero")
    ps = gpf.partition(g, 4, out, "het", method="random", seed=2, verbose=False)
    return g, ps


def original_ids(batch: Batch, ps) -> dict[str, np.ndarray]:
    return {nt: ps.orig_nids(nt)[f["n_id"].numpy()] for nt, f in batch.nodes.items()}


def sorted_pairs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    order = np.lexsort((b, a))
    return np.stack([a[order], b[order]])


def check_induced_subgraph(batch: Batch, ps, g) -> None:
    """The batch's edges are exactly the edges of the input graph between the batch's nodes."""
    orig = original_ids(batch, ps)
    for et in ps.etypes:
        src, dst = g.edges_dict[tuple(et)]
        in_src = np.zeros(g.num_nodes(et[0]), bool)
        in_src[orig[et[0]]] = True
        in_dst = np.zeros(g.num_nodes(et[2]), bool)
        in_dst[orig[et[2]]] = True
        keep = in_src[src] & in_dst[dst]
        ei = batch.edges[tuple(et)]["edge_index"]
        assert ei.dtype == torch.int64 and ei.shape[0] == 2
        ei = ei.numpy()
        assert ei.size == 0 or (ei[0].max() < len(orig[et[0]]) and ei[1].max() < len(orig[et[2]]))
        got_src, got_dst = orig[et[0]][ei[0]], orig[et[2]][ei[1]]
        np.testing.assert_array_equal(sorted_pairs(got_src, got_dst), sorted_pairs(src[keep], dst[keep]),
                                      err_msg=f"edges of {et} in batch {batch.parts.tolist()}")
        if "e_id" in batch.edges[tuple(et)]:
            oe = ps.orig_eids(tuple(et))[batch.edges[tuple(et)]["e_id"].numpy()]
            np.testing.assert_array_equal(np.sort(oe), np.flatnonzero(keep))
            np.testing.assert_array_equal(src[oe], got_src)
            np.testing.assert_array_equal(dst[oe], got_dst)


def check_node_fields(batch: Batch, ps, g, fields: dict[str, str]) -> None:
    """Each batch field equals the input graph's feature at the node's original ID."""
    orig = original_ids(batch, ps)
    for nt, f in batch.nodes.items():
        for field, name in fields.items():
            if name not in g.ndata[nt]:
                assert field not in f
                continue
            want = g.ndata[nt][name][orig[nt]]
            got = f[field].numpy()
            if want.dtype == np.bool_:
                assert got.dtype == np.bool_
            np.testing.assert_array_equal(got, want.astype(got.dtype), err_msg=f"{nt}/{name}")


def test_every_node_once_per_epoch_and_batches_are_induced_subgraphs(homo):
    g, ps = homo
    loader = ClusterLoader(ps, batch_size=3, shuffle=True, node_feats=["feat"], label="label",
                           with_edge_ids=True, seed=0)
    assert len(loader) == 3
    for _epoch in range(2):
        seen_parts, seen_nodes = [], []
        for batch in loader:
            assert batch.is_homogeneous and batch.num_nodes == batch.x.shape[0] == batch.n_id.shape[0]
            seen_parts.append(batch.parts.numpy())
            seen_nodes.append(batch.n_id.numpy())
            check_induced_subgraph(batch, ps, g)
            check_node_fields(batch, ps, g, {"x": "feat", "y": "label", "train_mask": "train_mask"})
        np.testing.assert_array_equal(np.sort(np.concatenate(seen_parts)), np.arange(7))
        np.testing.assert_array_equal(np.sort(np.concatenate(seen_nodes)), np.arange(g.num_nodes()))


def test_batch_edges_are_the_inner_edges_between_its_partitions(homo):
    """Independent of the grouping: edge set from each partition's inner edges and their source owner."""
    _, ps = homo
    loader = ClusterLoader(ps, batch_size=7, prefetch=0)
    parts = np.array([5, 0, 3])
    batch = loader.batch(parts)
    want = []
    for p in parts:
        part = ps.partition(int(p))
        ie = part.inner_edge
        keep = np.isin(part.owner[part.src[ie]], parts)
        want.append(np.stack([part.global_nid[part.src[ie]][keep], part.global_nid[part.dst[ie]][keep]]))
    want = np.concatenate(want, axis=1)
    ei = batch.edge_index.numpy()
    got = batch.n_id.numpy()[ei]
    np.testing.assert_array_equal(sorted_pairs(*got), sorted_pairs(*want))
    # nodes come partition by partition in batch order, each block in hid order
    blocks = [np.arange(*ps.partition(int(p)).node_range) for p in parts]
    np.testing.assert_array_equal(batch.n_id.numpy(), np.concatenate(blocks))


def test_whole_graph_in_one_batch(homo):
    g, ps = homo
    loader = ClusterLoader(ps, batch_size=100, node_feats="feat", with_edge_ids=True)
    batches = list(loader)
    assert len(loader) == 1 and len(batches) == 1
    assert batches[0].edge_index.shape[1] == g.num_edges()
    check_induced_subgraph(batches[0], ps, g)


def test_features_labels_masks_and_edge_features_by_global_id(homo):
    g, ps = homo
    loader = ClusterLoader(ps, batch_size=2, shuffle=True, node_feats=["feat", "half"], label="label",
                           masks=["train_mask"], edge_feats="tag", seed=4)
    for batch in loader:
        orig = ps.orig_nids("_N")[batch.n_id.numpy()]
        nd = g.ndata["_N"]
        assert batch.x.shape == (batch.num_nodes, 7)
        np.testing.assert_array_equal(batch.x[:, :5].numpy(), nd["feat"][orig])
        np.testing.assert_array_equal(batch.x[:, 5:].numpy(), nd["half"][orig].astype(np.float32))
        np.testing.assert_array_equal(batch.y.numpy(), nd["label"][orig])
        np.testing.assert_array_equal(batch.train_mask.numpy(), nd["train_mask"][orig])
        assert "val_mask" not in batch and "e_id" not in batch
        with pytest.raises(AttributeError, match=r"no node field 'val_mask' \(its node fields: n_id, train_mask, x, y"):
            batch.val_mask
        with pytest.raises(AttributeError, match="no edge field 'e_id'"):
            batch.e_id
        # edge features: match each kept edge to the input edge with the same endpoints and tag
        ei = batch.edge_index.numpy()
        src, dst = orig[ei[0]], orig[ei[1]]
        s, d = g.edges_dict[("_N", "_E", "_N")]
        tag = g.edata[("_N", "_E", "_N")]["tag"]
        got = np.concatenate([src[:, None], dst[:, None], batch.edge_attr.numpy()], axis=1)
        in_b = np.isin(s, orig) & np.isin(d, orig)
        want = np.concatenate([s[in_b, None], d[in_b, None], tag[in_b]], axis=1)
        np.testing.assert_array_equal(got[np.lexsort(got.T[::-1])], want[np.lexsort(want.T[::-1])])


def test_seeded_epochs_are_deterministic_and_differ(homo):
    _, ps = homo

    def run(seed, prefetch, epochs=3):
        loader = ClusterLoader(ps, batch_size=2, shuffle=True, node_feats="feat", seed=seed, prefetch=prefetch)
        return [[(b.parts.tolist(), b.x.clone(), b.edge_index.clone()) for b in loader] for _ in range(epochs)]

    a, b, c = run(0, 2), run(0, 0), run(1, 2)
    for ea, eb in zip(a, b):
        for (pa, xa, ia), (pb, xb, ib) in zip(ea, eb):
            assert pa == pb and torch.equal(xa, xb) and torch.equal(ia, ib)
    orders = [[p for p, _, _ in e] for e in a]
    assert orders[0] != orders[1] != orders[2]
    assert orders != [[p for p, _, _ in e] for e in c]

    loader = ClusterLoader(ps, batch_size=2, shuffle=True, seed=0)
    loader.set_epoch(2)
    assert [b.parts.tolist() for b in loader] == orders[2]
    unshuffled = ClusterLoader(ps, batch_size=3, drop_last=True)
    assert [b.parts.tolist() for b in unshuffled] == [[0, 1, 2], [3, 4, 5]]


def test_device_cache_and_cpu_path_agree(homo):
    _, ps = homo
    host = ClusterLoader(ps, batch_size=3, shuffle=True, node_feats="feat", label="label", seed=7)
    dev = ClusterLoader(ps, batch_size=3, shuffle=True, node_feats="feat", label="label", seed=7,
                        cache="device", prefetch=1)
    for a, b in zip(host, dev):
        for ta, tb in zip(a.tensors(), b.tensors()):
            assert torch.equal(ta, tb)


def test_breaking_out_of_an_epoch_stops_the_prefetch_thread(homo):
    _, ps = homo
    loader = ClusterLoader(ps, batch_size=1, node_feats="feat", prefetch=2)
    it = iter(loader)
    next(it)
    it.close()
    assert [b.parts.tolist() for b in loader] == [[p] for p in range(7)]


def test_to_pyg_data(homo):
    import torch_geometric  # noqa: F401 - a dev dependency: missing, the test fails (never skips)
    _, ps = homo
    batch = next(iter(ClusterLoader(ps, batch_size=3, node_feats="feat", label="label")))
    data = batch.to_pyg()
    assert type(data).__name__ == "Data"
    assert data.num_nodes == batch.num_nodes and data.x is batch.x and data.edge_index is batch.edge_index
    assert data.n_id is batch.n_id and data.train_mask is batch.train_mask


def test_errors_name_the_set_and_the_key(homo):
    _, ps = homo
    with pytest.raises(GpfError, match=r"homo\.json.*'nope'"):
        ClusterLoader(ps, node_feats="nope")
    with pytest.raises(GpfError, match="unknown node type 'paper'"):
        ClusterLoader(ps, label="paper/label")
    with pytest.raises(ValueError, match="distinct partition IDs"):
        ClusterLoader(ps).batch([1, 1])
    with pytest.raises(ValueError, match="batch_size"):
        ClusterLoader(ps, batch_size=0)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-GPU error")
def test_cuda_without_a_gpu_is_a_clear_error(homo):
    with pytest.raises(RuntimeError, match="cuda"):
        ClusterLoader(homo[1], device="cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("cache", ["host", "device"])
def test_cuda_batches_equal_cpu_batches(homo, cache):
    _, ps = homo
    cpu = ClusterLoader(ps, batch_size=3, shuffle=True, node_feats="feat", label="label", seed=1)
    gpu = ClusterLoader(ps, batch_size=3, shuffle=True, node_feats="feat", label="label", seed=1,
                        device="cuda", cache=cache)
    for a, b in zip(cpu, gpu):
        for ta, tb in zip(a.tensors(), b.tensors()):
            assert tb.is_cuda and torch.equal(ta, tb.cpu())


# -- heterogeneous sets ------------------------------------------------------------------------------
def test_hetero_batches(hetero):
    g, ps = hetero
    loader = ClusterLoader(ps, batch_size=3, shuffle=True, node_feats="feat", label="label",
                           edge_feats="score", with_edge_ids=True, seed=0)
    assert len(loader) == 2
    seen = {nt: [] for nt in ps.ntypes}
    for batch in loader:
        assert not batch.is_homogeneous
        assert set(batch.x) == {"user", "item"} and set(batch.y) == {"user"}
        check_induced_subgraph(batch, ps, g)
        check_node_fields(batch, ps, g, {"x": "feat", "y": "label"})
        for nt in ps.ntypes:
            assert batch.num_nodes[nt] == batch.nodes[nt]["n_id"].shape[0]
            seen[nt].append(batch.nodes[nt]["n_id"].numpy())
        for et in (("item", "has", "tag"), ("tag", "has", "item")):
            oe = ps.orig_eids(et)[batch.e_id[et].numpy()]
            np.testing.assert_array_equal(batch.edge_attr[et].numpy(), g.edata[et]["score"][oe])
        assert batch.edge_index[("item", "bought_by", "user")].shape == (2, 0)
    for nt in ps.ntypes:
        np.testing.assert_array_equal(np.sort(np.concatenate(seen[nt])), np.arange(g.num_nodes(nt)))


def test_hetero_to_pyg(hetero):
    import torch_geometric  # noqa: F401 - a dev dependency: missing, the test fails (never skips)
    _, ps = hetero
    batch = ClusterLoader(ps, batch_size=2, node_feats="user/feat", label="label").batch([3, 1])
    data = batch.to_pyg()
    assert type(data).__name__ == "HeteroData"
    assert data["user"].x is batch.x["user"] and "x" not in data["item"]
    for nt in ps.ntypes:
        assert data[nt].num_nodes == batch.num_nodes[nt]
    for et in ps.etypes:
        assert data[tuple(et)].edge_index is batch.edge_index[tuple(et)]


def test_prefetcher_keeps_order_and_reraises_build_errors():
    from gpf.loader.transfer import Prefetcher

    assert list(Prefetcher(range(10), lambda i: i * i, depth=2)) == [i * i for i in range(10)]

    def build(i):
        if i == 3:
            raise KeyError(f"item {i}")
        return i

    it = Prefetcher(range(10), build, depth=1)
    assert [next(it) for _ in range(3)] == [0, 1, 2]
    with pytest.raises(KeyError, match="item 3"):
        next(it)
    with pytest.raises(StopIteration):
        next(it)


def test_inconsistent_owner_is_an_error_naming_the_partition_and_edge(homo, monkeypatch):
    _, ps = homo
    real = gpf.Partition.owner.func

    def wrong_owner(part):  # partition 2 claims that partition 0 owns all its nodes
        own = real(part)
        return np.zeros_like(own) if part.part_id == 2 else own

    monkeypatch.setattr(gpf.Partition, "owner", property(wrong_owner))
    with pytest.raises(GpfError, match=r"graph\.dgl: partition 2: inner edge \d+ \(EID \d+\) joins node"):
        ClusterLoader(gpf.open(ps.path))


@pytest.mark.parametrize("backend", ["npy", "hdf5", "zarr"])
def test_storage_backends_give_the_same_batches(tmp_path, backend):
    from gpf.loader import PartitionLoader
    from gpf.sdk.storage.registry import BACKENDS

    assert backend in BACKENDS  # every backend is a dependency here: a missing one fails, never skips
    g = make_hetero(seed=6)
    ref = gpf.partition(g, 3, tmp_path / "dgl", "het", method="random", seed=1, verbose=False)
    other = gpf.partition(g, 3, tmp_path / backend, "het", method="random", seed=1, backend=backend, verbose=False)
    kw = dict(node_feats="feat", label="label", edge_feats="score", with_edge_ids=True)
    a = ClusterLoader(ref.path, batch_size=2, shuffle=True, seed=3, **kw)
    b = ClusterLoader(other.path, batch_size=2, shuffle=True, seed=3, **kw)
    pairs = [*zip(a, b), *zip(PartitionLoader(ref.path, 0, 2, **kw), PartitionLoader(other.path, 0, 2, **kw))]
    assert len(pairs) == 2 + 2
    for x, y in pairs:
        assert x.nodes.keys() == y.nodes.keys() and x.edges.keys() == y.edges.keys()
        for t in x.nodes:
            assert x.nodes[t].keys() == y.nodes[t].keys()
            assert all(torch.equal(x.nodes[t][k], y.nodes[t][k]) for k in x.nodes[t])
        for t in x.edges:
            assert x.edges[t].keys() == y.edges[t].keys()
            assert all(torch.equal(x.edges[t][k], y.edges[t][k]) for k in x.edges[t])


# -- a newcomer's defaults and messages --------------------------------------------------------------
@pytest.fixture(scope="module")
def pyg_named(tmp_path_factory):
    """A set written from PyG-style names (x, y, masks) and one with DGL's (feat, label)."""
    root = tmp_path_factory.mktemp("named")
    rng = np.random.default_rng(0)
    n = 60
    src, dst = rng.integers(0, n, 300), rng.integers(0, n, 300)
    x, y, mask = rng.standard_normal((n, 3)).astype(np.float32), rng.integers(0, 4, n), rng.random(n) < 0.5
    pyg = gpf.partition(gpf.Graph.homogeneous(src, dst, n, {"x": x, "y": y, "train_mask": mask}), 3,
                        root / "pyg", "pyg", method="random")
    dgl = gpf.partition(gpf.Graph.homogeneous(src, dst, n, {"feat": x, "label": y}), 3, root / "dgl", "dgl",
                        method="random")
    return pyg, dgl, x, y, mask


def test_default_fields_are_the_conventional_names(pyg_named):
    pyg, dgl, x, y, mask = pyg_named
    for ps in (pyg, dgl):
        loader = ClusterLoader(ps, batch_size=3)
        (batch,) = list(loader)
        orig = ps.orig_nids("_N")[batch.n_id.numpy()]
        np.testing.assert_array_equal(batch.x.numpy(), x[orig])
        np.testing.assert_array_equal(batch.y.numpy(), y[orig])
    assert "x=['x'], y=['y'], masks=['train_mask']" in repr(ClusterLoader(pyg))
    assert "x=['feat'], y=['label']" in repr(ClusterLoader(dgl))
    (batch,) = list(ClusterLoader(dgl, batch_size=3))
    with pytest.raises(AttributeError, match=r"no node field 'train_mask' \(its node fields: n_id, x, y"):
        batch.train_mask
    (bare,) = list(ClusterLoader(dgl, batch_size=3, node_feats=[], label=False))
    assert "x" not in bare and "y" not in bare


def test_missing_feature_names_the_field_and_the_stored_feature(pyg_named):
    pyg = pyg_named[0]
    with pytest.raises(GpfError) as ei:
        ClusterLoader(pyg, node_feats=["feat"], label="y")
    msg = str(ei.value)
    assert "batch field 'x' (node_feats=...): no partition stores the node feature 'feat'" in msg
    assert "'_N/x'" in msg and "asked for" not in msg and "\n" not in msg


def test_per_type_feature_dicts(hetero):
    g, ps = hetero
    loader = ClusterLoader(ps, batch_size=4, node_feats={"user": ["feat"], "item": "price"},
                           label={"user": "label"}, seed=0)
    (batch,) = list(loader)
    assert set(batch.x) == {"user", "item"} and set(batch.y) == {"user"}
    ids = original_ids(batch, ps)
    np.testing.assert_array_equal(batch.x["user"].numpy(), g.ndata["user"]["feat"][ids["user"]])
    np.testing.assert_array_equal(batch.x["item"].numpy(), g.ndata["item"]["price"][ids["item"]])
    with pytest.raises(GpfError, match=r"names an unknown node type 'paper'"):
        ClusterLoader(ps, node_feats={"paper": ["feat"]})


def test_unknown_device_is_one_clear_line(homo):
    with pytest.raises(ValueError, match=r"^device 'gpu' is not a device torch knows: use 'cpu', 'cuda' or 'cuda:N'$"):
        ClusterLoader(homo[1], device="gpu")
