"""Tests of gpf.spec: models, legacy normalisation, safe I/O, JSON schema."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gpf.spec.io as spec_io
from gpf.errors import ConfigError, UnsupportedError
from gpf.spec import (
    SPEC_VERSION,
    PartFiles,
    PartitionConfig,
    config_json_schema,
    config_to_dict,
    dump_config,
    load_config,
    loads_config,
    normalize_config,
    parse_config,
    read_config_json,
    schema_text,
)
from tests.helpers.cases import DGL_CASES

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_FILE = ROOT / "spec" / "gpf.schema.json"

# Verbatim output of DGL 1.1.3 partition_graph (hetero_random_h1 of tests/oracle/dgl_make_partitions.py),
# so the non-oracle tests start from a real config too.
REAL_HETERO = {
    "graph_name": "hetero_random_h1", "num_nodes": 235, "num_edges": 1550, "part_method": "random",
    "num_parts": 3, "halo_hops": 1,
    "node_map": {"item": [[0, 26], [83, 105], [144, 186]], "tag": [[26, 40], [105, 108], [186, 194]],
                 "user": [[40, 83], [108, 144], [194, 235]]},
    "edge_map": {"item:bought_by:user": [[0, 106], [555, 656], [957, 1050]],
                 "item:has:tag": [[106, 230], [656, 678], [1050, 1104]],
                 "tag:has:item": [[230, 270], [678, 711], [1104, 1181]],
                 "user:buys:item": [[270, 417], [711, 841], [1181, 1404]],
                 "user:follows:user": [[417, 555], [841, 957], [1404, 1550]]},
    "ntypes": {"item": 0, "tag": 1, "user": 2},
    "etypes": {"item:bought_by:user": 0, "item:has:tag": 1, "tag:has:item": 2, "user:buys:item": 3,
               "user:follows:user": 4},
    **{f"part-{i}": {"node_feats": f"part{i}/node_feat.dgl", "edge_feats": f"part{i}/edge_feat.dgl",
                     "part_graph": f"part{i}/graph.dgl"} for i in range(3)},
}
REAL_HOMO = {
    "graph_name": "homo_random_h1", "num_nodes": 300, "num_edges": 1500, "part_method": "random",
    "num_parts": 4, "halo_hops": 1,
    "node_map": {"_N": [[0, 77], [77, 149], [149, 217], [217, 300]]},
    "edge_map": {"_N:_E:_N": [[0, 409], [409, 758], [758, 1088], [1088, 1500]]},
    "ntypes": {"_N": 0}, "etypes": {"_N:_E:_N": 0},
    **{f"part-{i}": {"node_feats": f"part{i}/node_feat.dgl", "edge_feats": f"part{i}/edge_feat.dgl",
                     "part_graph": f"part{i}/graph.dgl"} for i in range(4)},
}


def roundtrip(d: dict) -> dict:
    out = config_to_dict(parse_config(d))
    assert out.pop("gpf_version") == SPEC_VERSION
    return out


def expect_config_error(obj, *fragments, **kw) -> ConfigError:
    with pytest.raises(ConfigError) as ei:
        parse_config(obj, source="cfg.json", **kw)
    msg = str(ei.value)
    assert "\n" not in msg
    assert msg.startswith("cfg.json: "), msg
    for frag in fragments:
        assert frag in msg, (frag, msg)
    return ei.value


# --- real DGL output --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_configs(dgl_sets) -> dict[str, Path]:
    found = {p.parent.name: p for p in dgl_sets.glob("*/*.json")}
    assert set(found) >= set(DGL_CASES), found
    return found


@pytest.mark.oracle
@pytest.mark.parametrize("case", DGL_CASES)
def test_real_dgl_config_roundtrips(real_configs, case):
    path = real_configs[case]
    original = json.loads(path.read_text())
    cfg = load_config(path)
    assert cfg.source == str(path)
    out = config_to_dict(cfg)
    assert out.pop("gpf_version") == SPEC_VERSION
    assert out == original
    assert cfg.is_homogeneous == case.startswith("homo")
    ranges = cfg.node_ranges()
    assert ranges.shape == (len(cfg.ntypes), cfg.num_parts, 2) and ranges.dtype == np.int64
    assert int((ranges[:, :, 1] - ranges[:, :, 0]).sum()) == cfg.num_nodes
    eranges = cfg.edge_ranges()
    assert int((eranges[:, :, 1] - eranges[:, :, 0]).sum()) == cfg.num_edges
    for t, name in enumerate(cfg.ntype_names):
        assert cfg.ntypes[name] == t
        assert ranges[t].tolist() == original["node_map"][name]
    for t, c in enumerate(cfg.canonical_etypes):
        assert original["etypes"][":".join(c)] == t
    assert cfg.part_files(0).part_graph == "part0/graph.dgl"


@pytest.mark.oracle
@pytest.mark.parametrize("case", DGL_CASES)
def test_real_dgl_config_legacy_variants(real_configs, case):
    canon = json.loads(real_configs[case].read_text())
    # Plain edge-type keys (pre-1.0), resolved (homogeneous "_E" needs no resolver).
    plain, resolver = to_plain_keys(canon)
    assert plain != canon
    norm, notes = normalize_config(plain, etype_resolver=resolver)
    assert norm == canon
    assert notes and all("plain edge-type key (DGL < 1.0) renamed to" in n for n in notes)
    assert roundtrip_with(plain, resolver) == canon
    if resolver is not None:
        with pytest.raises(ConfigError, match="run `gpf upgrade OLD.json NEW.json`"):
            parse_config(plain)
    # npy maps are refused.
    with pytest.raises(UnsupportedError, match="re-partition"):
        parse_config({**canon, "node_map": "/old/out/node_map.npy"})
    # Absolute part paths (DGL 0.5) are data, kept as they are.
    absolute = copy.deepcopy(canon)
    for i in range(canon["num_parts"]):
        absolute[f"part-{i}"] = {k: f"/abs/out/{v}" for k, v in canon[f"part-{i}"].items()}
    assert roundtrip(absolute) == absolute
    if case.startswith("homo"):
        assert roundtrip(to_dgl05(canon)) == canon


def to_plain_keys(canon: dict):
    """The same config with pre-1.0 plain etype keys where the relation name is unique."""
    rels = [k.split(":")[1] for k in canon["etypes"]]
    if canon["etypes"] == {"_N:_E:_N": 0}:
        resolver = None
    else:
        def resolver(names):
            return {k.split(":")[1]: tuple(k.split(":")) for k in canon["etypes"] if k.split(":")[1] in names}
    rename = {k: k.split(":")[1] for k in canon["etypes"] if rels.count(k.split(":")[1]) == 1}
    out = copy.deepcopy(canon)
    out["edge_map"] = {rename.get(k, k): v for k, v in canon["edge_map"].items()}
    out["etypes"] = {rename.get(k, k): v for k, v in canon["etypes"].items()}
    return out, resolver


def to_dgl05(canon: dict) -> dict:
    """A homogeneous config as DGL 0.5 wrote it: list maps of end IDs, no ntypes/etypes."""
    old = {k: v for k, v in canon.items() if k not in ("ntypes", "etypes")}
    old["node_map"] = [e for _, e in canon["node_map"]["_N"]]
    old["edge_map"] = [e for _, e in canon["edge_map"]["_N:_E:_N"]]
    return old


# --- legacy variants (no DGL needed) ---------------------------------------------------------


def test_dgl05_homogeneous_normalises():
    norm, notes = normalize_config(to_dgl05(REAL_HOMO))
    assert norm == REAL_HOMO
    assert notes == [
        'node_map: plain list (DGL <= 0.5, homogeneous) wrapped as {"_N": [...]}',
        'edge_map: plain list (DGL <= 0.5, homogeneous) wrapped as {"_N:_E:_N": [...]}',
        "node_map._N: end-only ranges [e0, e1, ...] (DGL 0.5) expanded to [[0, e0], [e0, e1], ...]",
        "edge_map._N:_E:_N: end-only ranges [e0, e1, ...] (DGL 0.5) expanded to [[0, e0], [e0, e1], ...]",
        'ntypes: missing, set to {"_N": 0} (homogeneous default)',
        'etypes: missing, set to {"_N:_E:_N": 0} (homogeneous default)',
    ]


def test_list_maps_with_pairs():
    d = copy.deepcopy(REAL_HOMO)
    d["node_map"] = REAL_HOMO["node_map"]["_N"]
    d["edge_map"] = REAL_HOMO["edge_map"]["_N:_E:_N"]
    norm, notes = normalize_config(d)
    assert norm == REAL_HOMO and len(notes) == 2


def test_end_only_per_key():
    d = copy.deepcopy(REAL_HETERO)
    d["node_map"]["tag"] = [5, 9, 9]
    norm, notes = normalize_config(d)
    assert norm["node_map"]["tag"] == [[0, 5], [5, 9], [9, 9]]
    assert norm["node_map"]["user"] == REAL_HETERO["node_map"]["user"]
    assert notes == ["node_map.tag: end-only ranges [e0, e1, ...] (DGL 0.5) expanded to [[0, e0], [e0, e1], ...]"]


def test_missing_types_and_halo_hops_default():
    d = {k: v for k, v in REAL_HOMO.items() if k not in ("ntypes", "etypes", "halo_hops")}
    norm, notes = normalize_config(d)
    assert norm == REAL_HOMO
    assert "halo_hops: missing, set to 1" in notes
    assert parse_config(d).halo_hops == 1


def test_input_not_modified():
    d = to_dgl05(REAL_HOMO)
    before = copy.deepcopy(d)
    parse_config(d)
    assert d == before


def test_plain_etype_keys_need_resolver():
    d, _ = to_plain_keys(REAL_HETERO)
    assert "follows" in d["edge_map"]
    err = expect_config_error(d, "pre-1.0 config with plain edge-type keys; run `gpf upgrade OLD.json NEW.json`")
    assert err.key == "edge_map.bought_by"


def test_plain_etype_keys_with_resolver():
    d, resolver = to_plain_keys(REAL_HETERO)
    calls = []

    def spy(names):
        calls.append(list(names))
        return resolver(names)

    norm, notes = normalize_config(d, etype_resolver=spy)
    assert norm == REAL_HETERO
    assert list(norm["etypes"]) == list(REAL_HETERO["etypes"])  # order kept
    assert calls == [["bought_by", "buys", "follows"]]
    assert "edge_map.follows: plain edge-type key (DGL < 1.0) renamed to 'user:follows:user'" in notes
    assert "etypes.follows: plain edge-type key (DGL < 1.0) renamed to 'user:follows:user'" in notes
    assert roundtrip_with(d, spy) == REAL_HETERO


def roundtrip_with(d, resolver):
    out = config_to_dict(parse_config(d, etype_resolver=resolver))
    out.pop("gpf_version")
    return out


def test_homogeneous_plain_etype_needs_no_resolver():
    d = copy.deepcopy(REAL_HOMO)
    d["edge_map"] = {"_E": d["edge_map"]["_N:_E:_N"]}
    d["etypes"] = {"_E": 0}
    norm, notes = normalize_config(d)
    assert norm == REAL_HOMO and len(notes) == 2


@pytest.mark.parametrize(
    "answer, fragment",
    [
        ({}, "could not determine the canonical edge type of 'bought_by'"),
        ({"bought_by": ("item", "bought_by")}, "not (src, rel, dst)"),
        ({"bought_by": ("item", "sold_to", "user")}, "whose relation is not 'bought_by'"),
        ({"bought_by": ("it/em", "bought_by", "user")}, "must not contain '/' or ':'"),
    ],
)
def test_bad_resolver_answers(answer, fragment):
    d, resolver = to_plain_keys(REAL_HETERO)

    def bad(names):
        return {**resolver(names), **answer} if answer else {}

    expect_config_error(d, fragment, etype_resolver=bad)


def test_plain_keys_colliding_after_resolution():
    d = copy.deepcopy(REAL_HETERO)
    d["etypes"]["follows"] = 9  # duplicates user:follows:user once resolved
    expect_config_error(d, "collide", etype_resolver=lambda names: {"follows": ("user", "follows", "user")})


@pytest.mark.parametrize("field", ["node_map", "edge_map"])
def test_npy_path_maps_unsupported(field):
    d = {**REAL_HOMO, field: "/data/old/" + field + ".npy"}
    with pytest.raises(UnsupportedError) as ei:
        parse_config(d, source="old.json")
    msg = str(ei.value)
    assert msg.startswith(f"old.json: {field}: is a file path")
    assert "pre-1.0 non-reshuffled layout" in msg and "re-partition" in msg and "\n" not in msg


def test_chunked_input_metadata_is_not_a_config():
    meta = {"graph_name": "g", "node_type": ["a"], "num_nodes_per_chunk": [[3]], "edge_type": ["a:r:a"],
            "num_edges_per_chunk": [[2]], "edges": {}}
    expect_config_error(meta, "chunked-graph input metadata.json")


def test_graphbolt_and_pipeline_variants_roundtrip():
    # dgl_partition_to_graphbolt: both graphs + dtypes.
    gb = copy.deepcopy(REAL_HETERO)
    for i in range(3):
        gb[f"part-{i}"]["part_graph_graphbolt"] = f"part{i}/fused_csc_sampling_graph.pt"
    gb["node_map_dtype"] = "int64"
    gb["edge_map_dtype"] = "int64"
    assert roundtrip(gb) == gb
    # master partition_graph(use_graphbolt=True) / pipeline --use-graphbolt: no part_graph, no dtypes.
    only_gb = copy.deepcopy(REAL_HETERO)
    for i in range(3):
        only_gb[f"part-{i}"] = {"node_feats": f"part{i}/node_feat.dgl", "edge_feats": f"part{i}/edge_feat.dgl",
                                "part_graph_graphbolt": f"part{i}/fused_csc_sampling_graph.pt"}
    cfg = parse_config(only_gb)
    assert cfg.parts[0].part_graph is None
    assert roundtrip(only_gb) == only_gb
    # pipeline metadata.json: same schema, plus orig_nids-like extras some tools add.
    meta = copy.deepcopy(REAL_HETERO)
    meta["part_method"] = "metis"
    assert roundtrip(meta) == meta


def test_unknown_keys_preserved():
    d = copy.deepcopy(REAL_HETERO)
    d["creator"] = {"tool": "x", "nested": [1, {"a": None}]}
    d["parts"] = ["not", "ours"]  # an unknown key that clashes with the Python field name
    d["extra"] = 3
    d["part-07"] = {"weird": True}  # not a part-N key (leading zero)
    d["part-1"]["orig_nids"] = "part1/orig_nids.dgl"
    d["part-1"]["backend"] = {"kind": "npy"}
    d["part-2"]["part_graph"] = None  # explicit null kept
    cfg = parse_config(d)
    assert cfg.extra == {"creator": d["creator"], "parts": ["not", "ours"], "extra": 3, "part-07": {"weird": True}}
    assert cfg.parts[1].extra_keys() == {"orig_nids": "part1/orig_nids.dgl", "backend": {"kind": "npy"}}
    out = config_to_dict(cfg)
    assert out.pop("gpf_version") == SPEC_VERSION
    assert out == d
    assert list(out)[-4:] == ["creator", "parts", "extra", "part-07"]


def test_canonical_key_order():
    d = json.loads(json.dumps(REAL_HETERO, sort_keys=True))  # DGL < 2.0 sorted the keys
    d["node_map_dtype"] = "int64"
    out = config_to_dict(parse_config(d))
    assert list(out) == ["gpf_version", "graph_name", "num_nodes", "num_edges", "part_method", "num_parts",
                         "halo_hops", "node_map", "edge_map", "ntypes", "etypes", "part-0", "part-1", "part-2",
                         "node_map_dtype"]


def test_gpf_version_rules():
    assert parse_config({**REAL_HOMO, "gpf_version": "1.7"}).gpf_version == "1.7"
    assert config_to_dict(parse_config({**REAL_HOMO, "gpf_version": "1.7"}))["gpf_version"] == SPEC_VERSION
    with pytest.raises(UnsupportedError, match="newer major version"):
        parse_config({**REAL_HOMO, "gpf_version": "2.0"})
    expect_config_error({**REAL_HOMO, "gpf_version": "1.0.0"}, "gpf_version: ", "MAJOR.MINOR")
    expect_config_error({**REAL_HOMO, "gpf_version": 1.0}, "gpf_version: expected a string, got number")


# --- model convenience -------------------------------------------------------------------------


def test_convenience_orders_by_type_id():
    d = copy.deepcopy(REAL_HETERO)
    d["ntypes"] = {"user": 2, "item": 0, "tag": 1}  # file order != ID order
    d["node_map"] = {k: d["node_map"][k] for k in ("user", "tag", "item")}
    cfg = parse_config(d)
    assert cfg.ntype_names == ["item", "tag", "user"]
    assert cfg.canonical_etypes[0] == ("item", "bought_by", "user")
    assert cfg.canonical_etypes[-1] == ("user", "follows", "user")
    nr = cfg.node_ranges()
    assert nr.shape == (3, 3, 2) and nr.dtype == np.int64
    assert nr[0].tolist() == REAL_HETERO["node_map"]["item"]
    assert nr[2].tolist() == REAL_HETERO["node_map"]["user"]
    assert cfg.edge_ranges()[4].tolist() == REAL_HETERO["edge_map"]["user:follows:user"]
    assert not cfg.is_homogeneous and parse_config(REAL_HOMO).is_homogeneous
    assert isinstance(cfg.part_files(2), PartFiles)
    with pytest.raises(ConfigError, match=r"part-3: no such partition entry \(the config has part-0..part-2\)"):
        cfg.part_files(3)


def test_disagreeing_config_still_parses_but_ranges_explain():
    d = copy.deepcopy(REAL_HETERO)
    d["num_parts"] = 4  # maps have 3 ranges: the validator's business, parsing must not fail
    cfg = parse_config(d, source="x.json")
    with pytest.raises(ConfigError, match=r"x.json: node_map.item: has 3 range\(s\) but num_parts is 4"):
        cfg.node_ranges()
    d = copy.deepcopy(REAL_HETERO)
    d["node_map"]["ghost"] = [[0, 0]] * 3
    with pytest.raises(ConfigError, match="node_map.ghost: type is not listed in ntypes"):
        parse_config(d).node_ranges()
    d = copy.deepcopy(REAL_HETERO)
    del d["edge_map"]["item:has:tag"]
    with pytest.raises(ConfigError, match="edge_map.item:has:tag: type listed in etypes has no ranges"):
        parse_config(d).edge_ranges()


def test_python_construction_and_numpy_scalars():
    d = copy.deepcopy(REAL_HOMO)
    d["num_nodes"] = np.int64(300)
    d["node_map"] = {"_N": np.array(REAL_HOMO["node_map"]["_N"]).tolist()}
    d["edge_map"] = {"_N:_E:_N": [tuple(np.int64(x) for x in r) for r in REAL_HOMO["edge_map"]["_N:_E:_N"]]}
    assert roundtrip(d) == REAL_HOMO
    cfg = PartitionConfig(
        graph_name="g", num_nodes=3, num_edges=0, part_method="random", num_parts=1,
        node_map={"_N": [(0, 3)]}, edge_map={"_N:_E:_N": [(0, 0)]}, ntypes={"_N": 0}, etypes={"_N:_E:_N": 0},
        parts=[PartFiles(part_graph="part0/graph.dgl")],
    )
    assert config_to_dict(cfg)["part-0"] == {"part_graph": "part0/graph.dgl"}
    with pytest.raises(ValueError, match="spec key"):
        PartitionConfig(**{**cfg.model_dump(), "extra": {"num_parts": 2}})
    with pytest.raises(ValueError, match="spec key"):
        PartitionConfig(**{**cfg.model_dump(), "extra": {"part-1": {}}})


# --- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "mutate, fragments",
    [
        (lambda d: d["node_map"]["user"].__setitem__(2, [1, 2, 3]),
         ["node_map.user[2]: a range must be a [start, end] pair of integers, got an array of 3 item(s)"]),
        (lambda d: d["node_map"]["user"].__setitem__(2, "x"), ["node_map.user[2]: a range must be a [start, end]"]),
        (lambda d: d["node_map"]["user"][2].__setitem__(0, 1.5), ["node_map.user[2][0]: expected an integer, got number"]),
        (lambda d: d["node_map"]["user"][2].__setitem__(1, True), ["node_map.user[2][1]: expected an integer, got boolean"]),
        (lambda d: d["edge_map"]["user:buys:item"][0].__setitem__(0, -4), ["edge_map.user:buys:item[0][0]: must be >= 0"]),
        (lambda d: d["edge_map"]["user:buys:item"][0].__setitem__(1, 2**63), ["edge_map.user:buys:item[0][1]: must be <= 9223372036854775807"]),
        (lambda d: d.__setitem__("num_nodes", "235"), ["num_nodes: expected an integer, got string"]),
        (lambda d: d.pop("graph_name"), ["graph_name: required key is missing"]),
        (lambda d: d.__setitem__("num_parts", 0), ["num_parts: must be >= 1, got 0"]),
        (lambda d: d.__setitem__("node_map", 5), ["node_map: expected an object, got integer"]),
        (lambda d: d.__setitem__("ntypes", {"item": "0"}), ["ntypes.item: expected an integer, got string"]),
        (lambda d: d.__setitem__("node_map_dtype", "int16"), ["node_map_dtype: must be one of 'int32' or 'int64'"]),
        (lambda d: d["part-1"].__setitem__("node_feats", 3), ["part-1.node_feats: expected a string, got integer"]),
        (lambda d: d.__setitem__("part-2", ["part2/graph.dgl"]), ["part-2: expected an object, got array"]),
        (lambda d: d.pop("part-1"), ["part-1: missing (part-N entries must run part-0, part-1, ... without gaps"]),
        (lambda d: d.__setitem__("graph_name", None), ["graph_name: expected a string, got null"]),
    ],
)
def test_wrong_types_name_key_path(mutate, fragments):
    d = copy.deepcopy(REAL_HETERO)
    mutate(d)
    expect_config_error(d, *fragments)


@pytest.mark.parametrize(
    "mutate, key, fragment",
    [
        (lambda d: d["node_map"].__setitem__("us/er", [[0, 0]] * 3), "node_map.us/er",
         "bad key: type name 'us/er' must not contain '/' or ':'"),
        (lambda d: d["ntypes"].__setitem__("", 3), 'ntypes[""]', "bad key: type name must not be empty"),
        (lambda d: d["etypes"].__setitem__("a:b", 5), "etypes.a:b", "must be 'src:rel:dst'"),
        (lambda d: d["etypes"].__setitem__("a:b:c:d", 5), "etypes.a:b:c:d", "it has 4 part(s)"),
        (lambda d: d["edge_map"].__setitem__("user:fol/lows:user", [[0, 0]] * 3), "edge_map.user:fol/lows:user",
         "relation 'fol/lows' must not contain '/' or ':'"),
        (lambda d: d["edge_map"].__setitem__("user::user", [[0, 0]] * 3), "edge_map.user::user",
         "relation must not be empty"),
    ],
)
def test_bad_type_names(mutate, key, fragment):
    d = copy.deepcopy(REAL_HETERO)
    mutate(d)
    err = expect_config_error(d, fragment)
    assert err.key == key


def test_several_errors_are_counted():
    d = copy.deepcopy(REAL_HETERO)
    d["num_nodes"] = "x"
    d["num_edges"] = "y"
    expect_config_error(d, "num_nodes: expected an integer", "(and 1 more problem(s))")


def test_non_object_and_non_json_values():
    expect_config_error([REAL_HOMO], "not a partition config (top level is a JSON array, not an object)")
    expect_config_error({**REAL_HOMO, "x": {1, 2}}, "x: not a JSON value (set)")
    expect_config_error({**REAL_HOMO, "x": float("nan")}, "x: nan is not a JSON number")
    expect_config_error({**REAL_HOMO, "x": {3: 4}}, "x: object keys must be strings")


def write(tmp_path: Path, data: bytes | str, name: str = "g.json") -> Path:
    p = tmp_path / name
    p.write_bytes(data.encode() if isinstance(data, str) else data)
    return p


def test_load_errors(tmp_path, monkeypatch):
    def err(p) -> str:
        with pytest.raises(ConfigError) as ei:
            load_config(p)
        msg = str(ei.value)
        assert msg.startswith(str(p) + ": ") and "\n" not in msg
        return msg

    assert "invalid JSON at line 3 column 5" in err(write(tmp_path, '{\n "a": 1,\n    }'))
    assert "not valid UTF-8 at byte 11" in err(write(tmp_path, b'{"graph": "\xff\xfe"}'))
    assert "nested deeper than 64 levels" in err(write(tmp_path, "[" * 100 + "]" * 100))
    assert "nested deeper than 64 levels" in err(write(tmp_path, "[" * 100_000 + "]" * 100_000))
    assert "NaN is not a JSON number" in err(write(tmp_path, '{"x": NaN}'))
    assert 'duplicate key "num_parts"' in err(write(tmp_path, '{"num_parts": 1, "num_parts": 2}'))
    assert "not a partition config (top level is a JSON array, not an object)" in err(write(tmp_path, "[1, 2]"))
    assert "no such file" in err(tmp_path / "missing.json")
    assert "is a directory" in err(tmp_path)
    assert "invalid JSON" in err(write(tmp_path, '{"x": ' + "9" * 5000 + "}"))
    p = write(tmp_path, json.dumps(REAL_HOMO))
    monkeypatch.setattr(spec_io, "MAX_CONFIG_BYTES", 100)
    assert "over the 100-byte limit" in err(p)


def test_load_bom_and_key_path_from_file(tmp_path):
    p = write(tmp_path, b"\xef\xbb\xbf" + json.dumps(REAL_HOMO).encode())
    assert load_config(p).num_parts == 4
    with pytest.raises(ConfigError, match="not valid UTF-8 at byte 5: invalid start byte"):
        load_config(write(tmp_path, b'\xef\xbb\xbf{"\x80": 1}'))
    d = copy.deepcopy(REAL_HOMO)
    d["node_map"]["_N"][3] = [217]
    with pytest.raises(ConfigError, match=r"g.json: node_map._N\[3\]: a range must be .* fewer than 2 items"):
        load_config(write(tmp_path, json.dumps(d)))


def test_loads_config_bytes():
    assert loads_config(json.dumps(REAL_HETERO).encode(), source="s3://b/g.json").source == "s3://b/g.json"
    with pytest.raises(ConfigError, match="s3://b/g.json: invalid JSON at line 1 column 2"):
        loads_config(b"{", source="s3://b/g.json")


def test_dump_config_atomic(tmp_path):
    cfg = parse_config(to_dgl05(REAL_HOMO))
    out = tmp_path / "new.json"
    dump_config(cfg, out)
    text = out.read_text()
    assert text.startswith('{\n    "gpf_version": "1.1",\n    "graph_name"')  # indent=4 like DGL
    assert load_config(out) == cfg.model_copy(update={"gpf_version": SPEC_VERSION})
    assert read_config_json(out) == {"gpf_version": SPEC_VERSION, **REAL_HOMO}
    out.chmod(0o640)
    dump_config(cfg, out)
    assert (out.stat().st_mode & 0o777) == 0o640
    assert sorted(os.listdir(tmp_path)) == ["new.json"]  # no temp file left


# --- schema ------------------------------------------------------------------------------------


def test_schema_file_is_current():
    assert SCHEMA_FILE.exists(), "spec/gpf.schema.json missing: run `gpf schema --out spec/gpf.schema.json`"
    assert SCHEMA_FILE.read_text() == schema_text(), (
        "spec/gpf.schema.json is out of date with gpf.spec.models: regenerate it with "
        "`gpf schema --out spec/gpf.schema.json` and commit it"
    )


def test_schema_describes_the_file_not_the_model():
    s = config_json_schema()
    assert s["$schema"].endswith("2020-12/schema")
    assert "parts" not in s["properties"] and "extra" not in s["properties"]
    assert s["patternProperties"] == {r"^part-(0|[1-9][0-9]{0,17})$": {"$ref": "#/$defs/PartFiles"}}
    assert s["additionalProperties"] is True
    assert s["x-gpf-spec-version"] == SPEC_VERSION
    assert set(s["required"]) == {"graph_name", "num_nodes", "num_edges", "part_method", "num_parts",
                                  "node_map", "edge_map", "ntypes", "etypes"}
    assert s["properties"]["edge_map"]["additionalProperties"] is False
    assert list(s["properties"]["edge_map"]["patternProperties"]) == ["^[^/:]+:[^/:]+:[^/:]+$"]
    assert s["$defs"]["PartFiles"]["additionalProperties"] is True


# --- fuzzing -----------------------------------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | \
    st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=8)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)
spec_keys = st.sampled_from(
    ["graph_name", "num_nodes", "num_edges", "part_method", "num_parts", "halo_hops", "node_map", "edge_map",
     "ntypes", "etypes", "part-0", "part-1", "part-2", "node_map_dtype", "gpf_version", "num_nodes_per_chunk"]
)


def check_only_config_errors(obj) -> None:
    try:
        cfg = parse_config(obj, source="fuzz.json")
    except (ConfigError, UnsupportedError) as e:
        assert "\n" not in str(e)
        return
    out = config_to_dict(cfg)
    json.dumps(out, allow_nan=False)
    again = parse_config(out, source="other.json")
    assert again == cfg.model_copy(update={"gpf_version": SPEC_VERSION})
    assert config_to_dict(again) == out
    for f in (cfg.node_ranges, cfg.edge_ranges):
        try:
            f()
        except ConfigError:
            pass


@settings(max_examples=int(os.environ.get("GPF_FUZZ_EXAMPLES", "300")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_fuzz_random_json(obj):
    check_only_config_errors(obj)


@settings(max_examples=int(os.environ.get("GPF_FUZZ_EXAMPLES", "300")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([REAL_HETERO, REAL_HOMO, to_dgl05(REAL_HOMO)]), st.data())
def test_fuzz_mutated_real_config(base, data):
    d = copy.deepcopy(base)
    for _ in range(data.draw(st.integers(1, 3))):
        # walk to a random node and replace / delete / add something there
        node = d
        while True:
            keys = list(node) if isinstance(node, dict) else list(range(len(node)))
            if not keys:
                break
            k = data.draw(st.sampled_from(keys))
            child = node[k]
            if isinstance(child, (dict, list)) and child and data.draw(st.booleans()):
                node = child
                continue
            action = data.draw(st.sampled_from(["replace", "delete", "add"]))
            if action == "replace":
                node[k] = data.draw(json_values)
            elif action == "delete":
                del node[k]
            elif isinstance(node, dict):
                node[data.draw(spec_keys | st.text(max_size=6))] = data.draw(json_values)
            else:
                node.append(data.draw(json_values))
            break
    check_only_config_errors(d)


# --- SPEC.md -----------------------------------------------------------------------------------


def test_spec_document_matches_code():
    text = (ROOT / "spec" / "SPEC.md").read_text()
    assert text.splitlines()[0].endswith(f"specification version {SPEC_VERSION}")
    import re

    rules = re.findall(r"^\* \*\*([A-Z][0-9]+)\*\*", text, flags=re.M)
    assert len(rules) == len(set(rules)), "duplicate rule numbers in SPEC.md"
    for prefix in "CPGFMB":
        nums = [int(r[1:]) for r in rules if r[0] == prefix]
        assert nums == list(range(1, len(nums) + 1)), (prefix, nums)
    from gpf.spec import TOP_LEVEL_KEYS

    for key in TOP_LEVEL_KEYS:
        assert f"| `{key}` |" in text, key


def test_ranges_check_num_parts_before_allocating(real_configs):
    """A huge claimed num_parts with short range lists is a ConfigError, not a 20 GiB allocation."""
    raw = json.loads(real_configs["hetero_random_h1"].read_text())
    raw["num_parts"] = 315956378
    cfg = parse_config(raw, source="cfg.json")
    with pytest.raises(ConfigError, match="num_parts is 315956378"):
        cfg.node_ranges()
    with pytest.raises(ConfigError, match="num_parts is 315956378"):
        cfg.edge_ranges()
