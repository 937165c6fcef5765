"""Real DGL 2.1.0 sets with GraphBolt entries (committed fixtures, see tests/fixtures/dgl2_graphbolt):
reading the GraphBolt file gives the same partition as reading DGL's graph.dgl."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import gpf
from tests.oracle.runner import load_dump

FIX = Path(__file__).resolve().parent / "fixtures" / "dgl2_graphbolt"


@pytest.mark.parametrize("case", ["homo", "hetero"])
def test_graphbolt_partition_equals_dgl_partition(case):
    cfg = FIX / case / f"{case}.json"
    raw = json.loads(cfg.read_text())
    assert raw["node_map_dtype"] == "int64" and "part_graph_graphbolt" in raw["part-0"]  # a real DGL 2.x config
    gb = gpf.open(cfg, prefer="graphbolt")
    dg = gpf.open(cfg, prefer="dgl")
    for a, b in zip(gb, dg):
        assert a.files()["part_graph_graphbolt"].endswith("fused_csc_sampling_graph.pt")
        assert a.graph.source.endswith(".pt") and b.graph.source.endswith("graph.dgl")
        for name in ("src", "dst", "global_nid", "global_eid", "inner_node", "inner_edge", "ntype_ids", "etype_ids"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=f"{case} p{a.part_id} {name}")
        # DGL's own load_partition view, dumped by DGL 2.1.0 next to each file
        exp = load_dump(FIX / case / f"part{a.part_id}" / "dgl_graph.npz")
        np.testing.assert_array_equal(a.src, exp["src"])
        np.testing.assert_array_equal(a.dst, exp["dst"])


@pytest.mark.parametrize("drop", [(), ("inner_node", "inner_edge"), ("inner_node", "inner_edge", "_ID"), ("add_coo",)])
def test_graphbolt_only_set_without_inner_flags(tmp_path, drop):
    """A part entry naming only the .pt file (DGL master's use_graphbolt output) reads the same,
    also when DGL was told not to store the inner flags (the default) or the COO helpers."""
    from gpf.sdk.codecs.graphbolt import read_graphbolt
    from gpf.sdk.codecs.graphbolt_writer import write_graphbolt

    root = tmp_path / "hetero"
    shutil.copytree(FIX / "hetero", root)
    cfg = json.loads((root / "hetero.json").read_text())
    for p in range(cfg["num_parts"]):
        del cfg[f"part-{p}"]["part_graph"]
        (root / f"part{p}" / "graph.dgl").unlink()
        pt = root / f"part{p}" / "fused_csc_sampling_graph.pt"
        g = read_graphbolt(pt)
        g.node_attributes = {k: np.array(v) for k, v in g.node_attributes.items() if k not in drop or k == "_ID"}
        g.edge_attributes = {k: np.array(v) for k, v in g.edge_attributes.items() if k not in drop}
        g.indptr, g.indices = np.array(g.indptr), np.array(g.indices)
        if g.type_per_edge is not None:
            g.type_per_edge = np.array(g.type_per_edge)
        if "add_coo" in drop:  # DGL's find_edges helpers: DGL local EID -> CSC position, dst per CSC edge
            dgl_eids = load_dump(FIX / "hetero" / f"part{p}" / "dgl_graph.npz")["eid"]
            pos_in_dgl = np.argsort(dgl_eids)[np.searchsorted(dgl_eids, g.edge_attributes["_ID"], sorter=np.argsort(dgl_eids))]
            g.edge_attributes["_dgl2gb_eid"] = np.argsort(pos_in_dgl).astype(np.int64)
            g.edge_attributes["_gb_dst_id"] = np.repeat(np.arange(len(g.indptr) - 1), np.diff(g.indptr))
        write_graphbolt(pt, g)
    (root / "gb.json").write_text(json.dumps(cfg))
    gb = gpf.open(root / "gb.json")
    dg = gpf.open(FIX / "hetero" / "hetero.json")
    for a, b in zip(gb, dg):
        np.testing.assert_array_equal(a.inner_node, b.inner_node)
        if "_ID" in drop:
            # store_eids=False (DGL 2.1's default): no edge IDs, so DGL's local edge order is not
            # recoverable; the edges, their types and flags are the same as a multiset.
            with pytest.raises(gpf.GpfError, match="'_ID' is missing"):
                a.global_eid
            key = lambda p: np.lexsort((p.etype_ids, p.dst, p.src, ~p.inner_edge))  # noqa: E731
            ka, kb = key(a), key(b)
            for name in ("src", "dst", "inner_edge", "etype_ids"):
                np.testing.assert_array_equal(getattr(a, name)[ka], getattr(b, name)[kb], err_msg=name)
            continue
        np.testing.assert_array_equal(a.src, b.src)
        np.testing.assert_array_equal(a.inner_edge, b.inner_edge)
        np.testing.assert_array_equal(a.global_eid, b.global_eid)
        np.testing.assert_array_equal(a.etype_ids, b.etype_ids)
        assert a.node_feats.keys() == b.node_feats.keys()
