"""Hostile partition sets in every backend (SPEC.md section 11, "Hostile sets").

Each test builds a hostile set from real output — DGL 1.1.3's (the ``dgl_sets`` fixture), DGL 2.1's
GraphBolt fixtures, or sets ``gpf.partition`` writes in each backend — with harmless targets: a file
outside the dataset root whose bytes must not appear in any output, a marker file that must not appear.
``gpf`` runs in a child process under an address-space limit (``RLIMIT_AS``) and a wall-clock limit, and
each test asserts the exact problem code and exit status, that the run stayed inside both limits, and
that no ``check.crashed`` problem appears: every failure is a named problem.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import resource
import shutil
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

import gpf
from tests.helpers.defects import copy_set
from tests.helpers.writer import make_hetero

SRC = Path(__file__).resolve().parents[1] / "src"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "dgl2_graphbolt"
#: Address space of the child: a normal run needs well under 1 GiB; every bomb below asks for more.
MEMORY = 1 << 30
#: Wall-clock bound of one child run (imports included; a loaded CI machine is slow to start Python).
SECONDS = 30
#: Bytes that must never appear in any output: the content of the file outside the root.
SECRET = b"GPF-SECRET-OUTSIDE-THE-ROOT-" * 8


def run_gpf(*args, memory: int = MEMORY, timeout: int = SECONDS, prelude: str = "") -> tuple[int, dict | None, str]:
    """Run ``gpf ARGS`` in a child under the limits; (exit status, --json document or None, stderr)."""
    code = f"import sys\n{prelude}\nfrom gpf.cli import main\nsys.exit(main(sys.argv[1:]))"
    env = dict(os.environ, PYTHONPATH=f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
               OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    start = time.monotonic()
    p = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, timeout=timeout,
                       preexec_fn=limit, env=env)
    took = time.monotonic() - start
    assert took < timeout
    assert p.returncode >= 0, f"killed by signal {-p.returncode}: {p.stderr.decode()[-2000:]}"
    assert b"Traceback" not in p.stderr, p.stderr.decode()[-3000:]
    doc = None
    if "--json" in map(str, args) and p.stdout.strip():
        doc = json.loads(p.stdout)
        assert "check.crashed" not in {q["code"] for q in doc["problems"]}, doc["problems"]
    return p.returncode, doc, p.stderr.decode()


def validate(path, *extra, prelude: str = "") -> tuple[int, dict]:
    rc, doc, err = run_gpf("validate", path, "--json", *extra, prelude=prelude)
    assert doc is not None, err
    return rc, doc


def errors(doc: dict) -> set[str]:
    return {p["code"] for p in doc["problems"] if p["severity"] == "error"}


def problems(doc: dict, code: str) -> list[dict]:
    return [p for p in doc["problems"] if p["code"] == code]


def assert_secret_absent(*folders: Path) -> None:
    for folder in folders:
        for f in Path(folder).rglob("*"):
            if f.is_file() and not f.is_symlink():
                assert SECRET not in f.read_bytes(), f


@pytest.fixture()
def secret(tmp_path) -> Path:
    """A file outside every dataset root (the tests' sets live in ``tmp_path/set``)."""
    path = tmp_path / "outside" / "secret.bin"
    path.parent.mkdir()
    path.write_bytes(SECRET * 64)
    return path


@pytest.fixture(scope="module")
def gpf_backends(tmp_path_factory) -> dict[str, Path]:
    """One set per backend, written by gpf.partition (with original-ID maps)."""
    root = tmp_path_factory.mktemp("backends")
    out = {}
    for backend in ("npy", "hdf5", "zarr"):
        ps = gpf.partition(make_hetero(seed=1), 2, root / backend, "s", method="random", halo_hops=1,
                           backend=backend, verbose=False)
        out[backend] = Path(ps.path)
    return out


def fresh(gpf_backends, backend: str, tmp_path: Path) -> tuple[Path, Path]:
    """A private copy of the ``backend`` set: (its folder, what ``gpf validate`` takes)."""
    src = gpf_backends[backend]
    dst = tmp_path / "set"
    shutil.copytree(src.parent, dst)
    return dst, dst if backend == "zarr" else dst / src.name


# -- 1, 2: nothing outside the root is read -------------------------------------------------------------------
def _replace_h5(path: Path, name: str, make) -> None:
    import h5py

    with h5py.File(path, "r+") as f:
        old = f[name]
        shape, dtype = old.shape, old.dtype
        del f[name]
        make(f, name, shape, dtype)


@pytest.mark.parametrize("kind", ["external", "external_link", "virtual"])
def test_hdf5_indirections_outside_the_root_are_refused(gpf_backends, tmp_path, secret, kind):
    import h5py

    folder, cfg = fresh(gpf_backends, "hdf5", tmp_path)
    outside = tmp_path / "outside" / "other.h5"

    def make(f, name, shape, dtype):
        with h5py.File(outside, "w") as o:
            o["x"] = np.resize(np.frombuffer(SECRET, dtype=dtype), shape)
        if kind == "external":
            f.create_dataset(name, shape=shape, dtype=dtype, external=[(str(secret), 0, secret.stat().st_size)])
        elif kind == "external_link":
            f[name] = h5py.ExternalLink(str(outside), "/x")
        else:
            layout = h5py.VirtualLayout(shape=shape, dtype=dtype)
            layout[:] = h5py.VirtualSource(str(outside), "x", shape=shape)
            f.create_virtual_dataset(name, layout)

    _replace_h5(folder / "part0" / "part.h5", "orig_nids/user", make)
    rc, doc = validate(cfg)
    assert rc == 1 and "path.escape" in errors(doc), doc["problems"]
    assert errors(doc) <= {"path.escape", "orig_ids.missing"}, doc["problems"]
    assert all(p["partition"] == 0 for p in problems(doc, "path.escape"))
    out = tmp_path / "converted"
    rc, _doc, err = run_gpf("convert", cfg, out, "--to", "npy")
    assert rc == 2 and "outside the dataset root" in err and "part0" in err
    assert not list(out.glob("*.json"))  # no config: nothing that looks like a set
    assert_secret_absent(out)


def test_hdf5_convert_never_copies_external_bytes(gpf_backends, tmp_path, secret):
    folder, cfg = fresh(gpf_backends, "hdf5", tmp_path)

    def make(f, name, shape, dtype):
        f.create_dataset(name, shape=(secret.stat().st_size // 4,), dtype="<f4",
                         external=[(str(secret), 0, secret.stat().st_size)])

    _replace_h5(folder / "part1" / "part.h5", "node_feats/user/feat", make)
    for to in ("npy", "zarr", "dgl", "hdf5"):
        out = tmp_path / f"to-{to}"
        rc, _doc, err = run_gpf("convert", cfg, out, "--to", to)
        assert rc == 2 and "external file" in err, err
        assert not list(out.glob("*.json")) and not (out / "zarr.json").exists() or \
            "gpf_config" not in (out / "zarr.json").read_text()
        assert_secret_absent(out)


def test_npy_symlinks_out_of_the_root_are_refused(gpf_backends, tmp_path, secret):
    folder, cfg = fresh(gpf_backends, "npy", tmp_path)
    target = folder / "part1" / "node_feats" / "user" / "feat.npy"
    np.save(secret.with_suffix(".npy"), np.frombuffer(SECRET * 64, dtype=np.float32).reshape(-1, 1))
    target.unlink()
    target.symlink_to(secret.with_suffix(".npy"))
    rc, doc = validate(cfg)
    assert rc == 1 and errors(doc) == {"path.escape"}, doc["problems"]
    (folder / "part0" / "orig_nids").rename(folder / "part0" / "orig_nids.real")
    (folder / "part0" / "orig_nids").symlink_to(secret.parent, target_is_directory=True)
    rc, doc = validate(cfg)
    assert rc == 1 and errors(doc) == {"path.escape"}, doc["problems"]
    out = tmp_path / "converted"
    rc, _doc, err = run_gpf("convert", cfg, out, "--to", "hdf5")
    assert rc == 2 and "outside the dataset root" in err
    assert_secret_absent(out)


def test_zarr_chunk_symlinked_out_of_the_store_is_refused(gpf_backends, tmp_path, secret):
    folder, cfg = fresh(gpf_backends, "zarr", tmp_path)
    chunk = folder / "part0" / "graph" / "src" / "c" / "0"
    chunk.unlink()
    chunk.symlink_to(secret)
    rc, doc = validate(cfg)
    assert rc == 1 and errors(doc) == {"path.escape"}, doc["problems"]
    assert problems(doc, "path.escape")[0]["partition"] == 0
    out = tmp_path / "converted"
    rc, _doc, err = run_gpf("convert", cfg, out, "--to", "npy")
    assert rc == 2 and "outside the store" in err
    assert_secret_absent(out)
    # a whole array folder pointing out of the store (its zarr.json and chunks live elsewhere)
    shutil.copytree(folder / "part1" / "orig_nids" / "user", tmp_path / "outside" / "user")
    shutil.rmtree(folder / "part1" / "orig_nids" / "user")
    (folder / "part1" / "orig_nids" / "user").symlink_to(tmp_path / "outside" / "user", target_is_directory=True)
    shutil.copy(gpf_backends["zarr"].parent / "part0" / "graph" / "src" / "c" / "0", chunk.with_name("1"))
    chunk.unlink()
    chunk.with_name("1").rename(chunk)  # partition 0 as it was: only the folder of partition 1 points out
    rc, doc = validate(cfg)
    assert rc == 1 and "path.escape" in errors(doc), doc["problems"]
    assert any(p["partition"] == 1 for p in problems(doc, "path.escape"))


def test_zarr_storage_transformers_and_unknown_codecs_are_refused(gpf_backends, tmp_path):
    folder, cfg = fresh(gpf_backends, "zarr", tmp_path)
    meta = folder / "part1" / "graph" / "dst" / "zarr.json"
    doc = json.loads(meta.read_text())
    doc["storage_transformers"] = [{"name": "chunk-manifest-json", "configuration": {"manifest": "/etc/passwd"}}]
    meta.write_text(json.dumps(doc))
    rc, rep = validate(cfg)
    assert rc == 1 and errors(rep) == {"graph.format"} and "storage transformers" in str(rep["problems"])
    doc["storage_transformers"] = []
    doc["codecs"].append({"name": "numcodecs.pickle"})
    meta.write_text(json.dumps(doc))
    rc, rep = validate(cfg)
    assert rc == 1 and errors(rep) == {"graph.format"} and "numcodecs.pickle" in str(rep["problems"])


# -- 3: a pickle that would hash for ever ------------------------------------------------------------------------
def _pt(tmp: Path, payload: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("archive/data.pkl", payload)
        z.writestr("archive/byteorder", "little")
    return buf.getvalue()


class _Exploit:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _shared_tuples(levels: int = 80) -> bytes:
    """t0 = (); t(i+1) = (t(i), t(i)), memoised: t(levels) is 4 bytes a level but has 2^levels paths."""
    out = bytearray(b"\x80\x02)q\x00")  # PROTO 2, EMPTY_TUPLE, BINPUT 0
    for i in range(levels):
        out += b"h" + bytes([i]) + b"h" + bytes([i]) + b"\x86q" + bytes([i + 1])  # BINGET i x2, TUPLE2, BINPUT
    return bytes(out)


PAYLOADS = {
    # {t(30): None}: hashing the key takes 2^30 steps (the ~150-byte pickle of the issue), inside the depth bound
    "shared_tuple_key": (_shared_tuples(30) + b"}h\x1eNs.", "dict key"),
    # {t(80): None}: deeper than the nesting bound
    "deep_shared_tuple_key": (_shared_tuples(80) + b"}h\x50Ns.", "nested deeper"),
    # the same as set members
    "shared_tuple_set": (_shared_tuples(30) + b"\x8f(h\x1e\x90.", "set member"),
    # frozenset((t29,)): the builtin was allowed before as a "data" global
    "frozenset_global": (_shared_tuples(30) + b"c__builtin__\nfrozenset\nh\x1d\x85R.", "global '__builtin__.frozenset'"),
    # 100 000 nested lists
    "deep_nesting": (b"\x80\x02" + b"(" * 100_000 + b"]" + b"l" * 100_000 + b".", "nested deeper"),
    # a few million opcodes
    "many_opcodes": (b"\x80\x02]" + b"(" + b"N" * 3_000_000 + b"e.", "opcodes"),
}


@pytest.mark.parametrize("payload", [*PAYLOADS, "exploit"])
def test_graphbolt_pickle_bounded_work(tmp_path, payload):
    shutil.copytree(FIXTURES / "homo", tmp_path / "set")
    marker = tmp_path / "pwned"
    data, why = PAYLOADS[payload] if payload in PAYLOADS else \
        (pickle.dumps(_Exploit(marker), protocol=2), "refusing to unpickle global")
    pt = tmp_path / "set" / "part0" / "fused_csc_sampling_graph.pt"
    pt.write_bytes(_pt(tmp_path, data))
    rc, doc = validate(tmp_path / "set" / "homo.json")  # B2 reads the GraphBolt file too
    assert rc == 1 and errors(doc) == {"graph.format"}, doc["problems"]
    found = [p for p in problems(doc, "graph.format") if p["path"].endswith("fused_csc_sampling_graph.pt")]
    assert found and found[0]["partition"] == 0 and why in found[0]["message"], found
    assert not marker.exists()


# -- 4: FIFOs anywhere ---------------------------------------------------------------------------------------------
def test_fifo_config_is_unreadable_not_a_hang(tmp_path):
    fifo = tmp_path / "g.json"
    os.mkfifo(fifo)
    rc, doc = validate(fifo)
    assert rc == 2 and errors(doc) == {"config.unreadable"} and "FIFO" in doc["problems"][0]["message"]


@pytest.mark.parametrize("backend, where", [
    ("npy", "part0/graph/ndata/_ID.npy"),
    ("npy", "part1/node_feats/user/feat.npy"),
    ("zarr", "part0/graph/dst/c/0"),
    ("zarr", "part1/graph/ndata/zarr.json"),
    ("hdf5", "part1/part.h5"),
])
def test_fifo_inside_a_set_is_refused(gpf_backends, tmp_path, backend, where):
    folder, cfg = fresh(gpf_backends, backend, tmp_path)
    (folder / where).unlink()
    os.mkfifo(folder / where)
    rc, doc = validate(cfg)
    assert rc == 1 and "path.kind" in errors(doc), doc["problems"]
    assert "FIFO" in str(problems(doc, "path.kind"))
    out = tmp_path / "converted"
    rc, _doc, err = run_gpf("convert", cfg, out, "--to", "npy" if backend != "npy" else "hdf5")
    assert rc == 2 and ("FIFO" in err or "regular file" in err), err


def test_fifo_as_a_dgl_file_is_refused(dgl_sets, tmp_path):
    cfg = copy_set(dgl_sets / "homo_random_h1", tmp_path / "set")
    (cfg.parent / "part1" / "node_feat.dgl").unlink()
    os.mkfifo(cfg.parent / "part1" / "node_feat.dgl")
    rc, doc = validate(cfg)
    assert rc == 1 and errors(doc) == {"path.kind"}, doc["problems"]


# -- 5: decompression bombs -----------------------------------------------------------------------------------------
def _zstd_rle_frame(size: int, declare: bool) -> bytes:
    """A zstd frame of RLE blocks expanding to ``size`` bytes (4 bytes per 128 KiB: ~32 KB per GiB)."""
    if declare:
        head = struct.pack("<IB", 0xFD2FB528, 0b11_1_00_000) + struct.pack("<Q", size)  # single segment, 8-byte size
    else:
        head = struct.pack("<IBB", 0xFD2FB528, 0b00_0_00_000, 0x58)  # no content size, window 128 MiB
    block = 1 << 17
    out = bytearray(head)
    left = size
    while left:
        n = min(block, left)
        left -= n
        out += struct.pack("<I", (n << 3) | (1 << 1) | (1 if not left else 0))[:3] + b"\x07"
    return bytes(out)


@pytest.mark.parametrize("declare", [True, False])
@pytest.mark.parametrize("array", ["graph/src", "node_feats/user/feat", "orig_nids/user"])
def test_zarr_zstd_bomb_is_refused_before_decompressing(gpf_backends, tmp_path, declare, array):
    folder, cfg = fresh(gpf_backends, "zarr", tmp_path)
    chunk = folder / "part0" / array / "c" / "0"
    chunk = chunk / "0" if chunk.is_dir() else chunk
    bomb = _zstd_rle_frame(6 << 30, declare)
    assert len(bomb) < 300_000
    chunk.write_bytes(bomb)
    if "feats" not in array:  # validate reads graphs and ID maps whole; features only by dtype and shape
        rc, doc = validate(cfg)
        code = "graph.format" if array.startswith("graph") else "orig_ids.format"
        assert rc == 1 and code in errors(doc), doc["problems"]
        assert "zstd chunk" in problems(doc, code)[0]["message"]
    out = tmp_path / "converted"
    rc, _doc, err = run_gpf("convert", cfg, out, "--to", "npy")
    assert rc == 2 and "zstd chunk" in err, err
    assert len(err.strip().splitlines()) == 1, err                         # one line, nothing after it
    assert not list(out.glob("*.json"))


@pytest.mark.parametrize("codec", ["gzip", "blosc"])
def test_zarr_gzip_and_blosc_bombs_are_refused(tmp_path, codec):
    import zlib

    ps = gpf.partition(make_hetero(seed=1), 2, tmp_path / "set", "s", method="random", halo_hops=1,
                       backend="zarr", compressor=codec, verbose=False)
    chunk = Path(ps.path).parent / "part0" / "graph" / "ndata" / "_ID" / "c" / "0"
    if codec == "gzip":
        z = zlib.compressobj(9, zlib.DEFLATED, 31)
        member = z.compress(bytes(64 << 20)) + z.flush()  # 64 MiB of zeros in ~64 KB
        bomb = member * 32  # 32 gzip members: 2 GiB
        assert len(bomb) < 4 << 20
    else:
        real = bytearray(chunk.read_bytes())
        real[4:8] = struct.pack("<I", 0xFFFFFFF0)  # header: nbytes 4 GiB
        bomb = real
    chunk.write_bytes(bytes(bomb))
    rc, doc = validate(ps.path)
    assert rc == 1 and errors(doc) == {"graph.format"}, doc["problems"]
    assert codec in problems(doc, "graph.format")[0]["message"]


# -- 6: claims never drive an allocation ------------------------------------------------------------------------------
@pytest.mark.parametrize("shift", [31, 40])
@pytest.mark.parametrize("base", ["dgl", "zarr"])
def test_inflated_config_counts_are_checked_against_the_files(dgl_sets, gpf_backends, tmp_path, shift, base):
    if base == "dgl":
        cfg_path = copy_set(dgl_sets / "hetero_random_h1", tmp_path / "set")
        cfg = json.loads(cfg_path.read_text())
    else:
        folder, cfg_path = fresh(gpf_backends, "zarr", tmp_path)
        meta = json.loads((folder / "zarr.json").read_text())
        cfg = meta["attributes"]["gpf_config"]
    order = sorted(cfg["ntypes"], key=cfg["ntypes"].get)
    cfg["node_map"][order[-1]][-1][1] += 2**shift  # the last range: the tiling stays sound
    cfg["num_nodes"] += 2**shift
    if base == "dgl":
        cfg_path.write_text(json.dumps(cfg))
    else:
        (folder / "zarr.json").write_text(json.dumps(meta))
    rc, doc = validate(cfg_path)
    assert rc == 1 and "inner_node.missing" in errors(doc), doc["problems"]
    missing = problems(doc, "inner_node.missing")[0]
    assert missing["partition"] == cfg["num_parts"] - 1 and str(2**shift) in missing["message"]


def test_zarr_array_declaring_huge_rows_is_refused(gpf_backends, tmp_path):
    folder, cfg = fresh(gpf_backends, "zarr", tmp_path)
    for array, code in (("node_feats/user/feat", "feature.format"), ("graph/edata/_TYPE", "graph.format"),
                        ("orig_eids/user:buys:item", "orig_ids.format")):
        meta = folder / "part0" / array / "zarr.json"
        doc = json.loads(meta.read_text())
        saved = meta.read_text()
        doc["shape"] = [doc["shape"][0], 2**40]
        doc["chunk_grid"]["configuration"]["chunk_shape"] = [doc["chunk_grid"]["configuration"]["chunk_shape"][0], 1]
        meta.write_text(json.dumps(doc))
        rc, rep = validate(cfg)
        assert rc == 1 and code in errors(rep), (array, rep["problems"])
        meta.write_text(saved)
    meta = folder / "part1" / "graph" / "ndata" / "_ID" / "zarr.json"
    doc = json.loads(meta.read_text())
    doc["shape"] = [2**31]
    meta.write_text(json.dumps(doc))
    rc, rep = validate(cfg)
    assert rc == 1 and "graph.format" in errors(rep), rep["problems"]


# -- 7: Zarr metadata under the config's JSON limits ---------------------------------------------------------------
@pytest.mark.parametrize("what", ["huge", "deep", "duplicate_keys", "nan"])
@pytest.mark.parametrize("where", ["root", "array"])
def test_zarr_metadata_json_limits(gpf_backends, tmp_path, what, where):
    folder, cfg = fresh(gpf_backends, "zarr", tmp_path)
    meta = folder / ("zarr.json" if where == "root" else "part0/graph/src/zarr.json")
    text = meta.read_text()
    if what == "huge":
        with open(meta, "a") as fh:  # 70 MB of trailing blanks (sparse would not be read: it is written)
            fh.write(" " * (70 << 20))
    elif what == "deep":
        doc = json.loads(text)
        doc["attributes"]["x"] = "@"
        meta.write_text(json.dumps(doc).replace('"@"', "[" * 100_000 + "]" * 100_000))
    elif what == "duplicate_keys":
        meta.write_text(text.replace('"zarr_format": 3', '"zarr_format": 3, "zarr_format": 3', 1))
    else:
        doc = json.loads(text)
        doc["attributes"]["x"] = "@"
        meta.write_text(json.dumps(doc).replace('"@"', "NaN"))
    rc, doc = validate(cfg)
    if where == "root":
        assert rc == 2 and errors(doc) == {"config.unreadable"}, doc["problems"]
    else:
        assert rc == 1 and errors(doc) == {"graph.format"}, doc["problems"]
    message = " ".join(p["message"] for p in doc["problems"])
    assert {"huge": "limit", "deep": "deeper", "duplicate_keys": "duplicate", "nan": "NaN"}[what] in message


# -- 8: a mapped file truncated under gpf ------------------------------------------------------------------------------
_TRUNCATE_AFTER_MAP = """
import os
import gpf.sdk.codecs.mapped as _m
_map, _target = _m.map_file, os.environ["GPF_TEST_TRUNCATE"]
def _hook(fileno, name):
    view = _map(fileno, name)
    if os.path.realpath(name) == os.path.realpath(_target):
        os.truncate(_target, 64)  # another process truncating it, after the size checks
    return view
_m.map_file = _hook
"""


@pytest.mark.parametrize("base, rel", [
    ("dgl", "part1/graph.dgl"),
    ("dgl", "part0/node_feat.dgl"),
    ("npy", "part1/graph/src.npy"),
    ("hdf5", "part0/part.h5"),
])
def test_truncated_mapped_file_is_reported_not_fatal(dgl_sets, gpf_backends, tmp_path, monkeypatch, base, rel):
    if base == "dgl":
        cfg = copy_set(dgl_sets / "homo_random_h1", tmp_path / "set")
        folder = cfg.parent
    else:
        folder, cfg = fresh(gpf_backends, base, tmp_path)
    target = folder / rel
    monkeypatch.setenv("GPF_TEST_TRUNCATE", str(target))
    rc, doc = validate(cfg, prelude=_TRUNCATE_AFTER_MAP)
    assert rc == 1 and "file.changed" in errors(doc), doc["problems"]
    changed = problems(doc, "file.changed")
    assert changed[0]["path"] == str(target) and changed[0]["partition"] == int(rel[4])


def test_truncated_mapped_file_stops_convert(dgl_sets, tmp_path, monkeypatch):
    cfg = copy_set(dgl_sets / "homo_random_h1", tmp_path / "set")
    monkeypatch.setenv("GPF_TEST_TRUNCATE", str(cfg.parent / "part2" / "graph.dgl"))
    out = tmp_path / "converted"
    rc, _doc, err = run_gpf("convert", cfg, out, "--to", "npy", prelude=_TRUNCATE_AFTER_MAP)
    assert rc == 2 and "graph.dgl" in err and "truncated" in err, err
    assert not list(out.glob("*.json"))


# -- 9: messages name the partition, the file and the key ----------------------------------------------------------------
def test_feature_dtype_and_permutation_messages_name_where(dgl_sets, tmp_path):
    from tests.helpers.defects import edit_tensors

    cfg = copy_set(dgl_sets / "homo_random_h1", tmp_path / "set")
    feat = cfg.parent / "part1" / "node_feat.dgl"
    edit_tensors(feat, lambda t: t.update({"_N/feat": t["_N/feat"].astype(np.float64)}))
    rc, doc = validate(cfg)
    assert rc == 1 and errors(doc) == {"feature.dtype"}, doc["problems"]
    p = problems(doc, "feature.dtype")[0]
    assert p["partition"] == 1 and p["path"] == str(feat)
    assert "partition 1" in p["message"] and "float64" in p["message"] and "float32" in p["message"]


def test_orig_permutation_message_names_partition_and_file(gpf_backends, tmp_path):
    folder, cfg = fresh(gpf_backends, "npy", tmp_path)
    f = folder / "part1" / "orig_nids" / "user.npy"
    a = np.load(f)
    a[0] = a[1]
    np.save(f, a)
    rc, doc = validate(cfg)
    assert rc == 1 and errors(doc) == {"orig_ids.permutation"}, doc["problems"]
    p = problems(doc, "orig_ids.permutation")[0]
    assert p["partition"] == 1 and p["path"] == str(folder / "part1" / "orig_nids"), p
    assert "'user'" in p["message"] and "partition 1" in p["message"]


def test_npz_pickled_object_message_names_file_and_key(tmp_path):
    bad = tmp_path / "objects.npz"
    np.savez(bad, src=np.zeros(2, np.int64), dst=np.array([_Exploit(tmp_path / "pwned"), 1], dtype=object))
    rc, _doc, err = run_gpf("partition", bad, tmp_path / "out", "--parts", "2")
    assert rc == 2 and str(bad) in err and "'dst'" in err and "pickle" in err, err
    assert not (tmp_path / "pwned").exists()


def test_truncation_test_really_faults(dgl_sets, tmp_path, monkeypatch):
    """The control of the tests above: with gpf's SIGBUS handler off, the same truncation kills the process
    (so those tests exercise the fault, not only a short read)."""
    cfg = copy_set(dgl_sets / "homo_random_h1", tmp_path / "set")
    monkeypatch.setenv("GPF_TEST_TRUNCATE", str(cfg.parent / "part1" / "graph.dgl"))
    off = "import gpf.sdk.codecs.mapped as _off\n_off._STATE['installed'] = False\n"
    code = f"import sys\n{off}{_TRUNCATE_AFTER_MAP}\nfrom gpf.cli import main\nsys.exit(main(sys.argv[1:]))"
    env = dict(os.environ, PYTHONPATH=f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    p = subprocess.run([sys.executable, "-c", code, "validate", str(cfg), "--json"], capture_output=True,
                       timeout=SECONDS, env=env)
    assert p.returncode == -7, (p.returncode, p.stderr.decode()[-500:])  # SIGBUS


# -- 10: hostile chunked-graph inputs of `gpf partition` (metadata.json + chunk files) ------------------------------
def _chunked(tmp_path: Path, fmt: str, zarr_format: int = 3, compressor: str | None = None) -> tuple[Path, dict, str]:
    """A valid chunked graph in ``tmp_path/in``: (its folder, its metadata, the first edge type's key)."""
    from tests.helpers.writer import write_chunked

    root = write_chunked(tmp_path / "in", make_hetero(seed=1), fmt, zarr_format=zarr_format, compressor=compressor)
    meta = json.loads((root / "metadata.json").read_text())
    counts = [sum(c) for c in meta["num_edges_per_chunk"]]
    return root, meta, meta["edge_type"][counts.index(max(counts))]  # the type with most edges: no empty chunk


def partition_fails(root: Path, tmp_path: Path, *needles: str, extra: tuple = ()) -> str:
    """``gpf partition`` of ``root`` exits 2 with one ``gpf: error:`` line naming metadata.json and ``needles``,
    and leaves no config in its output folder."""
    out = tmp_path / "out"
    rc, _doc, err = run_gpf("partition", root, out, "--parts", "2", "--method", "random", *extra)
    lines = err.strip().splitlines()
    assert rc == 2 and len(lines) == 1 and lines[0].startswith("gpf: error: "), err
    assert str(root / "metadata.json") in lines[0], err
    for needle in needles:
        assert needle in lines[0], (needle, err)
    if out.exists():
        assert not list(out.rglob("*.json")), sorted(out.rglob("*"))  # nothing that looks like a set
        assert_secret_absent(out)
    return lines[0]


def test_chunked_valid_input_partitions_under_the_limits(tmp_path):
    """The control of the tests below: the same inputs unharmed partition under the same limits."""
    for fmt, zf in (("numpy", 3), ("zarr", 3), ("zarr", 2)):
        root, _meta, _key = _chunked(tmp_path / f"{fmt}{zf}", fmt, zf)
        rc, _doc, err = run_gpf("partition", root, tmp_path / f"out-{fmt}{zf}", "--parts", "2", "--method", "random")
        assert rc == 0 and (tmp_path / f"out-{fmt}{zf}" / "chunky.json").is_file(), err


@pytest.mark.parametrize("how", ["dotdot", "absolute", "symlink", "nested_dotdot", "symlinked_folder"])
def test_chunked_paths_out_of_the_metadata_folder_are_refused(tmp_path, secret, how):
    root, meta, key = _chunked(tmp_path, "numpy")
    target = secret.with_suffix(".npy")
    np.save(target, np.frombuffer(SECRET * 64, dtype=np.int64).reshape(-1, 2) % 4)
    (root / "link.npy").symlink_to(target)
    (root / "linkdir").symlink_to(secret.parent, target_is_directory=True)
    rel = os.path.relpath(target, root)  # ../outside/secret.npy
    name = {"dotdot": rel, "absolute": str(target), "symlink": "link.npy", "nested_dotdot": f"e/../{rel}",
            "symlinked_folder": "linkdir/secret.npy"}[how]
    meta["edges"][key]["data"][1] = name
    (root / "metadata.json").write_text(json.dumps(meta))
    line = partition_fails(root, tmp_path, f"edges[{key!r}]", repr(name), "outside")
    assert "the folder of metadata.json" in line


def test_chunked_zarr_key_symlinked_out_of_the_array_is_refused(tmp_path, secret):
    root, meta, key = _chunked(tmp_path, "zarr")
    rel = meta["edges"][key]["data"][1]
    chunk = _zarr_chunk(root, rel)
    chunk.unlink()
    chunk.symlink_to(secret)
    partition_fails(root, tmp_path, rel, "c/0/0: Zarr key 'c/0/0' resolves to", "outside the store")


@pytest.mark.parametrize("kind", ["csv", "numpy", "parquet", "zarr"])
def test_chunked_fifo_chunk_is_refused_not_a_hang(tmp_path, kind):
    root, meta, key = _chunked(tmp_path, kind)
    rel = meta["edges"][key]["data"][0]
    target = root / rel / "c" / "0" / "0" if kind == "zarr" else root / rel
    target.unlink()
    os.mkfifo(target)
    partition_fails(root, tmp_path, rel, "FIFO")


def _npy_header(shape: tuple, dtype: str = "<i8") -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": dtype, "fortran_order": False, "shape": shape})
    return buf.getvalue()


def test_chunked_npy_claims_and_pickles_are_refused(tmp_path):
    root, meta, key = _chunked(tmp_path, "numpy")
    rel = meta["edges"][key]["data"][0]
    saved = (root / rel).read_bytes()
    (root / rel).write_bytes(_npy_header((1 << 36, 2)) + bytes(64))  # claims 1 TiB, holds 64 bytes
    partition_fails(root, tmp_path, rel, "header says shape (68719476736, 2)", "holds 64 bytes")
    marker = tmp_path / "pwned"
    np.save(root / rel, np.array([_Exploit(marker), 1], dtype=object), allow_pickle=True)
    partition_fails(root, tmp_path, rel, "pickles are never loaded")
    (root / rel).write_bytes(saved)
    feat = next(iter(meta["node_data"].values()))
    frel = next(iter(feat.values()))["data"][0]
    (root / frel).write_bytes(_npy_header((1 << 33, 64), "<f4") + bytes(128))
    partition_fails(root, tmp_path, frel, "header says shape (8589934592, 64)", extra=("--out-of-core",))
    assert not marker.exists()


def _zarr_chunk(root: Path, rel: str) -> Path:
    folder = root / rel
    return folder / "0.0" if (folder / ".zarray").exists() else folder / "c" / "0" / "0"


@pytest.mark.parametrize("zarr_format, compressor", [(3, "zstd"), (3, "gzip"), (3, "blosc"), (2, "zstd"), (2, "gzip"),
                                                     (2, "zlib"), (2, "blosc"), (2, "lz4")])
def test_chunked_zarr_bombs_are_refused_before_decompressing(tmp_path, zarr_format, compressor):
    import zlib

    root, meta, key = _chunked(tmp_path, "zarr", zarr_format, compressor)
    rel = meta["edges"][key]["data"][0]
    chunk = _zarr_chunk(root, rel)
    if compressor == "zstd":
        bomb = _zstd_rle_frame(6 << 30, True)
    elif compressor in ("gzip", "zlib"):
        z = zlib.compressobj(9, zlib.DEFLATED, 31 if compressor == "gzip" else 15)
        bomb = (z.compress(bytes(64 << 20)) + z.flush()) * 32  # 2 GiB in ~2 MB
    elif compressor == "blosc":
        real = bytearray(chunk.read_bytes())
        real[4:8] = struct.pack("<I", 0xFFFFFFF0)  # header: nbytes 4 GiB
        bomb = bytes(real)
    else:
        bomb = struct.pack("<I", 0x7FFFFFFF) + chunk.read_bytes()[4:]  # numcodecs LZ4: a 2 GiB size prefix
    chunk.write_bytes(bomb)
    partition_fails(root, tmp_path, rel, f"{compressor} chunk")


@pytest.mark.parametrize("zarr_format", [3, 2])
def test_chunked_zarr_shape_claims_are_checked_against_the_stored_chunks(tmp_path, zarr_format):
    root, meta, key = _chunked(tmp_path, "zarr", zarr_format)
    rel = meta["edges"][key]["data"][0]
    doc_path = root / rel / (".zarray" if zarr_format == 2 else "zarr.json")
    saved = doc_path.read_text()
    doc = json.loads(saved)
    doc["shape"] = [1 << 36, 2]  # 1 TiB of int64 pairs over a few stored chunks (the rest would be fill values)
    doc_path.write_text(json.dumps(doc))
    partition_fails(root, tmp_path, rel, "claims 1099511627776 bytes but its chunks store")
    doc_path.write_text(saved)
    feat = next(iter(meta["node_data"].values()))
    frel = next(iter(feat.values()))["data"][0]
    doc_path = root / frel / (".zarray" if zarr_format == 2 else "zarr.json")
    doc = json.loads(doc_path.read_text())
    doc["shape"][0] = 1 << 32
    doc_path.write_text(json.dumps(doc))
    partition_fails(root, tmp_path, frel, "bytes but its chunks store", extra=("--out-of-core",))


@pytest.mark.parametrize("edit, why", [
    ({"compressor": {"id": "bz2", "level": 1}}, "compressor 'bz2' is not one gpf decodes"),
    ({"filters": [{"id": "pickle"}]}, "filters"),
    ({"dtype": "|O"}, "not a plain bool, int, uint or float dtype"),
    ({"dtype": [["a", "<i8"]]}, "not a plain bool, int, uint or float dtype"),
])
def test_chunked_zarr_v2_metadata_outside_the_allow_list_is_refused(tmp_path, edit, why):
    root, meta, key = _chunked(tmp_path, "zarr", 2)
    rel = meta["edges"][key]["data"][1]
    doc_path = root / rel / ".zarray"
    doc = json.loads(doc_path.read_text())
    doc.update(edit)
    doc_path.write_text(json.dumps(doc))
    partition_fails(root, tmp_path, rel, "Zarr metadata refused", why)


def test_chunked_zarr_v3_unknown_codec_is_refused(tmp_path):
    root, meta, key = _chunked(tmp_path, "zarr", 3)
    rel = meta["edges"][key]["data"][0]
    doc_path = root / rel / "zarr.json"
    doc = json.loads(doc_path.read_text())
    doc["codecs"].append({"name": "numcodecs.pickle"})
    doc_path.write_text(json.dumps(doc))
    partition_fails(root, tmp_path, rel, "numcodecs.pickle")


@pytest.mark.extra("parquet")
def test_chunked_parquet_non_numeric_column_is_refused_before_reading(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    root, meta, key = _chunked(tmp_path, "parquet")
    rel = meta["edges"][key]["data"][0]
    pq.write_table(pa.table({"src": ["x" * 1000] * 10, "dst": [1] * 10}), root / rel)
    partition_fails(root, tmp_path, rel, "is not numeric (BYTE_ARRAY)")


@pytest.mark.parametrize("how", ["deep", "fifo", "huge"])
def test_chunked_hostile_metadata_json_is_one_line_not_a_hang(tmp_path, how):
    root, meta, _key = _chunked(tmp_path, "numpy")
    path = root / "metadata.json"
    if how == "deep":
        meta["x"] = "@"
        path.write_text(json.dumps(meta).replace('"@"', "[" * 100_000 + "]" * 100_000))
    elif how == "huge":
        with open(path, "a") as fh:  # 70 MB of trailing blanks: over the JSON size bound
            fh.write(" " * (70 << 20))
    else:
        path.unlink()
        os.mkfifo(path)
    out = tmp_path / "out"
    rc, _doc, err = run_gpf("partition", root, out, "--parts", "2", "--method", "random")
    lines = err.strip().splitlines()
    assert rc == 2 and len(lines) == 1 and lines[0].startswith(f"gpf: error: {root}"), err
    assert not out.exists() or not list(out.rglob("*.json"))


def test_chunked_node_counts_no_machine_holds_are_refused(tmp_path):
    """``num_nodes_per_chunk`` of a type without node data is a claim no bytes back: refused, named, before
    any per-node array is allocated; a count this machine could hold but the process cannot (half the
    machine's memory in int64, under a 1 GiB address-space limit) is one line too, never a traceback."""
    from gpf.limits import machine_memory_bytes

    memory = machine_memory_bytes()
    assert memory is not None and memory > 4 * MEMORY
    root, meta, _key = _chunked(tmp_path, "numpy")
    nt = meta["node_type"][0]
    meta.get("node_data", {}).pop(nt, None)                      # nothing backs the count of this type
    meta["num_nodes_per_chunk"][0] = [10 ** 13] + meta["num_nodes_per_chunk"][0][1:]
    (root / "metadata.json").write_text(json.dumps(meta))
    line = partition_fails(root, tmp_path / "a", "num_nodes_per_chunk", f"of {nt!r}", "more than this machine's")
    assert "10000000000" in line
    meta["num_nodes_per_chunk"][0] = [memory // 16] + meta["num_nodes_per_chunk"][0][1:]
    (root / "metadata.json").write_text(json.dumps(meta))
    out = tmp_path / "b" / "out"
    rc, _doc, err = run_gpf("partition", root, out, "--parts", "2", "--method", "random")
    lines = err.strip().splitlines()
    assert rc == 2 and len(lines) == 1 and lines[0].startswith("gpf: error: out of memory"), err
    assert not out.exists() or not list(out.rglob("*.json"))
