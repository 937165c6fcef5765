"""GraphBolt output of gpf.partition / gpf convert and GraphBolt-only sets everywhere in gpf.

Real-DGL evidence for what is asserted here lives in tests/test_partition_options_oracle.py
(DGL 2.1 loads these files) and tests/fixtures/dgl2_graphbolt (files DGL 2.1 wrote).
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import gpf
from gpf.sdk.codecs.graphbolt import GraphBoltGraph, read_graphbolt
from gpf.sdk.codecs.graphbolt_writer import graphbolt_bytes, write_graphbolt_file

FIX = Path(__file__).resolve().parent / "fixtures" / "dgl2_graphbolt"
FIXTURE_PTS = sorted(FIX.glob("*/part*/fused_csc_sampling_graph.pt"))


@pytest.mark.parametrize("pt", FIXTURE_PTS, ids=lambda p: f"{p.parent.parent.name}-{p.parent.name}")
def test_writer_reproduces_dgl_files_byte_for_byte(pt):
    """The writer emits exactly what DGL 2.1's torch.save wrote (given its serialization id)."""
    raw = pt.read_bytes()
    sid = zipfile.ZipFile(pt).read("fused_csc_sampling_graph/.data/serialization_id").decode()
    assert graphbolt_bytes(read_graphbolt(pt), serialization_id=sid) == raw


def _many_attrs_graph(k: int = 120) -> GraphBoltGraph:
    rng = np.random.default_rng(5)
    n, m = 30, 90
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rng.integers(0, n, m), minlength=n))]).astype(np.int64)
    dtypes = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.float16, np.float32, np.float64, np.bool_,
              np.complex64]
    node = {f"a{i}": (rng.random((n, 2)) * 100).astype(dtypes[i % len(dtypes)]) for i in range(k)}
    return GraphBoltGraph(indptr=indptr, indices=rng.integers(0, n, m).astype(np.int32), node_attributes=node,
                          edge_attributes={"_ID": np.arange(m, dtype=np.int64), "big": np.full(m, 1 << 40)})


def test_writer_layout_many_storages(tmp_path):
    """Over 256 memo entries (LONG_BINPUT) and over 10 storages (records in string order of the key):
    the archive is a valid zip, every record's data is 64-byte aligned, and it reads back equal."""
    g = _many_attrs_graph()
    p = tmp_path / "fused_csc_sampling_graph.pt"
    write_graphbolt_file(p, g)
    with zipfile.ZipFile(p) as z:
        assert z.testzip() is None  # CRCs
        names = z.namelist()
        raw = p.read_bytes()
        for info in z.infolist():
            off = info.header_offset
            start = off + 30 + int.from_bytes(raw[off + 26:off + 28], "little") + \
                int.from_bytes(raw[off + 28:off + 30], "little")
            assert start % 64 == 0, info.filename
    keys = [n.rsplit("/", 1)[1] for n in names if "/data/" in n]
    assert keys == sorted(keys) and len(keys) > 100 and keys[:3] == ["0", "1", "10"]
    assert names[:2] == ["fused_csc_sampling_graph/data.pkl", "fused_csc_sampling_graph/byteorder"]
    assert names[-2:] == ["fused_csc_sampling_graph/version", "fused_csc_sampling_graph/.data/serialization_id"]
    back = read_graphbolt(p)
    for k, a in g.node_attributes.items():
        np.testing.assert_array_equal(back.node_attributes[k], a)
        assert back.node_attributes[k].dtype == a.dtype
    np.testing.assert_array_equal(back.edge_attributes["big"], g.edge_attributes["big"])


def test_writer_refuses_what_torch_22_cannot_hold(tmp_path):
    g = _many_attrs_graph(1)
    g.node_attributes["u"] = np.zeros(30, np.uint32)
    with pytest.raises(ValueError, match="uint32 cannot be stored"):
        write_graphbolt_file(tmp_path / "x.pt", g)
    assert not list(tmp_path.iterdir())  # no partial file


def _hetero_graph() -> gpf.Graph:
    rng = np.random.default_rng(2)
    counts = {"user": 60, "item": 40}
    edges = {("user", "buys", "item"): (rng.integers(0, 60, 300), rng.integers(0, 40, 300)),
             ("item", "rev", "user"): (rng.integers(0, 40, 200), rng.integers(0, 60, 200))}
    return gpf.Graph(counts, edges, {"user": {"feat": rng.random((60, 3)).astype(np.float32)}},
                     {("user", "buys", "item"): {"w": rng.random(300).astype(np.float32)}})


@pytest.fixture
def gb_only(tmp_path):
    """A GraphBolt-only set with DGL's default fields (no edge _ID, no inner masks)."""
    return gpf.partition(_hetero_graph(), 3, tmp_path / "s", "g", method="random", verbose=False,
                         graphbolt=True, dgl_graph=False)


def test_partition_writes_options(tmp_path):
    ps = gpf.partition(_hetero_graph(), 2, tmp_path / "s", "g", method="random", verbose=False,
                       graph_formats=["csc", "coo"], graphbolt=True, store_eids=True, store_inner_edge=True)
    cfg = json.loads(Path(ps.path).read_text())
    assert cfg["node_map_dtype"] == cfg["edge_map_dtype"] == "int64"
    assert cfg["part-1"]["part_graph_graphbolt"] == "part1/fused_csc_sampling_graph.pt"
    g = read_graphbolt(tmp_path / "s" / "part1" / "fused_csc_sampling_graph.pt")
    assert sorted(g.node_attributes) == ["_ID"] and sorted(g.edge_attributes) == ["_ID", "inner_edge"]
    assert g.indptr.dtype == g.indices.dtype == np.int32 and g.type_per_edge.dtype == np.int8
    assert g.node_type_to_id == {nt: i for i, nt in enumerate(ps.ntypes)}
    assert g.edge_type_to_id == {":".join(et): i for i, et in enumerate(ps.etypes)}
    assert g.node_type_offset is None
    a, b = gpf.open(ps.path, prefer="graphbolt"), gpf.open(ps.path)
    for x, y in zip(a, b):
        for name in ("src", "dst", "global_nid", "global_eid", "inner_node", "inner_edge", "etype_ids"):
            np.testing.assert_array_equal(getattr(x, name), getattr(y, name), err_msg=name)
    for bad, msg in (({"graph_formats": ["dense"]}, "unknown sparse format"),
                     ({"store_eids": True}, "only apply with graphbolt=True"),
                     ({"graphbolt": True, "backend": "npy"}, "options of the 'dgl' backend"),
                     ({"objtype": "edges"}, "objtype must be 'cut' or 'vol'")):
        with pytest.raises(gpf.GpfError, match=msg):
            gpf.partition(_hetero_graph(), 2, tmp_path / "bad", "g", method="random", verbose=False, **bad)


def test_graphbolt_only_set_reads_with_clear_errors(gb_only):
    part = gb_only[0]
    assert part.graph.source.endswith("fused_csc_sampling_graph.pt") and not part.has_edge_ids
    owner = gb_only.book.nid2partid(part.global_nid)
    np.testing.assert_array_equal(part.inner_node, owner == 0)  # derived from the node map
    np.testing.assert_array_equal(part.inner_edge, part.inner_node[part.dst])
    with pytest.raises(gpf.GpfError) as e:
        _ = part.global_eid
    msg = str(e.value)
    assert "fused_csc_sampling_graph.pt" in msg and "'_ID'" in msg and "store_eids" in msg and "--store-eids" in msg
    # the per-type edge feature tables still read (rows of owned edges, new-ID order)
    assert sum(p.edge_feats["user:buys:item/w"].shape[0] for p in gb_only) == 300


def test_graphbolt_only_set_validates_with_notes(gb_only, tmp_path):
    rep = gpf.validate(gb_only.path)
    assert rep.valid and not rep.errors, rep.render()
    notes = [p for p in rep.problems if p.code == "check.not_stored"]
    assert notes and all(p.severity == "info" for p in notes)
    assert "note(s) on what could not be checked" in rep.summary()
    # a wrong inner-edge count is still found without edge IDs
    pt = Path(gb_only.files(1)["part_graph_graphbolt"])
    g = read_graphbolt(pt)
    keep = np.ones(g.num_edges, bool)
    keep[0] = False
    dst = np.repeat(np.arange(g.num_nodes), np.diff(g.indptr))[keep]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(dst, minlength=g.num_nodes))]).astype(g.indptr.dtype)
    g2 = GraphBoltGraph(indptr=indptr, indices=np.asarray(g.indices)[keep], type_per_edge=np.asarray(g.type_per_edge)[keep],
                        node_type_to_id=g.node_type_to_id, edge_type_to_id=g.edge_type_to_id,
                        node_attributes={k: np.array(v) for k, v in g.node_attributes.items()})
    write_graphbolt_file(pt, g2)
    rep = gpf.validate(gb_only.path)
    assert "inner_edge.count" in rep.error_codes, rep.render()


def test_graphbolt_only_set_in_pyg_and_loaders(gb_only):
    from gpf.converters.pyg import to_pyg, to_pyg_graph
    from gpf.loader.cluster import ClusterLoader
    from gpf.loader.partition_loader import PartitionLoader

    with pytest.raises(gpf.GpfError, match="edge_features=False"):
        to_pyg_graph(gb_only)
    data = to_pyg_graph(gb_only, edge_features=False)
    src, dst = _hetero_graph().edges_dict[("user", "buys", "item")]
    ei = data["user", "buys", "item"].edge_index.numpy()
    assert sorted(zip(ei[0].tolist(), ei[1].tolist())) == sorted(zip(src.tolist(), dst.tolist()))
    np.testing.assert_array_equal(data["user"].feat.numpy(), _hetero_graph().ndata["user"]["feat"])
    batch = to_pyg([gb_only[0], gb_only[1]], edge_features=False)
    assert "e_id" not in batch["user", "buys", "item"]
    assert sum(b.edges[("user", "buys", "item")]["edge_index"].shape[1]
               for b in ClusterLoader(gb_only.path, batch_size=3)) == 300
    assert list(PartitionLoader(gb_only.path, rank=0, world_size=1))
    with pytest.raises(gpf.GpfError, match="store_eids"):
        list(PartitionLoader(gb_only.path, rank=0, world_size=1, with_edge_ids=True))


def test_convert_to_and_from_graphbolt(tmp_path):
    src = gpf.partition(_hetero_graph(), 2, tmp_path / "s", "g", method="random", verbose=False)
    gb = gpf.convert(src, tmp_path / "gb", graphbolt=True, dgl_graph=False, store_eids=True, progress=False)
    assert all("part_graph" not in gb.files(p) for p in range(2))
    back = gpf.convert(gb, tmp_path / "back", progress=False)  # GraphBolt-only -> graph.dgl
    for a, b in zip(back, src):
        for name in ("src", "dst", "global_nid", "global_eid", "inner_node", "inner_edge", "ntype_ids", "etype_ids"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
        assert {k: v.dtype for k, v in a.ndata.items()} == {k: v.dtype for k, v in b.ndata.items()}
    no_eids = gpf.convert(src, tmp_path / "ne", graphbolt=True, dgl_graph=False, progress=False)
    with pytest.raises(gpf.GpfError, match="stores no edge IDs.*graph.dgl needs"):
        gpf.convert(no_eids, tmp_path / "x", progress=False)
    with pytest.raises(gpf.GpfError, match="stores no edge IDs"):
        gpf.convert(no_eids, tmp_path / "y", to="npy", progress=False)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "gpf.cli", *map(str, args)], capture_output=True, text=True)


def test_cli_flags(tmp_path):
    g = _hetero_graph()
    src, dst = g.edges_dict[("user", "buys", "item")]
    np.savez(tmp_path / "g.npz", src=src, dst=dst, num_nodes=100)
    r = _cli("partition", tmp_path / "g.npz", tmp_path / "o", "--parts", "2", "--method", "metis", "--objtype", "vol",
             "--graph-formats", "coo,csc", "--graphbolt", "--store-eids", "--store-inner-node", "--store-inner-edge")
    assert r.returncode == 0, r.stderr
    gbf = read_graphbolt(tmp_path / "o" / "part0" / "fused_csc_sampling_graph.pt")
    assert sorted(gbf.node_attributes) == ["_ID", "inner_node"] and sorted(gbf.edge_attributes) == ["_ID", "inner_edge"]
    assert gpf.validate(tmp_path / "o" / "g.json").valid
    r = _cli("convert", tmp_path / "o" / "g.json", tmp_path / "c", "--graphbolt-only")
    assert r.returncode == 0, r.stderr
    r = _cli("convert", tmp_path / "c" / "g.json", tmp_path / "d")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "stores no edge IDs" in r.stderr, r.stderr
    r = _cli("partition", tmp_path / "g.npz", tmp_path / "e", "--parts", "2", "--objtype", "area")
    assert r.returncode == 2 and "invalid choice" in r.stderr


def test_graphbolt_only_set_in_pyg_stores(gb_only):
    from gpf.converters.pyg_stores import to_pyg_stores

    fs, gs = to_pyg_stores(gb_only)
    np.testing.assert_array_equal(fs.get_tensor(group_name="user", attr_name="feat", index=None).numpy(),
                                  _hetero_graph().ndata["user"]["feat"])
    ei = gs.get_edge_index(edge_type=("user", "buys", "item"), layout="coo")
    src, dst = _hetero_graph().edges_dict[("user", "buys", "item")]
    assert sorted(zip(ei[0].tolist(), ei[1].tolist())) == sorted(zip(src.tolist(), dst.tolist()))
    with pytest.raises(gpf.GpfError, match="store no edge IDs"):
        fs.get_tensor(group_name=("user", "buys", "item"), attr_name="w", index=None)


def test_graphbolt_only_set_info(gb_only):
    r = _cli("info", gb_only.path, "--json")
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert json.dumps(info).count("fused_csc_sampling_graph.pt") >= 1
    r = _cli("info", gb_only.path)
    assert r.returncode == 0 and "part_graph_graphbolt" in r.stdout, r.stderr
