"""Scale-out on Dask (gpf.parallel): partition, validate and convert on a 2-worker LocalCluster give
the same sets and reports as in-process.  One cluster serves the whole module."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dask.distributed as distributed  # a dev dependency: a missing Dask fails these tests, never skips them
import numpy as np
import pytest

import gpf
from gpf.sdk.write.streaming import partition_chunked
from gpf.sdk.write.writer import write_partitions
from tests.helpers.asserts import assert_same_tree
from tests.helpers.defects import MutableGraph, copy_set
from tests.helpers.writer import make_hetero, make_homo, write_chunked

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=50) as cluster, distributed.Client(cluster) as c:
        yield c


def test_partition_on_two_workers_writes_the_same_set(tmp_path, client):
    g = make_hetero(seed=2)
    src = write_chunked(tmp_path / "in", g, "numpy")
    partition_chunked(src, 4, tmp_path / "a", method="random", seed=1)
    partition_chunked(src, 4, tmp_path / "b", method="random", seed=1, client=client)
    assert_same_tree(tmp_path / "a", tmp_path / "b")


@pytest.mark.parametrize("to", ["npy", "zarr"])
def test_convert_on_two_workers_equals_in_process(tmp_path, client, to):
    g = make_hetero(seed=6)
    ps, _ = write_partitions(g, 3, tmp_path / "set", "g", method="random")
    a = gpf.convert(ps.path, tmp_path / "a", to=to, progress=False)
    b = gpf.convert(ps.path, tmp_path / "b", to=to, progress=False, client=client)
    if to == "npy":
        assert_same_tree(tmp_path / "a", tmp_path / "b")
    for pa, pb in zip(a, b):
        for attr in ("src", "dst", "global_nid", "global_eid", "inner_node", "inner_edge"):
            assert np.array_equal(getattr(pa, attr), getattr(pb, attr)), attr
        assert all(np.array_equal(np.asarray(pa.node_feats[k]), np.asarray(pb.node_feats[k])) for k in pa.node_feats)


def _report(path, **kw):
    return gpf.validate(path, max_examples=8, **kw).to_dict()


def test_validate_on_two_workers_gives_the_same_report(tmp_path, client):
    g = make_hetero(seed=7)
    ps, _ = write_partitions(g, 3, tmp_path / "set", "g", method="random", halo_hops=2)
    clean = _report(ps.path)
    assert clean["valid"] and clean == _report(ps.path, client=client)
    assert clean["checked"]["edges read"] > g.num_edges()  # HALO copies read too
    # a damaged copy: two HALO edges' sources swapped, an inner node flagged HALO
    bad = copy_set(tmp_path / "set", tmp_path / "bad")
    mg = MutableGraph(tmp_path / "bad" / "part1" / "graph.dgl")
    halo_e = np.flatnonzero(~mg.inner_e)
    mg.src[halo_e[0]], mg.src[halo_e[1]] = mg.src[halo_e[1]], mg.src[halo_e[0]]
    mg.ndata["inner_node"][0] = 0
    mg.save()
    broken = _report(bad)
    assert not broken["valid"] and len({p["code"] for p in broken["problems"]}) >= 2, broken["problems"]
    assert broken == _report(bad, client=client)
    assert _report(ps.path, against=g) == _report(ps.path, against=g, client=client)


def test_cli_validate_and_convert_with_workers(tmp_path):
    g = make_homo(seed=3)
    ps, _ = write_partitions(g, 2, tmp_path / "set", "g", method="random")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    run = lambda *a: subprocess.run([sys.executable, "-m", "gpf.cli", *map(str, a)], capture_output=True,  # noqa: E731
                                    text=True, env=env)
    r = run("validate", ps.path, "--json", "--workers", "2")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == json.loads(run("validate", ps.path, "--json").stdout)
    r = run("convert", ps.path, tmp_path / "npy", "--to", "npy", "--workers", "2")
    assert r.returncode == 0, r.stderr
    r = run("validate", ps.path, "--workers", "0")
    assert r.returncode == 2 and r.stderr.startswith("gpf: error:") and len(r.stderr.splitlines()) == 1


def test_an_existing_scheduler_by_address(tmp_path, client):
    """--scheduler / scheduler=: connect to a running cluster by its address (here the module's cluster)."""
    g = make_homo(seed=4)
    src = write_chunked(tmp_path / "in", g, "numpy")
    address = client.scheduler.address
    ps, _ = partition_chunked(src, 3, tmp_path / "a", method="random", scheduler=address)
    partition_chunked(src, 3, tmp_path / "b", method="random")
    assert_same_tree(tmp_path / "a", tmp_path / "b")
    assert _report(ps.path, scheduler=address) == _report(ps.path)
    gpf.convert(ps.path, tmp_path / "c", to="npy", progress=False, scheduler=address)
    assert gpf.validate(tmp_path / "c" / "chunky.json").valid
