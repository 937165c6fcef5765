"""One rule for "homogeneous" (gpf.spec.is_homogeneous): one node type and one edge type, whatever
their names.  A set whose only types are ``paper`` / ``paper:cites:paper`` is homogeneous through
every path: the writer, the reader, ClusterLoader / PartitionLoader batches and the PyG converters."""

from __future__ import annotations

import numpy as np
import pytest
from torch_geometric.data import Data, HeteroData

import gpf
from gpf.converters import pyg as P
from gpf.loader import ClusterLoader, PartitionLoader
from gpf.spec import is_homogeneous
from gpf.spec.io import load_config

CITES = ("paper", "cites", "paper")


def paper_graph(n: int = 120, m: int = 500) -> gpf.Graph:
    rng = np.random.default_rng(7)
    src, dst = rng.integers(0, n, m), rng.integers(0, n, m)
    feat = rng.standard_normal((n, 3)).astype(np.float32)
    return gpf.Graph({"paper": n}, {CITES: (src, dst)}, {"paper": {"feat": feat}}, {CITES: {"w": rng.random(m)}})


@pytest.fixture(scope="module")
def paper_set(tmp_path_factory):
    g = paper_graph()
    out = tmp_path_factory.mktemp("paper")
    return g, gpf.partition(g, 3, out, "paper", method="random", seed=1, verbose=False)


def test_the_rule():
    assert is_homogeneous(["paper"], ["paper:cites:paper"])
    assert is_homogeneous(["_N"], ["_N:_E:_N"])
    assert not is_homogeneous(["a", "b"], ["a:r:b"])
    assert not is_homogeneous(["a"], ["a:r:a", "a:s:a"])


def test_every_layer_agrees(paper_set):
    g, ps = paper_set
    assert g.is_homogeneous and ps.is_homogeneous and load_config(ps.path).is_homogeneous
    # the writer stores no _TYPE for a homogeneous multi-partition set, and the reader still types every row
    part = ps.partition(1)
    assert "_TYPE" not in part.ndata and "_TYPE" not in part.edata
    assert not part.ntype_ids.any() and not part.etype_ids.any()


def test_cluster_loader_and_converter_agree(paper_set):
    g, ps = paper_set
    batch = next(iter(ClusterLoader(ps, batch_size=3, node_feats="feat")))
    from_loader = batch.to_pyg()
    from_converter = P.to_pyg([ps.partition(p) for p in range(3)])
    whole = P.to_pyg_graph(ps)
    assert type(from_loader) is Data and type(from_converter) is Data and type(whole) is Data
    assert type(next(iter(PartitionLoader(ps, node_feats="feat"))).to_pyg()) is Data
    # the whole graph, in original IDs, is the input graph
    assert whole.num_nodes == g.num_nodes("paper")
    np.testing.assert_array_equal(whole.feat.numpy(), g.ndata["paper"]["feat"])
    src, dst = g.edges_dict[CITES]
    np.testing.assert_array_equal(whole.edge_index.numpy(), np.stack([src, dst]))
    np.testing.assert_array_equal(whole.w.numpy(), g.edata[CITES]["w"])
    # features by original ID; the inner nodes of the three partitions are every node once
    orig = ps.orig_nids("paper")[from_converter.gpf_type_nid.numpy()]
    inner = from_converter.inner_node.numpy()
    assert sorted(orig[inner].tolist()) == list(range(g.num_nodes("paper")))
    np.testing.assert_array_equal(from_converter.feat.numpy(), g.ndata["paper"]["feat"][orig])


def test_two_node_types_one_edge_type_is_heterogeneous(tmp_path):
    rng = np.random.default_rng(0)
    g = gpf.Graph({"a": 10, "b": 6}, {("a", "r", "b"): (rng.integers(0, 10, 30), rng.integers(0, 6, 30))})
    ps = gpf.partition(g, 2, tmp_path, "ab", method="random", seed=0, verbose=False)
    assert not g.is_homogeneous and not ps.is_homogeneous
    assert type(next(iter(ClusterLoader(ps, batch_size=2))).to_pyg()) is HeteroData
    assert type(P.to_pyg(ps.partition(0))) is HeteroData and type(P.to_pyg_graph(ps)) is HeteroData
