"""DGL ``partition_graph``'s file options, against real DGL 2.1.0 (and 1.1.3 where it applies).

The matrix: ``graph_formats`` (DGL's test values None, csc, coo+csc, coo+csc+csr) x
``graphbolt`` (off, or on with each of the 8 ``store_*`` combinations) x homogeneous /
heterogeneous x METIS / random x 1 / 4 partitions, plus GraphBolt-only sets
(``dgl_graph=False``).  Both directions:

* gpf writes every case; one DGL 2.1 process (``tests/oracle/dgl_partition_options.py
  check``) loads each with ``load_partition(use_graphbolt=False|True)`` and checks what
  DGL's own tests/distributed/test_partition.py checks for these options, plus that the
  loaded partitions are the input graph; one DGL 1.1.3 process does the same for graph.dgl;
* real DGL 2.1 writes every case (``make``); gpf reads it (graph.dgl and GraphBolt file
  agree), validates it with 0 errors, converts it, and to_pyg/loaders see the input graph.
"""

from __future__ import annotations

import itertools
import json
import os
import re
from pathlib import Path

import numpy as np
import pytest

import gpf
from tests.oracle.runner import DGL2_VENV, run_dgl

pytestmark = pytest.mark.dgl2

FORMATS = [None, ["csc"], ["coo", "csc"], ["coo", "csc", "csr"]]
STORES = [dict(zip(("store_eids", "store_inner_node", "store_inner_edge"), bits))
          for bits in itertools.product([False, True], repeat=3)]
GRAPHBOLT = [None, *STORES]  # None: no GraphBolt file


def _input(hetero: bool) -> tuple[dict, dict, dict, dict]:
    rng = np.random.default_rng(7 if hetero else 3)
    if not hetero:
        n, m = 240, 1200
        counts = {"_N": n}
        edges = {("_N", "_E", "_N"): (rng.integers(0, n, m), rng.integers(0, n, m))}
        ndata = {"_N": {"feat": rng.standard_normal((n, 3)).astype(np.float32)}}
        edata = {("_N", "_E", "_N"): {"w": rng.random(m).astype(np.float32)}}
        return counts, edges, ndata, edata
    counts = {"user": 150, "item": 90, "tag": 20}
    rels = [("user", "follows", "user", 300), ("user", "buys", "item", 400), ("item", "bought_by", "user", 250),
            ("item", "has", "tag", 120)]
    edges = {(s, r, d): (rng.integers(0, counts[s], k), rng.integers(0, counts[d], k)) for s, r, d, k in rels}
    ndata = {"user": {"feat": rng.standard_normal((150, 2)).astype(np.float32)},
             "item": {"feat": rng.standard_normal((90, 2)).astype(np.float32),
                      "label": rng.integers(0, 5, 90).astype(np.int64)}}
    edata = {("user", "buys", "item"): {"w": rng.random(400).astype(np.float32)}}
    return counts, edges, ndata, edata


def _save_input(base: Path, hetero: bool) -> str:
    counts, edges, ndata, edata = _input(hetero)
    arrays = {}
    for (s, r, d), (src, dst) in edges.items():
        arrays[f"src/{s}:{r}:{d}"] = src.astype(np.int64)
        arrays[f"dst/{s}:{r}:{d}"] = dst.astype(np.int64)
    for nt, fr in ndata.items():
        for k, v in fr.items():
            arrays[f"nfeat/{nt}/{k}"] = v
    for et, fr in edata.items():
        for k, v in fr.items():
            arrays[f"efeat/{':'.join(et)}/{k}"] = v
    np.savez(str(base) + ".npz", **arrays)
    (Path(str(base) + ".json")).write_text(json.dumps({"ntypes": counts, "etypes": [list(e) for e in edges]}))
    return str(base)


def _gpf_graph(hetero: bool) -> gpf.Graph:
    counts, edges, ndata, edata = _input(hetero)
    return gpf.Graph(counts, edges, ndata, edata)


def _cases():
    out = []
    for hetero, method, parts in itertools.product((False, True), ("metis", "random"), (1, 4)):
        for fmt, gbo in itertools.product(FORMATS, GRAPHBOLT):
            out.append(dict(hetero=hetero, method=method, num_parts=parts, graph_formats=fmt,
                            graphbolt=gbo is not None, dgl_graph=True, **(gbo or STORES[0])))
        for gbo in STORES:  # GraphBolt-only sets: formats do not apply
            out.append(dict(hetero=hetero, method=method, num_parts=parts, graph_formats=None, graphbolt=True,
                            dgl_graph=False, **gbo))
    for i, c in enumerate(out):
        c["name"] = f"c{i:03d}"
    return out


CASES = _cases()


# DGL_DIST_DEBUG set: DGL (and gpf) store every field in the GraphBolt files.
DEBUG_CASES = [dict(hetero=h, method="random", num_parts=n, graph_formats=None, graphbolt=True, dgl_graph=True,
                    name=f"debug{i}", **STORES[0]) for i, (h, n) in enumerate(itertools.product((False, True), (1, 4)))]


def _case_id(c) -> str:
    flags = "".join(k[6] for k in ("store_eids", "store_inner_node", "store_inner_edge") if c[k])
    gb = ("gbonly" if not c["dgl_graph"] else "gb") + (flags or "-") if c["graphbolt"] else "dgl"
    fmt = "+".join(c["graph_formats"]) if c["graph_formats"] else "default"
    return f"{'het' if c['hetero'] else 'hom'}-{c['method']}-{c['num_parts']}p-{fmt}-{gb}"


def _results(out: str) -> dict[str, str]:
    res = {}
    for line in out.splitlines():
        m = re.match(r"(OK|FAIL|MADE) (\S+?)(?::? (.*))?$", line)
        if m:
            res[m.group(2)] = m.group(1) + (f": {m.group(3)}" if m.group(3) else "")
    return res


def _once(tmp_path_factory, name: str, build):
    """``build(root)`` once per test session, shared by the pytest-xdist workers (a file lock and a
    JSON result in the session's shared temporary folder)."""
    import fcntl

    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    root = shared / name
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = root / "result.json"
        if not done.exists():
            import shutil

            shutil.rmtree(root, ignore_errors=True)
            root.mkdir(parents=True)
            done.write_text(json.dumps(build(root)))
    return json.loads(done.read_text())


@pytest.fixture(scope="module")
def gpf_sets(tmp_path_factory):
    """Every case written by gpf, and what DGL 2.1 and 1.1.3 said about each."""
    return _once(tmp_path_factory, "gpf_sets", _build_gpf_sets)


def _build_gpf_sets(root: Path) -> dict:
    inputs = {h: _save_input(root / f"input_{'het' if h else 'hom'}", h) for h in (False, True)}
    graphs = {h: _gpf_graph(h) for h in (False, True)}
    manifest = []
    for c in CASES:
        out = root / c["name"]
        gpf.partition(graphs[c["hetero"]], c["num_parts"], out, "g", method=c["method"], verbose=False,
                      graph_formats=c["graph_formats"], graphbolt=c["graphbolt"], store_eids=c["store_eids"],
                      store_inner_node=c["store_inner_node"], store_inner_edge=c["store_inner_edge"],
                      dgl_graph=c["dgl_graph"])
        manifest.append({**c, "config": str(out / "g.json"), "input": inputs[c["hetero"]]})
    (root / "manifest.json").write_text(json.dumps(manifest))
    debug = []
    os.environ["DGL_DIST_DEBUG"] = "1"
    try:
        for c in DEBUG_CASES:
            out = root / c["name"]
            gpf.partition(graphs[c["hetero"]], c["num_parts"], out, "g", method=c["method"], verbose=False,
                          graphbolt=True)
            debug.append({**c, "config": str(out / "g.json"), "input": inputs[c["hetero"]]})
    finally:
        del os.environ["DGL_DIST_DEBUG"]
    (root / "manifest_debug.json").write_text(json.dumps(debug))
    dgl1 = [m for m in manifest if not m["graphbolt"]]  # DGL 1.1.3 has no GraphBolt
    (root / "manifest1.json").write_text(json.dumps(dgl1))
    import time

    t0 = time.perf_counter()
    res = {
        "manifest": {m["name"]: m for m in manifest},
        "dgl2": _results(run_dgl("dgl_partition_options.py", "check", root / "manifest.json", venv=DGL2_VENV,
                                 check=False, timeout=1200)),
        "dgl1": _results(run_dgl("dgl_partition_options.py", "check", root / "manifest1.json", check=False,
                                 timeout=1200)),
    }
    res["debug"] = _results(run_dgl("dgl_partition_options.py", "check", root / "manifest_debug.json",
                                    venv=DGL2_VENV, check=False, env_extra={"DGL_DIST_DEBUG": "1"}))
    res["debug_manifest"] = {m["name"]: m for m in debug}
    res["seconds"] = time.perf_counter() - t0
    return res


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_dgl_loads_what_gpf_writes(gpf_sets, case):
    m = gpf_sets["manifest"][case["name"]]
    cfg = json.loads(Path(m["config"]).read_text())
    assert ("part_graph_graphbolt" in cfg["part-0"]) == case["graphbolt"]
    assert ("part_graph" in cfg["part-0"]) == case["dgl_graph"]
    assert gpf_sets["dgl2"].get(m["config"]) == "OK", gpf_sets["dgl2"].get(m["config"], "no verdict from DGL 2.1")
    if not case["graphbolt"]:
        assert gpf_sets["dgl1"].get(m["config"]) == "OK", gpf_sets["dgl1"].get(m["config"], "no verdict from 1.1.3")
    rep = gpf.validate(m["config"])
    assert rep.valid, rep.render()
    if case["graphbolt"] and not case["dgl_graph"] and not case["store_eids"]:
        assert "check.not_stored" in rep.codes


@pytest.mark.parametrize("case", DEBUG_CASES, ids=lambda c: f"{'het' if c['hetero'] else 'hom'}-{c['num_parts']}p")
def test_dgl_debug_mode(gpf_sets, case):
    """With DGL_DIST_DEBUG, the GraphBolt files hold every graph.dgl field with DGL 2.1's dtypes."""
    m = gpf_sets["debug_manifest"][case["name"]]
    assert gpf_sets["debug"].get(m["config"]) == "OK", gpf_sets["debug"].get(m["config"], "no verdict")
    assert gpf.validate(m["config"]).valid


@pytest.fixture(scope="module")
def dgl_sets(tmp_path_factory):
    """Every case written by real DGL 2.1 ``partition_graph``."""
    return _once(tmp_path_factory, "dgl_sets", _build_dgl_sets)


def _build_dgl_sets(root: Path) -> dict:
    inputs = {h: _save_input(root / f"input_{'het' if h else 'hom'}", h) for h in (False, True)}
    manifest = [{**c, "name": "g", "out": str(root / c["name"]), "input": inputs[c["hetero"]]}
                for c in CASES if c["dgl_graph"]]
    (root / "manifest.json").write_text(json.dumps(manifest))
    made = _results(run_dgl("dgl_partition_options.py", "make", root / "manifest.json", venv=DGL2_VENV,
                            timeout=1200))
    return {"root": str(root), "made": made}


DGL_CASES = [c for c in CASES if c["dgl_graph"]]


@pytest.mark.parametrize("case", DGL_CASES, ids=_case_id)
def test_gpf_reads_what_dgl_writes(dgl_sets, case, tmp_path):
    out = Path(dgl_sets["root"]) / case["name"]
    assert dgl_sets["made"].get(str(out)) == "MADE"
    cfg_path = out / "g.json"
    raw = json.loads(cfg_path.read_text())
    assert ("part_graph_graphbolt" in raw["part-0"]) == case["graphbolt"]
    rep = gpf.validate(cfg_path)
    assert rep.valid and not rep.errors, rep.render()
    counts, edges, _, _ = _input(case["hetero"])
    dg = gpf.open(cfg_path)
    assert dg.num_edges == sum(len(s) for s, _ in edges.values())
    for part in dg:  # the formats DGL saved are the ones asked for
        stored = _stored_formats(part.files()["part_graph"])
        assert stored == set(case["graph_formats"] or ["coo"]), stored
    if case["graphbolt"]:
        gb = gpf.open(cfg_path, prefer="graphbolt")
        for a, b in zip(gb, dg):
            assert a.graph.source.endswith(".pt")
            for name in ("global_nid", "inner_node", "ntype_ids"):
                np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
            assert a.has_edge_ids == case["store_eids"]
            if case["store_eids"]:
                for name in ("src", "dst", "global_eid", "inner_edge", "etype_ids"):
                    np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
            else:
                ka = np.lexsort((a.etype_ids, a.dst, a.src))
                kb = np.lexsort((b.etype_ids, b.dst, b.src))
                for name in ("src", "dst", "etype_ids", "inner_edge"):
                    np.testing.assert_array_equal(getattr(a, name)[ka], getattr(b, name)[kb], err_msg=name)
        # the GraphBolt files alone (no graph.dgl), as DGL 2.x deployments ship them
        gb_only = _graphbolt_only_copy(out, tmp_path / "gbonly")
        rep = gpf.validate(gb_only)
        assert rep.valid, rep.render()
        conv = gpf.convert(gb_only, tmp_path / "conv", to="dgl", graphbolt=True, dgl_graph=False,
                           store_eids=case["store_eids"], progress=False)
        assert gpf.validate(conv.path).valid
        from gpf.converters.pyg import to_pyg_graph

        data = to_pyg_graph(gpf.open(gb_only), ids="gpf", edge_features=False)
        assert _num_edges(data) == dg.num_edges
        if case["store_eids"]:
            back = gpf.convert(gb_only, tmp_path / "back", to="dgl", progress=False)  # GraphBolt -> graph.dgl
            assert gpf.validate(back.path).valid
            for a, b in zip(back, dg):
                for name in ("src", "dst", "global_nid", "global_eid", "inner_node", "inner_edge"):
                    np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
        else:
            with pytest.raises(gpf.GpfError, match="stores no edge IDs"):
                gpf.convert(gb_only, tmp_path / "back", to="dgl", progress=False)
    from gpf.loader.cluster import ClusterLoader

    batches = list(ClusterLoader(cfg_path, batch_size=2))
    assert batches


def _stored_formats(path) -> set[str]:
    from gpf.sdk.codecs import dgl_graph
    from gpf.sdk.codecs.dgl_bytes import MAGIC_UNITGRAPH

    raw = Path(path).read_bytes()
    names = set()
    # the saved-formats code of the (single) relation graph: scan for the UnitGraph magic
    magic = MAGIC_UNITGRAPH.to_bytes(8, "little")
    at = raw.find(magic)
    code = int.from_bytes(raw[at + 8:at + 16], "little") & 0xFFFFFFFF
    for name, bit in dgl_graph.FORMAT_CODES.items():
        if code & bit:
            names.add(name)
    return names


def _graphbolt_only_copy(src: Path, dst: Path) -> str:
    import shutil

    shutil.copytree(src, dst)
    cfg = json.loads((dst / "g.json").read_text())
    for p in range(cfg["num_parts"]):
        (dst / cfg[f"part-{p}"].pop("part_graph")).unlink()
    (dst / "g.json").write_text(json.dumps(cfg))
    return str(dst / "g.json")


def _num_edges(data) -> int:
    if hasattr(data, "edge_types"):
        return sum(int(data[et].edge_index.shape[1]) for et in data.edge_types)
    return int(data.edge_index.shape[1])


def test_dgl2_venv_present():
    """The oracle is real: a missing DGL 2.1 venv fails (never skips)."""
    assert (DGL2_VENV / "bin" / "python").exists(), f"{DGL2_VENV} missing: `make test` builds it"
    assert os.access(DGL2_VENV / "bin" / "python", os.X_OK)
