"""METIS: the ctypes binding (gpf.native.metis), DGL's balance constraints (gpf.sdk.write.balance),
METIS's own output kept from the user, and the quality of heterogeneous partitions against real
DGL 1.1.3 METIS (tests/oracle/dgl_metis_balance.py)."""

import ctypes
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gpf
from gpf.native import metis
from gpf.native.quiet import captured_c_output
from gpf.sdk.write.balance import balance_plan, in_degrees, symmetric_csr
from gpf.sdk.write.graph import Graph
from gpf.sdk.write.partitioners import AssignmentError, assign_nodes
from tests.oracle.runner import cached_run, load_dump

ROOT = Path(__file__).resolve().parents[1]


def csr(n, src, dst):
    """Symmetric CSR without duplicates or self-loops, plain numpy (the reference)."""
    keep = src != dst
    s, d = np.concatenate([src[keep], dst[keep]]), np.concatenate([dst[keep], src[keep]])
    key = np.unique(s * n + d)
    return np.searchsorted(key // n, np.arange(n + 1)), key % n


def two_type_graph(seed=0, n=1000, m=8000, n_a=100):
    rng = np.random.default_rng(seed)
    xadj, adj = csr(n, rng.integers(0, n, m), rng.integers(0, n, m))
    typ = (np.arange(n) >= n_a).astype(np.int64)  # type A: the first n_a vertices
    return xadj, adj, np.stack([1 - typ, typ], axis=1).reshape(-1)


def balance(parts, k):
    c = np.bincount(parts, minlength=k)
    return c.max() / c.mean()


# -- the binding ---------------------------------------------------------------------------------
def test_libraries_found_with_probed_widths():
    libs = metis.libraries()
    names = {lib.name: lib for lib in libs}
    assert "cmeel-metis" in names, "the 32-bit METIS wheel (gpf[metis]) was not found"
    assert names["cmeel-metis"].idx_width == 32 and names["cmeel-metis"].idx_dtype == np.int32
    assert libs[0].name == "cmeel-metis"  # narrowest first
    if "pymetis" in names:
        assert names["pymetis"].idx_width == 64
    # option numbering differs between METIS releases: read from each library's own header / build
    assert names["cmeel-metis"].options["SEED"] == 9 and names["cmeel-metis"].options["DROPEDGES"] == 20
    assert metis.choose_library(2**31 - 1).idx_width == 32


def test_header_parse():
    text = """#define IDXTYPEWIDTH 64\n#define METIS_NOPTIONS 40\n
    typedef enum { METIS_OPTION_PTYPE, /* c */ METIS_OPTION_OBJTYPE, // x
      METIS_OPTION_SEED } moptions_et;"""
    assert metis._parse_header(text) == (64, 40, {"PTYPE": 0, "OBJTYPE": 1, "SEED": 2})
    assert metis._parse_header("nothing") == (None, None, {})


@pytest.mark.parametrize("lib", [lib.name for lib in metis.libraries()])
def test_multi_constraint_weights_reach_metis(lib):
    """Both constraint columns are balanced: the binding passes ncon = 2 (pymetis passes 1 and
    reads the first n entries of the interleaved weights as one scrambled column)."""
    library = next(x for x in metis.libraries() if x.name == lib)
    xadj, adj, vw = two_type_graph()
    part, cut = metis.part_graph(xadj, adj, 4, vwgt=vw, ncon=2, library=library)
    assert part.dtype == library.idx_dtype and part.shape == (1000,)
    assert balance(part[:100], 4) <= 1.1 and balance(part[100:], 4) <= 1.1
    # the objective METIS reports is the cut of the returned partition
    src = np.repeat(np.arange(1000), np.diff(xadj))
    assert cut == int((part[src] != part[adj]).sum()) // 2


def test_unweighted_and_vol_objective():
    xadj, adj, _ = two_type_graph(1)
    cut_part, cut = metis.part_graph(xadj, adj, 4)
    vol_part, vol = metis.part_graph(xadj, adj, 4, objtype="vol")
    assert balance(cut_part, 4) <= 1.03 + 1e-9 and balance(vol_part, 4) <= 1.03 + 1e-9
    src = np.repeat(np.arange(1000), np.diff(xadj))
    # volume: for every vertex, the number of other parts among its neighbours' parts
    pairs = np.unique(src * 4 + vol_part[adj])
    want = int(((pairs % 4) != vol_part[pairs // 4]).sum())
    assert vol == want and cut == int((cut_part[src] != cut_part[adj]).sum()) // 2


def test_same_seed_same_partition_and_no_copy_of_right_dtype():
    xadj, adj, vw = two_type_graph(2)
    x32, a32, w32 = xadj.astype(np.int32), adj.astype(np.int32), vw.astype(np.int32)
    p1, _ = metis.part_graph(x32, a32, 8, vwgt=w32, ncon=2, seed=5)
    p2, _ = metis.part_graph(xadj, adj, 8, vwgt=vw, ncon=2, seed=5)  # int64 in: copied, same answer
    assert np.array_equal(p1, p2)


def test_ondisk_runs_in_a_private_directory(monkeypatch, tmp_path):
    """METIS's ONDISK writes metis<pid>.<n> into the working directory: gpf runs it in a temporary
    one and comes back, whatever happens."""
    monkeypatch.chdir(tmp_path)
    seen = []
    real = os.chdir
    monkeypatch.setattr(os, "chdir", lambda d: (seen.append(os.fspath(d)), real(d))[1])
    xadj, adj, vw = two_type_graph(3)
    plain, _ = metis.part_graph(xadj, adj, 4, vwgt=vw, ncon=2)
    part, _ = metis.part_graph(xadj, adj, 4, vwgt=vw, ncon=2, options={"ONDISK": 1})
    assert np.array_equal(part, plain)  # (below METIS's 128 MB threshold nothing goes to disk)
    assert len(seen) == 2 and "gpf-metis-" in seen[0] and seen[1] == str(tmp_path)
    assert os.getcwd() == str(tmp_path) and not os.path.exists(seen[0]) and list(tmp_path.iterdir()) == []
    with pytest.raises(metis.MetisError):
        metis.part_graph(xadj, adj[:-1], 4, options={"ONDISK": 1})
    assert os.getcwd() == str(tmp_path)


@pytest.mark.parametrize("bad, msg", [
    (dict(xadj=np.array([0, 2, 1])), "xadj must run from 0 to len"),
    (dict(xadj=np.array([0, 3, 1, 2])), "xadj decreases at vertex 1"),
    (dict(adjncy=np.array([1, 5])), "adjncy holds vertex 5, outside 0..2"),
    (dict(vwgt=np.array([1, 1])), "vwgt has 2 entries, expected 3 vertices x 1"),
    (dict(vwgt=np.array([1, -1, 1])), "negative weight"),
    (dict(vwgt=np.array([1.0, 1.0, 1.0])), "must hold integers"),
    (dict(objtype="node"), "objtype must be one of"),
    (dict(nparts=0), "nparts must be >= 1"),
    (dict(ncon=2), "needs vertex weights"),
    (dict(vwgt=np.ones(6, int), ncon=2, ubvec=[1.1]), "ubvec has 1 entries for 2 constraints"),
])
def test_bad_input_is_one_line_metis_error(bad, msg):
    args = dict(xadj=np.array([0, 1, 2, 2]), adjncy=np.array([1, 0]), nparts=2)
    args.update(bad)
    with pytest.raises(metis.MetisError, match=msg) as e:
        metis.part_graph(args.pop("xadj"), args.pop("adjncy"), args.pop("nparts"), **args)
    assert "\n" not in str(e.value)


def test_too_large_for_every_library():
    with pytest.raises(metis.MetisError, match="exceeds the index range of every METIS library"):
        metis.choose_library(2**63)


def test_c_output_captured(capfd):
    libc = ctypes.CDLL(None)
    with captured_c_output() as out:
        libc.printf(b"***You are trying to partition a graph into too many parts!\n")
        os.write(2, b"to stderr\n")
    assert "too many parts" in out.text and "to stderr" in out.text
    assert out.last_line() == "to stderr"
    seen = capfd.readouterr()
    assert seen.out == "" and seen.err == ""
    libc.printf(b"after\n")
    libc.fflush(None)
    assert capfd.readouterr().out == "after\n"  # the descriptors are back


def test_metis_messages_never_reach_the_user(tmp_path):
    """METIS printf's "too many parts" (recursive bisection of 3 vertices into 8); the user sees
    nothing from the library, and gpf's one-line error where the request cannot be met."""
    code = ("import numpy as np; from gpf.native import metis;"
            "p, _ = metis.part_graph(np.array([0, 1, 3, 4]), np.array([1, 0, 2, 1]), 8, recursive=True);"
            "print('parts', sorted(set(p.tolist())))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "parts [3, 5, 7]\n" or r.stdout.startswith("parts ["), r.stdout
    assert "too many parts" not in r.stdout + r.stderr and "bisect" not in r.stdout + r.stderr
    np.savez(tmp_path / "g.npz", src=np.array([0, 1]), dst=np.array([1, 2]))
    r = subprocess.run([sys.executable, "-m", "gpf.cli", "partition", str(tmp_path / "g.npz"), str(tmp_path / "out"),
                        "--parts", "8"], capture_output=True, text=True)
    assert r.returncode != 0 and r.stdout == ""
    assert "too many parts" not in r.stderr and "bisect" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gpf: ") and "own no nodes" in lines[0], r.stderr
    assert not (tmp_path / "out" / "g.json").exists()


# -- METIS's input ---------------------------------------------------------------------------------
def hetero(counts, m_per_rel, seed=0):
    rng = np.random.default_rng(seed)
    names = sorted(counts)
    edges = {}
    for i, s in enumerate(names):
        for d in names[i:]:
            edges[(s, f"{s}_{d}", d)] = (rng.integers(0, counts[s], m_per_rel), rng.integers(0, counts[d], m_per_rel))
    return Graph(counts, edges)


@pytest.mark.parametrize("narrow", [True, False])
def test_symmetric_csr_both_index_widths(monkeypatch, narrow):
    g = hetero({"a": 300, "b": 50, "c": 7}, 900)
    if not narrow:
        monkeypatch.setattr("gpf.sdk.write.balance._ADJ32_MAX", 10)  # force the int64 path
    xadj, adj = symmetric_csr(g)
    assert xadj.dtype == adj.dtype == (np.int32 if narrow else np.int64)
    off = {"a": 0, "b": 300, "c": 350}
    src = np.concatenate([s + off[st] for (st, _, _), (s, _) in g.edges_dict.items()])
    dst = np.concatenate([d + off[dt] for (_, _, dt), (_, d) in g.edges_dict.items()])
    want_x, want_a = csr(357, src, dst)
    assert np.array_equal(xadj, want_x) and np.array_equal(adj, want_a)


def test_balance_plan_columns_and_weights():
    g = hetero({"a": 300, "b": 50, "c": 7}, 900)
    train = {"a": np.arange(300) % 3 == 0}
    plan = balance_plan(g, train, True, nparts=8)
    # c (7 nodes < 8 parts) cannot be balanced: counted with the largest group (a's non-training nodes)
    assert plan.columns == [
        {"weight": "nodes", "ntype": "a", "label": 0, "merged": [{"ntype": "c"}]},
        {"weight": "nodes", "ntype": "a", "label": 1}, {"weight": "nodes", "ntype": "b"},
        {"weight": "in_edges", "ntype": "a", "label": 0, "merged": [{"ntype": "c"}]},
        {"weight": "in_edges", "ntype": "a", "label": 1}, {"weight": "in_edges", "ntype": "b"}]
    w = plan.weights(g).reshape(-1, 6)
    deg = in_degrees(g)
    is_train = np.zeros(357, bool)
    is_train[:300] = train["a"]
    group = np.where(np.arange(357) < 300, np.where(is_train, 1, 0), np.where(np.arange(357) < 350, 2, 0))
    assert np.array_equal(w[:, :3], np.eye(3, dtype=np.int64)[group])
    assert np.array_equal(w[:, 3:], np.eye(3, dtype=np.int64)[group] * deg[:, None])
    tol = plan.tolerances(plan.weights(g), 8)  # a's 200 + c's 7 nodes, b's 50 nodes, a's 100 training nodes
    assert tol[:3] == pytest.approx([1 + 8 / 207, 1 + 8 / 100, 1 + 8 / 50])
    for c in range(3, 6):  # in-degree columns: at least METIS's 1.03, and above the heaviest node's share
        col = plan.weights(g)[c::6]
        assert tol[c] >= 1.03 and tol[c] > col.max() * 8 / col.sum()
    assert balance_plan(g, None, False, 2).columns == [{"weight": "nodes", "ntype": t} for t in "abc"]
    homo = Graph.homogeneous(np.array([0, 1]), np.array([1, 2]), 3)
    assert balance_plan(homo).columns == [{"weight": "nodes"}] and balance_plan(homo).weights(homo) is None
    assert balance_plan(homo, None, True).columns == [{"weight": "in_edges"}]
    assert np.array_equal(balance_plan(homo, None, True).weights(homo), [0, 1, 1])
    # an array on a heterogeneous graph: (type, label) pairs, the types stay balanced
    arr = np.concatenate([np.arange(300) % 2, np.zeros(57, int)])
    assert balance_plan(g, arr, False, 2).columns == [
        {"weight": "nodes", "ntype": "a", "label": 0}, {"weight": "nodes", "ntype": "a", "label": 1},
        {"weight": "nodes", "ntype": "b", "label": 0}, {"weight": "nodes", "ntype": "c", "label": 0}]


@pytest.mark.parametrize("bad, msg", [
    ({"x": np.zeros(3)}, r"balance_ntypes: names node type\(s\) \['x'\] the graph does not have"),
    ({"a": np.zeros(299, int)}, r"balance_ntypes\['a'\]: has 299 entries but there are 300 nodes"),
    ({"a": np.zeros((300, 2), int)}, r"balance_ntypes\['a'\]: must be a 1-D array"),
    (np.zeros(356, int), r"balance_ntypes: has 356 entries but there are 357 nodes \(one per node, node types"),
    (np.zeros(357, np.float32), "must hold integer or boolean labels"),
])
def test_bad_balance_ntypes(bad, msg):
    g = hetero({"a": 300, "b": 50, "c": 7}, 900)
    with pytest.raises(AssignmentError, match=msg) as e:
        assign_nodes(g, 4, "metis", balance_ntypes=bad)
    assert "\n" not in str(e.value)


def test_objtype_checked_and_recorded():
    g = hetero({"a": 300, "b": 50}, 900)
    with pytest.raises(AssignmentError, match="objtype must be 'cut' or 'vol', got 'node'"):
        assign_nodes(g, 4, "metis", objtype="node")
    a = assign_nodes(g, 4, "metis", objtype="vol")
    assert a.balance == {"objtype": "vol", "constraints": [{"weight": "nodes", "ntype": "a"},
                                                           {"weight": "nodes", "ntype": "b"}]}
    assert assign_nodes(g, 4, "random").balance is None


# -- balance on heterogeneous graphs (no oracle) ------------------------------------------------
@pytest.mark.parametrize("counts, parts", [
    ({"a": 800, "b": 100, "c": 1500}, 2),
    ({"a": 800, "b": 100, "c": 1500}, 4),
    ({"a": 5000, "b": 400, "c": 2500}, 8),
    ({"user": 12000, "item": 6000, "shop": 6}, 16),  # shop: fewer nodes than parts
    ({"user": 3000, "tag": 3}, 5),
])
def test_every_type_balanced(counts, parts):
    g = hetero(counts, 4 * max(counts.values()), seed=parts)
    a = assign_nodes(g, parts, "metis")
    for nt, c in counts.items():
        assert a.parts[nt].shape == (c,) and int(a.parts[nt].max()) < parts
        if c >= 10 * parts:
            assert balance(a.parts[nt], parts) <= 1.1, (nt, np.bincount(a.parts[nt], minlength=parts))


def test_train_mask_and_in_edges_balanced():
    rng = np.random.default_rng(3)
    counts = {"a": 4000, "b": 2000}
    # in-edges concentrated on few nodes: without balance_edges a part gets far more than its share
    w = rng.pareto(1.2, 4000) + 1
    edges = {("a", "r", "a"): (rng.integers(0, 4000, 30000), rng.choice(4000, 30000, p=w / w.sum())),
             ("a", "s", "b"): (rng.integers(0, 4000, 8000), rng.integers(0, 2000, 8000))}
    g = Graph(counts, edges)
    train = rng.random(4000) < 0.1
    plain = assign_nodes(g, 8, "metis")
    masked = assign_nodes(g, 8, "metis", balance_ntypes={"a": train})
    assert balance(masked.parts["a"][train], 8) <= 1.1
    assert balance(masked.parts["a"], 8) <= 1.1 and balance(masked.parts["b"], 8) <= 1.1
    indeg = lambda asg: np.bincount(asg.parts["a"], weights=in_degrees(g)[:4000], minlength=8) \
        + np.bincount(asg.parts["b"], weights=in_degrees(g)[4000:], minlength=8)  # noqa: E731
    edged = assign_nodes(g, 8, "metis", balance_edges=True)
    assert indeg(edged).max() / indeg(edged).mean() <= 1.1
    assert indeg(plain).max() / indeg(plain).mean() > indeg(edged).max() / indeg(edged).mean()


# -- the set: recorded constraints, gpf info, gpf validate ----------------------------------------
def test_constraints_recorded_shown_and_validated(tmp_path):
    g = hetero({"author": 800, "field": 100, "paper": 1500}, 3000)
    mask = np.random.default_rng(0).random(1500) < 0.2
    ps = gpf.partition(g, 4, tmp_path / "m", "h", balance_ntypes={"paper": mask}, balance_edges=True, verbose=False)
    cfg = json.loads((tmp_path / "m" / "h.json").read_text())
    assert cfg["gpf_version"] == "1.1"
    assert cfg["balance_constraints"]["objtype"] == "cut"
    assert {"weight": "in_edges", "ntype": "paper", "label": 1} in cfg["balance_constraints"]["constraints"]
    assert ps.config.balance_constraints.constraints[0].ntype == "author"
    from gpf.sdk.ops.summary import summarize

    info = summarize(ps)
    assert set(info["ntype_balance"]) == {"author", "field", "paper"}
    assert all(b <= 1.1 for b in info["ntype_balance"].values())
    assert info["balance_constraints"] == cfg["balance_constraints"]
    r = subprocess.run([sys.executable, "-m", "gpf.cli", "info", str(tmp_path / "m" / "h.json")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "type bal.  author: " in r.stdout and "in-edges of paper label 1" in r.stdout
    assert "inner author" in r.stdout.splitlines()[8]  # the per-type columns of the partition table
    rep = gpf.validate(tmp_path / "m" / "h.json")
    assert rep.exit_code == 0 and "type_range.imbalance" not in {p.code for p in rep.problems}
    vol = gpf.partition(g, 4, tmp_path / "v", "h", objtype="vol", verbose=False)  # reaches METIS, recorded
    assert vol.config.balance_constraints.objtype == "vol"

    # a usable but badly unbalanced set: a warning (exit 0), naming the type and the partition
    own = {"author": np.where(np.arange(800) < 500, 0, np.arange(800) % 4),  # part 0 gets ~2.3x its share
           "field": np.arange(100) % 4, "paper": np.arange(1500) % 4}
    gpf.partition(g, 4, tmp_path / "u", "h", method=own, verbose=False)
    rep = gpf.validate(tmp_path / "u" / "h.json")
    warn = [p for p in rep.problems if p.code == "type_range.imbalance"]
    assert rep.exit_code == 0 and len(warn) == 1 and warn[0].severity == "warning"
    assert "node type 'author': partition 0 owns 575" in warn[0].message
    # field has 25 nodes a partition: below the 100-node floor, never warned about
    own["field"] = np.zeros(100, int)
    own["author"] = np.arange(800) % 4
    gpf.partition(g, 4, tmp_path / "f", "h", method=own, verbose=False)
    assert "type_range.imbalance" not in {p.code for p in gpf.validate(tmp_path / "f" / "h.json").problems}
    # random owners at >= 100 nodes a partition stay far under 1.5x
    gpf.partition(g, 4, tmp_path / "r", "h", method="random", verbose=False)
    assert "type_range.imbalance" not in {p.code for p in gpf.validate(tmp_path / "r" / "h.json").problems}


# -- reproducible output ------------------------------------------------------------------------
REPRO = """
import sys, numpy as np, torch
from torch_geometric.data import Data, HeteroData
import gpf
from gpf.converters.pyg import from_pyg
out, reverse = sys.argv[1], sys.argv[2] == "1"
rng = np.random.default_rng(0)
n, m = 300, 1500
attrs = [("x", torch.from_numpy(rng.standard_normal((n, 4), dtype=np.float32))),
         ("y", torch.from_numpy(rng.integers(0, 5, n))),
         ("train_mask", torch.from_numpy(rng.random(n) < 0.3)),
         ("edge_weight", torch.from_numpy(rng.random(m).astype(np.float32))),
         ("edge_attr", torch.from_numpy(rng.standard_normal((m, 2), dtype=np.float32)))]
if reverse:
    attrs = attrs[::-1]
d = Data(edge_index=torch.from_numpy(rng.integers(0, n, (2, m))), num_nodes=n)
for k, v in attrs:
    d[k] = v
gpf.partition(from_pyg(d), 4, out + "/homo", "g", verbose=False)
h = HeteroData()
h["paper"].num_nodes = 200
h["author"].num_nodes = 120
h["paper", "cites", "paper"].edge_index = torch.from_numpy(rng.integers(0, 200, (2, 900)))
h["author", "writes", "paper"].edge_index = torch.stack([torch.from_numpy(rng.integers(0, 120, 700)),
                                                         torch.from_numpy(rng.integers(0, 200, 700))])
feats = [("x", rng.standard_normal((200, 3), dtype=np.float32)), ("year", rng.integers(1990, 2024, 200)),
         ("train_mask", rng.random(200) < 0.2)]
for k, v in (feats[::-1] if reverse else feats):
    h["paper"][k] = torch.from_numpy(v)
h["author"].x = torch.from_numpy(rng.standard_normal((120, 2), dtype=np.float32))
gpf.partition(from_pyg(h), 3, out + "/hetero", "h", balance_ntypes={"paper": h["paper"].train_mask.numpy()},
              verbose=False)
"""


def test_output_identical_across_hash_seeds_and_attribute_order(tmp_path):
    outs = []
    for seed, reverse in (("1", "0"), ("4242", "1")):
        out = tmp_path / f"s{seed}"
        env = dict(os.environ, PYTHONHASHSEED=seed)
        r = subprocess.run([sys.executable, "-c", REPRO, str(out), reverse], capture_output=True, text=True, env=env)
        assert r.returncode == 0, r.stderr
        outs.append(out)
    files = sorted(p.relative_to(outs[0]) for p in outs[0].rglob("*") if p.is_file())
    assert len(files) >= 2 * (4 + 3) and files == sorted(p.relative_to(outs[1]) for p in outs[1].rglob("*") if p.is_file())
    for f in files:
        assert (outs[0] / f).read_bytes() == (outs[1] / f).read_bytes(), f


# -- against real DGL 1.1.3 METIS --------------------------------------------------------------
ORACLE_CASES = ["apf_p2", "apf_p4", "apf_p8", "apf_p16", "mid_p4", "mid_p16", "big_p8", "big_p16",
                "apf_p4_train", "mid_p8_train", "apf_p4_edges", "mid_p8_edges"]


@pytest.fixture(scope="module")
def dgl_metis() -> Path:
    return cached_run("dgl_metis_balance.py")


def _load_case(out: Path, case: str):
    meta = json.loads((out / "cases.json").read_text())[case]
    d = load_dump(out / f"{case}.npz")
    counts = {k[6:]: int(v) for k, v in d.items() if k.startswith("count:")}
    edges = {tuple(k[4:].split(":")): (d[k], d["dst:" + k[4:]]) for k in d if k.startswith("src:")}
    return meta, d, Graph(counts, edges)


def _cut(g, parts):
    return sum(int((parts[s][a] != parts[d][b]).sum()) for (s, _, d), (a, b) in g.edges_dict.items())


def _in_edge_balance(g, parts, k):
    load = sum(np.bincount(parts[d][b], minlength=k) for (_, _, d), (_, b) in g.edges_dict.items())
    return load.max() / load.mean()


@pytest.mark.oracle
@pytest.mark.parametrize("case", ORACLE_CASES)
def test_balance_and_cut_against_dgl(dgl_metis, case):
    meta, d, g = _load_case(dgl_metis, case)
    k, runs = meta["parts"], meta["runs"]
    train = {nt: d[f"train:{nt}"] for nt in g.ntypes}
    kw = {"balance_edges": meta["balance_edges"]}
    if meta["balance_ntypes"] == "train":
        kw["balance_ntypes"] = {nt: train[nt].astype(np.int64) for nt in g.ntypes}
    ours = assign_nodes(g, k, "metis", **kw).parts
    dgl = [{nt: d[f"part:{r}:{nt}"] for nt in g.ntypes} for r in range(runs)]  # DGL varies run to run
    med = lambda f: float(np.median([f(p) for p in dgl]))  # noqa: E731

    for nt in g.ntypes:
        n = g.num_nodes(nt)
        mine = balance(ours[nt], k)
        if n >= 10 * k:
            assert mine <= 1.1, (nt, mine)
        if n >= k:  # a type with fewer nodes than parts cannot be balanced at all
            assert mine <= med(lambda p, nt=nt: balance(p[nt], k)) + 0.05, (nt, mine)
    if meta["balance_ntypes"] == "train":  # the training nodes of each type, balanced
        for nt in g.ntypes:
            sel = train[nt]
            if sel.sum() >= 10 * k:
                assert balance(ours[nt][sel], k) <= 1.1, nt
            if sel.sum() >= k:
                assert balance(ours[nt][sel], k) <= med(lambda p, nt=nt, sel=sel: balance(p[nt][sel], k)) + 0.05, nt
    if meta["balance_edges"]:
        mine = _in_edge_balance(g, ours, k)
        assert mine <= 1.1 and mine <= med(lambda p: _in_edge_balance(g, p, k)) + 0.05
        free = assign_nodes(g, k, "metis").parts
        assert mine < _in_edge_balance(g, free, k)

    # The cut: against DGL's, or, where a type has fewer nodes than parts (DGL then lets every
    # type drift as far out of balance as that one), against DGL on the constraints it can meet.
    ref = [{nt: d[f"ref_part:{r}:{nt}"] for nt in g.ntypes} for r in range(runs)] \
        if f"ref_part:0:{g.ntypes[0]}" in d else dgl
    want = float(np.median([_cut(g, p) for p in ref]))
    assert _cut(g, ours) <= 1.1 * want, (_cut(g, ours), want)
