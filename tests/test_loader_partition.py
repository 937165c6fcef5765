"""PartitionLoader: rank split, halo-aware full-partition batches, and the 2-process gloo example."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gpf
from gpf.loader import PartitionLoader, rank_partitions
from tests.helpers.writer import make_hetero, make_homo

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def homo(tmp_path_factory):
    g = make_homo(seed=8, n=250, m=1200)
    ps = gpf.partition(g, 7, tmp_path_factory.mktemp("homo"), "homo", method="random", halo_hops=2, seed=3,
                       verbose=False)
    return g, ps


@pytest.fixture(scope="module")
def hetero(tmp_path_factory):
    g = make_hetero(seed=9)
    ps = gpf.partition(g, 3, tmp_path_factory.mktemp("het"), "het", method="random", seed=4, verbose=False)
    return g, ps


def test_rank_partitions_split_every_partition_once():
    for P, world in [(7, 3), (4, 4), (9, 2), (1, 1)]:
        owned = [rank_partitions(P, r, world) for r in range(world)]
        np.testing.assert_array_equal(np.concatenate(owned), np.arange(P))
        assert max(map(len, owned)) - min(map(len, owned)) <= 1
    assert [x.tolist() for x in (rank_partitions(7, r, 3) for r in range(3))] == [[0, 1, 2], [3, 4], [5, 6]]
    with pytest.raises(ValueError, match="world_size"):
        rank_partitions(2, 0, 3)
    with pytest.raises(ValueError, match="rank"):
        rank_partitions(4, 2, 2)


def check_partition_batch(batch, ps, g, p: int, edge_feats=()) -> None:
    """Nodes: inner + HALO of partition p in local order; edges: every input edge into an inner node."""
    part = ps.partition(p)
    ntype_of = np.asarray(part.ntype_ids)
    per_type = ps.book.map_to_per_ntype(part.global_nid)[1]
    for t, nt in enumerate(ps.ntypes):
        sel = ntype_of == t
        f = batch.nodes[nt]
        np.testing.assert_array_equal(f["n_id"].numpy(), per_type[sel])
        np.testing.assert_array_equal(f["inner_mask"].numpy(), part.inner_node[sel])
        orig = ps.orig_nids(nt)[f["n_id"].numpy()]
        if "feat" in g.ndata[nt]:  # HALO rows too, read from their owners
            np.testing.assert_array_equal(f["x"].numpy(), g.ndata[nt]["feat"][orig])
        if "label" in g.ndata[nt]:
            np.testing.assert_array_equal(f["y"].numpy(), g.ndata[nt]["label"][orig])
    for et in ps.etypes:
        et = tuple(et)
        src, dst = g.edges_dict[et]
        inner_dst = ps.orig_nids(et[2])[batch.nodes[et[2]]["n_id"].numpy()[batch.nodes[et[2]]["inner_mask"].numpy()]]
        keep = np.isin(dst, inner_dst)
        ei = batch.edges[et]["edge_index"].numpy()
        got_src = ps.orig_nids(et[0])[batch.nodes[et[0]]["n_id"].numpy()[ei[0]]]
        got_dst = ps.orig_nids(et[2])[batch.nodes[et[2]]["n_id"].numpy()[ei[1]]]
        order_got, order_want = np.lexsort((got_dst, got_src)), np.lexsort((dst[keep], src[keep]))
        np.testing.assert_array_equal(got_src[order_got], src[keep][order_want])
        np.testing.assert_array_equal(got_dst[order_got], dst[keep][order_want])
        oe = ps.orig_eids(et)[batch.edges[et]["e_id"].numpy()]
        np.testing.assert_array_equal(np.sort(oe), np.flatnonzero(keep))
        np.testing.assert_array_equal(src[oe], got_src)
        np.testing.assert_array_equal(dst[oe], got_dst)
        for name in edge_feats:
            if name in g.edata[et]:
                np.testing.assert_array_equal(batch.edges[et]["edge_attr"].numpy(), g.edata[et][name][oe])
            else:
                assert "edge_attr" not in batch.edges[et]


def test_rank_batches_are_full_partitions_with_halo(homo):
    g, ps = homo
    seen = []
    for rank in range(3):
        loader = PartitionLoader(ps, rank, 3, node_feats="feat", label="label", edge_feats="tag",
                                 with_edge_ids=True)
        assert loader.parts.tolist() == rank_partitions(7, rank, 3).tolist()
        batches = list(loader)
        assert len(batches) == len(loader) == 3  # even_batches: ceil(7 / 3) steps on every rank
        assert [b.parts.item() for b in batches] == np.resize(loader.parts, 3).tolist()
        for p in loader.parts.tolist():
            b = loader.batches[p]
            assert b.inner_mask.sum() < b.num_nodes  # there are HALO nodes
            check_partition_batch(b, ps, g, p, edge_feats=["tag"])
            seen.append(b.n_id[b.inner_mask].numpy())
    np.testing.assert_array_equal(np.sort(np.concatenate(seen)), np.arange(g.num_nodes()))


def test_uneven_batches_and_seeded_shuffle(homo):
    _, ps = homo
    loader = PartitionLoader(ps, 1, 3, even_batches=False, shuffle=True, seed=5)
    assert len(loader) == 2
    orders = [[b.parts.item() for b in loader] for _ in range(6)]      # epochs 0..5
    assert all(sorted(o) == [3, 4] for o in orders) and len({tuple(o) for o in orders}) == 2
    again = PartitionLoader(ps, 1, 3, even_batches=False, shuffle=True, seed=5)
    again.set_epoch(3)
    assert [[b.parts.item() for b in again] for _ in range(3)] == orders[3:]


def test_hetero_partition_batches(hetero):
    g, ps = hetero
    loader = PartitionLoader(ps, 0, 2, node_feats="feat", label="label", edge_feats="score", with_edge_ids=True)
    assert loader.parts.tolist() == [0, 1]
    for p in loader.parts.tolist():
        b = loader.batches[p]
        assert not b.is_homogeneous and set(b.x) == {"user", "item"}
        check_partition_batch(b, ps, g, p, edge_feats=["score"])
    data = loader.batches[0].to_pyg()
    assert type(data).__name__ == "HeteroData" and data["user"].inner_mask is loader.batches[0].inner_mask["user"]


def test_rank_defaults_without_a_process_group(homo):
    _, ps = homo
    loader = PartitionLoader(ps)
    assert (loader.rank, loader.world_size) == (0, 1) and loader.parts.tolist() == list(range(7))
    with pytest.raises(ValueError, match="world_size"):
        PartitionLoader(ps, 0, 8)


def test_distributed_example_two_gloo_processes():
    r = subprocess.run([sys.executable, str(ROOT / "examples" / "train_distributed.py"), "--parts", "3",
                        "--epochs", "3"], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "rank 0: partitions [0, 1], 2 steps per epoch" in r.stdout
    assert "rank 1: partitions [2], 2 steps per epoch" in r.stdout
    assert "parameters identical on all 2 ranks: True" in r.stdout
