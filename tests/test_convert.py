"""gpf.convert / `gpf convert`: real DGL 1.1.3 sets -> every backend -> back to DGL's files,
which real DGL loads exactly as it loaded the originals; lossless chains between backends."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gpf
from gpf.errors import GpfError
from tests.helpers.asserts import assert_same_array as _same
from tests.helpers.asserts import assert_same_set
from tests.helpers.cases import DGL_CASES
from tests.helpers.marks import extra
from tests.helpers.writer import make_hetero, make_homo
from tests.oracle.runner import load_dump, run_dgl

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures" / "dgl2_graphbolt"
VIA = ("npy", "hdf5", "zarr")
# What DGL's load_partition returned, dumped by tests/oracle (structure, fields, features, book answers).
COMPARED = ("src", "dst", "ndata:", "edata:", "nfeat:", "efeat:", "book:")


def _via_dst(root: Path, case: str, via: str, i: int):
    if via == "zarr" and i % 2:  # half the zarr hops go through an fsspec memory:// store
        return f"memory://convert-oracle/{case}.zarr"
    return root / f"{case}_{via}" / ("s.zarr" if via == "zarr" else "")


@pytest.fixture(scope="module")
def round_trips(tmp_path_factory, dgl_sets):
    """Every DGL case -> each backend -> dgl again; then real DGL loads every result once."""
    root = tmp_path_factory.mktemp("convert")
    out = {}
    for i, case in enumerate(DGL_CASES):
        original = gpf.open(dgl_sets / case / f"{case}.json")
        for via in VIA:
            mid = gpf.convert(original, _via_dst(root, case, via, i), to=via, progress=False, overwrite=True)
            back = gpf.convert(mid, root / f"{case}_{via}_back", to="dgl", progress=False)
            out[case, via] = (original, mid, back)
    keys = list(out)
    dumps = root / "dgl_view"
    run_dgl("dgl_load_gpf_set.py", str(dumps), *[out[k][2].path for k in keys])
    return {k: (*v, dumps / str(i)) for i, (k, v) in enumerate(zip(keys, out.values()))}


@pytest.mark.oracle
@pytest.mark.extra("hdf5", "zarr")
@pytest.mark.parametrize("via", VIA)
@pytest.mark.parametrize("case", DGL_CASES)
def test_dgl_loads_the_round_trip_as_the_original(round_trips, dgl_sets, case, via):
    original, mid, back, dump = round_trips[case, via]
    assert mid.store.name == via and back.store.name == "dgl"
    assert_same_set(original, mid)
    assert_same_set(original, back)
    for p in range(original.num_parts):
        exp = load_dump(dgl_sets / case / "expected" / f"part{p}.npz")
        got = load_dump(dump / f"part{p}.npz")
        want = {k for k in exp if k.startswith(COMPARED)}
        assert want == {k for k in got if k.startswith(COMPARED)}, f"part {p}: DGL sees other arrays"
        assert any(k.startswith("nfeat:") for k in want) and "book:nid2partid" in want
        for k in sorted(want):
            _same(got[k], exp[k], f"{case} via {via} part {p} {k}")


@pytest.mark.extra("hdf5", "zarr")
def test_lossless_chain_through_every_backend(tmp_path):
    """dgl -> npy -> hdf5 -> zarr -> dgl: the same arrays at every hop, and DGL's tensor files
    byte-for-byte the same tensors (original-ID maps included)."""
    from gpf.sdk.codecs.dgl_tensors import read_tensors

    for name, g in (("homo", make_homo()), ("hetero", make_hetero())):
        start = gpf.partition(g, 3, tmp_path / name, name, method="random", seed=4, verbose=False)
        ps = start
        for to in ("npy", "hdf5", "zarr", "dgl"):
            dst = tmp_path / f"{name}_{to}" / ("s.zarr" if to == "zarr" else "")
            ps = gpf.convert(ps, dst, to=to, progress=False)
            assert_same_set(start, ps)
        for p in range(3):
            for f in ("node_feat.dgl", "edge_feat.dgl", "orig_nids.dgl", "orig_eids.dgl"):
                a = read_tensors(tmp_path / name / f"part{p}" / f)
                b = read_tensors(tmp_path / f"{name}_dgl" / f"part{p}" / f)
                assert a.keys() == b.keys()
                for k in a:
                    _same(a[k], b[k], f"{name} part {p} {f} {k}")


@pytest.mark.extra("hdf5", "zarr")
def test_unusual_dtypes_survive_every_backend(tmp_path):
    from gpf.sdk.codecs.dgl_bytes import BFLOAT16
    from gpf.sdk.codecs.dgl_tensors import read_tensors, write_tensors

    start = gpf.partition(make_homo(), 2, tmp_path / "s", "g", method="random", verbose=False)
    rng = np.random.default_rng(0)
    for p in range(2):
        f = tmp_path / "s" / f"part{p}" / "node_feat.dgl"
        t = dict(read_tensors(f))
        n = start.partition(p).num_inner_nodes
        t["_N/bf16"] = rng.integers(0, 1 << 16, (n, 3)).astype("<u2").view(BFLOAT16)
        t["_N/i8"] = rng.integers(-128, 127, n).astype(np.int8)
        t["_N/u64"] = rng.integers(0, 1 << 62, (n, 2)).astype(np.uint64)
        t["_N/f64"] = np.where(rng.random(n) < 0.1, np.nan, rng.random(n))
        write_tensors(f, t)
    start = gpf.open(tmp_path / "s" / "g.json")
    assert start.partition(0).node_feats["_N/bf16"].dtype == BFLOAT16
    for to in VIA:
        ps = gpf.convert(start, tmp_path / f"d_{to}", to=to, progress=False)
        assert_same_set(start, ps)
        back = gpf.convert(ps, tmp_path / f"d_{to}_back", to="dgl", progress=False)
        assert_same_set(start, back)
    z = gpf.open(tmp_path / "d_zarr").partition(1).node_feats["_N/bf16"]
    _same(z[[2, 0]], start.partition(1).node_feats["_N/bf16"][[2, 0]], "bfloat16 gather")


@pytest.mark.extra("torch")  # the GraphBolt input is written with torch; hdf5/zarr outputs
@pytest.mark.parametrize("to", VIA)
def test_graphbolt_only_input(tmp_path, to):
    """A set whose parts name only a GraphBolt .pt file converts to what gpf reads from it."""
    root = tmp_path / "hetero"
    shutil.copytree(FIX / "hetero", root)
    cfg = json.loads((root / "hetero.json").read_text())
    for p in range(cfg["num_parts"]):
        del cfg[f"part-{p}"]["part_graph"]
        (root / f"part{p}" / "graph.dgl").unlink()
    (root / "gb.json").write_text(json.dumps(cfg))
    gb = gpf.open(root / "gb.json")
    ps = gpf.convert(gb, tmp_path / "out", to=to, progress=False)
    assert_same_set(gb, ps)
    from tests.helpers.asserts import PARTITION_ATTRS as ATTRS

    for a, b in zip(gpf.open(FIX / "hetero" / "hetero.json", prefer="dgl"), ps):  # what DGL's graph.dgl holds
        for name in ATTRS:
            _same(getattr(a, name), getattr(b, name), f"part {a.part_id} {name}")


@pytest.mark.extra("zarr")
def test_urls_on_both_sides(tmp_path):
    start = gpf.partition(make_hetero(), 2, tmp_path / "s", "g", method="random", verbose=False)
    url = "memory://convert-urls"
    for to in ("dgl", "npy", "hdf5", "zarr"):
        ps = gpf.convert(start, f"{url}/{to}", to=to, progress=False, overwrite=True)
        assert ps.path.startswith(url) and ps.store.name == to
        assert_same_set(start, ps)
        local = gpf.convert(ps.path, tmp_path / f"from_{to}", to="npy", progress=False)  # URL source
        assert_same_set(start, local)
    with pytest.raises(GpfError, match="already exists"):
        gpf.convert(start, f"{url}/npy", to="npy", progress=False)


@pytest.mark.extra("zarr")
def test_write_zarr_and_open_zarr(tmp_path):
    from gpf.converters.zarr import from_zarr, open_zarr, to_zarr, write_zarr

    start = gpf.partition(make_homo(), 2, tmp_path / "s", "g", method="random", verbose=False)
    ps = write_zarr(start, tmp_path / "g.zarr", chunk_rows=16)
    assert_same_set(start, ps)
    assert_same_set(start, open_zarr(tmp_path / "g.zarr"))
    assert_same_set(start, open_zarr("file://" + str(tmp_path / "g.zarr")))
    assert_same_set(start, write_zarr(start, "file://" + str(tmp_path / "f.zarr"), compressor="blosc"))
    assert (tmp_path / "f.zarr" / "zarr.json").is_file()
    with pytest.raises(GpfError, match="not a Zarr store"):
        open_zarr(tmp_path / "s")
    # the old names: deprecated aliases, same results
    with pytest.warns(DeprecationWarning, match="use open_zarr"):
        assert_same_set(start, from_zarr(tmp_path / "g.zarr"))
    with pytest.warns(DeprecationWarning, match="use write_zarr"):
        assert_same_set(start, to_zarr(start, tmp_path / "h.zarr"))


def test_refuses_existing_and_in_place(tmp_path):
    start = gpf.partition(make_homo(), 2, tmp_path / "s", "g", method="random", verbose=False)
    gpf.convert(start, tmp_path / "n", to="npy", progress=False)
    with pytest.raises(GpfError, match="already exists"):
        gpf.convert(start, tmp_path / "n", to="npy", progress=False)
    gpf.convert(start, tmp_path / "n", to="npy", progress=False, overwrite=True)
    with pytest.raises(GpfError, match="is where the source set lives"):
        gpf.convert(start, tmp_path / "s", to="npy", progress=False, overwrite=True)
    with pytest.raises(gpf.UnsupportedError, match="backend 'npy' takes no compressor"):
        gpf.convert(start, tmp_path / "m", to="npy", compressor="zstd", progress=False)


# -- CLI -----------------------------------------------------------------------------------------------
def _cli(*args):
    return subprocess.run([sys.executable, "-m", "gpf.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT)


@pytest.mark.extra("hdf5", "zarr")
def test_cli_convert(tmp_path):
    start = gpf.partition(make_hetero(), 2, tmp_path / "s", "g", method="random", verbose=False)
    r = _cli("convert", start.path, tmp_path / "z.zarr", "--to", "zarr", "--compressor", "blosc", "--chunk-rows", "8")
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""  # no progress bar off a terminal
    assert "wrote" in r.stdout and "z.zarr" in r.stdout
    assert_same_set(start, gpf.open(tmp_path / "z.zarr"))
    r = _cli("convert", tmp_path / "z.zarr", tmp_path / "d", "--to", "dgl")
    assert r.returncode == 0, r.stderr
    assert_same_set(start, gpf.open(tmp_path / "d" / "g.json"))
    r = _cli("partition", "--help")
    assert r.returncode == 0


@pytest.mark.parametrize("args, needle", [
    (["convert", "{tmp}/missing.json", "{tmp}/o", "--to", "npy"], "missing.json"),
    (["convert", "{s}", "{tmp}/o", "--to", "parquet"], "invalid choice"),
    (["convert", "{s}", "{tmp}/o", "--graph-formats", "coo,bogus"], "unknown sparse format 'bogus'"),
    (["convert", "{s}", "{tmp}/o", "--to", "npy", "--graphbolt"], "options of the 'dgl' backend"),
    (["convert", "{s}", "{tmp}/o", "--store-eids"], "only apply with graphbolt=True"),
    pytest.param(["convert", "{s}", "{tmp}/o", "--to", "hdf5", "--compressor", "zstd"], "HDF5 has no built-in zstd",
                 marks=extra("hdf5")),
    (["convert", "{s}", "{tmp}/s", "--to", "npy"], "already exists"),
])
def test_cli_convert_errors_exit_2_one_line(tmp_path, args, needle):
    start = gpf.partition(make_homo(), 2, tmp_path / "s", "g", method="random", verbose=False)
    gpf.convert(start, tmp_path / "s2", to="npy", progress=False)
    r = _cli(*[a.format(tmp=tmp_path, s=tmp_path / "s2" / "g.json") for a in args])
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert needle in r.stderr


@pytest.mark.extra("hdf5", "zarr")
def test_partition_cli_backend(tmp_path):
    g = make_homo()
    np.savez(tmp_path / "g.npz", src=g.edges_dict[("_N", "_E", "_N")][0], dst=g.edges_dict[("_N", "_E", "_N")][1],
             num_nodes=g.num_nodes(), **{"node:feat": g.ndata["_N"]["feat"]})
    r = _cli("partition", tmp_path / "g.npz", tmp_path / "h", "--parts", "2", "--method", "random", "--backend", "hdf5")
    assert r.returncode == 0, r.stderr
    ps = gpf.open(tmp_path / "h" / "g.json")
    assert ps.store.name == "hdf5" and ps.partition(0).node_feats["_N/feat"].shape[1] == 5
