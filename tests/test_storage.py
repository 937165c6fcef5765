"""Storage backends (npy, hdf5, zarr) against the dgl backend: the same partitions, array for
array; lazy opening; HDF5 under DataLoader workers; corrupt files give one-line errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gpf
from gpf.errors import ConfigError, FormatError, GpfError, UnsupportedError
from tests.helpers.asserts import assert_same_array, assert_same_set
from tests.helpers.writer import make_hetero, make_homo

ROOT = Path(__file__).resolve().parents[1]
BACKENDS = ("npy", "hdf5", "zarr")


def _dest(root: Path, name: str, backend: str) -> Path:
    return root / (f"{name}.zarr" if backend == "zarr" else f"{name}_{backend}")


@pytest.fixture(scope="module")
def sets(tmp_path_factory):
    """homo and hetero, partitioned identically into every backend."""
    root = tmp_path_factory.mktemp("storage")
    out = {}
    for name, g, P in (("homo", make_homo(), 3), ("hetero", make_hetero(), 3)):
        for backend in ("dgl", *BACKENDS):
            out[name, backend] = gpf.partition(g, P, _dest(root, name, backend), name, method="random", seed=1,
                                               backend=backend, num_trainers_per_machine=2, verbose=False)
    return out


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", ["homo", "hetero"])
def test_backend_equals_dgl(sets, name, backend):
    ref, got = sets[name, "dgl"], sets[name, backend]
    assert got.store.name == backend
    assert_same_set(ref, got)
    for nt in ref.ntypes:
        assert_same_array(ref.orig_nids(nt), got.orig_nids(nt), f"orig_nids {nt}")
    for et in ref.etypes:
        assert_same_array(ref.orig_eids(et), got.orig_eids(et), f"orig_eids {et}")


@pytest.mark.parametrize("backend", BACKENDS)
def test_config_records_backend_and_paths(sets, backend):
    ps = sets["hetero", backend]
    for p in range(ps.num_parts):
        entry = ps.config.parts[p].extra_keys()
        assert entry["gpf_backend"] == backend
        assert entry["gpf_path"] == {"npy": f"part{p}", "hdf5": f"part{p}/part.h5", "zarr": f"part{p}"}[backend]
        assert ps.config.parts[p].part_graph is None  # DGL file keys name DGL files only
    if backend == "zarr":
        meta = json.loads((Path(ps.path)).read_text())
        assert meta["attributes"]["gpf_config"]["part-0"]["gpf_backend"] == "zarr"
    dgl = sets["hetero", "dgl"]
    assert "gpf_backend" not in dgl.config.parts[0].extra_keys()  # the DGL set's config is unchanged


@pytest.mark.parametrize("backend", ["npy", "hdf5"])
def test_layout_files(sets, backend):
    root = Path(sets["hetero", backend].path).parent
    if backend == "npy":
        for rel in ("graph/src.npy", "graph/ndata/_ID.npy", "graph/edata/inner_edge.npy",
                    "node_feats/user/feat.npy", "edge_feats/user:buys:item/qty.npy", "orig_nids/user.npy",
                    "orig_eids/item:has:tag.npy"):
            assert (root / "part0" / rel).is_file(), rel
        a = np.load(root / "part0" / "node_feats" / "user" / "feat.npy", allow_pickle=False)
        assert_same_array(a, sets["hetero", "dgl"].partition(0).node_feats["user/feat"], "npy file")
    else:
        import h5py

        with h5py.File(root / "part0" / "part.h5", "r") as f:
            assert f["node_feats/user/feat"].chunks is not None
            assert_same_array(f["node_feats/user/feat"][()], sets["hetero", "dgl"].partition(0).node_feats["user/feat"], "h5")


def test_mixed_backends_in_one_set(tmp_path):
    """Each part-N entry names its own backend; gpf.open routes partition by partition."""
    g = make_homo()
    ref = gpf.partition(g, 3, tmp_path, "g", method="random", seed=2, verbose=False)
    gpf.partition(g, 3, tmp_path, "g_npy", method="random", seed=2, backend="npy", verbose=False)
    gpf.partition(g, 3, tmp_path / "h5", "g", method="random", seed=2, backend="hdf5", verbose=False)
    cfg = json.loads((tmp_path / "g.json").read_text())
    npy = json.loads((tmp_path / "g_npy.json").read_text())
    cfg["part-1"] = npy["part-1"]
    cfg["part-2"] = {"gpf_backend": "hdf5", "gpf_path": "h5/part2/part.h5"}
    (tmp_path / "mixed.json").write_text(json.dumps(cfg))
    mixed = gpf.open(tmp_path / "mixed.json")
    assert mixed.store.name == "mixed"
    assert_same_set(ref, mixed)


def test_unknown_backend_is_a_config_error(tmp_path):
    gpf.partition(make_homo(), 2, tmp_path, "g", method="random", verbose=False)
    cfg = json.loads((tmp_path / "g.json").read_text())
    cfg["part-1"]["gpf_backend"] = "parquet"
    (tmp_path / "g.json").write_text(json.dumps(cfg))
    with pytest.raises(ConfigError, match=r"part-1\.gpf_backend: unknown storage backend 'parquet'"):
        gpf.open(tmp_path / "g.json")


# -- zarr ------------------------------------------------------------------------------------------
def test_zarr_memory_url_equals_local(sets):
    ref = sets["hetero", "dgl"]
    mem = gpf.partition(make_hetero(), 3, "memory://storage-test/hetero.zarr", "hetero", method="random", seed=1,
                        backend="zarr", num_trainers_per_machine=2, verbose=False, overwrite=True)
    assert mem.path == "memory://storage-test/hetero.zarr/zarr.json"
    again = gpf.open("memory://storage-test/hetero.zarr")  # the store root opens too
    assert_same_set(ref, mem)
    assert_same_set(ref, again)
    assert_same_set(ref, gpf.open(sets["hetero", "zarr"].path.rsplit("/", 1)[0]))
    assert all(v.startswith("memory://") for v in again.partition(0).files().values())


def test_zarr_features_are_lazy_handles(sets):
    from gpf.sdk.storage.zarr_store import ZarrFeature

    ref = sets["homo", "dgl"].partition(1).node_feats["_N/feat"]
    feat = sets["homo", "zarr"].partition(1).node_feats["_N/feat"]
    assert isinstance(feat, ZarrFeature)
    assert feat.shape == ref.shape and feat.dtype == ref.dtype and len(feat) == len(ref) and feat.ndim == 2
    rows = np.array([5, 0, 5, len(ref) - 1, 3])
    assert_same_array(feat[rows], ref[rows], "fancy gather (unsorted, repeated)")
    assert_same_array(feat[[-1, 2]], ref[[-1, 2]], "list with a negative index")
    assert_same_array(feat[2:9], ref[2:9], "slice")
    assert_same_array(feat[4], ref[4], "one row")
    assert_same_array(feat[rows, 1], ref[rows, 1], "rows, column")
    mask = np.arange(len(ref)) % 3 == 0
    assert_same_array(feat[mask], ref[mask], "boolean mask")
    assert_same_array(feat[np.array([], dtype=np.int64)], ref[np.array([], dtype=np.int64)], "no rows")
    assert_same_array(np.asarray(feat), ref, "np.asarray")
    with pytest.raises(IndexError):
        feat[np.array([len(ref)])]


def test_zarr_gather_reads_only_the_chunks_it_touches(tmp_path, monkeypatch):
    import zarr.storage

    n = 1000
    g = gpf.Graph.homogeneous(np.arange(n - 1), np.arange(1, n), n,
                              ndata={"x": np.arange(n * 4, dtype=np.float32).reshape(n, 4)})
    ps = gpf.partition(g, 1, tmp_path / "s.zarr", "s", method="random", backend="zarr", verbose=False)
    gpf.convert(ps, tmp_path / "u.zarr", to="zarr", chunk_rows=10, shard_rows=0, compressor="blosc", progress=False)
    ps = gpf.open(tmp_path / "u.zarr")
    feat = ps.partition(0).node_feats["_N/x"]
    x = np.asarray(feat)
    seen: list[str] = []
    real = zarr.storage.LocalStore.get

    async def spy(self, key, *a, **k):
        seen.append(key)
        return await real(self, key, *a, **k)

    monkeypatch.setattr(zarr.storage.LocalStore, "get", spy)
    got = feat[np.array([997, 3, 15, 4])]
    assert_same_array(got, x[[997, 3, 15, 4]], "gather")
    chunks = sorted(k for k in seen if "/c/" in k)
    assert chunks == ["part0/node_feats/_N/x/c/0/0", "part0/node_feats/_N/x/c/1/0", "part0/node_feats/_N/x/c/99/0"]
    seen.clear()
    feat[20:35]
    assert sorted(k for k in seen if "/c/" in k) == [f"part0/node_feats/_N/x/c/{i}/0" for i in (2, 3)]


def test_zarr_sharding_and_compressors(tmp_path, sets):
    import zarr

    ref = sets["homo", "dgl"]
    for comp in ("zstd:1", "blosc", "blosc-zstd", "gzip", "none"):
        ps = gpf.convert(ref, tmp_path / f"{comp}.zarr", to="zarr", compressor=comp, chunk_rows=4, shard_rows=16,
                         progress=False)
        assert_same_set(ref, ps)
    arr = zarr.open_array(str(tmp_path / "blosc.zarr" / "part0" / "node_feats" / "_N" / "feat"), mode="r")
    assert arr.chunks == (4, 5) and arr.shards == (16, 5)
    with pytest.raises(UnsupportedError, match="unknown compressor 'lz9'"):
        gpf.convert(ref, tmp_path / "bad.zarr", to="zarr", compressor="lz9", progress=False)


def test_zarr_shards_by_default_on_object_stores_only(tmp_path):
    import zarr

    from gpf.sdk.storage.zarr_store import ZarrWriter

    assert ZarrWriter("s3://bucket/set.zarr", "g").shard_by_default
    assert ZarrWriter("gs://bucket/set.zarr", "g").shard_by_default
    assert not ZarrWriter("memory://set.zarr", "g").shard_by_default
    assert not ZarrWriter(tmp_path / "set.zarr", "g").shard_by_default
    ps = gpf.partition(make_homo(n=2000, m=3000), 1, tmp_path / "s.zarr", "g", method="random", backend="zarr",
                       chunk_rows=100, verbose=False)
    arr = zarr.open_array(str(tmp_path / "s.zarr" / "part0" / "node_feats" / "_N" / "feat"), mode="r")
    assert arr.shards is None and arr.chunks == (100, 5)
    assert ps.partition(0).node_feats["_N/feat"].shape == (2000, 5)


def test_zarr_interrupted_write_leaves_no_config(tmp_path, monkeypatch):
    from gpf.sdk.storage import zarr_store

    calls = {"n": 0}
    real = zarr_store.ZarrWriter.write_part

    def flaky(self, *a, **k):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        return real(self, *a, **k)

    g = make_homo()
    gpf.partition(g, 2, tmp_path / "s.zarr", "g", method="random", backend="zarr", verbose=False)
    monkeypatch.setattr(zarr_store.ZarrWriter, "write_part", flaky)
    with pytest.raises(OSError, match="disk full"):
        gpf.partition(g, 3, tmp_path / "s.zarr", "g", method="random", backend="zarr", verbose=False, overwrite=True)
    with pytest.raises(ConfigError, match="no partition config"):
        gpf.open(tmp_path / "s.zarr")


def test_zarr_refuses_existing_and_foreign_directories(tmp_path):
    g = make_homo()
    gpf.partition(g, 2, tmp_path / "s.zarr", "g", method="random", backend="zarr", verbose=False)
    with pytest.raises(GpfError, match="already exists"):
        gpf.partition(g, 2, tmp_path / "s.zarr", "g", method="random", backend="zarr", verbose=False)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "notes.txt").write_text("mine")
    with pytest.raises(GpfError, match="non-empty directory that is not a Zarr store"):
        gpf.partition(g, 2, tmp_path / "docs", "g", method="random", backend="zarr", verbose=False, overwrite=True)
    assert (tmp_path / "docs" / "notes.txt").read_text() == "mine"


# -- npy ---------------------------------------------------------------------------------------------
def test_npy_open_is_lazy(sets, monkeypatch):
    from gpf.sdk.storage import npy_store

    opened: list[str] = []
    real = npy_store.read_npy
    monkeypatch.setattr(npy_store, "read_npy", lambda path, *a, **k: opened.append(path) or real(path, *a, **k))
    ps = gpf.open(sets["hetero", "npy"].path)
    part = ps.partition(1)
    assert ps.num_parts == 3 and part.node_range and opened == []  # config and book only
    part.node_feats
    assert opened and all("/part1/node_feats/" in p for p in opened)
    opened.clear()
    part.src
    assert opened and all("/part1/graph/" in p for p in opened)
    assert isinstance(part.node_feats["user/feat"], np.ndarray)
    assert not part.node_feats["user/feat"].flags.writeable  # memory-mapped read-only


def test_npy_open_needs_no_array_file(tmp_path):
    gpf.partition(make_homo(), 2, tmp_path, "g", method="random", backend="npy", verbose=False)
    for p in range(2):
        shutil.rmtree(tmp_path / f"part{p}")
    ps = gpf.open(tmp_path / "g.json")
    assert ps.num_parts == 2 and ps.book.nid2partid([0]).shape == (1,)
    with pytest.raises(FormatError, match="partition 0: graph folder is missing"):
        ps.partition(0).src


def test_npy_overwrite_leaves_no_stale_array(tmp_path):
    g = make_homo()
    gpf.partition(g, 2, tmp_path, "g", method="random", backend="npy", verbose=False)
    g2 = gpf.Graph.homogeneous(g.edges_dict[("_N", "_E", "_N")][0], g.edges_dict[("_N", "_E", "_N")][1],
                               g.num_nodes(), ndata={"label": g.ndata["_N"]["label"]})
    ps = gpf.partition(g2, 2, tmp_path, "g", method="random", backend="npy", verbose=False, overwrite=True)
    assert set(ps.partition(0).node_feats) == {"_N/label"}
    assert not [f for f in os.listdir(tmp_path / "part0") if f.startswith(".")]


def test_npy_refuses_pickles(tmp_path):
    gpf.partition(make_homo(), 1, tmp_path, "g", method="random", backend="npy", verbose=False)
    f = tmp_path / "part0" / "node_feats" / "_N" / "label.npy"
    np.save(f, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(FormatError, match="holds Python objects"):
        gpf.open(tmp_path / "g.json").partition(0).node_feats


# -- hdf5 ----------------------------------------------------------------------------------------------
class _Rows:
    """A map-style dataset over (partition, inner row) pairs of one feature."""

    def __init__(self, ps, key):
        self.ps, self.key = ps, key
        self.items = [(p.part_id, r) for p in ps for r in range(p.num_inner_nodes)]

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        p, r = self.items[i]
        return p, r, os.getpid(), np.asarray(self.ps.partition(p).node_feats[self.key][r])


def test_hdf5_under_dataloader_workers(sets):
    import torch

    ps = gpf.open(sets["homo", "hdf5"].path)
    ps.partition(0).node_feats["_N/feat"]  # the parent holds an open HDF5 handle before the fork
    ref = sets["homo", "dgl"]
    loader = torch.utils.data.DataLoader(_Rows(ps, "_N/feat"), batch_size=7, num_workers=2,
                                         collate_fn=lambda b: b, shuffle=True,
                                         generator=torch.Generator().manual_seed(0))
    pids, n = set(), 0
    for batch in loader:
        for p, r, pid, row in batch:
            assert_same_array(row, ref.partition(p).node_feats["_N/feat"][r], f"part {p} row {r}")
            pids.add(pid)
            n += 1
    assert n == ref.num_nodes
    assert len(pids) == 2 and os.getpid() not in pids


def test_hdf5_gzip_and_chunk_rows(tmp_path, sets):
    import h5py

    ref = sets["hetero", "dgl"]
    ps = gpf.convert(ref, tmp_path / "gz", to="hdf5", compressor="gzip:6", chunk_rows=8, progress=False)
    assert_same_set(ref, ps)
    with h5py.File(tmp_path / "gz" / "part0" / "part.h5", "r") as f:
        ds = f["node_feats/user/feat"]
        assert ds.compression == "gzip" and ds.chunks[0] == min(8, ds.shape[0])
    with pytest.raises(UnsupportedError, match="HDF5 has no built-in zstd"):
        gpf.convert(ref, tmp_path / "z", to="hdf5", compressor="zstd", progress=False)


def test_hdf5_contiguous_datasets_are_memory_mapped(tmp_path, sets):
    """Contiguous, unfiltered datasets are read-only views on the mapped file (zero-copy, as npy);
    chunked or compressed ones are read through h5py; both equal the dgl set."""
    import h5py

    from gpf.sdk.storage.hdf5_store import Hdf5Store

    ref = sets["hetero", "dgl"]
    plain = gpf.open(sets["hetero", "hdf5"].path)
    gz = gpf.convert(ref, tmp_path / "gz", to="hdf5", compressor="gzip:1", chunk_rows=8, progress=False)
    assert isinstance(plain.store, Hdf5Store) and isinstance(gz.store, Hdf5Store)
    seen = set()
    for ps in (plain, gz):
        g = ps.store.read_graph(0)
        arrays = {"graph/src": g.src, "graph/dst": g.dst, "graph/ndata/_ID": g.ndata["_ID"],
                  **{f"node_feats/{k}": v for k, v in ps.store.read_node_feats(0).items()}}
        with h5py.File(ps.store.path(0), "r") as f:
            for name, a in arrays.items():
                ds = f[name]
                contiguous = ds.chunks is None and ds.compression is None and ds.id.get_offset() is not None
                assert (not a.flags.writeable and not a.flags.owndata) == contiguous, name
                assert np.array_equal(a, ds[()]), name
                seen.add(contiguous)
    assert seen == {True, False}
    assert_same_set(ref, plain)


# -- corrupt inputs: one line naming file and partition; CLI exit 2 --------------------------------------------
def _cli(*args):
    return subprocess.run([sys.executable, "-m", "gpf.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT)


def _copy(sets, name, backend, dst: Path) -> Path:
    src = Path(sets[name, backend].path)
    if backend == "zarr":
        shutil.copytree(src.parent, dst)
        return dst
    shutil.copytree(src.parent, dst)
    return dst / src.name


def _expect_one_line(path, *needles):
    r = _cli("info", path)
    assert r.returncode == 2, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert r.stderr.startswith("gpf: error: ")
    for n in needles:
        assert n in r.stderr, (n, r.stderr)


def test_truncated_npy(sets, tmp_path):
    cfg = _copy(sets, "homo", "npy", tmp_path / "s")
    f = cfg.parent / "part1" / "node_feats" / "_N" / "feat.npy"
    f.write_bytes(f.read_bytes()[:-7])
    with pytest.raises(FormatError, match=r"part1/node_feats/_N/feat\.npy: at byte \d+: partition 1: header says "
                       r"shape \(\d+, 5\) of float32"):
        gpf.open(cfg).partition(1).node_feats
    _expect_one_line(cfg, "part1/node_feats/_N/feat.npy", "partition 1", "truncated")
    f.write_bytes(b"\x93NUMPY garbage")
    with pytest.raises(FormatError, match="not a valid .npy header"):
        gpf.open(cfg).partition(1).node_feats


def test_hdf5_wrong_dtype(sets, tmp_path):
    import h5py

    cfg = _copy(sets, "homo", "hdf5", tmp_path / "s")
    h5 = cfg.parent / "part2" / "part.h5"
    with h5py.File(h5, "a") as f:
        src = f["graph/src"][()]
        del f["graph/src"]
        f["graph/src"] = src.astype(np.float64)
    with pytest.raises(FormatError, match=r"part2/part\.h5: partition 2: array 'graph/src' has shape \(\d+,\) "
                       r"dtype float64, expected a 1-D integer array"):
        gpf.open(cfg).partition(2).src
    _expect_one_line(cfg, "part2/part.h5", "partition 2", "graph/src", "float64")
    with h5py.File(h5, "a") as f:
        del f["graph/src"]
        f["graph/src"] = src
        f["node_feats/_N/name"] = np.array([b"a"] * 3)
    with pytest.raises(FormatError, match="partition 2: dataset 'node_feats/_N/name' has dtype"):
        dict(gpf.open(cfg).partition(2).node_feats)
    h5.write_bytes(b"not hdf5 at all")
    with pytest.raises(FormatError, match="partition 2: not a readable HDF5 file"):
        gpf.open(cfg).partition(2).src


def test_missing_zarr_array(sets, tmp_path):
    root = _copy(sets, "hetero", "zarr", tmp_path / "s.zarr")
    shutil.rmtree(root / "part1" / "graph" / "dst")
    with pytest.raises(FormatError, match=r"part1/graph/dst: partition 1: array is missing"):
        gpf.open(root).partition(1).src
    _expect_one_line(root, "s.zarr/part1/graph/dst", "partition 1", "missing")
    (root / "zarr.json").write_text('{"zarr_format": 3, "node_type": "group", "attributes": {}}')
    with pytest.raises(ConfigError, match="no partition config"):
        gpf.open(root)
    _expect_one_line(root, "zarr.json", "gpf_config")


def test_claims_larger_than_the_file_are_refused_before_allocating(sets, tmp_path):
    import h5py
    import zarr

    cfg = _copy(sets, "homo", "hdf5", tmp_path / "h")
    with h5py.File(cfg.parent / "part0" / "part.h5", "a") as f:
        f.create_dataset("node_feats/_N/huge", shape=(10**6, 10**6), dtype="f4", chunks=(1, 1024))  # no chunk stored
    with pytest.raises(FormatError, match="'node_feats/_N/huge' claims 1,000,000 rows"):
        dict(gpf.open(cfg).partition(0).node_feats)
    with h5py.File(cfg.parent / "part0" / "part.h5", "a") as f:
        del f["node_feats/_N/huge"]
        f.create_dataset("node_feats/_N/huge", shape=(100, 10**7), dtype="f4", chunks=(1, 1024))
    with pytest.raises(FormatError, match=r"'node_feats/_N/huge' claims 4000000000 bytes but stores 0"):
        dict(gpf.open(cfg).partition(0).node_feats)
    root = _copy(sets, "homo", "zarr", tmp_path / "z.zarr")
    zarr.open_group(str(root), mode="a").create_array("part0/graph/ndata/big", shape=(10**9,), dtype="i8",
                                                      chunks=(1024,))
    with pytest.raises(FormatError, match=r"part0/graph/ndata/big: partition 0: array 'graph/ndata/big' claims "
                       r"1,000,000,000 rows"):
        gpf.open(root).partition(0).src
    f = _copy(sets, "homo", "npy", tmp_path / "n").parent / "part0" / "graph" / "src.npy"
    f.write_bytes(f.read_bytes().replace(b"'shape': (", b"'shape': (-", 1))
    with pytest.raises(FormatError, match="negative dimension|not a valid .npy header"):
        gpf.open(tmp_path / "n" / "homo.json").partition(0).src
