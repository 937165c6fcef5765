"""The set-level feature gather (gpf.sdk.read.features), shared by the converters and the loaders."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import gpf
from gpf.sdk.read.features import gather_features
from tests.helpers.writer import make_hetero


@pytest.fixture(scope="module")
def het(tmp_path_factory):
    g = make_hetero(seed=4)
    return g, gpf.partition(g, 3, tmp_path_factory.mktemp("het"), "het", method="random", seed=3, verbose=False)


def by_gpf_id(ps, ntype, a):
    """``a`` (rows by original ID) in gpf per-type ID order."""
    return a[ps.orig_nids(ntype)]


def test_whole_rows_and_rows_by_id(het):
    g, ps = het
    want = by_gpf_id(ps, "user", g.ndata["user"]["feat"])
    np.testing.assert_array_equal(gather_features(ps, "node", "user", "feat"), want)
    ids = np.array([69, 0, 35, 35, 12], np.int64)
    np.testing.assert_array_equal(gather_features(ps, "node", "user", "feat", ids), want[ids])
    with pytest.raises(IndexError, match="ID 70 is out of range"):
        gather_features(ps, "node", "user", "feat", np.array([70]))


def test_several_names_concatenate_promoted_into_a_callers_buffer(het):
    g, ps = het
    feat = by_gpf_id(ps, "item", g.ndata["item"]["feat"])          # float64 (50, 6)
    price = by_gpf_id(ps, "item", g.ndata["item"]["price"])        # int32 (50,)
    buf = torch.empty((50, 7), dtype=torch.float64)                  # e.g. a pinned host table
    got = gather_features(ps, "node", "item", ["feat", "price"], out=buf.numpy())
    assert np.shares_memory(got, buf.numpy())
    np.testing.assert_array_equal(buf.numpy(), np.concatenate([feat, price[:, None].astype(np.float64)], axis=1))
    with pytest.raises(ValueError, match="out has shape"):
        gather_features(ps, "node", "item", "feat", out=np.empty((50, 5)))


def test_an_id_range_reads_only_the_partitions_that_own_it(het):
    from gpf.sdk.read.features import feature_columns, type_offsets

    g, ps = het
    want = by_gpf_id(ps, "user", g.ndata["user"]["feat"])
    off = type_offsets(ps, "node", "user")
    for lo, hi in [(0, 70), (int(off[1]) - 3, int(off[2]) + 2), (int(off[1]), int(off[2])), (5, 5)]:
        np.testing.assert_array_equal(gather_features(ps, "node", "user", "feat", slice(lo, hi)), want[lo:hi])
    opened = []
    cols = feature_columns(ps, "node", "user", ["feat"], part=lambda p: opened.append(p) or ps.partition(p),
                           parts=[1])
    assert opened == [1]                                                  # partitions 0 and 2 stay closed
    mine = slice(int(off[1]), int(off[2]))
    np.testing.assert_array_equal(gather_features(ps, "node", "user", "feat", mine, columns=cols), want[mine])
    with pytest.raises(gpf.GpfError, match="partition 0: .*not opened"):
        gather_features(ps, "node", "user", "feat", slice(0, int(off[1]) + 1), columns=cols)
    with pytest.raises(ValueError, match="step 1"):
        gather_features(ps, "node", "user", "feat", slice(0, 10, 2))


def test_a_partition_missing_the_feature_is_named(het, tmp_path):
    _, ps = het
    broken = ps.partition(1)
    feats = dict(broken.node_feats)
    del feats["user/feat"]
    with pytest.raises(gpf.GpfError, match=r"partition 1: node feature 'user/feat' is missing"):
        gather_features(ps, "node", "user", "feat", part=lambda p: _With(broken, feats) if p == 1 else ps.partition(p))


class _With:
    def __init__(self, part, node_feats):
        self.part, self.node_feats = part, node_feats

    def files(self):
        return self.part.files()
