"""gpf.open reads a partition set through an fsspec URL exactly as from local disk."""

import fsspec
import numpy as np
import pytest

import gpf

pytestmark = pytest.mark.oracle


def test_memory_url_equals_local(dgl_sets):
    case = "hetero_metis_h2_t2"
    local = dgl_sets / case
    fs = fsspec.filesystem("memory")
    for f in local.rglob("*"):
        if f.is_file() and "expected" not in f.parts:
            fs.pipe(f"/sets/{case}/{f.relative_to(local).as_posix()}", f.read_bytes())
    remote = gpf.open(f"memory://sets/{case}/{case}.json")
    ref = gpf.open(local / f"{case}.json")
    assert remote.config == ref.config
    for a, b in zip(remote, ref):
        for name in ("src", "dst", "global_nid", "global_eid", "inner_node", "inner_edge", "ntype_ids", "etype_ids"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
        assert a.node_feats.keys() == b.node_feats.keys()
        for k in a.node_feats:
            np.testing.assert_array_equal(a.node_feats[k], b.node_feats[k])
        for k in a.edge_feats:
            np.testing.assert_array_equal(a.edge_feats[k], b.edge_feats[k])
        assert all(v.startswith("memory://") for v in a.files().values())


def test_memory_url_refuses_escape(dgl_sets):
    fs = fsspec.filesystem("memory")
    cfg = (dgl_sets / "homo_one_part" / "homo_one_part.json").read_text().replace("part0/graph.dgl", "../x/graph.dgl")
    fs.pipe("/esc/set/c.json", cfg.encode())
    ps = gpf.open("memory://esc/set/c.json")
    with pytest.raises(gpf.ConfigError, match="escapes the dataset root"):
        ps.partition(0).src
