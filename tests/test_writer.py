"""gpf.partition without DGL: input checks, assignment, reshuffle, HALO (any hops),
atomicity, original-ID helpers, re-partitioning, the chunked input format and the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gpf
from gpf.errors import GpfError
from gpf.sdk.write.graph import Graph, GraphError
from gpf.sdk.write.inputs import load_graph
from gpf.sdk.write.partitioners import AssignmentError, assign_nodes, symmetric_csr
from gpf.sdk.write.reshuffle import reshuffle
from tests.helpers.marks import extra
from tests.helpers.writer import halo_reference, make_hetero, make_homo, save_parquet, write_chunked

ROOT = Path(__file__).resolve().parents[1]
GPF = [sys.executable, "-m", "gpf.cli"]


def _part(g, P, out, name="g", **kw):
    kw.setdefault("verbose", False)
    return gpf.partition(g, P, out, name, **kw)


# -- gpf.Graph ---------------------------------------------------------------------------------
@pytest.mark.parametrize("build, msg", [
    (lambda: Graph.homogeneous([0, 1], [1, 5], 3), r"dst\[1\] = 5 is out of range"),
    (lambda: Graph.homogeneous([0, -1], [1, 0], 3), r"src\[1\] = -1"),
    (lambda: Graph.homogeneous([0, 1], [1], 3), "src has 2 IDs but dst has 1"),
    (lambda: Graph.homogeneous([0.5], [1], 3), "must hold integers"),
    (lambda: Graph.homogeneous([0], [1], 3, ndata={"a/b": np.zeros(3)}), "must not contain '/'"),
    (lambda: Graph.homogeneous([0], [1], 3, ndata={"_ID": np.zeros(3)}), "reserved"),
    (lambda: Graph.homogeneous([0], [1], 3, ndata={"x": np.zeros(4)}), r"expected 3 rows"),
    (lambda: Graph.homogeneous([0], [1], 3, edata={"x": np.zeros(2)}), r"expected 1 rows"),
    (lambda: Graph.homogeneous([0], [1], 3, ndata={"s": np.array(["a", "b", "c"])}), "only bool, int"),
    (lambda: Graph({"a": 2}, {("a", "r", "b"): ([0], [0])}), "destination node type 'b'"),
    (lambda: Graph({"a:x": 2}, {("a:x", "r", "a:x"): ([0], [0])}), "must not contain ':'"),
    (lambda: Graph({"a": 2}, {"a:r": ([0], [0])}), "three names"),
    (lambda: Graph({"a": -1}, {("a", "r", "a"): ([], [])}), "non-negative"),
])
def test_graph_checks(build, msg):
    with pytest.raises(GraphError, match=msg):
        build()


def test_graph_types_sorted_like_dgl():
    g = make_hetero()
    assert g.ntypes == sorted(g.ntypes)
    assert g.canonical_etypes == sorted(g.canonical_etypes)
    assert not g.is_homogeneous and make_homo().is_homogeneous
    assert Graph.homogeneous([0, 1], [2, 0]).num_nodes() == 3


def test_graph_from_npz(tmp_path):
    p = tmp_path / "g.npz"
    np.savez(p, src=np.array([0, 1]), dst=np.array([1, 2]), **{"node:x": np.ones((4, 2)), "edge:w": np.ones(2)})
    g = Graph.from_npz(p)
    assert g.num_nodes() == 4 and g.num_edges() == 2 and set(g.ndata["_N"]) == {"x"}
    np.savez(p, src=np.array([0]), dst=np.array([1]), other=np.ones(1))
    with pytest.raises(GraphError, match="unexpected array 'other'"):
        Graph.from_npz(p)
    np.savez(p, src=np.array([0]))
    with pytest.raises(GraphError, match="missing array 'dst'"):
        Graph.from_npz(p)


# -- assignment ----------------------------------------------------------------------------------
def test_random_is_seeded():
    g = make_homo()
    a = assign_nodes(g, 4, "random", seed=1).parts["_N"]
    b = assign_nodes(g, 4, "random", seed=1).parts["_N"]
    c = assign_nodes(g, 4, "random", seed=2).parts["_N"]
    assert np.array_equal(a, b) and not np.array_equal(a, c) and a.max() == 3


@pytest.mark.parametrize("given, msg", [
    (np.zeros(5, int), "has 5 entries but there are 160 nodes"),
    (np.full(160, 4), r"\[0\] = 4 is not a partition ID in 0..3"),
    (np.zeros(160), "integer partition IDs"),
])
def test_given_assignment_checks(given, msg):
    with pytest.raises(AssignmentError, match=msg):
        assign_nodes(make_homo(), 4, given)


def test_given_dict_checks():
    g = make_hetero()
    with pytest.raises(AssignmentError, match="no array for node type"):
        assign_nodes(g, 2, {"user": np.zeros(70, int)})
    with pytest.raises(AssignmentError, match="does not have"):
        assign_nodes(g, 2, {nt: np.zeros(g.num_nodes(nt), int) for nt in g.ntypes} | {"x": np.zeros(1, int)})
    with pytest.raises(AssignmentError, match="unknown partition method"):
        assign_nodes(g, 2, "kmeans")


def test_symmetric_csr_matches_sets():
    g = make_hetero()
    xadj, adj = symmetric_csr(g)
    off, o = {}, 0
    for nt in g.ntypes:
        off[nt], o = o, o + g.num_nodes(nt)
    want = set()
    for (s, _, d), (src, dst) in g.edges_dict.items():
        for u, v in zip(src + off[s], dst + off[d]):
            if u != v:
                want |= {(int(u), int(v)), (int(v), int(u))}
    got = {(u, int(v)) for u in range(o) for v in adj[xadj[u]: xadj[u + 1]]}
    assert got == want and len(adj) == len(want)


@pytest.mark.extra("metis")
def test_metis_balances_node_types():
    rng = np.random.default_rng(0)
    counts = {"a": 3000, "b": 600}
    edges = {("a", "r", "a"): (rng.integers(0, 3000, 12000), rng.integers(0, 3000, 12000)),
             ("a", "s", "b"): (rng.integers(0, 3000, 3000), rng.integers(0, 600, 3000))}
    g = Graph(counts, edges)
    for kw in ({}, {"balance_edges": True}, {"balance_ntypes": {"b": np.arange(600) % 2}}):
        a = assign_nodes(g, 4, "metis", **kw)
        for nt in counts:  # a heterogeneous graph is balanced per node type by default, as in DGL
            c = np.bincount(a.parts[nt], minlength=4)
            assert c.max() < 1.25 * c.mean(), (kw, nt, c)
    # Labels are names of groups: any integers, or a boolean mask, give the same constraints.
    same = assign_nodes(g, 4, "metis", balance_ntypes={"b": np.arange(600) % 2})
    for labels in (np.arange(600) % 2 + 1, np.arange(600) % 2 == 1):
        other = assign_nodes(g, 4, "metis", balance_ntypes={"b": labels})
        assert all(np.array_equal(other.parts[nt], same.parts[nt]) for nt in counts)
    with pytest.raises(AssignmentError, match=r"balance_ntypes\['b'\]: must hold integer or boolean labels"):
        assign_nodes(g, 4, "metis", balance_ntypes={"b": np.zeros(600)})
    # A heterogeneous graph's METIS cut beats random on a clustered graph.
    n, rng = 400, np.random.default_rng(0)
    src = rng.integers(0, n, 3000)
    dst = (src // 100) * 100 + rng.integers(0, 100, 3000)
    h = Graph.homogeneous(src, dst, n)
    cut = lambda p: int((p[src] != p[dst]).sum())  # noqa: E731
    assert cut(assign_nodes(h, 4, "metis").parts["_N"]) < cut(assign_nodes(h, 4, "random").parts["_N"]) / 2


@pytest.mark.extra("metis")
def test_trainer_groups():
    g = make_homo()
    for method in ("metis", "random", np.arange(160) % 2):
        a = assign_nodes(g, 2, method, num_trainers_per_machine=3)
        assert np.array_equal(a.trainers["_N"] // 3, a.parts["_N"]) and a.trainers["_N"].max() <= 5


# -- reshuffle -----------------------------------------------------------------------------------
def test_reshuffle_layout():
    g = make_hetero()
    a = assign_nodes(g, 3, "random", seed=4)
    rs = reshuffle(g, a)
    flat = [tuple(rs.node_ranges[t, p]) for p in range(3) for t in range(len(g.ntypes))]
    assert flat[0][0] == 0 and all(x[1] == y[0] for x, y in zip(flat, flat[1:])) and flat[-1][1] == g.num_nodes()
    for t, nt in enumerate(g.ntypes):
        o = rs.orig_nids[nt]
        for p in range(3):
            blk = rs.owned_orig_nids(nt, p)
            assert (a.parts[nt][blk] == p).all() and np.all(np.diff(blk) > 0)  # stable
        assert np.array_equal(np.sort(rs.node_hid[nt]), np.sort(np.concatenate(
            [np.arange(*rs.node_ranges[t, p]) for p in range(3)])))
        assert np.array_equal(rs.node_hid[nt][o], np.concatenate([np.arange(*rs.node_ranges[t, p]) for p in range(3)]))
    for r, et in enumerate(g.canonical_etypes):
        src, dst = g.edges_dict[et]
        for p in range(3):
            blk = rs.owned_orig_eids(et, p)
            assert (a.parts[et[2]][dst[blk]] == p).all() and np.all(np.diff(blk) > 0)
            s, e = rs.edge_ranges[r, p]
            assert np.array_equal(rs.edge_src[s:e], rs.node_hid[et[0]][src[blk]])
            assert np.array_equal(rs.edge_dst[s:e], rs.node_hid[et[2]][dst[blk]])


# -- HALO for any hops (gpf reader; DGL checks hops 1 and 2 in test_writer_oracle) --------------------
@pytest.mark.parametrize("hops", [1, 2, 3])
@pytest.mark.parametrize("kind", ["homo", "hetero"])
def test_halo_rule_any_hops(tmp_path, hops, kind):
    g = make_homo() if kind == "homo" else make_hetero()
    ps = _part(g, 3, tmp_path, method="random", halo_hops=hops, seed=hops)
    owner = {nt: np.empty(g.num_nodes(nt), np.int64) for nt in g.ntypes}
    for p in range(3):
        for t, nt in enumerate(ps.ntypes):
            s, e = ps.book.nodes.ranges[t, p]
            owner[nt][ps.to_original(nt, ps.book.nodes.to_per_type(np.arange(s, e))[1])] = p
    ref = halo_reference(g, owner, 3, hops)
    for p, part in enumerate(ps):
        t, per = ps.book.nodes.to_per_type(part.global_nid)
        nodes = {(ps.ntypes[ti], int(ps.to_original(ps.ntypes[ti], [pi])[0])) for ti, pi in zip(t, per)}
        r, pe = ps.book.edges.to_per_type(part.global_eid)
        keys = [":".join(e) for e in ps.etypes]
        edges = {(keys[ri], int(ps.to_original(keys[ri], [x])[0])) for ri, x in zip(r, pe)}
        assert nodes == ref[p][1] and edges == ref[p][2]
        # HALO nodes: hop by hop, each hop ascending.
        assert part.inner_node[: part.num_inner_nodes].all() and not part.inner_node[part.num_inner_nodes:].any()


# -- edge cases ---------------------------------------------------------------------------------------
def test_one_partition_and_tiny_types(tmp_path):
    g = make_hetero()
    ps = _part(g, 1, tmp_path / "one", method="random")
    p0 = ps.partition(0)
    assert p0.inner_node.all() and p0.inner_edge.all() and "_TYPE" in p0.ndata and "part_id" not in p0.ndata
    assert np.array_equal(p0.global_nid, np.arange(g.num_nodes()))
    ps = _part(g, 4, tmp_path / "four", method="random", seed=1)  # 'tag' has 2 nodes for 4 parts
    ranges = ps.config.node_map["tag"]
    assert sum(e - s for s, e in ranges) == 2 and any(s == e for s, e in ranges)
    assert ps.config.edge_map["item:bought_by:user"] == [(x, x) for x, _ in ps.config.edge_map["item:bought_by:user"]]


def test_empty_partition_is_refused_before_writing(tmp_path):
    g = make_homo()
    with pytest.raises(GpfError, match="partition 2 would own no nodes"):
        _part(g, 3, tmp_path / "o", method=np.arange(160) % 2)
    assert not (tmp_path / "o").exists()


def test_existing_config_and_overwrite(tmp_path):
    g = make_homo()
    _part(g, 2, tmp_path, method="random")
    with pytest.raises(GpfError, match="already exists"):
        _part(g, 2, tmp_path, method="random")
    ps = _part(g, 3, tmp_path, method="random", overwrite=True)
    assert ps.num_parts == 3


@pytest.mark.parametrize("kw, msg", [
    ({"halo_hops": 0}, "halo_hops must be an integer >= 1"),
    ({"backend": "parquet"}, "backend 'parquet' is not supported"),
    ({"num_parts": 0}, "num_parts must be a positive integer"),
])
def test_bad_arguments(tmp_path, kw, msg):
    args = {"num_parts": 2, **kw}
    P = args.pop("num_parts")
    with pytest.raises(GpfError, match=msg):
        _part(make_homo(), P, tmp_path, **args)


@pytest.mark.parametrize("name", ["", "a/b", ".hidden", ".."])
def test_bad_graph_name(tmp_path, name):
    with pytest.raises(GpfError, match="graph_name"):
        _part(make_homo(), 2, tmp_path, name=name)


def test_trainer_id_name_clash(tmp_path):
    g = Graph.homogeneous([0, 1], [1, 0], 2, ndata={"trainer_id": np.zeros(2)})
    with pytest.raises(GraphError, match="trainer_id"):
        _part(g, 1, tmp_path, method="random", num_trainers_per_machine=2)


def test_interrupted_write_leaves_no_config(tmp_path, monkeypatch):
    import gpf.sdk.codecs.dgl_graph as dg

    calls = {"n": 0}
    real = dg.write_graphs

    def flaky(*a, **k):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        return real(*a, **k)

    g = make_homo()
    _part(g, 2, tmp_path, method="random")  # an older set with the same name
    monkeypatch.setattr(dg, "write_graphs", flaky)
    with pytest.raises(OSError, match="disk full"):
        _part(g, 3, tmp_path, method="random", overwrite=True)
    assert not (tmp_path / "g.json").exists()
    assert not [f for f in os.listdir(tmp_path / "part1") if f.endswith(".tmp")]


# -- original IDs ---------------------------------------------------------------------------------------
@pytest.mark.extra("metis")
def test_to_and_from_original(tmp_path):
    g = make_hetero()
    ps = _part(g, 3, tmp_path, method="metis")
    for nt in g.ntypes:
        new = np.arange(g.num_nodes(nt))
        orig = ps.to_original(nt, new)
        assert np.array_equal(ps.from_original(nt, orig), new)
        assert np.array_equal(orig, ps.orig_nids(nt))
    et = ("user", "buys", "item")
    o = ps.to_original(et, np.arange(g.num_edges(et)))
    assert np.array_equal(ps.from_original("user:buys:item", o), np.arange(g.num_edges(et)))
    with pytest.raises(KeyError):
        ps.to_original("nope", [0])
    with pytest.raises(IndexError):
        ps.from_original("user", [70])


# -- re-partitioning and inputs --------------------------------------------------------------------------
def _same_graph(a: Graph, b: Graph):
    assert a.num_nodes_dict == b.num_nodes_dict and a.canonical_etypes == b.canonical_etypes
    for et in a.canonical_etypes:
        assert all(np.array_equal(x, y) for x, y in zip(a.edges_dict[et], b.edges_dict[et])), et
        assert set(a.edata[et]) == set(b.edata[et])
        for k, v in a.edata[et].items():
            assert np.array_equal(v, b.edata[et][k]), (et, k)
    for nt in a.ntypes:
        assert set(a.ndata[nt]) == set(b.ndata[nt])
        for k, v in a.ndata[nt].items():
            w = b.ndata[nt][k]
            assert np.array_equal(v.astype(w.dtype) if v.dtype == bool else v, w), (nt, k)


@pytest.mark.parametrize("kind", ["homo", "hetero"])
@pytest.mark.extra("metis")
def test_repartition_rebuilds_the_input(tmp_path, kind):
    g = make_homo() if kind == "homo" else make_hetero()
    ps = _part(g, 3, tmp_path / "a", method="random", halo_hops=2)
    _same_graph(g, load_graph(ps.path))
    ps2 = _part(load_graph(ps.path), 2, tmp_path / "b", method="metis")
    _same_graph(g, load_graph(ps2.path))


@pytest.mark.parametrize("fmt", ["csv", "numpy", pytest.param("parquet", marks=extra("parquet")),
                                 pytest.param("zarr", marks=extra("zarr"))])
def test_chunked_input(tmp_path, fmt):
    g = make_hetero()
    root = write_chunked(tmp_path / "in", g, fmt)
    _same_graph(g, load_graph(root))
    meta = json.loads((root / "metadata.json").read_text())
    meta["num_edges_per_chunk"][0] = [1, 1]
    (root / "metadata.json").write_text(json.dumps(meta))
    with pytest.raises(GraphError, match="num_edges_per_chunk says 2"):
        load_graph(root)


@pytest.mark.extra("parquet")
def test_chunked_parquet_forms(tmp_path):
    """DGL's parquet reader rules: no shape metadata -> 2-D (rows, columns); one list column per row ->
    2-D; shape metadata reshapes (3-D included); a shape that does not fit, nulls, text and ragged vectors
    are refused with the file named."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    g = make_homo()
    root = write_chunked(tmp_path / "in", g, "parquet")
    meta = json.loads((root / "metadata.json").read_text())
    n = g.num_nodes("_N")
    feat = np.random.default_rng(1).standard_normal((n, 2, 3)).astype(np.float32)
    save_parquet(root / "f3.parquet", feat)
    save_parquet(root / "noshape.parquet", g.ndata["_N"]["label"], shape=False)
    save_parquet(root / "vec.parquet", g.ndata["_N"]["feat"], vector_rows=True)
    node_data = meta["node_data"]["_N"]
    for name, f in [("f3", "f3.parquet"), ("noshape", "noshape.parquet"), ("vec", "vec.parquet")]:
        node_data[name] = {"format": {"name": "parquet"}, "data": [f]}
    (root / "metadata.json").write_text(json.dumps(meta))
    got = load_graph(root).ndata["_N"]
    assert np.array_equal(got["f3"], feat)
    assert np.array_equal(got["noshape"], g.ndata["_N"]["label"][:, None])
    assert np.array_equal(got["vec"], g.ndata["_N"]["feat"])
    assert np.array_equal(got["feat"], g.ndata["_N"]["feat"]) and got["train_mask"].dtype == bool

    def broken(table, msg):
        pq.write_table(table, root / "bad.parquet")
        node_data["bad"] = {"format": {"name": "parquet"}, "data": ["bad.parquet"]}
        (root / "metadata.json").write_text(json.dumps(meta))
        with pytest.raises(GraphError, match=msg) as err:
            load_graph(root)
        assert "bad.parquet" in str(err.value)

    col = pa.array(np.arange(n, dtype=np.int64))
    broken(pa.table([col], names=["x"]).replace_schema_metadata({"shape": f"({n}, 2)"}), r"does not fit")
    broken(pa.table([col], names=["x"]).replace_schema_metadata({"shape": "__import__('os')"}), r"bad 'shape' metadata")
    broken(pa.table([pa.array([1.0, None] * (n // 2))], names=["x"]), r"null values")
    broken(pa.table([pa.array(["a"] * n)], names=["x"]), r"not numeric")
    broken(pa.table([pa.array([[1, 2]] * (n - 1) + [[1]])], names=["v"]), r"vector rows differ in length")


@pytest.mark.extra("zarr")
def test_chunked_zarr_chunks_by_url(tmp_path):
    """A chunk may be a Zarr array at an fsspec URL; a missing or non-numeric array is named in the error."""
    import zarr

    g = make_homo()
    root = write_chunked(tmp_path / "in", g, "zarr")
    meta = json.loads((root / "metadata.json").read_text())
    n = g.num_nodes("_N")
    url = "memory://gpf-test-chunks/score.zarr"
    zarr.create_array(url, shape=(n,), dtype="float32", chunks=(32,), zarr_format=3)[...] = np.arange(n, dtype=np.float32)
    meta["node_data"]["_N"]["score"] = {"format": {"name": "zarr"}, "data": [url]}
    (root / "metadata.json").write_text(json.dumps(meta))
    got = load_graph(root).ndata["_N"]
    assert np.array_equal(got["score"], np.arange(n, dtype=np.float32))
    assert np.array_equal(got["feat"], g.ndata["_N"]["feat"])
    meta["node_data"]["_N"]["score"]["data"] = ["missing.zarr"]
    (root / "metadata.json").write_text(json.dumps(meta))
    with pytest.raises(GraphError, match=r"\['score'\]: missing.zarr: not a readable Zarr array"):
        load_graph(root)


# -- CLI ------------------------------------------------------------------------------------------------
def _cli(*args):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    return subprocess.run([*GPF, *map(str, args)], capture_output=True, text=True, env=env)


def test_cli_partition_npz(tmp_path):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "g.npz", src=rng.integers(0, 50, 200), dst=rng.integers(0, 50, 200), num_nodes=60,
             **{"node:feat": rng.random((60, 3)).astype(np.float32), "edge:w": rng.random(200)})
    r = _cli("partition", tmp_path / "g.npz", tmp_path / "out", "--parts", 3, "--method", "random", "--seed", 1)
    assert r.returncode == 0, r.stderr
    assert "edge cut" in r.stdout and "balance" in r.stdout
    ps = gpf.open(tmp_path / "out" / "g.json")
    assert ps.num_parts == 3 and ps.num_nodes == 60 and ps.config.part_method == "random"
    assert set(ps.partition(0).node_feats) == {"_N/feat"}
    np.save(tmp_path / "a.npy", np.arange(60) % 2)
    r = _cli("partition", tmp_path / "g.npz", tmp_path / "out2", "--parts", 2, "--assignment", tmp_path / "a.npy",
             "--halo-hops", 2, "--name", "given")
    assert r.returncode == 0, r.stderr
    ps = gpf.open(tmp_path / "out2" / "given.json")
    assert np.array_equal(np.bincount(ps.to_original("_N", np.arange(60)) % 2), [30, 30])
    assert np.array_equal(ps.to_original("_N", np.arange(30)) % 2, np.zeros(30))


@pytest.mark.parametrize("args, msg", [
    (["missing.npz", "out", "--parts", "2"], "no such file"),
    (["a.npy", "out", "--parts", "2"], "unknown input"),
    (["g.npz", "out", "--parts", "2", "--assignment", "a.npy"], "has 3 entries but there are 4 nodes"),
    (["g.npz", "out", "--parts", "0"], "num_parts must be a positive integer"),
    (["bad.npz", "out", "--parts", "2"], r"dst\[0\] = 9 is out of range"),
])
def test_cli_errors_are_one_line_exit_2(tmp_path, args, msg):
    np.savez(tmp_path / "g.npz", src=np.array([0, 1]), dst=np.array([1, 3]))
    np.savez(tmp_path / "bad.npz", src=np.array([0]), dst=np.array([9]), num_nodes=3)
    np.save(tmp_path / "a.npy", np.zeros(3, int))
    r = subprocess.run([*GPF, "partition", *args], capture_output=True, text=True, cwd=tmp_path,
                       env=dict(os.environ, PYTHONPATH=str(ROOT / "src")))
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gpf: error:"), r.stderr
    assert __import__("re").search(msg, lines[0]), lines[0]
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("*.json"))


@pytest.mark.extra("metis")
def test_cli_partition_chunked_dir_uses_its_graph_name(tmp_path):
    g = make_hetero()
    root = write_chunked(tmp_path / "in", g, "csv")
    r = _cli("partition", root, tmp_path / "out", "--parts", 2, "--method", "metis", "--num-trainers", 2)
    assert r.returncode == 0, r.stderr
    ps = gpf.open(tmp_path / "out" / "chunky.json")
    assert ps.ntypes == g.ntypes and "user/trainer_id" in ps.partition(0).node_feats
    _same_graph(g, load_graph(ps.path))


def test_writer_turns_hugepage_advice_off_only_while_it_runs(tmp_path, monkeypatch):
    from gpf.sdk import memory

    seen = []
    real = memory._set_numpy_hugepage
    monkeypatch.setattr(memory, "_set_numpy_hugepage", lambda on: seen.append(on) or real(on))
    before = real(True)
    _part(make_homo(), 2, tmp_path / "o", method="random")
    assert seen == [False, True] and real(before) is True  # off for the run, then the caller's setting back
