"""Out-of-core partitioning of chunked input (gpf.sdk.write.streaming): byte-identical to the in-memory
writer, the same in-process and on a 2-worker Dask LocalCluster, and failures leave no config."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gpf
from gpf.errors import GpfError, UnsupportedError
from gpf.sdk.write import streaming
from gpf.sdk.write.graph import GraphError
from gpf.sdk.write.inputs import load_graph
from gpf.sdk.write.streaming import partition_chunked
from gpf.sdk.write.writer import write_partitions
from tests.helpers.asserts import assert_same_tree
from tests.helpers.writer import make_hetero, make_homo, write_chunked

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("kind, fmt, method", [
    ("homo", "numpy", "random"), ("homo", "parquet", "metis"), ("hetero", "csv", "random"),
    ("hetero", "parquet", "metis"), ("hetero", "numpy", "given"), ("homo", "numpy", "one_part"),
    ("hetero", "zarr", "random"),
])
def test_out_of_core_equals_in_memory_byte_for_byte(tmp_path, monkeypatch, kind, fmt, method):
    monkeypatch.setattr(streaming, "ROUTE_BLOCK", 37 if fmt != "csv" else streaming.ROUTE_BLOCK)  # many route blocks
    g = make_homo() if kind == "homo" else make_hetero()
    src = write_chunked(tmp_path / "in", g, fmt)
    parts = 1 if method == "one_part" else 3
    how = "random" if method == "one_part" else method
    if method == "given":
        rng = np.random.default_rng(5)
        how = {nt: rng.integers(0, parts, g.num_nodes(nt)) for nt in g.ntypes}
    mem, _ = write_partitions(load_graph(src), parts, tmp_path / "mem", "chunky", method=how, seed=3)
    ooc, report = partition_chunked(src, parts, tmp_path / "ooc", method=how, seed=3)
    assert_same_tree(tmp_path / "mem", tmp_path / "ooc")
    assert ooc.num_parts == parts and report.num_edges == g.num_edges()
    assert report.edge_cut == sum(int((~p.inner_node[p.src] & p.inner_edge).sum()) for p in ooc)


@pytest.mark.parametrize("backend", ["npy", "zarr"])
def test_out_of_core_other_backends_equal_in_memory(tmp_path, backend):
    g = make_hetero(seed=4)
    src = write_chunked(tmp_path / "in", g, "numpy")
    mem, _ = write_partitions(load_graph(src), 3, tmp_path / "mem", "chunky", method="random", backend=backend)
    ooc, _ = partition_chunked(src, 3, tmp_path / "ooc", method="random", backend=backend)
    if backend == "npy":
        assert_same_tree(tmp_path / "mem", tmp_path / "ooc")
    for a, b in zip(mem, ooc):
        for attr in ("src", "dst", "global_nid", "global_eid", "inner_node", "inner_edge", "ntype_ids", "etype_ids"):
            assert np.array_equal(getattr(a, attr), getattr(b, attr)), attr
        for feats in ("node_feats", "edge_feats"):
            fa, fb = getattr(a, feats), getattr(b, feats)
            assert sorted(fa) == sorted(fb)
            assert all(np.array_equal(np.asarray(fa[k]), np.asarray(fb[k])) for k in fa)
    for nt in ooc.ntypes:
        assert np.array_equal(mem.orig_nids(nt), ooc.orig_nids(nt))


def test_failures_leave_no_config_and_no_spill(tmp_path):
    g = make_homo()
    src = write_chunked(tmp_path / "in", g, "numpy")
    with pytest.raises(UnsupportedError, match="1-hop HALO only"):
        partition_chunked(src, 2, tmp_path / "o", halo_hops=2)
    bad = np.load(src / "e/0-1.npy")
    bad[3, 1] = 10_000
    np.save(src / "e/0-1.npy", bad)
    with pytest.raises(GraphError, match=r"0-1\.npy: row 3: dst 10000 is out of range"):
        partition_chunked(src, 2, tmp_path / "o")
    assert not list((tmp_path / "o").iterdir())  # no config, no spill folder, no partition files
    src = write_chunked(tmp_path / "in2", g, "numpy")
    meta = json.loads((src / "metadata.json").read_text())
    np.save(src / "short.npy", np.zeros(g.num_nodes() - 1))
    meta["node_data"]["_N"]["short"] = {"format": {"name": "numpy"}, "data": ["short.npy"]}
    (src / "metadata.json").write_text(json.dumps(meta))
    with pytest.raises(GraphError, match=r"\['short'\]: 159 rows in its chunks, expected 160"):
        partition_chunked(src, 2, tmp_path / "o2")
    assert not [p for p in (tmp_path / "o2").iterdir() if p.suffix == ".json" or p.name.startswith(".")]
    with pytest.raises(GpfError, match="would own no nodes"):
        partition_chunked(write_chunked(tmp_path / "in3", make_homo(n=30, m=60), "numpy"), 40, tmp_path / "o3")


def test_cli_out_of_core(tmp_path):
    g = make_hetero()
    src = write_chunked(tmp_path / "in", g, "csv")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    run = subprocess.run([sys.executable, "-m", "gpf.cli", "partition", str(src), str(tmp_path / "out"), "--parts", "3",
                          "--method", "random", "--out-of-core"], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
    assert "edge cut" in run.stdout
    ps = gpf.open(tmp_path / "out" / "chunky.json")
    rebuilt = load_graph(ps.path)
    for et in g.canonical_etypes:
        a = sorted(zip(*map(list, g.edges_dict[et])))
        b = sorted(zip(*map(list, rebuilt.edges_dict[et])))
        assert a == b, et
    run = subprocess.run([sys.executable, "-m", "gpf.cli", "partition", str(src), str(tmp_path / "npy"), "--parts", "3",
                          "--method", "random", "--out-of-core", "--backend", "npy"], capture_output=True, text=True,
                         env=env)
    assert run.returncode == 0, run.stderr
    npy = gpf.open(tmp_path / "npy" / "chunky.json")
    assert all(np.array_equal(a.global_eid, b.global_eid) for a, b in zip(ps, npy))
    run = subprocess.run([sys.executable, "-m", "gpf.cli", "partition", str(src), str(tmp_path / "out2"), "--parts", "3",
                          "--out-of-core", "--halo-hops", "2"], capture_output=True, text=True, env=env)
    assert run.returncode == 2 and run.stderr.startswith("gpf: error:") and len(run.stderr.splitlines()) == 1


def test_no_dask_import_without_workers(tmp_path):
    """Without --workers/--scheduler everything runs in-process and Dask is never imported."""
    src = write_chunked(tmp_path / "in", make_homo(), "numpy")
    code = (f"import sys, gpf; from gpf.sdk.write.streaming import partition_chunked\n"
            f"ps, _ = partition_chunked({str(src)!r}, 2, {str(tmp_path / 'o')!r})\n"
            f"assert gpf.validate(ps.path).valid\n"
            f"gpf.convert(ps.path, {str(tmp_path / 'c')!r}, to='npy', progress=False)\n"
            f"assert not [m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')], 'dask imported'\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env=dict(os.environ, PYTHONPATH=str(ROOT / "src")))
    assert r.returncode == 0, r.stderr
