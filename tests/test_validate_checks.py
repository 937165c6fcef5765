"""Each named check of gpf.validators, on small hand-made inputs: the codes it reports and when it is silent."""

from __future__ import annotations

import copy
import os

import numpy as np
import pytest

from gpf.spec import parse_config
from gpf.validators import config_checks as cc
from gpf.validators import feature_checks as fc
from gpf.validators import partition_checks as pc
from gpf.validators import set_checks as sc
from gpf.validators.guard import guarded
from gpf.validators.report import Report

# Two partitions; nodes 0,1 | 2,3; edges e0: 2->0, e1: 0->1 (owned by p0), e2: 1->2, e3: 3->3 (p1).
CONFIG = {"graph_name": "g", "num_nodes": 4, "num_edges": 4, "part_method": "random", "num_parts": 2,
          "halo_hops": 1, "node_map": {"_N": [[0, 2], [2, 4]]}, "edge_map": {"_N:_E:_N": [[0, 2], [2, 4]]},
          "ntypes": {"_N": 0}, "etypes": {"_N:_E:_N": 0},
          "part-0": {"node_feats": "part0/n.dgl", "edge_feats": "part0/e.dgl", "part_graph": "part0/g.dgl"},
          "part-1": {"node_feats": "part1/n.dgl", "edge_feats": "part1/e.dgl", "part_graph": "part1/g.dgl"}}
SRC, DST = np.array([2, 0, 1, 3]), np.array([0, 1, 2, 3])


def codes(rep: Report) -> set[str]:
    return {p.code for p in rep.problems}


def run_config(check, cfg=None, root="/nonexistent", **ctx_fields) -> tuple[Report, cc.ConfigContext]:
    cfg = copy.deepcopy(CONFIG) if cfg is None else cfg
    rep = Report("g.json")
    ctx = cc.ConfigContext("g.json", root, **ctx_fields)
    cc.check_schema(rep, cfg, ctx)
    cc.check_type_ids(rep, cfg, ctx)
    if check not in (cc.check_schema, cc.check_type_ids):
        rep.problems.clear()
        check(rep, cfg, ctx)
    return rep, ctx


def changed(**kw) -> dict:
    cfg = copy.deepcopy(CONFIG)
    for k, v in kw.items():
        if v is None:
            cfg.pop(k)
        else:
            cfg[k] = v
    return cfg


# -- config ---------------------------------------------------------------------------------------------
def test_valid_config_passes_every_config_check(tmp_path):
    rep = Report("g.json")
    ctx = cc.ConfigContext("g.json", str(tmp_path))
    for check in cc.CONFIG_CHECKS[:-1]:  # all but the file checks (no files here)
        check(rep, CONFIG, ctx)
    assert rep.problems == [] and ctx.sound


@pytest.mark.parametrize("cfg, code", [
    (changed(num_parts=None), "config.key_missing"),
    (changed(num_edges=-1), "config.key_type"),
    (changed(num_nodes=True), "config.key_type"),
    (changed(node_map={"_N": [[0, 2], [2]]}), "config.key_type"),
    (changed(ntypes={"_N": 2**63}), "config.key_type"),
])
def test_check_schema(cfg, code):
    rep, _ = run_config(cc.check_schema, cfg)
    assert codes(rep) == {code}


def test_check_version_and_halo_hops():
    assert codes(run_config(cc.check_version, changed(gpf_version="1"))[0]) == {"config.version"}
    assert codes(run_config(cc.check_version, changed(gpf_version="1.7"))[0]) == set()
    assert codes(run_config(cc.check_halo_hops, changed(halo_hops=0))[0]) == {"config.halo_hops"}
    one = changed(halo_hops=0, num_parts=1)
    assert codes(run_config(cc.check_halo_hops, one)[0]) == set()


def test_check_part_entries():
    cfg = changed(**{"part-2": CONFIG["part-0"]})
    cfg["part-1"] = {"node_feats": "x"}
    rep, ctx = run_config(cc.check_part_entries, cfg)
    assert codes(rep) == {"part.extra", "part.no_graph", "part.no_feats"}
    assert (1, "graph") in ctx.bad_files and (1, "edge_feats") in ctx.bad_files
    rep, ctx = run_config(cc.check_part_entries, changed(**{"part-1": None}))
    assert codes(rep) == {"part.missing"} and (1, "*") in ctx.bad_files


def test_check_type_ids_names_and_keys():
    rep, ctx = run_config(cc.check_type_ids, changed(ntypes={"_N": 1}))
    assert codes(rep) == {"ntypes.ids"} and ctx.ntypes is None
    rep, _ = run_config(cc.check_type_names, changed(ntypes={"a/b": 0}, node_map={"a/b": [[0, 2], [2, 4]]}))
    assert codes(rep) == {"ntypes.name", "etypes.endpoint"}  # _N:_E:_N now joins an unknown type
    rep, _ = run_config(cc.check_type_names, changed(etypes={"_N:_E": 0}))
    assert codes(rep) == {"etypes.key"}
    rep, _ = run_config(cc.check_type_names, changed(etypes={"_N:_E:x": 0}))
    assert codes(rep) == {"etypes.endpoint"}
    rep, ctx = run_config(cc.check_map_keys, changed(edge_map={"_N:_F:_N": [[0, 2], [2, 4]]}))
    assert codes(rep) == {"edge_map.keys"} and ctx.ranges_ok["edge_map"] is False


@pytest.mark.parametrize("node_map, num_nodes, want", [
    ([[0, 2], [2, 4]], 4, set()),
    ([[0, 2], [3, 4]], 4, {"node_map.gap"}),
    ([[0, 2], [1, 4]], 4, {"node_map.overlap"}),
    ([[1, 2], [2, 4]], 4, {"node_map.start"}),
    ([[0, 2], [2, 4]], 5, {"node_map.total"}),
    ([[0, 2], [2, 4], [4, 4]], 4, {"node_map.count"}),
    ([[0, 2], [4, 2]], 2, {"node_map.inverted", "node_map.gap"}),
    ([[0, 0], [0, 0]], 0, set()),
])
def test_check_ranges(node_map, num_nodes, want):
    rep, ctx = run_config(cc.check_ranges, changed(node_map={"_N": node_map}, num_nodes=num_nodes))
    assert codes(rep) == want
    assert ctx.ranges_ok["node_map"] == (not want)


def test_check_ranges_hetero_partition_major_order():
    cfg = changed(ntypes={"a": 0, "b": 1}, node_map={"a": [[0, 2], [5, 6]], "b": [[2, 5], [6, 9]]}, num_nodes=9,
                  etypes={"a:r:b": 0}, edge_map={"a:r:b": [[0, 2], [2, 4]]})
    assert codes(run_config(cc.check_ranges, cfg)[0]) == set()
    cfg["node_map"]["b"] = [[2, 5], [7, 9]]  # 6 owned by nobody
    rep, _ = run_config(cc.check_ranges, cfg)
    assert codes(rep) == {"node_map.gap"} and rep.problems[0].examples == ["b[1]"]


def test_check_map_dtype():
    assert codes(run_config(cc.check_map_dtype, changed(node_map_dtype="int16"))[0]) == {"config.map_dtype"}
    big = changed(edge_map_dtype="int32", num_edges=2**31 + 1, edge_map={"_N:_E:_N": [[0, 2], [2, 2**31 + 1]]})
    assert codes(run_config(cc.check_map_dtype, big)[0]) == {"config.map_dtype"}


def test_check_paths(tmp_path):
    root = tmp_path / "set"
    from gpf.sdk.codecs.dgl_bytes import MAGIC_GRAPHS, MAGIC_TENSORS

    for p in (0, 1):
        (root / f"part{p}").mkdir(parents=True)
        for name, magic in (("n.dgl", MAGIC_TENSORS), ("e.dgl", MAGIC_TENSORS), ("g.dgl", MAGIC_GRAPHS)):
            (root / f"part{p}" / name).write_bytes(magic.to_bytes(8, "little"))
    rep, ctx = run_config(cc.check_paths, root=str(root))
    assert codes(rep) == set()  # only the first 8 bytes are looked at
    (root / "part1" / "g.dgl").write_bytes(MAGIC_TENSORS.to_bytes(8, "little"))
    rep, ctx = run_config(cc.check_paths, root=str(root))
    assert codes(rep) == {"path.kind"} and "DGL graph file" in rep.problems[0].message
    cfg = changed(**{"part-0": {"node_feats": "../x.dgl", "edge_feats": "part0/missing.dgl",
                                "part_graph": str(root / "part0" / "g.dgl")},
                     "part-1": {"node_feats": "part1", "edge_feats": "bad\udcff\ud800", "part_graph": ""}})
    rep, ctx = run_config(cc.check_paths, cfg, root=str(root))
    assert codes(rep) == {"path.escape", "path.missing", "path.absolute", "path.kind", "path.invalid"}
    assert {(0, "node_feats"), (0, "edge_feats"), (1, "node_feats"), (1, "edge_feats")} <= ctx.bad_files
    assert "regular file" in next(p for p in rep.problems if p.code == "path.kind").message


def test_check_paths_symlink(tmp_path):
    root = tmp_path / "set"
    (root / "part0").mkdir(parents=True)
    outside = tmp_path / "secret.dgl"
    outside.write_bytes(b"x")
    os.symlink(outside, root / "part0" / "n.dgl")
    rep, _ = run_config(cc.check_paths, root=str(root))
    assert "path.escape" in codes(rep)


# -- partition graph -----------------------------------------------------------------------------------------
@pytest.fixture
def facts() -> pc.SetFacts:
    return pc.SetFacts.from_config(parse_config(CONFIG))


def part0(**over) -> pc.PartData:
    """Partition 0: nodes 0,1 inner, 2 HALO; edges e0, e1 inner, e2 (1->2) an out-edge HALO."""
    a = dict(src=np.array([2, 0, 1]), dst=np.array([0, 1, 2]), nid=np.array([0, 1, 2]),
             inner=np.array([True, True, False]), eid=np.array([0, 1, 2]), inner_e=np.array([True, True, False]),
             ndata={"part_id": np.array([0, 0, 1])}, edata={})
    a.update(over)
    return pc.PartData(0, "part0/g.dgl", len(a["nid"]), a["src"], a["dst"], a["nid"], a["inner"], a["eid"],
                       a["inner_e"], a["ndata"], a["edata"])


def run_part(facts, d: pc.PartData) -> set[str]:
    rep = Report("g.json")
    for check in pc.PARTITION_CHECKS:
        check(rep, facts, d)
    return codes(rep)


@pytest.mark.parametrize("over, want", [
    ({}, set()),
    ({"dst": np.array([0, 1, 3])}, {"graph.local_id"}),
    ({"nid": np.array([0, 1, 9])}, {"node_id.range"}),
    ({"nid": np.array([1, 0, 2])}, {"inner_node.order"}),
    ({"nid": np.array([0, 3, 2]), "ndata": {}}, {"inner_node.owner", "inner_node.missing"}),
    ({"nid": np.array([0, 1, 1]), "ndata": {}}, {"halo_node.owner"}),
    ({"inner": np.array([True, True, True])}, {"inner_node.owner", "inner_edge.dst"}),
    ({"ndata": {"part_id": np.array([0, 1, 1])}}, {"part_id.mismatch"}),
    ({"ndata": {"_TYPE": np.array([0, 0, 1])}}, {"node_type.mismatch"}),
    ({"edata": {"_TYPE": np.array([0, 1, 0])}}, {"edge_type.mismatch"}),
    ({"eid": np.array([0, 1, 7])}, {"edge_id.range"}),
    ({"eid": np.array([1, 0, 2])}, {"inner_edge.order"}),
    ({"eid": np.array([0, 2, 3])}, {"inner_edge.owner", "inner_edge.missing"}),
    ({"eid": np.array([0, 1, 1])}, {"halo_edge.owner"}),
    ({"inner_e": np.array([True, False, False])}, {"inner_edge.dst", "inner_edge.missing", "halo_edge.owner"}),
])
def test_partition_checks(facts, over, want):
    assert run_part(facts, part0(**over)) == want


def test_node_ids_duplicate_halo(facts):
    d = part0(src=np.array([2, 0, 1, 3]), dst=np.array([0, 1, 2, 3]), nid=np.array([0, 1, 2, 2]),
              inner=np.array([True, True, False, False]), eid=np.array([0, 1, 2, 3]),
              inner_e=np.array([True, True, False, False]), ndata={})
    assert run_part(facts, d) == {"node_id.duplicate"}


def test_load_part_reports_missing_and_bad_fields():
    from gpf.errors import FormatError
    from gpf.sdk.storage.base import PartGraph

    rep = Report("g.json")
    g = PartGraph(3, SRC[:3], DST[:3], {"_ID": np.arange(3)}, {"_ID": np.arange(3), "inner_edge": np.ones((3, 2))})
    assert pc.load_part(rep, 0, lambda: g, "p") is None
    assert codes(rep) == {"graph.field_missing", "graph.field_dtype"}

    def broken():
        raise FormatError("part0/g.dgl", 4120, "truncated")
    rep = Report("g.json")
    assert pc.load_part(rep, 0, broken, "p") is None
    assert rep.problems[0].code == "graph.format" and rep.problems[0].examples == [4120]
    assert "at byte 4120" in rep.problems[0].message and rep.problems[0].path == "part0/g.dgl"


# -- across partitions and warnings ---------------------------------------------------------------------------------
def test_set_checks(facts):
    g = sc.SetEdges.single(SRC.copy(), DST.copy(), 4)
    halos = [sc.HaloCopy(0, "p0", np.array([2]), np.array([1]), np.array([2]))]
    rep = Report("g.json")
    sc.check_halo_endpoints(rep, g, halos)
    sc.check_self_loops(rep, facts, g)
    sc.check_duplicate_edges(rep, facts, g)
    sc.check_isolated_nodes(rep, facts, g)
    assert codes(rep) == {"graph.self_loop"} and rep.problems[0].examples == [3]
    halos[0].src[0] = 0
    g2 = sc.SetEdges.single(np.array([2, 0, 0, 0]), np.array([0, 1, 1, 1]), 4)
    rep = Report("g.json")
    sc.check_halo_endpoints(rep, g, halos)
    sc.check_duplicate_edges(rep, facts, g2)
    sc.check_isolated_nodes(rep, facts, g2)
    assert codes(rep) == {"halo_edge.endpoints", "graph.duplicate_edge", "graph.isolated_node"}
    dup = next(p for p in rep.problems if p.code == "graph.duplicate_edge")
    assert dup.examples == ["0->1", "0->1"] and "2 parallel" in dup.message


def test_run_set_checks_is_the_checks_in_one_pass_over_computed_chunks(facts):
    """run_set_checks on chunks computed on demand (each once) reports what the named checks report on
    stored arrays, in their order; a check that crashes is reported and the others still run."""
    src, dst = np.array([2, 0, 0, 0, 3]), np.array([0, 1, 1, 1, 3])
    starts = np.array([0, 2, 5])
    calls = []

    def chunk(a, b):
        return lambda: (calls.append(a), (src[a:b].copy(), dst[a:b].copy()))[1]

    halos = [sc.HaloCopy(0, "p0", np.array([3, 4]), None, None, ends=lambda a, b: (np.array([0, 9])[a:b],
                                                                                    np.array([1, 3])[a:b])),
             sc.HaloCopy(1, "p1", np.array([1, 0]), np.array([0, 2]), np.array([1, 1]))]  # EIDs out of order
    lazy = sc.SetEdges(starts, [], [], 4, [chunk(0, 2), chunk(2, 5)])
    got = Report("g.json")
    sc.run_set_checks(got, facts, lazy, halos)
    assert calls == [0, 2]
    stored = sc.SetEdges(starts, [src[:2], src[2:]], [dst[:2], dst[2:]], 4)
    want = Report("g.json")
    sc.check_halo_endpoints(want, stored, halos)
    for check in (sc.check_self_loops, sc.check_duplicate_edges, sc.check_isolated_nodes):
        check(want, facts, stored)
    assert got.problems == want.problems
    assert [p.code for p in got.problems] == ["halo_edge.endpoints", "halo_edge.endpoints", "graph.self_loop",
                                              "graph.duplicate_edge"]
    assert [(p.partition, p.examples) for p in got.problems[:2]] == [(0, [4]), (1, [0])]

    class Broken(sc._Pass):
        name = "broken"

        def add(self, k, lo, s, d):
            raise RuntimeError("boom")

    rep = Report("g.json")
    sc._one_pass(rep, stored, [Broken(), sc._SelfLoops()])
    assert [p.code for p in rep.problems] == ["check.crashed", "graph.self_loop"]


def test_check_halo_hops_two_hops():
    cfg = changed(halo_hops=2, num_nodes=6, num_edges=5, node_map={"_N": [[0, 2], [2, 6]]},
                  edge_map={"_N:_E:_N": [[0, 1], [1, 5]]})
    f = pc.SetFacts.from_config(parse_config(cfg))
    # e0: 2->0 (p0); e1..e4 owned by p1: 3->2, 4->3, 5->5, 0->4.  Hop 0 of p0 = {2}; hop 1 needs e1 (3->2).
    g = sc.SetEdges(np.array([0, 1, 5]), [np.array([2]), np.array([3, 4, 5, 0])], [np.array([0]), np.array([2, 3, 5, 4])], 6)
    gs, gd = g.concat()
    assert [x.tolist() for x in g.gather(np.array([4, 0, 2]))] == [[0, 2, 4], [4, 0, 3]]  # unsorted EIDs
    rep = Report("g.json")
    ok = [sc.HaloCopy(0, "p0", np.array([1, 4]), gs[[1, 4]], gd[[1, 4]]),
          sc.HaloCopy(1, "p1", np.array([0]), gs[[0]], gd[[0]])]
    sc.check_halo_hops(rep, f, g, ok)
    assert codes(rep) == set()
    ok[0] = sc.HaloCopy(0, "p0", np.array([4]), gs[[4]], gd[[4]])
    sc.check_halo_hops(rep, f, g, ok)
    assert codes(rep) == {"halo.missing_edge"} and rep.problems[0].examples == [1] and rep.problems[0].partition == 0


def test_check_balance():
    cfg = changed(num_parts=3, node_map={"_N": [[0, 0], [0, 1], [1, 4]]}, edge_map={"_N:_E:_N": [[0, 1], [1, 2], [2, 4]]},
                  **{"part-2": CONFIG["part-1"]})
    f = pc.SetFacts.from_config(parse_config(cfg))
    rep = Report("g.json")
    sc.check_balance(rep, f)
    assert codes(rep) == {"partition.empty", "partition.imbalance"}


# -- features and ID maps ----------------------------------------------------------------------------------------------
def test_feature_checks(facts):
    rep = Report("g.json")
    feats = {"_N/x": np.zeros((2, 3)), "_N/_ID": np.zeros(2), "y": np.zeros(2), "ghost/z": np.zeros(2),
             "_N/short": np.zeros(1), "_N/": np.zeros(2)}
    good, named = fc.check_feature_keys(rep, facts, 0, "node", feats, "n.dgl")
    assert set(good) == {("_N", "x")} and named == {("_N", "x"), ("_N", "short")}
    assert codes(rep) == {"feature.reserved", "feature.key", "feature.unknown_type", "feature.rows"}
    rep = Report("g.json")
    fc.check_feature_consistency(rep, facts, "node", {0: {("_N", "x"): np.zeros((2, 3))},
                                                      1: {("_N", "x"): np.zeros((2, 4), np.float32)}},
                                 {0: {("_N", "x")}, 1: {("_N", "x")}})
    assert codes(rep) == {"feature.dtype", "feature.shape"}
    rep = Report("g.json")
    fc.check_feature_consistency(rep, facts, "node", {0: {("_N", "x"): np.zeros(2)}, 1: {}}, {0: {("_N", "x")}, 1: set()})
    assert codes(rep) == {"feature.missing"} and rep.problems[0].examples == [1]


def test_orig_id_checks(facts):
    rep = Report("g.json")
    good = fc.check_orig_map(rep, facts, 0, "node", {"_N": np.array([3, 1]), "x": np.zeros(2, np.int64),
                                                     "_N:_E:_N": np.zeros(2)}, "o.dgl")
    assert codes(rep) == {"orig_ids.key"} and set(good) == {"_N"}
    rep = Report("g.json")
    fc.check_orig_map(rep, facts, 1, "node", {"_N": np.array([0.5, 1.5])}, "o.dgl")
    fc.check_orig_map(rep, facts, 1, "edge", {"_N:_E:_N": np.array([0])}, "o.dgl")
    assert codes(rep) == {"orig_ids.dtype", "orig_ids.rows"}
    rep = Report("g.json")
    assert fc.check_orig_presence(rep, "node", {0: True, 1: False}) is False
    assert codes(rep) == {"orig_ids.missing"}
    rep = Report("g.json")
    out = fc.check_orig_permutation(rep, facts, "node", {0: {"_N": np.array([3, 1])}, 1: {"_N": np.array([0, 2])}})
    assert codes(rep) == set() and np.concatenate(out["_N"]).tolist() == [3, 1, 0, 2]
    assert fc.check_orig_permutation(rep, facts, "node", {0: {"_N": np.array([3, 1])}, 1: {"_N": np.array([1, 2])}}) is None
    assert fc.check_orig_permutation(rep, facts, "node", {0: {"_N": np.array([3, 1])}, 1: {"_N": np.array([9, 2])}}) is None
    assert [p.code for p in rep.problems] == ["orig_ids.permutation"] * 2
    assert rep.problems[0].examples == [0, 1]


# -- the report ---------------------------------------------------------------------------------------------------------
def test_report_and_guard():
    rep = Report("g.json", max_examples=2)
    rep.error("node_id.range", "bad\nthing", partition=3, path="p3/g.dgl", examples=np.arange(10))
    assert rep.problems[0].examples == [0, 1] and rep.problems[0].message == "bad thing"
    assert rep.problems[0].line() == "ERROR node_id.range [part 3; p3/g.dgl]: bad thing (e.g. 0, 1)"
    with pytest.raises(KeyError):
        rep.error("no.such.code", "x")
    guarded(rep, "boom", lambda: 1 / 0, partition=1)
    assert rep.problems[-1].code == "check.crashed" and "ZeroDivisionError" in rep.problems[-1].message
    assert rep.exit_code == 1 and not rep.valid
    rep2 = Report("g.json")
    rep2.warn("graph.self_loop", "x")
    assert rep2.valid and rep2.exit_code == 0
    rep2.error("config.unreadable", "x")
    assert rep2.exit_code == 2
