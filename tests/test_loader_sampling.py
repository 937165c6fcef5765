"""DistNeighborLoader under torch.distributed: 2 gloo processes, checked against the original graph.

The workers (tests/dist_sampling_workers.py) record every batch; here each one is
checked by original ID: edges exist (by edge ID), fan-outs hold exactly
(``min(k, in-degree)`` per node and hop), no neighbour twice without replacement,
features and labels are the original rows, each rank's seeds are its own training nodes,
once per epoch, and the same seed gives the same batches.  A rank with no seed finishes
with the others (the run has a timeout, so a hang fails).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import gpf
from gpf.loader import DistNeighborLoader, rank_partitions
from gpf.loader.sampling.loader import GROUP_STEPS
from tests.dist_sampling_workers import (
    HETERO_FANOUTS,
    empty_rank_worker,
    hetero_graph,
    hetero_worker,
    homo_graph,
    homo_worker,
    rows_worker,
    run_ranks,
)

WORLD = 2


def _load(path):
    return torch.load(path, weights_only=True)


@pytest.fixture(scope="module")
def homo(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dist-homo")
    graph = homo_graph()
    gpf.partition(graph, 4, tmp / "set", "g", method="random", seed=0, verbose=False)
    config = str(tmp / "set" / "g.json")
    run_ranks(homo_worker, WORLD, (config, str(tmp)), str(tmp / "init"))
    results = [_load(tmp / f"homo-{r}.pt") for r in range(WORLD)]
    return graph, gpf.open(config), results


def _original(graph, ps):
    src, dst = (np.asarray(a) for a in graph.edges())
    indeg = np.bincount(dst, minlength=graph.num_nodes())
    return src, dst, indeg, ps.orig_nids(), ps.to_original(":".join(ps.etypes[0]), np.arange(ps.num_edges))


def _check_batch(b, graph, ps, fanouts, replace=False):
    src, dst, indeg, orig_n, orig_e = _original(graph, ps)
    nd = graph.ndata["_N"]
    o = orig_n[b["n_id"].numpy()]
    assert np.unique(o).size == o.size                                     # each node once per batch
    np.testing.assert_array_equal(b["x"].numpy(), nd["feat"][o])
    np.testing.assert_array_equal(b["y"].numpy(), nd["label"][o])
    s, d = b["edge_index"].numpy()
    e = orig_e[b["e_id"].numpy()]
    np.testing.assert_array_equal(src[e], o[s])                              # the edge exists, between these nodes
    np.testing.assert_array_equal(dst[e], o[d])
    bs = b["batch_size"]
    hop = np.where(d < bs, 0, 1)                                             # hop-1 nodes come after the seeds
    for h, k in enumerate(fanouts):
        at = hop == h
        cnt = np.bincount(d[at], minlength=len(o))
        # every node sampled at hop h (seeds; then nodes first seen at hop h-1)
        sampled = np.arange(bs) if h == 0 else np.unique(s[hop == h - 1])
        sampled = sampled[sampled >= bs] if h else sampled
        want = np.zeros(len(o), np.int64)
        deg = indeg[o[sampled]]
        want[sampled] = deg if k < 0 else (np.where(deg > 0, k, 0) if replace else np.minimum(deg, k))
        np.testing.assert_array_equal(cnt, want)
        if not replace:
            pairs = np.stack([d[at], e[at]], 1)
            assert np.unique(pairs, axis=0).shape[0] == pairs.shape[0]      # no neighbour twice
    return o[:bs]


def test_edges_exist_fanouts_features(homo):
    graph, ps, results = homo
    checked = 0
    for res in results:
        for epoch in res["epochs"] + res["small"] + [res["one_by_one"]]:
            for b in epoch:
                _check_batch(b, graph, ps, [4, 3])
                checked += b["edge_index"].shape[1]
    assert checked > 1000


def test_replace_and_full_neighbourhoods(homo):
    graph, ps, results = homo
    for res in results:
        for b in res["replace"]:
            _check_batch(b, graph, ps, [6, 2], replace=True)
        assert any(np.unique(np.stack([b["edge_index"][1].numpy(), b["e_id"].numpy()], 1), axis=0).shape[0]
                   < b["e_id"].numel() for b in res["replace"])                 # repeats do happen
        for b in res["full"]:
            _check_batch(b, graph, ps, [-1])


def test_seeds_once_per_epoch_per_rank(homo):
    graph, ps, results = homo
    orig_n = ps.orig_nids()
    train = graph.ndata["_N"]["train_mask"]
    owner_rank = np.searchsorted(np.cumsum([len(rank_partitions(4, r, WORLD)) for r in range(WORLD)]),
                                 ps.book.nid2partid(np.arange(ps.num_nodes)), side="right")
    steps = {res["steps"] for res in results}
    assert steps == {max(math.ceil(res["seeds"].numel() / 64) for res in results)}
    everything = []
    for r, res in enumerate(results):
        mine = np.flatnonzero(train[orig_n] & (owner_rank == r))                 # new IDs of this rank's train nodes
        np.testing.assert_array_equal(res["seeds"].numpy(), mine)
        for epoch in res["epochs"]:
            assert len(epoch) == res["steps"]
            got = np.concatenate([b["n_id"][:b["batch_size"]].numpy() for b in epoch])
            np.testing.assert_array_equal(np.sort(got), mine)                    # each seed exactly once
        everything.append(mine)
    np.testing.assert_array_equal(np.sort(orig_n[np.concatenate(everything)]), np.flatnonzero(train))


def _same(a, b):
    return len(a) == len(b) and all(x.keys() == y.keys() and all(
        torch.equal(x[k], y[k]) if isinstance(x[k], torch.Tensor) else x[k] == y[k] for k in x) for x, y in zip(a, b))


def test_same_seed_same_batches(homo):
    _, _, results = homo
    for res in results:
        assert _same(res["again"], res["epochs"][0])
        assert _same(res["again_epoch1"], res["epochs"][1])
        assert not _same(res["epochs"][0], res["epochs"][1])
        assert not _same(res["other_seed"], res["epochs"][0])
        # the same batches whatever the workers, in threads or in the caller's thread (steps come in groups
        # of GROUP_STEPS, each seeded by its first step, whoever builds it)
        assert len(res["small"][0]) > 2 * GROUP_STEPS
        assert _same(res["three_workers"], res["small"][0])
        assert _same(res["in_caller"], res["small"][1])
        # a step sampled alone is a group of one: a valid batch of the same seeds, not the grouped one
        assert [b["n_id"][:b["batch_size"]].tolist() for b in res["one_by_one"]] == \
            [b["n_id"][:b["batch_size"]].tolist() for b in res["small"][0]]


def test_rank_without_seeds_does_not_hang(homo, tmp_path):
    graph, ps, _ = homo
    seeds = np.arange(*ps.book.nodes.part_range(0))[::3]                   # all in partition 0: rank 0's
    run_ranks(empty_rank_worker, WORLD, (str(ps.path), str(tmp_path), seeds), str(tmp_path / "init"), timeout=90)
    for fill in ("empty", "repeat"):
        r0, r1 = (_load(tmp_path / f"empty-{fill}-{r}.pt") for r in range(WORLD))
        assert r1["seeds"].numel() == 0 and r0["steps"] == r1["steps"] == math.ceil(seeds.size / 32)
        assert len(r0["batches"]) == len(r1["batches"]) == r0["steps"]
        assert all(b["batch_size"] == 0 and b["n_id"].numel() == 0 for b in r1["batches"])
        got = np.concatenate([b["n_id"][:b["batch_size"]].numpy() for b in r0["batches"]])
        np.testing.assert_array_equal(np.sort(got), seeds)
        for b in r0["batches"]:
            _check_batch({**b, "e_id": _edge_ids(ps, graph, b)}, graph, ps, [4, 3])


def _edge_ids(ps, graph, b):
    """New edge IDs of a batch recorded without them (the test graph has no parallel edges)."""
    src, dst, _, orig_n, orig_e = _original(graph, ps)
    o = orig_n[b["n_id"].numpy()]
    s, d = b["edge_index"].numpy()
    key = src * graph.num_nodes() + dst
    order = np.argsort(key)
    at = order[np.searchsorted(key[order], o[s] * graph.num_nodes() + o[d])]
    inv = np.empty_like(orig_e)
    inv[orig_e] = np.arange(orig_e.size)
    return torch.from_numpy(inv[at])


def _check_rows_and_edges(b, graph, ps) -> None:
    """Any number of hops: each node once, its original features and label, every edge a real one."""
    src, dst, _, orig_n, orig_e = _original(graph, ps)
    nd = graph.ndata["_N"]
    o = orig_n[b["n_id"].numpy()]
    assert np.unique(o).size == o.size
    np.testing.assert_array_equal(b["x"].numpy(), nd["feat"][o])
    np.testing.assert_array_equal(b["y"].numpy(), nd["label"][o])
    s, d = b["edge_index"].numpy()
    e = orig_e[b["e_id"].numpy()]
    np.testing.assert_array_equal(src[e], o[s])
    np.testing.assert_array_equal(dst[e], o[d])
    assert np.unique(np.stack([d, e], 1), axis=0).shape[0] == e.size         # no neighbour twice


@pytest.mark.parametrize("world,dense", [(3, True), (3, False), (2, False)])
def test_rows_come_with_answers_on_any_number_of_ranks(homo, tmp_path, world, dense):
    """With 3 ranks a neighbour may be owned by neither the asker nor the answerer (its row comes from the
    answerer's HALO cache); ``dense=False`` runs the sorted lookups that sets too large for the dense
    ones use."""
    graph, ps, _ = homo
    run_ranks(rows_worker, world, (str(ps.path), str(tmp_path), dense), str(tmp_path / "init"))
    edges = 0
    for r in range(world):
        res = _load(tmp_path / f"rows-{world}-{int(dense)}-{r}.pt")
        for b in res["two"]:
            _check_batch(b, graph, ps, [4, 3])
        for b in res["three"]:
            _check_rows_and_edges(b, graph, ps)
            edges += b["edge_index"].shape[1]
    assert edges > 1000


def test_heterogeneous_batches(tmp_path):
    graph = hetero_graph()
    gpf.partition(graph, 2, tmp_path / "set", "h", method="random", seed=0, verbose=False)
    run_ranks(hetero_worker, WORLD, (str(tmp_path / "set" / "h.json"), str(tmp_path)), str(tmp_path / "init"))
    ps = gpf.open(tmp_path / "set" / "h.json")
    train = graph.ndata["paper"]["train_mask"]
    seen = []
    for r in range(WORLD):
        res = _load(tmp_path / f"hetero-{r}.pt")
        assert res["pyg_types"] and set(res["pyg_types"]) == {"HeteroData"}
        for b in res["batches"]:
            orig = {t: ps.to_original(t, f["n_id"].numpy()) for t, f in b["nodes"].items()}
            for t, f in b["nodes"].items():
                np.testing.assert_array_equal(f["x"].numpy(), graph.ndata[t]["feat"][orig[t]])
            np.testing.assert_array_equal(b["nodes"]["paper"]["y"].numpy(), graph.ndata["paper"]["label"][orig["paper"]])
            bs = b["batch_size"]
            seen.append(orig["paper"][:bs])
            for key, f in b["edges"].items():
                et = tuple(key.split(":"))
                s, d = f["edge_index"].numpy()
                e = ps.to_original(key, f["e_id"].numpy())
                gs, gd = (np.asarray(a) for a in graph.edges(et))
                np.testing.assert_array_equal(gs[e], orig[et[0]][s])
                np.testing.assert_array_equal(gd[e], orig[et[2]][d])
                k = HETERO_FANOUTS[et[1]]
                # hop-1 edges end at seeds (papers < bs); per node and type at most the hop's fan-out
                first = (d < bs) if et[2] == "paper" else np.zeros(d.size, bool)
                indeg = np.bincount(gd, minlength=graph.num_nodes(et[2]))
                cnt = np.bincount(d[first], minlength=bs if et[2] == "paper" else 0)
                if et[2] == "paper":
                    np.testing.assert_array_equal(cnt[:bs], np.minimum(indeg[orig["paper"][:bs]], k[0]))
                assert np.bincount(d[~first]).max(initial=0) <= k[1]
                assert np.unique(np.stack([d, e], 1), axis=0).shape[0] == e.size
    np.testing.assert_array_equal(np.sort(np.concatenate(seen)), np.flatnonzero(train))


def test_single_process_needs_no_group(tmp_path):
    graph = homo_graph(300)
    gpf.partition(graph, 2, tmp_path, "g", method="random", seed=0, verbose=False)
    loader = DistNeighborLoader(tmp_path / "g.json", [3], batch_size=40, node_feats="feat", label="label")
    batches = list(loader)
    assert len(batches) == len(loader) == math.ceil(int(graph.ndata["_N"]["train_mask"].sum()) / 40)
    data = batches[0].to_pyg()
    assert data.batch_size == 40 and data.x.shape[0] == data.num_nodes


def test_bad_arguments(tmp_path):
    graph = homo_graph(200)
    gpf.partition(graph, 2, tmp_path, "g", method="random", seed=0, verbose=False)
    with pytest.raises(IndexError, match="out of range"):
        DistNeighborLoader(tmp_path / "g.json", [3], seeds=np.array([5, 10_000]))
    with pytest.raises(ValueError, match="unknown edge type"):
        DistNeighborLoader(tmp_path / "g.json", {"nope": [3]})
    with pytest.raises(gpf.GpfError, match="seed mask"):
        DistNeighborLoader(tmp_path / "g.json", [3], seeds="val_mask")
    with pytest.raises(ValueError, match="fill"):
        DistNeighborLoader(tmp_path / "g.json", [3], fill="pad")


def test_sample_slots_uniform_without_replacement():
    from gpf.loader.sampling import sample_slots

    gen = torch.Generator().manual_seed(0)
    n, d, k = 20_000, 10, 3
    start = torch.arange(n) * 100
    which, slot = sample_slots(start, torch.full((n,), d), k, generator=gen)
    off = (slot - start[which]).view(n, k)
    assert bool(((off >= 0) & (off < d)).all())
    assert bool((torch.sort(off, 1).values.diff(dim=1) > 0).all())             # k distinct slots per node
    freq = torch.bincount(off.reshape(-1), minlength=d).double() / (n * k)
    assert float((freq - 1 / d).abs().max()) < 0.01                            # every slot equally likely
    low = torch.sort(off, 1).values
    subsets = torch.bincount((low[:, 0] * d + low[:, 1]) * d + low[:, 2], minlength=d ** 3)
    subsets = subsets[subsets > 0].double()
    assert subsets.numel() == math.comb(d, k)                                   # every k-subset is drawn,
    assert float((subsets / (n / math.comb(d, k)) - 1).abs().max()) < 0.35      # about equally often
    w, s = sample_slots(torch.tensor([0, 5]), torch.tensor([2, 0]), 4, replace=True, generator=gen)
    assert w.tolist() == [0] * 4 and bool(((s >= 0) & (s < 2)).all())


def test_group_steps_shrink_to_fit_the_dense_batch_map():
    from gpf.loader.sampling.dense import DENSE_BUDGET_BYTES, BatchIndex, group_steps

    per_step = DENSE_BUDGET_BYTES // 4                      # nodes whose map of one step takes the budget
    assert group_steps(10_000, GROUP_STEPS) == GROUP_STEPS
    assert group_steps(per_step * 2, GROUP_STEPS) == 2      # 2 steps of it fill 4 budgets
    assert group_steps(per_step * 3, GROUP_STEPS) == 1
    assert group_steps(per_step * 5, GROUP_STEPS) == GROUP_STEPS   # not even one fits: sorted, any group
    assert BatchIndex(10_000, torch.device("cpu"), GROUP_STEPS)._map.numel() == 10_000 * GROUP_STEPS
    assert BatchIndex(per_step * 5, torch.device("cpu"), 1)._map is None
