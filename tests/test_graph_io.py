"""gpf.Graph.save/load (the .npz convention) and Graph.save_chunked (DGL's chunked graph format)."""

from __future__ import annotations

import filecmp
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gpf
from gpf.sdk.write.graph import Graph, GraphError
from gpf.sdk.write.inputs import load_graph
from tests.helpers.writer import make_hetero, make_homo


def same_graph(a: Graph, b: Graph) -> None:
    assert a.num_nodes_dict == b.num_nodes_dict and a.canonical_etypes == b.canonical_etypes
    for et in a.canonical_etypes:
        for x, y in zip(a.edges_dict[et], b.edges_dict[et]):
            assert np.array_equal(x, y), et
        assert set(a.edata[et]) == set(b.edata[et]), et
        for k, v in a.edata[et].items():
            assert v.dtype == b.edata[et][k].dtype and np.array_equal(v, b.edata[et][k]), (et, k)
    for nt in a.ntypes:
        assert set(a.ndata[nt]) == set(b.ndata[nt]), nt
        for k, v in a.ndata[nt].items():
            assert v.dtype == b.ndata[nt][k].dtype and np.array_equal(v, b.ndata[nt][k]), (nt, k)


def test_save_load_npz_round_trip(tmp_path):
    g = make_homo()
    path = g.save(tmp_path / "g.npz")
    assert path == str(tmp_path / "g.npz") and not list(tmp_path.glob(".*tmp"))
    same_graph(g, Graph.load(path))
    same_graph(g, Graph.from_npz(path))
    with np.load(path) as z:  # the documented keys, nothing else
        assert sorted(z.files) == sorted(["src", "dst", "num_nodes", *(f"node:{k}" for k in g.ndata["_N"]),
                                          *(f"edge:{k}" for k in g.edata[("_N", "_E", "_N")])])


def test_saved_npz_partitions_like_the_graph(tmp_path):
    g = make_homo()
    g.save(tmp_path / "g.npz")
    r = subprocess.run([sys.executable, "-m", "gpf.cli", "partition", str(tmp_path / "g.npz"), str(tmp_path / "cli"),
                        "--parts", "3", "--method", "random"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    gpf.partition(g, 3, tmp_path / "py", "g", method="random")
    for f in sorted((tmp_path / "py").rglob("*")):
        if f.is_file():
            assert filecmp.cmp(f, tmp_path / "cli" / f.relative_to(tmp_path / "py"), shallow=False), f


def test_save_npz_refuses_hetero_and_bad_names(tmp_path):
    with pytest.raises(GraphError, match="save_chunked"):
        make_hetero().save(tmp_path / "h.npz")
    with pytest.raises(GraphError, match="must end in .npz"):
        make_homo().save(tmp_path / "h.bin")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("make", [make_homo, make_hetero])
@pytest.mark.parametrize("fmt", ["csv", "numpy"])
def test_save_chunked_round_trip(tmp_path, make, fmt):
    g = make()
    meta = g.save_chunked(tmp_path / "chunked", num_chunks=3, edge_format=fmt, graph_name="toy")
    raw = json.loads(Path(meta).read_text())
    assert raw["graph_name"] == "toy" and raw["node_type"] == g.ntypes
    assert raw["edge_type"] == [":".join(e) for e in g.canonical_etypes]
    assert all(len(c) == 3 for c in raw["num_nodes_per_chunk"] + raw["num_edges_per_chunk"])
    assert [sum(c) for c in raw["num_nodes_per_chunk"]] == [g.num_nodes(nt) for nt in g.ntypes]
    same_graph(g, load_graph(tmp_path / "chunked"))


def test_chunked_feeds_the_out_of_core_partitioner_byte_for_byte(tmp_path):
    g = make_hetero()
    g.save_chunked(tmp_path / "chunked", num_chunks=2, graph_name="toy")
    r = subprocess.run([sys.executable, "-m", "gpf.cli", "partition", str(tmp_path / "chunked"), str(tmp_path / "ooc"),
                        "--parts", "3", "--method", "random", "--out-of-core"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    gpf.partition(g, 3, tmp_path / "mem", "toy", method="random")
    files = sorted(p.relative_to(tmp_path / "mem") for p in (tmp_path / "mem").rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path / "ooc") for p in (tmp_path / "ooc").rglob("*") if p.is_file())
    for f in files:
        assert filecmp.cmp(tmp_path / "mem" / f, tmp_path / "ooc" / f, shallow=False), f


def test_save_chunked_refuses_to_overwrite(tmp_path):
    g = make_homo()
    g.save_chunked(tmp_path / "c")
    with pytest.raises(GraphError, match="already exists"):
        g.save_chunked(tmp_path / "c")
    g.save_chunked(tmp_path / "c", overwrite=True, num_chunks=2)
    same_graph(g, load_graph(tmp_path / "c"))
    with pytest.raises(GraphError, match="num_chunks"):
        g.save_chunked(tmp_path / "d", num_chunks=0)
