"""GraphBolt fused_csc_sampling_graph.pt: reading and writing without DGL.

Real-DGL evidence: ``tests/fixtures/dgl2_graphbolt`` was written by DGL 2.1.0 (see its
README); gpf must read it exactly as DGL's ``torch.load`` did.  When the side venv
``.venv-dgl2`` exists, DGL 2.1.0 also loads files that gpf wrote.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import pickletools
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gpf.errors import FormatError
from gpf.sdk.codecs.graphbolt import ALLOWED_CLASSES, SCRIPT_QUALNAME, GraphBoltGraph, graphbolt_to_coo, read_graphbolt
from gpf.sdk.codecs.graphbolt_writer import write_graphbolt
from gpf.sdk.codecs.torch_unpickler import RestrictedUnpickler, Storage
from tests.helpers.asserts import assert_same_array as _eq
from tests.helpers.graphbolt_pickle import save_graphbolt_state
from tests.oracle.dump import save_arrays, save_json
from tests.oracle.runner import load_dump

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "dgl2_graphbolt"
FIXTURE_PTS = sorted(FIXTURES.glob("*/part*/fused_csc_sampling_graph.pt"))
ROOT = Path(__file__).resolve().parents[1]
DGL2_VENV = Path(os.environ.get("GPF_DGL2_VENV", ROOT / ".venv-dgl2"))


def _graph_eq(g: GraphBoltGraph, h: GraphBoltGraph):
    _eq(g.indptr, h.indptr, "indptr")
    _eq(g.indices, h.indices, "indices")
    for f in ("node_type_offset", "type_per_edge"):
        a, b = getattr(g, f), getattr(h, f)
        assert (a is None) == (b is None), f
        if a is not None:
            _eq(a, b, f)
    assert g.node_type_to_id == h.node_type_to_id
    assert g.edge_type_to_id == h.edge_type_to_id
    for f in ("node_attributes", "edge_attributes"):
        a, b = getattr(g, f), getattr(h, f)
        assert list(a) == list(b), f
        for k in a:
            _eq(a[k], b[k], f"{f}[{k}]")
    assert g.version_number == h.version_number


def homo_example() -> GraphBoltGraph:
    rng = np.random.default_rng(1)
    n, deg = 7, np.array([0, 3, 1, 0, 4, 2, 1])
    indptr = np.concatenate([[0], np.cumsum(deg)]).astype(np.int64)
    m = int(indptr[-1])
    return GraphBoltGraph(
        indptr=indptr,
        indices=rng.integers(0, n, m).astype(np.int32),
        node_attributes={
            "_ID": np.arange(10, 10 + n, dtype=np.int64),
            "inner_node": (np.arange(n) < 4).astype(np.uint8),
            "feat": rng.standard_normal((n, 3)).astype(np.float32),
            "half": rng.standard_normal(n).astype(np.float16),
            "mask": rng.random(n) < 0.5,
        },
        edge_attributes={
            "_ID": rng.permutation(m).astype(np.int64),
            "w": rng.random(m),
            "tag": rng.integers(-5, 5, (m, 2)).astype(np.int8),
            "c": (rng.random(m) + 1j * rng.random(m)).astype(np.complex64),
        },
    )


def hetero_example() -> GraphBoltGraph:
    """Types consistent with node_type_offset, in-edges of each dst sorted by edge type."""
    rng = np.random.default_rng(2)
    n, users = 9, 4  # nodes 0-3 user, 4-8 item
    etypes = [("user", "buys", "item"), ("item", "bought_by", "user"), ("user", "follows", "user")]
    rng_of = {"user": (0, users), "item": (users, n)}
    src, dst, et = [], [], []
    for t, (s_, _, d_) in enumerate(etypes):
        k = 5
        src.append(rng.integers(*rng_of[s_], k))
        dst.append(rng.integers(*rng_of[d_], k))
        et.append(np.full(k, t))
    src, dst, et = map(np.concatenate, (src, dst, et))
    order = np.lexsort((et, dst))
    src, dst, et = src[order], dst[order], et[order]
    m = len(src)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(dst, minlength=n))]).astype(np.int32)
    return GraphBoltGraph(
        indptr=indptr,
        indices=src.astype(np.int32),
        node_type_offset=np.array([0, users, n], dtype=np.int64),
        type_per_edge=et.astype(np.int8),
        node_type_to_id={"user": 0, "item": 1},
        edge_type_to_id={":".join(e): i for i, e in enumerate(etypes)},
        node_attributes={"_ID": np.arange(n, dtype=np.int64)},
        edge_attributes={"_ID": np.arange(m, dtype=np.int64)[::-1].copy(), "inner_edge": np.ones(m, np.uint8)},
    )


def empty_example() -> GraphBoltGraph:
    return GraphBoltGraph(indptr=np.zeros(1, np.int64), indices=np.zeros(0, np.int64))


# ------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("make", [homo_example, hetero_example, empty_example])
def test_round_trip(tmp_path, make):
    g = make()
    p = tmp_path / "fused_csc_sampling_graph.pt"
    write_graphbolt(p, g)
    h = read_graphbolt(p)
    _graph_eq(g, h)
    _graph_eq(g, read_graphbolt(p.read_bytes()))
    assert sorted(os.listdir(tmp_path)) == ["fused_csc_sampling_graph.pt"]  # no temp left over


def test_round_trip_optional_fields_none(tmp_path):
    g = homo_example()
    g.node_attributes, g.edge_attributes = {}, {}
    write_graphbolt(tmp_path / "g.pt", g)
    h = read_graphbolt(tmp_path / "g.pt")
    assert h.node_type_offset is None and h.type_per_edge is None
    assert h.node_type_to_id is None and h.edge_type_to_id is None
    assert h.node_attributes == {} and h.edge_attributes == {}
    _graph_eq(g, h)


def test_write_overwrites_atomically_and_leaves_no_modules(tmp_path):
    p = tmp_path / "g.pt"
    p.write_bytes(b"old")
    before = {m for m in sys.modules if m == "dgl" or m.startswith("dgl.")}
    write_graphbolt(p, hetero_example())
    assert {m for m in sys.modules if m == "dgl" or m.startswith("dgl.")} == before
    _graph_eq(hetero_example(), read_graphbolt(p))


def test_write_rejects_invalid_graph(tmp_path):
    g = homo_example()
    g.indices = g.indices.copy()
    g.indices[0] = 99
    with pytest.raises(ValueError, match="indices out of range"):
        write_graphbolt(tmp_path / "g.pt", g)
    g = homo_example()
    g.node_attributes["u16"] = np.zeros(g.num_nodes, np.uint16)
    with pytest.raises(ValueError, match="uint16"):
        write_graphbolt(tmp_path / "g.pt", g)
    g = homo_example()
    g.indices = g.indices.astype(np.int16)  # DGL's sampler supports int32/int64 only
    with pytest.raises(ValueError, match="indices: dtype int16"):
        write_graphbolt(tmp_path / "g.pt", g)
    assert os.listdir(tmp_path) == []


def test_concurrent_writes(tmp_path):
    errors = []

    def work(i):
        try:
            g = hetero_example() if i % 2 else homo_example()
            write_graphbolt(tmp_path / f"g{i}.pt", g)
            _graph_eq(g, read_graphbolt(tmp_path / f"g{i}.pt"))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert "dgl.graphbolt.impl.fused_csc_sampling_graph" not in sys.modules


def test_graphbolt_to_coo():
    g = GraphBoltGraph(indptr=np.array([0, 2, 2, 3], np.int32), indices=np.array([1, 2, 0], np.int32))
    src, dst, order = graphbolt_to_coo(g)
    _eq(src, np.array([1, 2, 0], np.int64), "src")
    _eq(dst, np.array([0, 0, 2], np.int64), "dst")
    _eq(order, np.arange(3, dtype=np.int64), "order")
    g.edge_attributes["_dgl2gb_eid"] = np.array([2, 0, 1], np.int32)  # DGL EID -> CSC position
    src, dst, order = graphbolt_to_coo(g)
    _eq(src, np.array([0, 1, 2], np.int64), "src")
    _eq(dst, np.array([2, 0, 0], np.int64), "dst")
    _eq(order, np.array([2, 0, 1], np.int64), "order")


# ------------------------------------------------------------------- real DGL 2.1.0 files


def _expected(pt: Path):
    arrays = load_dump(pt.parent / "expected.npz")
    meta = json.loads((pt.parent / "expected.meta.json").read_text())
    return arrays, meta


def test_fixtures_exist_and_are_small():
    assert len(FIXTURE_PTS) == 4, FIXTURE_PTS
    total = sum(f.stat().st_size for f in FIXTURES.rglob("*") if f.is_file())
    assert total < 200_000


@pytest.mark.parametrize("pt", FIXTURE_PTS, ids=lambda p: f"{p.parent.parent.name}-{p.parent.name}")
def test_reads_real_dgl2_file_as_dgl_loaded_it(pt):
    arrays, meta = _expected(pt)
    assert meta["dgl"] == "2.1.0"
    g = read_graphbolt(pt)
    _eq(g.indptr, arrays["indptr"], "indptr")
    _eq(g.indices, arrays["indices"], "indices")
    assert (g.node_type_offset is not None) == meta["present"]["node_type_offset"]
    assert (g.type_per_edge is not None) == meta["present"]["type_per_edge"]
    if g.type_per_edge is not None:
        _eq(g.type_per_edge, arrays["type_per_edge"], "type_per_edge")
    assert g.node_type_to_id == meta["node_type_to_id"]
    assert g.edge_type_to_id == meta["edge_type_to_id"]
    got = {f"node_attributes/{k}": v for k, v in g.node_attributes.items()}
    got.update({f"edge_attributes/{k}": v for k, v in g.edge_attributes.items()})
    want = {k: v for k, v in arrays.items() if "_attributes/" in k}
    assert sorted(got) == sorted(want)
    for k in want:
        _eq(got[k], want[k], k)
    assert g.version_number == 6199


@pytest.mark.parametrize("pt", FIXTURE_PTS, ids=lambda p: f"{p.parent.parent.name}-{p.parent.name}")
def test_coo_matches_dgl_partition_graph(pt):
    g = read_graphbolt(pt)
    dg = load_dump(pt.parent / "dgl_graph.npz")
    src, dst, order = graphbolt_to_coo(g)
    eid = g.edge_attributes["_ID"][order]
    i, j = np.argsort(eid), np.argsort(dg["eid"])
    _eq(eid[i], dg["eid"][j], "eid")
    _eq(src[i], dg["src"][j].astype(np.int64), "src")
    _eq(dst[i], dg["dst"][j].astype(np.int64), "dst")
    assert g.num_nodes == int(dg["num_nodes"])


def _globals(pkl: bytes) -> list[str]:
    return [arg for op, arg, _ in pickletools.genops(pkl) if op.name in ("GLOBAL", "STACK_GLOBAL")]


def _data_pkl(path) -> bytes:
    with zipfile.ZipFile(path) as z:
        (name,) = [n for n in z.namelist() if n.endswith("/data.pkl")]
        return z.read(name)


@pytest.mark.parametrize("pt", FIXTURE_PTS, ids=lambda p: f"{p.parent.parent.name}-{p.parent.name}")
def test_written_pickle_has_exactly_dgls_globals(tmp_path, pt):
    out = tmp_path / "fused_csc_sampling_graph.pt"
    write_graphbolt(out, read_graphbolt(pt))
    ours, dgls = _data_pkl(out), _data_pkl(pt)
    assert _globals(ours) == _globals(dgls)
    assert _globals(ours)[:2] == [
        "dgl.graphbolt.impl.fused_csc_sampling_graph FusedCSCSamplingGraph",
        "torch ScriptObject",
    ]
    # the same opcode sequence, and the same arguments except storage keys/memo slots
    ops = [(op.name, arg) for op, arg, _ in pickletools.genops(ours)]
    ref = [(op.name, arg) for op, arg, _ in pickletools.genops(dgls)]
    assert [o for o, _ in ops] == [o for o, _ in ref]
    assert ops == ref
    assert ("BINUNICODE", SCRIPT_QUALNAME) in ops
    with zipfile.ZipFile(out) as z:
        assert z.namelist()[0] == "fused_csc_sampling_graph/data.pkl"
    _graph_eq(read_graphbolt(pt), read_graphbolt(out))


@pytest.mark.dgl2
def test_real_dgl2_loads_gpf_files(tmp_path):
    """DGL 2.1.0's torch.load gives a real FusedCSCSamplingGraph equal to what gpf wrote.

    Needs the DGL 2.1.0 side venv, which `make test` builds (`make test-dgl2` runs only these).
    """
    py = DGL2_VENV / "bin" / "python"
    if not py.exists():
        pytest.fail(f"DGL 2.x side venv missing at {DGL2_VENV}: run `make test` (it builds it)")
    cases = {"homo": homo_example(), "hetero": hetero_example()}
    for pt in FIXTURE_PTS:
        cases[f"fixture_{pt.parent.parent.name}_{pt.parent.name}"] = read_graphbolt(pt)
    for name, g in cases.items():
        write_graphbolt(tmp_path / f"{name}.pt", g)
        arrays = {"indptr": g.indptr, "indices": g.indices}
        if g.node_type_offset is not None:
            arrays["node_type_offset"] = g.node_type_offset
        if g.type_per_edge is not None:
            arrays["type_per_edge"] = g.type_per_edge
        arrays.update({f"node_attributes/{k}": v for k, v in g.node_attributes.items()})
        arrays.update({f"edge_attributes/{k}": v for k, v in g.edge_attributes.items()})
        save_arrays(str(tmp_path / f"{name}.npz"), arrays)
        save_json(str(tmp_path / f"{name}.meta.json"),
                  {"node_type_to_id": g.node_type_to_id, "edge_type_to_id": g.edge_type_to_id})
    env = dict(os.environ, DGLBACKEND="pytorch", OMP_NUM_THREADS="2")
    env.pop("PYTHONPATH", None)
    proc = subprocess.run([str(py), str(ROOT / "tests/oracle/dgl2_make_graphbolt.py"), "check", str(tmp_path)],
                          capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:] + proc.stdout[-2000:]
    assert proc.stdout.count("OK ") == len(cases), proc.stdout


# ---------------------------------------------------------------------- hostile inputs


def _zip(records: dict[str, bytes]) -> bytes:
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        for k, v in records.items():
            z.writestr(k, v)
    return b.getvalue()


def _hostile_pickles(sentinel: Path) -> dict[str, bytes]:
    s = str(sentinel)
    return {
        "os.system": b"cos\nsystem\n(V" + f"touch {s}".encode() + b"\ntR.",
        "builtins.eval": b"cbuiltins\neval\n(V" + f"open({s!r}, 'w').write('x')".encode() + b"\ntR.",
        "subprocess.Popen": b"csubprocess\nPopen\n((Vtouch\nV" + s.encode() + b"\nltR.",
        # hidden after the legitimate GraphBolt global, inside the state
        "posix.system": (b"\x80\x02cdgl.graphbolt.impl.fused_csc_sampling_graph\nFusedCSCSamplingGraph\n)\x81"
                         b"}X\x0c\x00\x00\x00_c_csc_graphcposix\nsystem\n(V" + f"touch {s}".encode()
                         + b"\ntRsb."),
    }


@pytest.mark.parametrize("which", ["os.system", "builtins.eval", "subprocess.Popen", "posix.system"])
def test_hostile_pickle_is_refused_and_not_executed(tmp_path, which):
    sentinel = tmp_path / "PWNED"
    pkl = _hostile_pickles(sentinel)[which]
    # sanity: the payload really is a live one for plain pickle (not run here)
    assert which.split(".")[-1].encode() in pkl
    path = tmp_path / "evil.pt"
    path.write_bytes(_zip({"evil/data.pkl": pkl, "evil/version": b"3\n"}))
    with pytest.raises(FormatError) as ei:
        read_graphbolt(path)
    assert f"refusing to unpickle global '{which}'" in str(ei.value)
    assert str(path) in str(ei.value)
    assert not sentinel.exists()


def test_hostile_payload_would_run_under_plain_pickle(tmp_path):
    """Proves the sentinel mechanism works: plain pickle.loads does execute the payload."""
    sentinel = tmp_path / "PWNED"
    pickle.loads(_hostile_pickles(sentinel)["os.system"])
    assert sentinel.exists()


def _valid_bytes() -> bytes:
    b = io.BytesIO()
    g = hetero_example()
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        write_graphbolt(Path(d) / "g.pt", g)
        b.write((Path(d) / "g.pt").read_bytes())
    return b.getvalue()


VALID = _valid_bytes()


@pytest.mark.parametrize(
    "data, msg",
    [
        (b"", "not a torch.save zip archive"),
        (b"\x80\x02}q\x00.", "not a torch.save zip archive"),
        (os.urandom(4096), "not a torch.save zip archive"),
        (_zip({"archive/version": b"3\n"}), "no '<archive>/data.pkl' record"),
        (VALID[: len(VALID) // 2], "not a torch.save zip archive"),
        (VALID[:-10], "not a torch.save zip archive"),
    ],
    ids=["empty", "bare-pickle", "random", "no-data-pkl", "truncated-half", "truncated-tail"],
)
def test_malformed_files(tmp_path, data, msg):
    p = tmp_path / "bad.pt"
    p.write_bytes(data)
    with pytest.raises(FormatError, match=msg) as ei:
        read_graphbolt(p)
    assert str(p) in str(ei.value)


def test_plain_torch_save_is_not_graphbolt(tmp_path):
    p = tmp_path / "plain.pt"
    torch.save({"a": torch.arange(3)}, p)
    with pytest.raises(FormatError, match=r"not a GraphBolt FusedCSCSamplingGraph: the file holds a dict with keys \['a'\]"):
        read_graphbolt(p)
    torch.save(torch.arange(3), p)
    with pytest.raises(FormatError, match="the file holds a tensor of shape"):
        read_graphbolt(p)


def test_missing_storage_record(tmp_path):
    with zipfile.ZipFile(io.BytesIO(VALID)) as z:
        recs = {n: z.read(n) for n in z.namelist() if not n.endswith("/data/0")}
    with pytest.raises(FormatError, match="missing storage record"):
        read_graphbolt(_zip(recs))


def test_big_endian_archive(tmp_path):
    """A torch.save zip whose byteorder record says 'big' (storages byte-swapped)."""
    with zipfile.ZipFile(io.BytesIO(VALID)) as z:
        recs = {n: z.read(n) for n in z.namelist()}
    (pkl,) = [n for n in recs if n.endswith("/data.pkl")]
    prefix = pkl[: -len("data.pkl")]
    dtypes = {}

    def load_storage(key, numel, dtype):
        dtypes[key] = dtype
        return Storage(np.frombuffer(recs[f"{prefix}data/{key}"], np.uint8), dtype, key)

    RestrictedUnpickler(recs[pkl], load_storage, "little", ALLOWED_CLASSES).load()
    assert dtypes
    for k, d in dtypes.items():
        name = f"{prefix}data/{k}"
        recs[name] = np.frombuffer(recs[name], d).byteswap().tobytes()
    recs[f"{prefix}byteorder"] = b"big"
    g = read_graphbolt(_zip(recs))
    _graph_eq(hetero_example(), g)
    assert g.indptr.dtype == np.dtype("=i4")


def test_memo_bomb_and_denied_opcodes_are_refused():
    # LONG_BINPUT 0xFFFFFFF0 would make the C unpickler allocate a ~32 GB memo table
    bomb = b"\x80\x02}r\xf0\xff\xff\xff."
    with pytest.raises(FormatError, match="memo index"):
        read_graphbolt(_zip({"a/data.pkl": bomb}))
    oob = b"\x80\x05\x97."  # NEXT_BUFFER (protocol 5)
    with pytest.raises(FormatError, match="refusing pickle opcode NEXT_BUFFER"):
        read_graphbolt(_zip({"a/data.pkl": oob}))


def test_compressed_storage_record_is_refused():
    with zipfile.ZipFile(io.BytesIO(VALID)) as z:
        recs = {n: z.read(n) for n in z.namelist()}
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        for k, v in recs.items():
            z.writestr(k, v, compress_type=zipfile.ZIP_DEFLATED if "/data/" in k else zipfile.ZIP_STORED)
    with pytest.raises(FormatError, match="is compressed"):
        read_graphbolt(b.getvalue())


def test_expanded_tensor_is_refused(tmp_path):
    state = _state()
    state["node_attributes"] = {"x": torch.zeros(1).expand(3)}
    _save_state(tmp_path / "g.pt", state)
    with pytest.raises(FormatError, match="more elements than storage"):
        read_graphbolt(tmp_path / "g.pt")


def _save_state(path, state, qualname=SCRIPT_QUALNAME):
    """torch.save an arbitrary GraphBolt-shaped state (bypassing write_graphbolt's checks)."""
    save_graphbolt_state(path, state, qualname)


def _state(**over):
    ind = {"version_number": torch.tensor([6199]), "indptr": torch.tensor([0, 1, 3, 3], dtype=torch.int32),
           "indices": torch.tensor([2, 0, 1], dtype=torch.int32)}
    ind.update(over)
    return {"independent_tensors": {k: v for k, v in ind.items() if v is not None}}


@pytest.mark.parametrize(
    "state, msg",
    [
        (_state(), None),
        (_state(version_number=torch.tensor([6200])), "unsupported GraphBolt pickle version_number 6200"),
        (_state(version_number=None), "independent_tensors has no 'version_number'"),
        (_state(indptr=torch.tensor([0, 2, 1, 3], dtype=torch.int32)), "indptr is not monotone"),
        (_state(indptr=torch.tensor([0, 1, 3, 4])), r"indptr\[-1\] is 4 but there are 3 indices"),
        (_state(indptr=torch.tensor([1, 1, 3, 3])), r"indptr\[0\] is 1"),
        (_state(indices=torch.tensor([2, 0, 3], dtype=torch.int32)), r"indices out of range \[0, 3\)"),
        (_state(indices=torch.tensor([2.0, 0.0, 1.0])), "indices must be a 1-D integer array"),
        (_state(type_per_edge=torch.tensor([0, 1], dtype=torch.int8)), "type_per_edge has 2 entries"),
        (_state(bogus=torch.tensor([1])), "independent_tensors has unknown key 'bogus'"),
        ({**_state(), "node_attributes": {"x": torch.zeros(5)}}, r"node_attributes\['x'\] has shape \(5,\)"),
        ({**_state(), "edge_attributes": {"x": torch.zeros(2)}}, r"edge_attributes\['x'\] has shape \(2,\)"),
        ({**_state(), "node_type_to_id": {"a": torch.tensor([0, 1])}}, "node_type_to_id\\['a'\\] is not one integer"),
        ({**_state(), "extra": {}}, "graph state has unknown key 'extra'"),
        ({"node_attributes": {}}, "graph state has no 'independent_tensors'"),
        ({"independent_tensors": {"indptr": [0, 1]}}, "is a list, expected a tensor"),
    ],
)
def test_bad_states(tmp_path, state, msg):
    p = tmp_path / "g.pt"
    _save_state(p, state)
    if msg is None:
        g = read_graphbolt(p)
        assert g.num_nodes == 3 and g.num_edges == 3
        return
    with pytest.raises(FormatError, match=msg):
        read_graphbolt(p)


def test_wrong_script_class(tmp_path):
    p = tmp_path / "g.pt"
    _save_state(p, _state(), qualname="__torch__.torch.classes.graphbolt.Other")
    with pytest.raises(FormatError, match="ScriptObject class is"):
        read_graphbolt(p)


def test_non_contiguous_and_shared_storage_tensors(tmp_path):
    base = torch.arange(12, dtype=torch.int64)
    state = _state()
    state["node_attributes"] = {"t": base.reshape(3, 4)[:, ::2], "v": base[:3]}
    p = tmp_path / "g.pt"
    _save_state(p, state)
    g = read_graphbolt(p)
    _eq(g.node_attributes["t"], base.reshape(3, 4)[:, ::2].numpy(), "t")
    _eq(g.node_attributes["v"], np.arange(3), "v")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255)), min_size=1, max_size=8),
       st.integers(1, len(VALID)))
def test_mutated_bytes_only_raise_format_error(muts, keep):
    data = bytearray(VALID[:keep])
    for pos, val in muts:
        if pos < len(data):
            data[pos] = val
    try:
        read_graphbolt(bytes(data))
    except FormatError:
        pass
