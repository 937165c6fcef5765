"""`gpf validate`: every valid set passes, every defect of the corpus gets its exact code and exit status.

The corpus mutates, at test time, real DGL 1.1.3 output (the ``dgl_sets`` fixture) and sets written
by ``gpf.partition``; each defect names the problem codes the validator must report (errors) and the
exit status of ``gpf validate``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

import gpf
from gpf.cli import main
from gpf.validators.report import CODES
from tests.helpers.cases import DGL_CASES
from tests.helpers.defects import (
    MutableGraph,
    copy_set,
    edit_config,
    edit_graph,
    edit_tensors,
    flip_byte,
    set_stored_index,
    truncate,
)
from tests.helpers.marks import extra
from tests.helpers.writer import make_hetero, make_homo

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "dgl2_graphbolt"


# -- sets ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def gpf_sets(tmp_path_factory) -> dict[str, Path]:
    """Sets written by gpf.partition (with original-ID maps), one folder each, plus the input .npz."""
    root = tmp_path_factory.mktemp("gpf_sets")
    out = {}
    g = make_homo(seed=3)
    gpf.partition(g, 3, root / "homo", "homo", method="random", halo_hops=1, verbose=False)
    out["homo"] = root / "homo"
    gpf.partition(make_hetero(seed=4), 3, root / "hetero", "hetero", method="random", halo_hops=2, verbose=False)
    out["hetero"] = root / "hetero"
    src, dst = g.edges()
    np.savez(root / "homo_input.npz", src=src, dst=dst, num_nodes=np.int64(g.num_nodes()),
             **{f"node:{k}": v for k, v in g.ndata["_N"].items()},
             **{f"edge:{k}": v for k, v in g.edata[("_N", "_E", "_N")].items()})
    out["homo_input"] = root / "homo_input.npz"
    return out


def _base(name: str, dgl_sets: Path, gpf_sets: dict) -> Path:
    kind, case = name.split(":")
    return dgl_sets / case if kind == "dgl" else gpf_sets[case]


def run_validate(capsys, *args) -> tuple[int, dict]:
    code = main(["validate", *map(str, args), "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def error_codes(doc: dict) -> set[str]:
    return {p["code"] for p in doc["problems"] if p["severity"] == "error"}


# -- valid inputs ---------------------------------------------------------------------------------------
@pytest.mark.oracle
@pytest.mark.parametrize("case", DGL_CASES)
def test_real_dgl_sets_are_valid(dgl_sets, case, capsys):
    code, doc = run_validate(capsys, dgl_sets / case / f"{case}.json")
    assert code == 0 and doc["valid"], doc["problems"]
    assert error_codes(doc) == set()
    assert doc["checked"]["partitions"] >= 1 and doc["checked"]["edges read"] > 0


@pytest.mark.parametrize("case", ["homo", "hetero"])
@pytest.mark.parametrize("prefer", ["dgl", "graphbolt"])
def test_dgl2_graphbolt_fixtures_are_valid(case, prefer):
    rep = gpf.validate(FIXTURES / case / f"{case}.json", prefer=prefer)
    assert rep.exit_code == 0, rep.problems
    assert rep.checked["edges read"] > 0


@pytest.mark.parametrize("case", ["homo", "hetero"])
def test_gpf_written_sets_are_valid(gpf_sets, case, capsys):
    code, doc = run_validate(capsys, gpf_sets[case] / f"{case}.json")
    assert code == 0, doc["problems"]
    # make_homo has self-loops, parallel edges and isolated nodes on purpose: warnings, not errors.
    if case == "homo":
        warned = {p["code"] for p in doc["problems"] if p["severity"] == "warning"}
        assert {"graph.self_loop", "graph.duplicate_edge", "graph.isolated_node"} <= warned


def test_against_original_npz_is_valid(gpf_sets, capsys):
    code, doc = run_validate(capsys, gpf_sets["homo"] / "homo.json", "--against", gpf_sets["homo_input"])
    assert code == 0, doc["problems"]


def test_against_graph_object_hetero(gpf_sets):
    rep = gpf.validate(gpf_sets["hetero"] / "hetero.json", against=make_hetero(seed=4))
    assert rep.exit_code == 0, rep.problems
    wrong = gpf.validate(gpf_sets["hetero"] / "hetero.json", against=make_hetero(seed=5))
    assert wrong.exit_code == 1 and {"against.edge", "against.feature_value"} <= wrong.error_codes


def test_quick_reads_no_arrays(dgl_sets, tmp_path, capsys):
    cfg = copy_set(dgl_sets / "homo_random_h1", tmp_path / "s")
    edit_graph(cfg.parent / "part1" / "graph.dgl", lambda g: g.ndata["_ID"].__setitem__(0, 7))  # a G3 defect
    code, doc = run_validate(capsys, cfg, "--quick")
    assert code == 0 and "nodes read" not in doc["checked"]
    code, doc = run_validate(capsys, cfg)
    assert code == 1 and {"inner_node.order", "inner_node.owner"} & error_codes(doc)


def test_human_output_lines_and_max_examples(dgl_sets, tmp_path, capsys):
    cfg = copy_set(dgl_sets / "homo_random_h1", tmp_path / "s")
    edit_graph(cfg.parent / "part0" / "graph.dgl", lambda g: g.ndata["part_id"].__setitem__(slice(0, 9), 3))
    assert main(["validate", str(cfg), "--max-examples", "2"]) == 1
    out = capsys.readouterr().out.splitlines()
    line = next(x for x in out if "part_id.mismatch" in x)
    assert line.startswith("ERROR") and "part 0" in line and "graph.dgl" in line and "(e.g. 0, 1)" in line
    assert "INVALID" in out[-1] and "error(s)" in out[-1]


def test_python_report_equals_cli_json(dgl_sets, capsys):
    cfg = dgl_sets / "hetero_random_h1" / "hetero_random_h1.json"
    rep = gpf.validate(cfg)
    code, doc = run_validate(capsys, cfg)
    assert isinstance(rep, gpf.Report) and rep.to_dict() == doc and rep.exit_code == code == 0


# -- the defect corpus -----------------------------------------------------------------------------------
@dataclass
class Defect:
    name: str
    base: str                                   # "dgl:<case>" or "gpf:<homo|hetero>"
    mutate: Callable[[Path, Path], object]      # (config path, set folder)
    codes: set[str]                             # exact error codes
    exit: int = 1
    args: tuple = ()
    also: set[str] = field(default_factory=set)  # codes that may follow from the defect as well


def _cfg(fn):
    return lambda cfg, root: edit_config(cfg, fn)


def _graph(part: int, fn):
    return lambda cfg, root: edit_graph(root / f"part{part}" / "graph.dgl", fn)


def _tensors(part: int, name: str, fn):
    return lambda cfg, root: edit_tensors(root / f"part{part}" / name, fn)


def _inner_edge_to_halo_node(cfg: Path, root: Path) -> None:
    """Inner edge 3 of part 1 ends at the last local node (a HALO node), its flags untouched: the checks
    across partitions must take its destination's hid from _ID, not from the partition's range."""
    path = root / "part1" / "graph.dgl"
    set_stored_index(path, "dst", 3, MutableGraph(path).num_nodes - 1)


def _swap_inner_ids(g: MutableGraph) -> None:
    g.ndata["_ID"][[0, 1]] = g.ndata["_ID"][[1, 0]]


def _inner_id_elsewhere(g: MutableGraph) -> None:
    g.ndata["_ID"][2] = g.ndata["_ID"][np.flatnonzero(~g.inner)[0]]  # an inner node claims a HALO node's ID


def _halo_owned_here(g: MutableGraph) -> None:
    halo = np.flatnonzero(~g.inner)
    g.ndata["_ID"][halo[0]] = g.ndata["_ID"][0]
    if "part_id" in g.ndata:
        g.ndata["part_id"][halo[0]] = g.ndata["part_id"][0]


def _flip_inner_edge(g: MutableGraph) -> None:
    g.edata["inner_edge"][0] = 0


def _halo_edge_claims_inner(g: MutableGraph) -> None:
    halo = np.flatnonzero(~g.inner_e)
    g.edata["inner_edge"][halo[0]] = 1


def _node_type(g: MutableGraph) -> None:
    g.ndata["_TYPE"][0] = (g.ndata["_TYPE"][0] + 1) % 3


def _edge_type(g: MutableGraph) -> None:
    g.edata["_TYPE"][0] = (g.edata["_TYPE"][0] + 1) % 5


def _endpoint_type(g: MutableGraph) -> None:
    """Point an inner edge at an inner node of another type: _TYPE and inner flags stay consistent."""
    t = g.ndata["_TYPE"]
    inner = np.flatnonzero(g.inner)
    e = 0
    other = inner[t[inner] != t[g.dst[e]]][0]
    g.dst[e] = other


def _halo_edge_endpoint(g: MutableGraph) -> None:
    """A HALO edge whose source is another node of the same type than in the owner's copy."""
    halo_e = np.flatnonzero(~g.inner_e)
    e = halo_e[0]
    same = np.flatnonzero(g.ndata.get("_TYPE", np.zeros(g.num_nodes))[:] ==
                           g.ndata.get("_TYPE", np.zeros(g.num_nodes))[g.src[e]])
    g.src[e] = [v for v in same if v != g.src[e]][0]


def _drop_hop1_edge(g: MutableGraph) -> None:
    """Remove a HALO edge DGL's 2-hop rule requires: an in-edge of a hop-0 HALO node from outside."""
    inner, n_in = g.inner, int(g.inner.sum())
    hop0 = np.unique(g.src[g.inner_e][~inner[g.src[g.inner_e]]])
    cand = np.flatnonzero(~g.inner_e & np.isin(g.dst, hop0) & ~inner[g.src])
    assert cand.size, "fixture has no hop-1 HALO edge"
    mask = np.zeros(g.src.shape[0], bool)
    mask[cand[0]] = True
    g.drop_edges(mask)
    assert n_in == int(g.inner.sum())


def _drop_field(name: str):
    def fn(g: MutableGraph) -> None:
        del g.ndata[name]
    return fn


def _halo_id_out_of_range(g: MutableGraph) -> None:
    g.ndata["_ID"][np.flatnonzero(~g.inner)[0]] = 10**9


def _edge_id_out_of_range(g: MutableGraph) -> None:
    g.edata["_ID"][-1] = 10**9


def _duplicate_halo_edge(g: MutableGraph) -> None:
    halo = np.flatnonzero(~g.inner_e)
    g.edata["_ID"][halo[1]] = g.edata["_ID"][halo[0]]
    g.src[halo[1]], g.dst[halo[1]] = g.src[halo[0]], g.dst[halo[0]]


def _symlink_out(cfg: Path, root: Path) -> None:
    target = root.parent / "outside.dgl"
    target.write_bytes((root / "part0" / "node_feat.dgl").read_bytes())
    (root / "part0" / "node_feat.dgl").unlink()
    os.symlink(target, root / "part0" / "node_feat.dgl")


def _rename_etype(where: tuple[str, ...]):
    def fn(c: dict) -> None:
        for k in where:
            c[k]["item:bought_by:ghost"] = c[k].pop("item:bought_by:user")
    return fn


def _orig_repeat(t: dict) -> None:
    key = next(iter(t))
    t[key][1] = t[key][0]


def _feature_rows(t: dict) -> None:
    t["_N/feat"] = t["_N/feat"][:-1]


def _against_mutated_input(tmp: Path, src: Path) -> Path:
    z = dict(np.load(src))
    z["dst"] = z["dst"].copy()
    z["dst"][5] = (z["dst"][5] + 1) % int(z["num_nodes"])
    out = tmp / "changed.npz"
    np.savez(out, **z)
    return out


DEFECTS = [
    # config (C, P)
    Defect("missing part entry", "dgl:homo_random_h1", _cfg(lambda c: c.pop("part-3")), {"part.missing"}),
    Defect("extra part entry", "dgl:homo_random_h1", _cfg(lambda c: c.__setitem__("part-4", dict(c["part-0"]))),
           {"part.extra"}),
    Defect("no graph file named", "dgl:homo_random_h1", _cfg(lambda c: c["part-2"].pop("part_graph")),
           {"part.no_graph"}),
    Defect("unknown storage backend", "dgl:homo_random_h1", _cfg(lambda c: c["part-0"].__setitem__("gpf_backend", "foo")),
           {"part.backend"}),
    Defect("no edge_feats", "dgl:homo_random_h1", _cfg(lambda c: c["part-1"].pop("edge_feats")), {"part.no_feats"}),
    Defect("node_map gap", "dgl:homo_random_h1", _cfg(lambda c: c["node_map"]["_N"][1].__setitem__(0, c["node_map"]["_N"][1][0] + 1)),
           {"node_map.gap"}),
    Defect("node_map overlap", "dgl:homo_random_h1", _cfg(lambda c: c["node_map"]["_N"][2].__setitem__(0, c["node_map"]["_N"][2][0] - 1)),
           {"node_map.overlap"}),
    Defect("node_map short of num_nodes", "dgl:homo_random_h1", _cfg(lambda c: c.__setitem__("num_nodes", c["num_nodes"] + 1)),
           {"node_map.total"}),
    Defect("edge_map range count", "dgl:hetero_random_h1", _cfg(lambda c: c["edge_map"]["user:buys:item"].pop()),
           {"edge_map.count"}),
    Defect("edge range inverted", "dgl:homo_random_h1", _cfg(lambda c: c["edge_map"]["_N:_E:_N"].__setitem__(0, [5, 2])),
           {"edge_map.inverted", "edge_map.start", "edge_map.gap"}),
    Defect("first range not at 0", "dgl:homo_random_h1", _cfg(lambda c: c["edge_map"]["_N:_E:_N"][0].__setitem__(0, 1)),
           {"edge_map.start"}),
    Defect("ntype IDs not 0..T-1", "dgl:hetero_random_h1", _cfg(lambda c: c["ntypes"].__setitem__("user", 3)),
           {"ntypes.ids"}),
    Defect("etype IDs repeated", "dgl:hetero_random_h1", _cfg(lambda c: c["etypes"].__setitem__("tag:has:item", 0)),
           {"etypes.ids"}),
    Defect("etype joins unknown ntype", "dgl:hetero_random_h1", _cfg(_rename_etype(("edge_map", "etypes"))),
           {"etypes.endpoint"}),
    Defect("edge_map keys differ from etypes", "dgl:hetero_random_h1", _cfg(_rename_etype(("edge_map",))),
           {"edge_map.keys"}),
    Defect("required key missing", "dgl:homo_random_h1", _cfg(lambda c: c.pop("graph_name")), {"config.key_missing"}),
    Defect("num_nodes is a string", "dgl:homo_random_h1", _cfg(lambda c: c.__setitem__("num_nodes", str(c["num_nodes"]))),
           {"config.key_type"}),
    Defect("halo_hops 0", "dgl:homo_random_h1", _cfg(lambda c: c.__setitem__("halo_hops", 0)), {"config.halo_hops"}),
    Defect("bad gpf_version", "dgl:homo_random_h1", _cfg(lambda c: c.__setitem__("gpf_version", "1.x")),
           {"config.version"}),
    Defect("newer major gpf_version", "dgl:homo_random_h1", _cfg(lambda c: c.__setitem__("gpf_version", "9.0")),
           {"config.unsupported"}),
    Defect("map dtype int32 with big ranges", "dgl:homo_random_h1",
           _cfg(lambda c: c.__setitem__("node_map_dtype", "int8")), {"config.map_dtype"}),
    Defect("path with ..", "dgl:homo_random_h1", _cfg(lambda c: c["part-0"].__setitem__("node_feats", "../../etc/passwd")),
           {"path.escape"}),
    Defect("absolute path outside", "dgl:homo_random_h1", _cfg(lambda c: c["part-1"].__setitem__("edge_feats", "/etc/passwd")),
           {"path.escape"}),
    Defect("symlink out of the root", "dgl:homo_random_h1", _symlink_out, {"path.escape"}),
    Defect("file missing", "dgl:homo_random_h1", lambda cfg, root: (root / "part1" / "edge_feat.dgl").unlink(),
           {"path.missing"}),
    Defect("wrong file kind", "dgl:homo_random_h1", _cfg(lambda c: c["part-0"].__setitem__("node_feats", "part0/graph.dgl")),
           {"path.kind"}),
    Defect("directory instead of file", "dgl:homo_random_h1", _cfg(lambda c: c["part-0"].__setitem__("part_graph", "part0")),
           {"path.kind"}),
    # partition graph (G)
    Defect("truncated graph.dgl", "dgl:homo_random_h1", lambda cfg, root: truncate(root / "part2" / "graph.dgl", 5000),
           {"graph.format"}),
    Defect("flipped byte in graph.dgl", "dgl:hetero_random_h1",
           lambda cfg, root: flip_byte(root / "part0" / "graph.dgl", 4096 + 8 + 8 + 8 + 8), {"graph.format"}),
    Defect("inner_node field missing", "dgl:homo_random_h1", _graph(1, _drop_field("inner_node")),
           {"graph.field_missing"}),
    Defect("inner nodes out of order", "dgl:homo_random_h1", _graph(0, _swap_inner_ids), {"inner_node.order"},
           also={"halo_edge.endpoints"}),
    Defect("inner node owned elsewhere", "dgl:homo_random_h1", _graph(1, _inner_id_elsewhere),
           {"inner_node.owner", "inner_node.missing"}, also={"part_id.mismatch", "halo_edge.endpoints"}),
    Defect("HALO node owned here", "dgl:homo_random_h1", _graph(2, _halo_owned_here), {"halo_node.owner"},
           also={"halo_edge.endpoints"}),
    Defect("local ID past the node count in graph.dgl", "dgl:homo_random_h1",
           lambda cfg, root: set_stored_index(root / "part1" / "graph.dgl", "src", 7, 10 ** 9), {"graph.local_id"}),
    Defect("negative local ID in graph.dgl", "dgl:hetero_random_h1",
           lambda cfg, root: set_stored_index(root / "part0" / "graph.dgl", "dst", -2, -1), {"graph.local_id"}),
    Defect("inner edge ends at a HALO node", "dgl:homo_random_h1", _inner_edge_to_halo_node, {"inner_edge.dst"},
           also={"halo_edge.endpoints"}),
    Defect("node _ID out of range", "dgl:homo_random_h1", _graph(0, _halo_id_out_of_range), {"node_id.range"}),
    Defect("inner edge flagged HALO", "dgl:homo_random_h1", _graph(3, _flip_inner_edge),
           {"inner_edge.dst", "inner_edge.missing", "halo_edge.owner"}),
    Defect("HALO edge flagged inner", "dgl:homo_random_h1", _graph(1, _halo_edge_claims_inner),
           {"inner_edge.dst", "inner_edge.owner"}),
    Defect("edge _ID out of range", "dgl:homo_random_h1", _graph(1, _edge_id_out_of_range), {"edge_id.range"}),
    Defect("HALO edge twice", "dgl:homo_random_h1", _graph(0, _duplicate_halo_edge), {"edge_id.duplicate"}),
    Defect("node _TYPE wrong", "dgl:hetero_random_h1", _graph(0, _node_type), {"node_type.mismatch"}),
    Defect("edge _TYPE wrong", "dgl:hetero_random_h1", _graph(1, _edge_type), {"edge_type.mismatch"}),
    Defect("part_id wrong", "dgl:hetero_metis_h2_t2", _graph(2, lambda g: g.ndata["part_id"].__setitem__(-1, 2)),
           {"part_id.mismatch"}),
    Defect("edge joins wrong node types", "dgl:hetero_one_part", _graph(0, _endpoint_type), {"edge.endpoint_type"}),
    Defect("HALO edge endpoints differ", "dgl:homo_random_h1", _graph(2, _halo_edge_endpoint), {"halo_edge.endpoints"}),
    Defect("2-hop HALO edge missing", "dgl:homo_metis_h2_t2", _graph(1, _drop_hop1_edge), {"halo.missing_edge"}),
    # features (F)
    Defect("truncated node_feat.dgl", "dgl:homo_random_h1", lambda cfg, root: truncate(root / "part3" / "node_feat.dgl", 100),
           {"feature.format"}),
    Defect("feature row count", "dgl:homo_random_h1", _tensors(0, "node_feat.dgl", _feature_rows), {"feature.rows"}),
    Defect("feature dtype differs", "dgl:homo_random_h1",
           _tensors(1, "node_feat.dgl", lambda t: t.__setitem__("_N/feat", t["_N/feat"].astype(np.float64))),
           {"feature.dtype"}),
    Defect("feature shape differs", "dgl:homo_random_h1",
           _tensors(2, "node_feat.dgl", lambda t: t.__setitem__("_N/feat", t["_N/feat"][:, :3].copy())),
           {"feature.shape"}),
    Defect("feature missing in one partition", "dgl:hetero_random_h1",
           _tensors(1, "node_feat.dgl", lambda t: t.pop("user/feat")), {"feature.missing"}),
    Defect("reserved feature name", "dgl:homo_random_h1",
           _tensors(0, "node_feat.dgl", lambda t: t.__setitem__("_N/_ID", t["_N/label"])), {"feature.reserved"}),
    Defect("feature of unknown type", "dgl:homo_random_h1",
           _tensors(0, "edge_feat.dgl", lambda t: t.__setitem__("ghost/x", np.zeros(3))), {"feature.unknown_type"}),
    Defect("bare legacy feature key", "dgl:homo_random_h1",
           _tensors(0, "node_feat.dgl", lambda t: t.__setitem__("feat", t.pop("_N/feat"))),
           {"feature.key", "feature.missing"}),
    # ID maps (M), gpf-written
    Defect("orig_nids not a permutation", "gpf:homo", _tensors(1, "orig_nids.dgl", _orig_repeat),
           {"orig_ids.permutation"}),
    Defect("orig_eids wrong length", "gpf:hetero",
           _tensors(0, "orig_eids.dgl", lambda t: t.__setitem__("user:buys:item", t["user:buys:item"][:-1])),
           {"orig_ids.rows"}),
    Defect("orig_nids in some partitions only", "gpf:homo",
           lambda cfg, root: (edit_config(cfg, lambda c: c["part-2"].pop("orig_nids")),
                              (root / "part2" / "orig_nids.dgl").unlink()), {"orig_ids.missing"}),
    Defect("orig map key unknown", "gpf:homo",
           _tensors(0, "orig_eids.dgl", lambda t: t.__setitem__("a:b:c", t["_N:_E:_N"])), {"orig_ids.key"}),
    # gpf-written graph files
    Defect("gpf inner node out of order", "gpf:hetero", _graph(2, _swap_inner_ids), {"inner_node.order"},
           also={"halo_edge.endpoints", "halo.missing_edge"}),
    Defect("gpf 2-hop HALO edge missing", "gpf:hetero", _graph(0, _drop_hop1_edge), {"halo.missing_edge"}),
]


@pytest.mark.oracle
@pytest.mark.parametrize("defect", DEFECTS, ids=[d.name for d in DEFECTS])
def test_defect_is_reported_with_its_code(defect, dgl_sets, gpf_sets, tmp_path, capsys):
    cfg = copy_set(_base(defect.base, dgl_sets, gpf_sets), tmp_path / "set")
    defect.mutate(cfg, cfg.parent)
    code, doc = run_validate(capsys, cfg, *defect.args)
    found = error_codes(doc)
    assert "check.crashed" not in found, doc["problems"]
    assert defect.codes <= found <= defect.codes | defect.also, doc["problems"]
    assert code == defect.exit and doc["valid"] is False
    for p in doc["problems"]:
        assert p["code"] in CODES and p["message"] and "\n" not in p["message"]


def test_corpus_is_large_and_distinct():
    assert len(DEFECTS) >= 25
    assert len({d.name for d in DEFECTS}) == len(DEFECTS)
    assert len(set().union(*(d.codes for d in DEFECTS))) >= 40


def test_against_detects_changed_edge_and_feature(gpf_sets, tmp_path, capsys):
    changed = _against_mutated_input(tmp_path, gpf_sets["homo_input"])
    code, doc = run_validate(capsys, gpf_sets["homo"] / "homo.json", "--against", changed)
    assert code == 1 and error_codes(doc) == {"against.edge"}
    cfg = copy_set(gpf_sets["homo"], tmp_path / "set")
    edit_tensors(cfg.parent / "part1" / "node_feat.dgl", lambda t: t["_N/label"].__setitem__(3, 99))
    code, doc = run_validate(capsys, cfg, "--against", gpf_sets["homo_input"])
    assert code == 1 and error_codes(doc) == {"against.feature_value"}


@pytest.mark.oracle
def test_against_without_orig_maps(dgl_sets, gpf_sets, capsys):
    code, doc = run_validate(capsys, dgl_sets / "homo_one_part" / "homo_one_part.json", "--against",
                             gpf_sets["homo_input"])
    assert code == 1 and error_codes(doc) == {"against.count"}  # 300 vs 160 nodes


def test_against_unreadable_exits_2(gpf_sets, tmp_path, capsys):
    code, doc = run_validate(capsys, gpf_sets["homo"] / "homo.json", "--against", tmp_path / "nope.npz")
    assert code == 2 and error_codes(doc) == {"against.unreadable"}


# -- storage backends (SPEC 11) ------------------------------------------------------------------------------
@pytest.mark.parametrize("backend", ["npy", pytest.param("hdf5", marks=extra("hdf5")), pytest.param("zarr", marks=extra("zarr"))])
def test_other_backends_valid_and_missing_partition_data(backend, tmp_path, capsys):
    ps = gpf.partition(make_hetero(seed=6), 3, tmp_path / "s", "s", method="random", halo_hops=2, backend=backend,
                       verbose=False)
    code, doc = run_validate(capsys, ps.path)
    assert code == 0 and error_codes(doc) == set(), doc["problems"]
    target = tmp_path / "s" / ("part1/part.h5" if backend == "hdf5" else "part1")
    target.rename(target.with_name(target.name + ".moved"))
    code, doc = run_validate(capsys, ps.path)
    assert code == 1 and error_codes(doc) == {"path.missing"}


def test_npy_backend_defect(tmp_path, capsys):
    ps = gpf.partition(make_hetero(seed=6), 3, tmp_path / "s", "s", method="random", halo_hops=1, backend="npy",
                       verbose=False)
    ids = tmp_path / "s" / "part2" / "graph" / "ndata" / "_ID.npy"
    a = np.load(ids)
    a[[0, 1]] = a[[1, 0]]
    np.save(ids, a)
    code, doc = run_validate(capsys, ps.path)
    assert code == 1 and "inner_node.order" in error_codes(doc) <= {"inner_node.order", "halo_edge.endpoints"}


# -- unreadable configs: exit 2, one problem, no traceback ---------------------------------------------------
@pytest.mark.parametrize("content, code", [
    (None, "config.unreadable"),
    (b"{not json", "config.unreadable"),
    (b"\xff\xfe{}", "config.unreadable"),
    (b"[" * 100_000 + b"]" * 100_000, "config.unreadable"),
    (b'{"a": 1, "a": 2}', "config.unreadable"),
    (b"[1, 2]", "config.not_config"),
    (b'"x"', "config.not_config"),
    ("dir", "config.unreadable"),
])
def test_unreadable_config_exit_2(tmp_path, capsys, content, code):
    cfg = tmp_path / "g.json"
    if content == "dir":
        cfg.mkdir()
    elif content is not None:
        cfg.write_bytes(content)
    rc, doc = run_validate(capsys, cfg)
    assert rc == 2 and [p["code"] for p in doc["problems"]] == [code]


def test_huge_config_is_refused_before_reading(tmp_path, capsys):
    cfg = tmp_path / "g.json"
    with open(cfg, "wb") as fh:
        fh.truncate(65 * 2**20)  # sparse: no 65 MiB written
    rc, doc = run_validate(capsys, cfg)
    assert rc == 2 and "limit" in doc["problems"][0]["message"]


def test_graphbolt_truncated(tmp_path):
    import shutil

    shutil.copytree(FIXTURES / "homo", tmp_path / "homo")
    truncate(tmp_path / "homo" / "part1" / "fused_csc_sampling_graph.pt", 3000)
    rep = gpf.validate(tmp_path / "homo" / "homo.json", prefer="graphbolt")
    assert rep.exit_code == 1 and rep.error_codes == {"graph.format"}
    other = gpf.validate(tmp_path / "homo" / "homo.json", prefer="dgl")  # both files are read (B2)
    assert other.error_codes == {"graph.format"} and "fused_csc_sampling_graph.pt" in other.errors[0].path


def test_every_code_is_documented_in_spec():
    text = (Path(__file__).resolve().parents[1] / "spec" / "SPEC.md").read_text()
    missing = [c for c in CODES if f"`{c}`" not in text]
    assert not missing, missing


# -- no unpickling, anywhere ------------------------------------------------------------------------------------
class _Exploit:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_hostile_graphbolt_pickle_is_refused_not_run(tmp_path):
    import io
    import pickle
    import shutil
    import zipfile

    shutil.copytree(FIXTURES / "homo", tmp_path / "homo")
    marker = tmp_path / "pwned"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("archive/data.pkl", pickle.dumps(_Exploit(marker), protocol=2))
        z.writestr("archive/byteorder", "little")
    (tmp_path / "homo" / "part0" / "fused_csc_sampling_graph.pt").write_bytes(buf.getvalue())
    rep = gpf.validate(tmp_path / "homo" / "homo.json", prefer="graphbolt")
    assert rep.error_codes == {"graph.format"} and not marker.exists()
    assert "refusing to unpickle" in next(p for p in rep.problems if p.code == "graph.format").message


def test_against_npz_with_object_arrays_is_not_unpickled(gpf_sets, tmp_path, capsys):
    bad = tmp_path / "objects.npz"
    np.savez(bad, src=np.array([_Exploit(tmp_path / "pwned")], dtype=object), dst=np.zeros(1, np.int64))
    code, doc = run_validate(capsys, gpf_sets["homo"] / "homo.json", "--against", bad)
    assert code == 2 and error_codes(doc) == {"against.unreadable"} and not (tmp_path / "pwned").exists()


def test_validators_never_import_pickle():
    src = Path(gpf.__file__).resolve().parent / "validators"
    for py in src.glob("*.py"):
        text = py.read_text()
        assert "import pickle" not in text and "allow_pickle=True" not in text, py.name


def test_non_utf8_tensor_name_is_a_format_error(dgl_sets, tmp_path):
    cfg = copy_set(dgl_sets / "homo_random_h1", tmp_path / "s")
    feat = cfg.parent / "part2" / "node_feat.dgl"
    data = bytearray(feat.read_bytes())
    at = data.find(b"_N/")
    data[at] = 0xFF
    feat.write_bytes(bytes(data))
    rep = gpf.validate(cfg)
    p = next(p for p in rep.problems if p.code == "feature.format")
    assert rep.error_codes == {"feature.format"} and "UTF-8" in p.message and p.examples == [at - 8]


def test_dgl_and_graphbolt_files_disagree(tmp_path):
    import shutil

    shutil.copytree(FIXTURES / "homo", tmp_path / "homo")

    def move_halo_source(g: MutableGraph) -> None:
        e = np.flatnonzero(~g.inner_e)[0]
        g.src[e] = next(v for v in np.flatnonzero(~g.inner) if v != g.src[e])

    edit_graph(tmp_path / "homo" / "part1" / "graph.dgl", move_halo_source)
    rep = gpf.validate(tmp_path / "homo" / "homo.json", prefer="graphbolt")
    assert rep.exit_code == 1 and rep.error_codes == {"graph.files_disagree"}
    rep = gpf.validate(tmp_path / "homo" / "homo.json", prefer="dgl")
    assert rep.error_codes == {"graph.files_disagree", "halo_edge.endpoints"}


@pytest.mark.oracle
def test_fsspec_url_set(dgl_sets):
    import fsspec

    case = "hetero_random_h1"
    fs = fsspec.filesystem("memory")
    for f in (dgl_sets / case).rglob("*"):
        if f.is_file() and "expected" not in f.parts:
            fs.pipe(f"/vsets/{case}/{f.relative_to(dgl_sets / case).as_posix()}", f.read_bytes())
    rep = gpf.validate(f"memory://vsets/{case}/{case}.json")
    assert rep.exit_code == 0 and rep.checked["edges read"] == gpf.validate(dgl_sets / case / f"{case}.json").checked["edges read"]
    cfg = json.loads(fs.cat(f"/vsets/{case}/{case}.json"))
    cfg["part-1"]["edge_feats"] = "../../x/edge_feat.dgl"
    fs.pipe(f"/vsets/{case}/{case}.json", json.dumps(cfg).encode())
    rep = gpf.validate(f"memory://vsets/{case}/{case}.json")
    assert rep.exit_code == 1 and rep.error_codes == {"path.escape"}
    assert gpf.validate("memory://vsets/nothing.json").exit_code == 2


def test_progress_bars_on_a_terminal_only(gpf_sets, capsys, monkeypatch):
    """gpf validate shows two progress bars (the partitions, then the pass across them), through
    gpf.progress.track, which draws on stderr only when it is a terminal: nothing there otherwise."""
    import gpf.progress

    cfg = gpf_sets["homo"] / "homo.json"
    assert main(["validate", str(cfg), "--json"]) == 0
    quiet = capsys.readouterr()
    assert quiet.err == ""
    bars = []

    def track(items, *, total=None, description=""):
        bars.append((description, total))
        yield from items

    monkeypatch.setattr(gpf.progress, "track", track)
    assert main(["validate", str(cfg), "--json"]) == 0
    assert bars == [("validating partitions", 3), ("checking across partitions", 3)]
    assert json.loads(capsys.readouterr().out)["problems"] == json.loads(quiet.out)["problems"]
