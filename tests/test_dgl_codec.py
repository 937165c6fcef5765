"""The pure-Python DGL binary codec (gpf.sdk.storage.dgl_*) against real DGL 1.1.3.

Oracle tests run real DGL in .venv-dgl through tests/oracle/runner.py (never
imported here).  They are never skipped: a missing venv fails them.
"""

from __future__ import annotations

import io
import struct
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gpf.errors import FormatError
from gpf.sdk.codecs.buffer import open_buffer
from gpf.sdk.codecs.dgl_bytes import (
    BFLOAT16,
    MAGIC_GRAPHS,
    MAGIC_NDARRAY,
    MAGIC_TENSORS,
    bfloat16_to_float32,
    write_ndarray,
)
from gpf.sdk.codecs.dgl_graph import StoredGraph, read_graphs, read_partition_graph, write_graphs
from gpf.sdk.codecs.dgl_tensors import read_tensors, write_tensors
from tests.helpers.codec import (
    assert_graphs_match,
    assert_tensors_match,
    case_list,
    codec_cases,
    dgl_load,
    load_expected,
    partition_cases,
)
from tests.oracle.runner import load_dump

FORMAT_COMBOS = [["coo"], ["csr"], ["csc"], ["coo", "csr"], ["coo", "csc"], ["csr", "csc"], ["coo", "csr", "csc"]]


def _cases(kind: str | None = None) -> list[dict]:
    return [c for c in case_list() if kind is None or c["kind"] == kind]


def _partition_parts() -> list[tuple[Path, int]]:
    root = partition_cases()
    out = []
    for case in sorted(p for p in root.iterdir() if p.is_dir()):
        for part in sorted(case.glob("part*")):
            if part.is_dir():
                out.append((part, int(part.name[4:])))
    assert out, "the partition oracle produced no partitions"
    return out


# ---------------------------------------------------------------------------------------
# (a) real DGL files read equal to what DGL loads
# ---------------------------------------------------------------------------------------


@pytest.mark.oracle
def test_real_dgl_files_read_like_dgl() -> None:
    root = codec_cases()
    cases = _cases()
    assert len(cases) > 40
    kinds = {c["kind"] for c in cases}
    assert kinds == {"graphs", "tensors"}
    for case in cases:
        path = root / f"{case['name']}.dgl"
        arrays, meta = load_expected(root / case["name"])
        if case["kind"] == "graphs":
            graphs, labels = read_graphs(path)
            assert_graphs_match(graphs, labels, arrays, meta, case["name"])
        else:
            assert_tensors_match(read_tensors(path), arrays, meta, case["name"])


@pytest.mark.oracle
def test_real_files_cover_the_interesting_shapes() -> None:
    """The oracle really exercised v1, int32, CSR/CSC-only, bfloat16, 0-dim and empty cases."""
    root = codec_cases()
    graphs, labels = read_graphs(root / "hetero_csr_csc_int32.dgl")
    g = graphs[0]
    assert g.idtype == "int32" and len(g.ntypes) == 4 and len(g.etypes) == 7
    assert g.ntypes == ["item", "nobody", "tag", "user"]  # DGL sorts node types by name
    assert g.etypes.count("has") == 2 and ("user", "likes", "nobody") in g.canonical_etypes
    user = g.ndata[g.ntypes.index("user")]
    assert user["bf16"].dtype == BFLOAT16 and user["cube"].shape == (30, 2, 3)
    assert g.num_edges[g.etypes.index("likes")] == 0 and g.num_nodes[1] == 0
    v1, v1_labels = read_graphs(root / "v1_multi.dgl")
    assert [x.ntypes for x in v1] == [["_U"]] * 3 and sorted(v1_labels) == ["s", "y"]
    t = read_tensors(root / "tensors_every_dtype.dgl")
    assert t["zero_dim_f32"].shape == () and float(t["zero_dim_f32"]) == 3.25
    assert t["zero_dim_bool"].dtype == np.uint8 and t["bool"].dtype == np.uint8
    assert read_tensors(root / "tensors_empty.dgl") == {}
    bf = bfloat16_to_float32(t["bf16"])
    assert bf.dtype == np.float32 and np.all(np.isfinite(bf))


@pytest.mark.oracle
def test_reading_is_zero_copy_and_read_only() -> None:
    path = codec_cases() / "tensors_every_dtype.dgl"
    buf = open_buffer(path)
    big = read_tensors(buf)["big"]
    assert big.dtype == np.float32 and big.shape == (1 << 18,)
    assert np.shares_memory(big, np.frombuffer(buf.data, np.uint8))
    assert not big.flags.writeable
    graphs, _ = read_graphs(buf2 := open_buffer(codec_cases() / "homo_coo_int64.dgl"))
    whole = np.frombuffer(buf2.data, np.uint8)
    g = graphs[0]
    assert np.shares_memory(g.ndata[0]["f32"], whole)
    assert np.shares_memory(g.src[0], whole) and np.shares_memory(g.dst[0], whole)  # int64 COO, identity


# ---------------------------------------------------------------------------------------
# (b) real partitions read equal to what load_partition returns
# ---------------------------------------------------------------------------------------


@pytest.mark.oracle
def test_real_partitions_read_like_load_partition() -> None:
    for part, pid in _partition_parts():
        case = part.parent
        expected = load_dump(case / "expected" / f"part{pid}.npz")
        g = read_partition_graph(part / "graph.dgl")
        what = f"{case.name}/part{pid}"
        assert g.ntypes == ["_N"] and g.etypes == ["_E"] and g.idtype == "int64", what
        assert g.num_nodes[0] == int(expected["num_nodes"]), what
        np.testing.assert_array_equal(g.src[0], expected["src"], err_msg=what)
        np.testing.assert_array_equal(g.dst[0], expected["dst"], err_msg=what)
        groups = {
            "ndata": g.ndata[0],
            "edata": g.edata[0],
            "nfeat": read_tensors(part / "node_feat.dgl"),
            "efeat": read_tensors(part / "edge_feat.dgl"),
        }
        for prefix, ours in groups.items():
            names = sorted(k.split(":", 1)[1] for k in expected if k.startswith(prefix + ":"))
            assert sorted(ours) == names, f"{what} {prefix}: {sorted(ours)} vs {names}"
            for name, arr in ours.items():
                exp = expected[f"{prefix}:{name}"]
                assert arr.dtype == exp.dtype and arr.shape == exp.shape, f"{what} {prefix}:{name}"
                np.testing.assert_array_equal(arr, exp, err_msg=f"{what} {prefix}:{name}")


def test_read_partition_graph_rejects_other_graphs(tmp_path: Path) -> None:
    g = _hetero_graph()
    write_graphs(tmp_path / "h.dgl", g)
    with pytest.raises(FormatError, match="one node type and one edge type"):
        read_partition_graph(tmp_path / "h.dgl")
    homo = StoredGraph.homogeneous(np.array([0, 1]), np.array([1, 0]), 2)
    write_graphs(tmp_path / "two.dgl", [homo, homo])
    with pytest.raises(FormatError, match="exactly one graph.*found 2"):
        read_partition_graph(tmp_path / "two.dgl")
    assert read_partition_graph(_write(tmp_path / "one.dgl", [homo])).num_nodes == [2]


def test_unchecked_indices_are_only_the_returned_ones(tmp_path: Path) -> None:
    """``check_indices=False`` (the validator's G1 checks src/dst itself, in passes it needs anyway)
    leaves only the returned COO indices unchecked: another stored format's are still checked, and
    the default rejects both files."""
    homo = StoredGraph.homogeneous(np.array([5, 6, 7]), np.array([0, 1, 2]), 9)
    valid = _write(tmp_path / "g.dgl", [homo], formats=("coo", "csc")).read_bytes()
    pattern = np.array([5, 6, 7], dtype=np.int64).tobytes()  # COO row, then CSC indices (same order here)
    at_coo, at_csc = valid.find(pattern), valid.rfind(pattern)
    assert 0 < at_coo < at_csc
    for at, unchecked_ok in ((at_coo, True), (at_csc, False)):
        data = bytearray(valid)
        data[at:at + 8] = np.array([99], dtype=np.int64).tobytes()
        path = tmp_path / f"bad{at}.dgl"
        path.write_bytes(bytes(data))
        with pytest.raises(FormatError, match="outside 0..8"):
            read_partition_graph(path)
        if unchecked_ok:
            assert read_partition_graph(path, check_indices=False).src[0].tolist() == [99, 6, 7]
        else:
            with pytest.raises(FormatError, match="CSC matrix: indices values span 6..99, outside 0..8"):
                read_partition_graph(path, check_indices=False)


# ---------------------------------------------------------------------------------------
# (c) files written by gpf load in real DGL with equal contents
# ---------------------------------------------------------------------------------------


def _hetero_graph(seed: int = 3, idtype: str = "int64") -> StoredGraph:
    rng = np.random.default_rng(seed)
    ntypes = ["author", "paper", "venue", "ghost"]
    counts = [7, 11, 3, 0]
    rels = [("writes", 0, 1, 20), ("cites", 1, 1, 30), ("published_in", 1, 2, 11), ("cites", 0, 0, 0),
            ("haunts", 3, 3, 0), ("rev", 2, 1, 5)]
    src, dst, edata = [], [], []
    for _name, s, d, m in rels:
        src.append(rng.integers(0, counts[s], m))
        dst.append(rng.integers(0, counts[d], m))
        edata.append({"w": rng.standard_normal(m).astype(np.float32), "flag": rng.random(m) < 0.5})
    ndata = [
        {"x": rng.standard_normal((n, 3)).astype(np.float16), "y": np.arange(n, dtype=np.int64),
         "cube": rng.integers(0, 9, (n, 2, 2)).astype(np.int8)}
        for n in counts
    ]
    for frame, n in zip(ndata, counts):
        if n:  # DGL 1.1.3 cannot load an EMPTY bfloat16 tensor (its Python maps code 4 to "handle16")
            frame["bf"] = rng.integers(0, 1 << 16, (n, 2)).astype(np.uint16).view(BFLOAT16)
    return StoredGraph(
        ntypes=ntypes, etypes=[r[0] for r in rels], etype_endpoints=[(r[1], r[2]) for r in rels],
        num_nodes=counts, src=src, dst=dst, ndata=ndata, edata=edata, idtype=idtype,
    )


def _write(path: Path, graphs, labels=None, formats=("coo",)) -> Path:
    write_graphs(path, graphs, labels, formats)
    return path


@pytest.mark.oracle
def test_gpf_written_files_load_in_dgl(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    items, ours = [], {}
    for fmts in FORMAT_COMBOS:
        for idtype in ("int64", "int32"):
            name = f"het_{'_'.join(fmts)}_{idtype}"
            g = _hetero_graph(idtype=idtype)
            labels = {"y": np.array([1.5], np.float32)}
            _write(tmp_path / f"{name}.dgl", [g], labels, fmts)
            ours[name] = ([g], labels, fmts)
            items.append({"name": name, "kind": "graphs"})
    homo = StoredGraph.homogeneous(
        rng.integers(0, 50, 300), rng.integers(0, 50, 300), 50,
        {"feat": rng.standard_normal((50, 4)).astype(np.float32), "mask": rng.random(50) < 0.3},
        {"w": rng.random(300)},
    )
    empty = StoredGraph.homogeneous(np.zeros(0, np.int64), np.zeros(0, np.int64), 0, ntype="_U")
    labels = {"y": np.arange(3), "flag": np.array([True, False, True]), "scalar": np.array(4.5),
              "wéird/na:me": np.ones((3, 2), np.float16)}
    multi = [homo, _hetero_graph(9), empty]
    _write(tmp_path / "multi.dgl", multi, labels, ["csc", "coo"])
    ours["multi"] = (multi, labels, ["coo", "csc"])
    items.append({"name": "multi", "kind": "graphs"})
    # re-written real DGL files, including legacy v1 (written back as v2)
    root = codec_cases()
    for case in ("v1_multi", "multi_graphs_labels", "from_csc_eids"):
        graphs, lab = read_graphs(root / f"{case}.dgl")
        _write(tmp_path / f"re_{case}.dgl", graphs, lab, ["csr"])
        ours[f"re_{case}"] = (graphs, lab, ["csr"])
        items.append({"name": f"re_{case}", "kind": "graphs"})
    tensor_sets = {
        "t_empty": {},
        "t_every": {"f16": np.ones((3, 2), np.float16), "b": np.array([True, False]), "z": np.array(7, np.int32),
                    "u64": np.array([2**63 + 5], np.uint64), "i8": np.arange(-3, 3, dtype=np.int8),
                    "e": np.zeros((0, 4), np.float64), "bf": np.array([0x3F80, 0xC000], np.uint16).view(BFLOAT16),
                    # big-endian and non-contiguous input is stored little-endian C-order
                    "n/a:m ü": np.arange(6, dtype=">i4").reshape(2, 3)[:, ::2]},
    }
    for name, tensors in tensor_sets.items():
        write_tensors(tmp_path / f"{name}.dgl", tensors)
        items.append({"name": name, "kind": "tensors"})
    dgl_load(tmp_path, items)
    for name, (graphs, labels, fmts) in ours.items():
        arrays, meta = load_expected(tmp_path / name)
        assert meta["version"] == 2
        assert_graphs_match(graphs, labels, arrays, meta, name, formats=fmts)
    for name, tensors in tensor_sets.items():
        arrays, meta = load_expected(tmp_path / name)
        as_stored = {k: v.view(np.uint8) if v.dtype == np.bool_ else v for k, v in tensors.items()}
        as_stored = {k: v.astype(v.dtype.newbyteorder("<")) if v.dtype.byteorder == ">" else v
                     for k, v in as_stored.items()}
        assert_tensors_match(as_stored, arrays, meta, name)
        assert_tensors_match(read_tensors(tmp_path / f"{name}.dgl"), arrays, meta, name)


# ---------------------------------------------------------------------------------------
# (d) gpf re-writes DGL files byte for byte (except the header padding)
# ---------------------------------------------------------------------------------------


def _assert_same_bytes(ours: bytes, theirs: bytes, what: str, graph_file: bool) -> None:
    assert len(ours) == len(theirs), f"{what}: {len(ours)} bytes, DGL wrote {len(theirs)}"
    if graph_file:
        assert ours[32:4096] == bytes(4064), f"{what}: gpf header padding is not zero"
        ours, theirs = ours[:32] + ours[4096:], theirs[:32] + theirs[4096:]
    if ours != theirs:
        a, b = np.frombuffer(ours, np.uint8), np.frombuffer(theirs, np.uint8)
        first = int(np.flatnonzero(a != b)[0])
        raise AssertionError(f"{what}: bytes differ first at {first + (4064 if graph_file and first >= 32 else 0)}")


@pytest.mark.oracle
def test_rewrite_matches_dgl_bytes(tmp_path: Path) -> None:
    root = codec_cases()
    garbage_seen = False
    n = 0
    for case in _cases():
        if not case["rewrite"]:
            continue
        path = root / f"{case['name']}.dgl"
        theirs = path.read_bytes()
        out = tmp_path / "out.dgl"
        if case["kind"] == "graphs":
            graphs, labels = read_graphs(path)
            write_graphs(out, graphs, labels, case["formats"])
            garbage_seen |= any(theirs[32:4096])
        else:
            write_tensors(out, read_tensors(path))
        _assert_same_bytes(out.read_bytes(), theirs, case["name"], case["kind"] == "graphs")
        n += 1
    assert n > 35
    for part, _pid in _partition_parts():
        theirs = (part / "graph.dgl").read_bytes()
        write_graphs(tmp_path / "g.dgl", read_partition_graph(part / "graph.dgl"), formats=["coo"])
        _assert_same_bytes((tmp_path / "g.dgl").read_bytes(), theirs, str(part), True)
        garbage_seen |= any(theirs[32:4096])
        for feat in ("node_feat.dgl", "edge_feat.dgl"):
            write_tensors(tmp_path / feat, read_tensors(part / feat))
            _assert_same_bytes((tmp_path / feat).read_bytes(), (part / feat).read_bytes(), f"{part}/{feat}", False)
    # DGL copies an uninitialised stack buffer into the padding: the exception is real.
    assert garbage_seen


# ---------------------------------------------------------------------------------------
# writer behaviour (no oracle)
# ---------------------------------------------------------------------------------------


def test_round_trip_all_formats(tmp_path: Path) -> None:
    for fmts in FORMAT_COMBOS:
        for idtype in ("int32", "int64"):
            g = _hetero_graph(idtype=idtype)
            (back,), labels = read_graphs(_write(tmp_path / "g.dgl", [g], {"l": np.arange(2)}, fmts))
            assert back.idtype == idtype and back.etype_endpoints == g.etype_endpoints
            assert back.ntypes == g.ntypes and back.etypes == g.etypes and back.num_nodes == g.num_nodes
            for e in range(len(g.etypes)):
                np.testing.assert_array_equal(back.src[e], g.src[e])
                np.testing.assert_array_equal(back.dst[e], g.dst[e])
                assert back.edata[e]["flag"].dtype == np.uint8
            assert back.ndata[0]["bf"].dtype == BFLOAT16
            np.testing.assert_array_equal(labels["l"], np.arange(2))


def test_writer_rejects_inconsistent_graphs(tmp_path: Path) -> None:
    def bad(**changes) -> None:
        g = StoredGraph.homogeneous(np.array([0, 1]), np.array([1, 2]), 3, {"x": np.zeros(3)}, {"w": np.zeros(2)})
        for k, v in changes.items():
            setattr(g, k, v)
        with pytest.raises(ValueError):
            write_graphs(tmp_path / "bad.dgl", g)
        assert not (tmp_path / "bad.dgl").exists()

    bad(num_nodes=[2])
    bad(dst=[np.array([1, -1])])
    bad(src=[np.array([0, 1, 2])])
    bad(ndata=[{"x": np.zeros(4)}])
    bad(edata=[{"w": np.zeros(())}])
    bad(etype_endpoints=[(0, 1)])
    bad(idtype="int16")
    bad(src=[np.array([0.0, 1.0])])
    with pytest.raises(ValueError):
        write_graphs(tmp_path / "bad.dgl", StoredGraph.homogeneous([0], [0], 1), formats=["dense"])
    assert [p.name for p in tmp_path.iterdir()] == []


def test_atomic_write_keeps_old_file_on_error(tmp_path: Path) -> None:
    path = tmp_path / "t.dgl"
    write_tensors(path, {"a": np.arange(3)})
    before = path.read_bytes()
    with pytest.raises(TypeError):
        write_tensors(path, {"a": np.arange(3), "b": np.array(["text"])})
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.dgl"]


def test_write_ndarray_one_write_for_the_data() -> None:
    class Counting(io.BytesIO):
        sizes: list[int] = []

        def write(self, b) -> int:  # type: ignore[override]
            self.sizes.append(memoryview(b).nbytes)
            return super().write(b)

    arr = np.arange(1 << 16, dtype=np.float32)
    fh = Counting()
    write_ndarray(fh, arr)
    assert [s for s in fh.sizes if s >= arr.nbytes] == [arr.nbytes]
    assert len(fh.getvalue()) == 48 + arr.nbytes


# ---------------------------------------------------------------------------------------
# (e) hostile input: always FormatError, fast, no big allocation
# ---------------------------------------------------------------------------------------


def _read_any(kind: str, data: bytes) -> None:
    if kind == "graphs":
        read_graphs(data)
    else:
        read_tensors(data)


def _expect_format_error(kind: str, data: bytes, match: str | None = None) -> FormatError:
    with pytest.raises(FormatError, match=match) as info:
        _read_any(kind, data)
    assert "<bytes>" in str(info.value)
    return info.value


def _tensor_file(ndarray_bytes: bytes, count: int = 1, name: bytes = b"x") -> bytes:
    return struct.pack("<QQQ", MAGIC_TENSORS, count, count) + struct.pack("<Q", len(name)) + name + ndarray_bytes


def _ndarray(ndim: int, shape: list[int], nbytes: int, code=(2, 32, 1), device=1, payload=b"") -> bytes:
    return (struct.pack("<QQiii", MAGIC_NDARRAY, 0, device, 0, ndim) + struct.pack("<BBH", *code)
            + struct.pack(f"<{len(shape)}q", *shape) + struct.pack("<q", nbytes) + payload)


def _small_files() -> list[tuple[str, bytes]]:
    root = codec_cases()
    names = [("graphs", "zero_edges"), ("graphs", "homo_coo_csr_csc_int32"), ("graphs", "v1_multi"),
             ("graphs", "hetero_coo_csr_csc_int64"), ("graphs", "multi_graphs_labels"),
             ("tensors", "tensors_feature_like"), ("tensors", "tensors_empty")]
    return [(kind, (root / f"{name}.dgl").read_bytes()) for kind, name in names]


@pytest.mark.oracle
def test_truncated_files_raise_format_error() -> None:
    rng = np.random.default_rng(0)
    for kind, data in _small_files():
        n = len(data)
        if n < 6000:
            offsets = [o for o in range(n) if o < 64 or o >= 4064 or o % 97 == 0]
        else:
            offsets = sorted(set(range(0, 64)) | set(range(4064, 4200))
                             | set(rng.integers(4200, n, 400).tolist()) | {n - 1, n - 8, n - 9})
        for cut in offsets:
            try:
                _read_any(kind, data[:cut])
            except FormatError:
                continue
            raise AssertionError(f"{kind} file cut at {cut} of {n} bytes was accepted")


@pytest.mark.oracle
def test_flipped_bytes_raise_format_error_or_parse() -> None:
    rng = np.random.default_rng(1)
    for kind, data in _small_files():
        n = len(data)
        positions = [p for p in rng.integers(0, n, 300).tolist() if not 32 <= p < 4096 or kind == "tensors"]
        for pos in positions:
            for value in (data[pos] ^ 0xFF, data[pos] ^ 0x01, 0x80):
                mutated = bytearray(data)
                mutated[pos] = value
                try:
                    _read_any(kind, bytes(mutated))
                except FormatError:
                    pass


def test_impossible_sizes_fail_fast_without_allocating() -> None:
    cases = [
        _tensor_file(_ndarray(1, [1 << 60], 4 << 60)),
        _tensor_file(_ndarray(1, [1 << 60], 0)),
        _tensor_file(_ndarray(2, [0, 1 << 62], 0)),
        _tensor_file(_ndarray(2, [1 << 31, 1 << 31], 1 << 62)),
        _tensor_file(_ndarray(-1, [], 0)),
        _tensor_file(_ndarray(1 << 30, [], 0)),
        _tensor_file(_ndarray(1, [-5], -20)),
        _tensor_file(_ndarray(1, [3], 12, code=(2, 32, 4), payload=bytes(12))),
        _tensor_file(_ndarray(1, [3], 12, code=(9, 32, 1), payload=bytes(12))),
        _tensor_file(_ndarray(1, [3], 12, device=2, payload=bytes(12))),
        _tensor_file(_ndarray(1, [3], 12, payload=bytes(11))),
        _tensor_file(_ndarray(1, [3], 12, payload=bytes(12)), count=1 << 62),
        _tensor_file(_ndarray(1, [3], 12, payload=bytes(12)), count=2),
        struct.pack("<QQQQ", MAGIC_TENSORS, 1, 1, 1 << 60) + b"x",
        struct.pack("<QQQQ", MAGIC_GRAPHS, 2, 2, 1 << 50) + bytes(4064) + struct.pack("<QQ", 4112, 0),
        struct.pack("<QQQQ", MAGIC_GRAPHS, 2, 2, 1) + bytes(4064) + struct.pack("<QQ", 4112, 1 << 61),
        struct.pack("<QQQ", MAGIC_GRAPHS, 1, 1) + bytes(4072) + struct.pack("<QQ", 1 << 40, 1 << 59),
    ]
    tracemalloc.start()
    try:
        for data in cases:
            kind = "graphs" if data[:8] == struct.pack("<Q", MAGIC_GRAPHS) else "tensors"
            _expect_format_error(kind, data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20, f"peak allocation {peak} bytes"


def test_wrong_kind_and_magic_messages(tmp_path: Path) -> None:
    homo = StoredGraph.homogeneous([0], [0], 1)
    write_graphs(tmp_path / "g.dgl", homo)
    write_tensors(tmp_path / "t.dgl", {"a": np.zeros(2)})
    with pytest.raises(FormatError, match=r"at byte 0: expected a DGL save_tensors file \(magic 0xDD5A9FBE3FA2443F\)"
                       r".*this is a DGL graph file \(save_graphs\)"):
        read_tensors(tmp_path / "g.dgl")
    with pytest.raises(FormatError, match=r"t\.dgl: at byte 0: expected a DGL graph file \(save_graphs\)"
                       r".*this is a DGL tensor file \(save_tensors\)"):
        read_graphs(tmp_path / "t.dgl")
    err = _expect_format_error("graphs", b"")
    assert "empty file" in str(err)
    _expect_format_error("tensors", b"", "empty file")
    _expect_format_error("tensors", b"\x01\x02\x03")
    _expect_format_error("tensors", b"PK\x03\x04" + bytes(60), "expected a DGL save_tensors file")
    _expect_format_error("graphs", struct.pack("<QQQQ", MAGIC_GRAPHS, 3, 2, 0), "unknown save_graphs version 3")
    _expect_format_error("tensors", struct.pack("<QQQ", MAGIC_TENSORS, 0, 0) + b"junk", "unexpected bytes")
    with pytest.raises(FormatError, match="file not found"):
        read_graphs(tmp_path / "missing.dgl")
    with pytest.raises(FormatError, match="directory"):
        read_tensors(tmp_path)


def test_inconsistent_content_is_reported(tmp_path: Path) -> None:
    """Content DGL would reject (or silently mis-load) gives a FormatError naming the problem."""
    g = StoredGraph.homogeneous(np.array([0, 1, 2]), np.array([1, 2, 0]), 3, {"x": np.arange(3.0)}, {"w": np.ones(3)})
    data = bytearray(_write(tmp_path / "g.dgl", g).read_bytes())
    tail_nodes = data.rfind(struct.pack("<QQ", 1, 3))  # vector<i64> num_verts_per_type = [3]
    assert tail_nodes > 4096

    mutated = bytearray(data)
    struct.pack_into("<q", mutated, tail_nodes + 8, 4)  # 4 nodes but a 3x3 matrix
    _expect_format_error("graphs", bytes(mutated), "COO matrix is 3x3, expected 4x4")

    coo_row = data.find(struct.pack("<QQQ", 0, 1, 2), tail_nodes - 200)  # row = [0, 1, 2]
    mutated = bytearray(data)
    struct.pack_into("<q", mutated, coo_row + 16, 7)
    _expect_format_error("graphs", bytes(mutated), r"row values span 0\.\.7, outside 0\.\.2")

    # node data "x": shape [3] -> [2], byte size 24 -> 16, drop 8 data bytes (file stays well-formed)
    x_at = data.find(b"\x01\x00\x00\x00\x00\x00\x00\x00x") + 9
    mutated = bytearray(data)
    struct.pack_into("<q", mutated, x_at + 32, 2)
    struct.pack_into("<q", mutated, x_at + 40, 16)
    del mutated[x_at + 48 : x_at + 56]
    err = _expect_format_error("graphs", bytes(mutated), "tensor 'x' has 2 rows, expected 3")
    assert err.offset == x_at - 9


@pytest.mark.oracle
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_hypothesis_mutations_of_real_files(data) -> None:
    files = _hypothesis_files()
    kind, original = data.draw(st.sampled_from(files))
    buf = bytearray(original)
    for _ in range(data.draw(st.integers(1, 3))):
        op = data.draw(st.sampled_from(["flip", "set8", "cut", "insert", "delete"]))
        pos = data.draw(st.integers(0, max(len(buf) - 1, 0)))
        if op == "flip" and buf:
            buf[pos] ^= 1 << data.draw(st.integers(0, 7))
        elif op == "set8" and len(buf) >= pos + 8:
            buf[pos : pos + 8] = struct.pack("<Q", data.draw(st.sampled_from([0, 1, 2**31, 2**62, 2**63, 2**64 - 1])))
        elif op == "cut":
            del buf[pos:]
        elif op == "insert":
            buf[pos:pos] = data.draw(st.binary(min_size=1, max_size=16))
        elif op == "delete":
            del buf[pos : pos + data.draw(st.integers(1, 16))]
    try:
        _read_any(kind, bytes(buf))
    except FormatError:
        pass


_HYP_FILES: list[tuple[str, bytes]] = []


def _hypothesis_files() -> list[tuple[str, bytes]]:
    if not _HYP_FILES:
        root = codec_cases()
        for kind, name in [("graphs", "hetero_coo_csr_csc_int32"), ("graphs", "v1_multi"),
                           ("graphs", "multi_graphs_labels"), ("tensors", "tensors_feature_like")]:
            _HYP_FILES.append((kind, (root / f"{name}.dgl").read_bytes()))
    return _HYP_FILES

