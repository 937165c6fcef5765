"""Fuzzing the codec, the config parser and the validator: no input may crash or escape them.

Runs in CI with a few dozen examples per target (seconds).  For a long run by hand select the
``long`` profile (10^5 examples per target, no time limit)::

    GPF_FUZZ_PROFILE=long .venv/bin/pytest -p no:xdist tests/test_fuzz.py

or run the coverage-guided atheris target ``tools/fuzz_codec.py`` (see its header).

Every target asserts the contract: the only exception a reader raises is its own error class
(FormatError / ConfigError / UnsupportedError), it allocates no more than a small multiple of
the input's size (tracemalloc), and ``gpf.validate`` returns a report (exit 1 or 2, never a
``check.crashed`` problem) for any config or any damaged file of a set.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import struct
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gpf
from gpf.errors import ConfigError, FormatError, UnsupportedError
from gpf.sdk.codecs.dgl_graph import StoredGraph, read_graphs, write_graphs
from gpf.sdk.codecs.dgl_tensors import read_tensors, write_tensors
from gpf.sdk.codecs.graphbolt import read_graphbolt
from gpf.spec import decode_config_json, parse_config
from tests.helpers.writer import make_hetero

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "dgl2_graphbolt"

PROFILES = {
    "ci": settings(max_examples=40, deadline=None, derandomize=True,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]),
    "medium": settings(max_examples=1_000, deadline=None,
                       suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]),
    "long": settings(max_examples=100_000, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]),
}
FUZZ = PROFILES[os.environ.get("GPF_FUZZ_PROFILE", "ci")]
#: Allocation a reader may make beyond the input (numpy bookkeeping, Python objects).
SLACK = 8 << 20


def _seed_files(tmp: Path) -> dict[str, bytes]:
    """Small valid files of every kind, written by the codec (and a GraphBolt file DGL 2.1 wrote)."""
    rng = np.random.default_rng(0)
    src, dst = rng.integers(0, 12, 40), rng.integers(0, 12, 40)
    g = StoredGraph.homogeneous(src, dst, 12, {"_ID": np.arange(12), "inner_node": np.ones(12, np.uint8)},
                                {"_ID": np.arange(40), "inner_edge": np.ones(40, np.uint8)})
    write_graphs(tmp / "g.dgl", g, formats=("coo", "csr", "csc"))
    write_tensors(tmp / "t.dgl", {"_N/feat": rng.standard_normal((12, 3)).astype(np.float32),
                                  "_N/label": np.arange(12), "w": np.zeros((0, 2))})
    return {"graphs": (tmp / "g.dgl").read_bytes(), "tensors": (tmp / "t.dgl").read_bytes(),
            "graphbolt": (FIXTURES / "homo" / "part0" / "fused_csc_sampling_graph.pt").read_bytes()}


READERS = {"graphs": read_graphs, "tensors": read_tensors, "graphbolt": read_graphbolt}


@pytest.fixture(scope="module")
def seeds(tmp_path_factory) -> dict[str, bytes]:
    return _seed_files(tmp_path_factory.mktemp("seeds"))


def _read_bounded(kind: str, data: bytes) -> None:
    """Read ``data``; only FormatError may escape, and peak allocation stays near the input size."""
    tracemalloc.start()
    try:
        READERS[kind](data)
    except FormatError:
        pass
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < 4 * len(data) + SLACK, f"{kind}: {peak} bytes allocated for a {len(data)}-byte input"


def _mutate(data, buf: bytearray) -> bytearray:
    for _ in range(data.draw(st.integers(1, 4), label="n_ops")):
        op = data.draw(st.sampled_from(["flip", "set8", "cut", "insert", "delete"]), label="op")
        pos = data.draw(st.integers(0, max(len(buf) - 1, 0)), label="pos")
        if op == "flip" and buf:
            buf[pos] ^= 1 << data.draw(st.integers(0, 7))
        elif op == "set8" and len(buf) >= pos + 8:
            word = data.draw(st.sampled_from([0, 1, 255, 2**31, 2**32 + 1, 2**40, 2**62, 2**63, 2**64 - 1]))
            buf[pos:pos + 8] = struct.pack("<Q", word)
        elif op == "cut":
            del buf[pos:]
        elif op == "insert":
            buf[pos:pos] = data.draw(st.binary(min_size=1, max_size=16))
        elif op == "delete":
            del buf[pos:pos + data.draw(st.integers(1, 16))]
    return buf


# -- codec ------------------------------------------------------------------------------------------------
@FUZZ
@given(data=st.data())
def test_codec_mutations_raise_only_format_error(seeds, data):
    kind = data.draw(st.sampled_from(sorted(seeds)), label="kind")
    _read_bounded(kind, bytes(_mutate(data, bytearray(seeds[kind]))))


@FUZZ
@given(kind=st.sampled_from(sorted(READERS)), blob=st.binary(max_size=512))
def test_codec_random_bytes(kind, blob):
    _read_bounded(kind, blob)


@pytest.mark.parametrize("kind", sorted(READERS))
def test_every_truncation_is_a_format_error(seeds, kind):
    data = seeds[kind]
    step = max(1, len(data) // 300)
    for cut in range(0, len(data), step):
        with pytest.raises(FormatError):
            READERS[kind](data[:cut])


def _zip_with(records: dict[str, bytes], compress: set[str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, payload in records.items():
            z.writestr(name, payload, compress_type=zipfile.ZIP_DEFLATED if name in compress else zipfile.ZIP_STORED)
    return out.getvalue()


@pytest.mark.parametrize("record", ["archive/byteorder", "archive/data.pkl"])
def test_graphbolt_zip_bomb_is_refused_before_inflating(record):
    """A deflated record claiming 200 MiB in a few hundred KiB: refused without allocating it."""
    records = {"archive/data.pkl": b"\x80\x02}q\x00.", "archive/byteorder": b"little"}
    records[record] = b"\x00" * (200 << 20)
    data = _zip_with(records, {record})
    assert len(data) < 1 << 20
    tracemalloc.start()
    try:
        with pytest.raises(FormatError, match="byteorder|data.pkl"):
            read_graphbolt(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20


def test_huge_shape_claims_allocate_nothing(seeds):
    """Header words claiming 2^40..2^63 elements: FormatError without allocating them."""
    data = seeds["tensors"]
    for at in range(0, len(data) - 8, 8):
        for word in (2**40, 2**62 - 1, 2**63 - 1):
            buf = bytearray(data)
            buf[at:at + 8] = struct.pack("<Q", word)
            _read_bounded("tensors", bytes(buf))


# -- config parser ---------------------------------------------------------------------------------------
_json = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4),
    max_leaves=20,
)
_keys = st.sampled_from(["graph_name", "num_nodes", "num_edges", "part_method", "num_parts", "halo_hops", "node_map",
                         "edge_map", "ntypes", "etypes", "part-0", "part-1", "gpf_version", "node_map_dtype"])


def _valid_config() -> dict:
    return {"graph_name": "g", "num_nodes": 4, "num_edges": 3, "part_method": "random", "num_parts": 2,
            "halo_hops": 1, "node_map": {"_N": [[0, 2], [2, 4]]}, "edge_map": {"_N:_E:_N": [[0, 1], [1, 3]]},
            "ntypes": {"_N": 0}, "etypes": {"_N:_E:_N": 0},
            "part-0": {"node_feats": "part0/node_feat.dgl", "edge_feats": "part0/edge_feat.dgl",
                       "part_graph": "part0/graph.dgl"},
            "part-1": {"node_feats": "part1/node_feat.dgl", "edge_feats": "part1/edge_feat.dgl",
                       "part_graph": "part1/graph.dgl"}}


@FUZZ
@given(changes=st.dictionaries(_keys, _json, max_size=3), drop=st.lists(_keys, max_size=2))
def test_config_parser_raises_only_config_errors(changes, drop):
    cfg = _valid_config()
    cfg.update(changes)
    for k in drop:
        cfg.pop(k, None)
    try:
        parse_config(decode_config_json(json.dumps(cfg)))
    except (ConfigError, UnsupportedError):
        pass


@FUZZ
@given(blob=st.binary(max_size=256))
def test_config_bytes_raise_only_config_errors(blob):
    try:
        parse_config(decode_config_json(blob))
    except (ConfigError, UnsupportedError):
        pass


@FUZZ
@given(changes=st.dictionaries(_keys, _json, max_size=3), drop=st.lists(_keys, max_size=2))
def test_validate_any_config_never_crashes(tmp_path, changes, drop):
    cfg = _valid_config()
    cfg.update(changes)
    for k in drop:
        cfg.pop(k, None)
    path = tmp_path / "g.json"
    path.write_text(json.dumps(cfg))
    rep = gpf.validate(path)
    assert "check.crashed" not in rep.codes, rep.problems
    assert rep.exit_code in (1, 2)  # the files do not exist: never valid


# -- the validator on damaged files of a real set ----------------------------------------------------------
@pytest.fixture(scope="module")
def small_set(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("fuzzset")
    gpf.partition(make_hetero(seed=1), 2, root / "s", "s", method="random", halo_hops=2, verbose=False)
    return root / "s"


@FUZZ
@given(data=st.data())
def test_validate_damaged_set_never_crashes(small_set, tmp_path_factory, data):
    work = tmp_path_factory.mktemp("damaged") / "s"
    shutil.copytree(small_set, work)
    files = sorted(p for p in work.rglob("*.dgl"))
    target = data.draw(st.sampled_from(files), label="file")
    target.write_bytes(bytes(_mutate(data, bytearray(target.read_bytes()))))
    rep = gpf.validate(work / "s.json")
    assert "check.crashed" not in rep.codes, rep.problems
    assert rep.exit_code in (0, 1)


_EDITABLE = ("src", "dst", "ndata/_ID", "ndata/inner_node", "ndata/part_id", "edata/_ID", "edata/inner_edge")


@FUZZ
@given(data=st.data())
def test_validate_in_range_edits_never_crash(small_set, tmp_path_factory, data):
    """Edits that keep every file decodable (local IDs moved to other local nodes, other _IDs, flipped
    flags) reach the checks behind the decoder: they must report, never crash."""
    from tests.helpers.defects import MutableGraph

    work = tmp_path_factory.mktemp("edited") / "s"
    shutil.copytree(small_set, work)
    target = data.draw(st.sampled_from(sorted(work.rglob("graph.dgl"))), label="file")
    g = MutableGraph(target)
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        name = data.draw(st.sampled_from(_EDITABLE), label="field")
        arr = getattr(g, name) if "/" not in name else (g.ndata if name[0] == "n" else g.edata)[name.split("/")[1]]
        if arr.shape[0] == 0:
            continue
        at = data.draw(st.integers(0, arr.shape[0] - 1), label="position")
        hi = g.num_nodes - 1 if name in ("src", "dst") else (1 if "inner" in name else 2 * int(arr.max()) + 2)
        arr[at] = data.draw(st.integers(0, hi), label="value")
    g.save()
    rep = gpf.validate(work / "s.json")
    assert "check.crashed" not in rep.codes, rep.problems
    assert rep.exit_code in (0, 1)


def test_partition_graph_claiming_huge_node_count(tmp_path):
    """A graph.dgl with no node data can claim any node count: refused before anyone allocates by it."""
    from gpf.sdk.codecs.dgl_graph import read_partition_graph

    g = StoredGraph.homogeneous(np.zeros(0, np.int64), np.zeros(0, np.int64), 2**40)
    write_graphs(tmp_path / "g.dgl", g)
    assert (tmp_path / "g.dgl").stat().st_size < 8192
    with pytest.raises(FormatError, match="claims 1099511627776 nodes"):
        read_partition_graph(tmp_path / "g.dgl")


def test_graphbolt_reads_leak_nothing(seeds):
    """Corrupt .pt files must not leave their buffers behind (the C unpickler's memo and stack are
    invisible to the cycle collector, so nothing in them may point back at the unpickler)."""
    import gc
    import random

    from gpf.sdk.codecs.buffer import Buffer

    gc.collect()
    alive = [o for o in gc.get_objects() if type(o) is Buffer]  # other tests' open stores keep theirs
    rng = random.Random(0)
    for _ in range(300):
        buf = bytearray(seeds["graphbolt"])
        for _ in range(3):
            buf[rng.randrange(len(buf))] ^= 1 << rng.randrange(8)
        try:
            read_graphbolt(bytes(buf))
        except FormatError:
            pass
    read_graphbolt(seeds["graphbolt"])
    gc.collect()
    assert sum(type(o) is Buffer and not any(o is a for a in alive) for o in gc.get_objects()) == 0


# -- the GraphBolt unpickler's resource bounds ----------------------------------------------------------------------
_PICKLE_OPS = [
    b"(", b")", b"]", b"}", b"N", b"K\x01", b"K\x02", b"X\x01\x00\x00\x00a", b"X\x01\x00\x00\x00b", b"t", b"\x85",
    b"\x86", b"\x87", b"l", b"d", b"s", b"u", b"a", b"e", b"0", b"1", b"2", b"R", b"b", b"\x8f", b"\x90", b"\x91",
    b"\x94", b"ccollections\nOrderedDict\n", b"ctorch\nLongStorage\n", b"c__builtin__\nfrozenset\n",
    b"ctorch._utils\n_rebuild_tensor_v2\n", b"cos\nsystem\n", b"Q",
]


@FUZZ
@given(ops=st.lists(st.one_of(st.sampled_from(_PICKLE_OPS),
                              st.integers(0, 40).map(lambda i: b"q" + bytes([i])),
                              st.integers(0, 40).map(lambda i: b"h" + bytes([i]))), max_size=300),
       repeat=st.integers(1, 40))
def test_graphbolt_unpickler_bounds_any_opcode_stream(ops, repeat):
    """Random opcode streams, their middle repeated (shared structures, deep nesting): only FormatError,
    bounded allocation and time, whatever the stream builds."""
    import time

    body = b"".join(ops)
    half = len(ops) // 2
    body = b"".join(ops[:half]) + b"".join(ops[half:half + 5]) * repeat + b"".join(ops[half + 5:])
    records = {"archive/data.pkl": b"\x80\x02" + body + b".", "archive/byteorder": b"little"}
    data = _zip_with(records, set())
    start = time.monotonic()
    _read_bounded("graphbolt", data)
    assert time.monotonic() - start < 5


@pytest.mark.parametrize("levels", [20, 25, 31, 33, 200])
def test_graphbolt_shared_structures_are_bounded(levels):
    """t(i+1) = (t(i), t(i)) used as a dict key, a set member and a frozenset argument: refused at once."""
    import time

    chain = bytearray(b"\x80\x04)\x94")  # PROTO 4, EMPTY_TUPLE, MEMOIZE
    for i in range(levels):
        chain += b"h" + bytes([i % 256]) + b"h" + bytes([i % 256]) + b"\x86\x94"
    last = bytes([levels % 256])
    for tail in (b"}h" + last + b"Ns.", b"\x8f(h" + last + b"\x90.", b"c__builtin__\nfrozenset\nh" + last + b"\x85R."):
        data = _zip_with({"archive/data.pkl": bytes(chain) + tail, "archive/byteorder": b"little"}, set())
        start = time.monotonic()
        with pytest.raises(FormatError, match="dict key|set member|nested deeper|frozenset|memo"):
            read_graphbolt(data)
        assert time.monotonic() - start < 5


# -- Zarr and HDF5 metadata ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def backend_sets(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("fuzz_backends")
    out = {}
    for backend in ("zarr", "hdf5"):
        ps = gpf.partition(make_hetero(seed=2), 2, root / backend, "s", method="random", halo_hops=1, backend=backend,
                           verbose=False)
        out[backend] = Path(ps.path)
    return out


_ZARR_FIELDS = st.sampled_from(["shape", "data_type", "chunk_grid", "chunk_key_encoding", "fill_value", "codecs",
                                "attributes", "zarr_format", "node_type", "storage_transformers",
                                "dimension_names", "consolidated_metadata"])
_ZARR_VALUES = st.one_of(
    _json,
    st.lists(st.sampled_from([0, 1, 7, 2**31, 2**40, 2**62, -1]), min_size=0, max_size=3),
    st.sampled_from([
        [{"name": "bytes", "configuration": {"endian": "big"}}],
        [{"name": "bytes"}, {"name": "zstd", "configuration": {"level": 1}}],
        [{"name": "sharding_indexed", "configuration": {"chunk_shape": [1], "codecs": [{"name": "bytes"}],
                                                        "index_codecs": [{"name": "bytes"}]}}],
        [{"name": "numcodecs.pickle"}],
        {"name": "regular", "configuration": {"chunk_shape": [2**40]}},
        {"name": "regular", "configuration": {"chunk_shape": [1]}},
        {"name": "default", "configuration": {"separator": ".."}},
        [{"name": "x", "configuration": {"manifest": "../../../etc/passwd"}}],
        "float64", "uint8", "string", "bool", "complex128", "group", "array",
    ]),
)


#: The backend metadata targets validate a whole set per example: fewer examples in CI.
FUZZ_SETS = settings(FUZZ, max_examples=min(FUZZ.max_examples, 15) if FUZZ is PROFILES["ci"] else FUZZ.max_examples)


@FUZZ_SETS
@given(data=st.data())
def test_validate_zarr_metadata_never_crashes(backend_sets, tmp_path_factory, data):
    """Edits of any zarr.json of a gpf-written Zarr set (fields replaced by any JSON or by hostile values, or
    the bytes mutated): ``gpf validate`` reports, never crashes, and allocates little."""
    work = tmp_path_factory.mktemp("zarr_meta") / "s"
    shutil.copytree(backend_sets["zarr"].parent, work)
    metas = sorted(str(p.relative_to(work)) for p in work.rglob("zarr.json"))
    target = work / data.draw(st.sampled_from(metas), label="zarr.json")
    if data.draw(st.booleans(), label="bytes"):
        target.write_bytes(bytes(_mutate(data, bytearray(target.read_bytes()))))
    else:
        doc = json.loads(target.read_text())
        for _ in range(data.draw(st.integers(1, 3), label="edits")):
            doc[data.draw(_ZARR_FIELDS, label="field")] = data.draw(_ZARR_VALUES, label="value")
        target.write_text(json.dumps(doc))
    tracemalloc.start()
    try:
        rep = gpf.validate(work)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "check.crashed" not in rep.codes, rep.problems
    assert rep.exit_code in (0, 1, 2)
    assert peak < 256 << 20


@FUZZ_SETS
@given(data=st.data())
def test_validate_hdf5_metadata_never_crashes(backend_sets, tmp_path_factory, data):
    """A dataset of a gpf-written HDF5 set replaced by one with hostile metadata (shape, dtype, chunking,
    filters, external storage, links, virtual layout, a group, a scalar): ``gpf validate`` reports, never
    crashes, never reads outside the root, and allocates little."""
    import h5py

    work = tmp_path_factory.mktemp("h5_meta")
    shutil.copytree(backend_sets["hdf5"].parent, work / "s")
    outside = work / "outside.bin"
    outside.write_bytes(b"\x7f" * 4096)
    part = data.draw(st.sampled_from([0, 1]), label="part")
    path = work / "s" / f"part{part}" / "part.h5"
    with h5py.File(path, "r+") as f:
        names: list[str] = []
        f.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
        name = data.draw(st.sampled_from(sorted(names)), label="dataset")
        old = f[name]
        n = old.shape[0] if old.shape else 1
        del f[name]
        kind = data.draw(st.sampled_from(["shape", "dtype", "chunks", "filter", "external", "soft", "extlink",
                                          "virtual", "group", "scalar", "empty"]), label="kind")
        rows = data.draw(st.sampled_from([0, 1, n - 1 if n else 0, n + 1, 2**31, 2**40]), label="rows")
        if kind == "shape":
            f.create_dataset(name, shape=(rows,), dtype="i8", **({"chunks": (1,), "compression": "gzip"} if rows else {}))
        elif kind == "dtype":
            dt = data.draw(st.sampled_from([h5py.string_dtype(), "S4", h5py.vlen_dtype(np.int64),
                                            np.dtype([("a", "i4"), ("b", "f4")]), "c16", "?"]), label="dtype")
            f.create_dataset(name, shape=(n,), dtype=dt)
        elif kind == "chunks":
            f.create_dataset(name, shape=(max(rows, 1), 1), dtype="f4", chunks=(1, 1), compression="lzf")
        elif kind == "filter":
            f.create_dataset(name, data=np.arange(n, dtype="i8"), scaleoffset=0)
        elif kind == "external":
            f.create_dataset(name, shape=(512,), dtype="i8", external=[(str(outside), 0, 4096)])
        elif kind == "soft":
            f[name] = h5py.SoftLink("/" + name)  # a link to itself
        elif kind == "extlink":
            f[name] = h5py.ExternalLink(str(outside), "/x")
        elif kind == "virtual":
            layout = h5py.VirtualLayout(shape=(4,), dtype="i8")
            layout[:] = h5py.VirtualSource(str(outside), "x", shape=(4,))
            f.create_virtual_dataset(name, layout)
        elif kind == "group":
            f.create_group(name)
        elif kind == "scalar":
            f.create_dataset(name, data=np.int64(rows))
        else:
            f.create_dataset(name, data=h5py.Empty("i8"))
    tracemalloc.start()
    try:
        rep = gpf.validate(work / "s" / "s.json")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "check.crashed" not in rep.codes, rep.problems
    assert rep.exit_code in (0, 1)
    if kind in ("external", "extlink", "virtual"):
        assert "path.escape" in rep.codes, rep.problems
    assert peak < 256 << 20
