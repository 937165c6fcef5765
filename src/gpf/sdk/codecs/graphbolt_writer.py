"""Write GraphBolt ``fused_csc_sampling_graph.pt`` files byte for byte as torch.save does, without torch or DGL.

DGL 2.1 stores a partition for GraphBolt with ``torch.save(FusedCSCSamplingGraph)``
(torch 2.2).  This module emits the same bytes straight from numpy arrays: the pickle
(protocol 2) that ``torch.save`` produces for that object, and the zip container of
torch's ``PyTorchStreamWriter`` (records stored uncompressed, each record's data
64-byte aligned by an ``FB`` padding extra field, data descriptors, ZIP64 end
records).  Only the random ``.data/serialization_id`` differs from a torch.save of the
same graph; pass ``serialization_id`` to reproduce one.  Arrays are streamed into the
file (no copy of a little-endian C-contiguous array), so writing costs one pass over
the data plus its CRC-32.

The pickle, as torch.save writes it for DGL's object::

    FusedCSCSamplingGraph.__new__()  BUILD {'_c_csc_graph':
        torch.ScriptObject.__new__()  BUILD (state, '__torch__.torch.classes.graphbolt.FusedCSCSamplingGraph')}
    state = {'independent_tensors': {'version_number', 'indptr', 'indices'[, 'node_type_offset'][, 'type_per_edge']},
             ['node_type_to_id': {name: 0-d int64}], ['edge_type_to_id': {...}],
             'node_attributes': {name: tensor}, 'edge_attributes': {name: tensor}}

and each tensor is ``torch._utils._rebuild_tensor_v2(persistent ('storage', torch.<T>Storage,
key, 'cpu', numel), 0, size, stride, False, OrderedDict())``.  Storage keys are ``'0'``,
``'1'``... in pickling order; their records follow the pickle and ``byteorder`` in the
string order of the keys, then ``version`` (``3``) and ``.data/serialization_id``.
spec/SPEC.md section "GraphBolt partition file" describes the layout for readers.

The reader is :mod:`gpf.sdk.codecs.graphbolt`; it shares the graph model and its checks.
"""

from __future__ import annotations

import os
import secrets
import struct
import zlib
from collections.abc import Iterator
from typing import BinaryIO

import numpy as np

from gpf.files import atomic_writer
from gpf.sdk.codecs.graphbolt_graph import (
    GRAPHBOLT_CLASS,
    GRAPHBOLT_MODULE,
    PICKLE_VERSION,
    SCRIPT_QUALNAME,
    GraphBoltGraph,
    validate_graphbolt,
)

__all__ = ["write_graphbolt", "write_graphbolt_file", "graphbolt_bytes", "STORAGE_NAMES"]

_GRAPH_GLOBAL = f"{GRAPHBOLT_MODULE}\n{GRAPHBOLT_CLASS}\n".encode("ascii")

#: numpy dtype -> the typed-storage class torch 2.2 pickles for it (``torch.<name>``).
STORAGE_NAMES: dict[np.dtype, str] = {
    np.dtype(np.bool_): "BoolStorage",
    np.dtype(np.uint8): "ByteStorage",
    np.dtype(np.int8): "CharStorage",
    np.dtype("<i2"): "ShortStorage",
    np.dtype("<i4"): "IntStorage",
    np.dtype("<i8"): "LongStorage",
    np.dtype("<f2"): "HalfStorage",
    np.dtype("<f4"): "FloatStorage",
    np.dtype("<f8"): "DoubleStorage",
    np.dtype("<c8"): "ComplexFloatStorage",
    np.dtype("<c16"): "ComplexDoubleStorage",
}

_ALIGN = 64  # torch's kFieldAlignment
_U32 = 0xFFFFFFFF
_CHUNK = 64 << 20


# ---------------------------------------------------------------------------------------
# pickle (protocol 2, the opcodes and memo numbering Python's pickler gives torch.save)


class _Pickle:
    def __init__(self) -> None:
        self.out = bytearray(b"\x80\x02")
        self.memo = 0
        self.globals: dict[bytes, int] = {}
        self.shared: dict[str, int] = {}  # strings torch passes as one object ('storage', 'cpu')
        self.storages: list[np.ndarray] = []

    def put(self) -> None:
        n = self.memo
        self.out += b"q" + bytes([n]) if n < 256 else b"r" + struct.pack("<I", n)
        self.memo += 1

    def get(self, n: int) -> None:
        self.out += b"h" + bytes([n]) if n < 256 else b"j" + struct.pack("<I", n)

    def glob(self, qual: bytes) -> None:
        if qual in self.globals:
            self.get(self.globals[qual])
            return
        self.out += b"c" + qual
        self.globals[qual] = self.memo
        self.put()

    def string(self, s: str, shared: bool = False) -> None:
        if shared and s in self.shared:
            self.get(self.shared[s])
            return
        raw = s.encode("utf-8", "surrogatepass")
        self.out += b"X" + struct.pack("<I", len(raw)) + raw
        if shared:
            self.shared[s] = self.memo
        self.put()

    def integer(self, v: int) -> None:
        if 0 <= v <= 0xFF:
            self.out += b"K" + bytes([v])
        elif 0 <= v <= 0xFFFF:
            self.out += b"M" + struct.pack("<H", v)
        elif -0x80000000 <= v <= 0x7FFFFFFF:
            self.out += b"J" + struct.pack("<i", v)
        else:
            raw = v.to_bytes((v.bit_length() + 8) // 8, "little", signed=True)
            self.out += b"\x8a" + bytes([len(raw)]) + raw  # LONG1 (pickle.encode_long)

    def int_tuple(self, vals: tuple[int, ...]) -> None:
        if not vals:
            self.out += b")"
            return
        if len(vals) > 3:
            self.out += b"("
        for v in vals:
            self.integer(v)
        self.out += b"t" if len(vals) > 3 else (b"\x85", b"\x86", b"\x87")[len(vals) - 1]
        self.put()

    def tensor(self, a: np.ndarray) -> None:
        self.glob(b"torch._utils\n_rebuild_tensor_v2\n")
        self.out += b"(("  # MARK (args), MARK (persistent id)
        self.string("storage", shared=True)
        self.glob(b"torch\n" + STORAGE_NAMES[a.dtype.newbyteorder("<")].encode() + b"\n")
        self.string(str(len(self.storages)))
        self.string("cpu", shared=True)
        self.integer(int(a.size))
        self.out += b"t"
        self.put()
        self.out += b"Q"  # BINPERSID
        self.storages.append(a)
        self.integer(0)
        self.int_tuple(tuple(int(s) for s in a.shape))
        self.int_tuple(_contiguous_strides(a.shape))
        self.out += b"\x89"  # NEWFALSE (requires_grad)
        self.glob(b"collections\nOrderedDict\n")
        self.out += b")R"  # OrderedDict() (backward hooks)
        self.put()
        self.out += b"t"
        self.put()
        self.out += b"R"
        self.put()

    def tensor_dict(self, items: list[tuple[str, np.ndarray]]) -> None:
        self.out += b"}"
        self.put()
        for start in range(0, len(items), 1000):  # pickle's batch size
            batch = items[start:start + 1000]
            if len(batch) > 1:
                self.out += b"("
            for k, a in batch:
                self.string(k)
                self.tensor(a)
            self.out += b"u" if len(batch) > 1 else b"s"


def _contiguous_strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    strides, acc = [], 1
    for n in reversed(shape):
        strides.append(acc)
        acc *= max(int(n), 1)
    return tuple(reversed(strides))


def _pickle_graph(g: GraphBoltGraph) -> tuple[bytes, list[np.ndarray]]:
    pk = _Pickle()
    pk.out += b"c" + _GRAPH_GLOBAL
    pk.put()
    pk.out += b")\x81"  # EMPTY_TUPLE NEWOBJ
    pk.put()
    pk.out += b"}"
    pk.put()
    pk.string("_c_csc_graph")
    pk.glob(b"torch\nScriptObject\n")
    pk.out += b")\x81"
    pk.put()
    # state: dict of dicts
    pk.out += b"}"
    pk.put()
    pk.out += b"("
    pk.string("independent_tensors")
    independent = [("version_number", np.array([PICKLE_VERSION], dtype=np.int64)),
                   ("indptr", g.indptr), ("indices", g.indices)]
    if g.node_type_offset is not None:
        independent.append(("node_type_offset", g.node_type_offset))
    if g.type_per_edge is not None:
        independent.append(("type_per_edge", g.type_per_edge))
    pk.tensor_dict(independent)
    for key, mapping in (("node_type_to_id", g.node_type_to_id), ("edge_type_to_id", g.edge_type_to_id)):
        if mapping is not None:
            pk.string(key)
            pk.tensor_dict([(k, np.array(v, dtype=np.int64)) for k, v in mapping.items()])
    pk.string("node_attributes")
    pk.tensor_dict(list(g.node_attributes.items()))
    pk.string("edge_attributes")
    pk.tensor_dict(list(g.edge_attributes.items()))
    pk.out += b"u"  # SETITEMS (the state has at least three keys)
    pk.string(SCRIPT_QUALNAME)
    pk.out += b"\x86"
    pk.put()
    pk.out += b"b"  # BUILD the ScriptObject
    pk.out += b"s"  # SETITEM '_c_csc_graph'
    pk.out += b"b."  # BUILD the graph, STOP
    return bytes(pk.out), pk.storages


# ---------------------------------------------------------------------------------------
# zip container (PyTorchStreamWriter over miniz, ZIP64 mode)


class _Zip:
    def __init__(self, fh: BinaryIO, prefix: str) -> None:
        self.fh = fh
        self.prefix = prefix
        self.pos = 0
        self.central: list[bytes] = []

    def _write(self, data: bytes | memoryview) -> None:
        self.fh.write(data)
        self.pos += len(data)

    def record(self, name: str, chunks: list[memoryview] | list[bytes], size: int) -> None:
        fname = (self.prefix + name).encode("utf-8")
        ofs = self.pos
        big_size, big_ofs = size >= _U32, ofs >= _U32
        zip64 = b""
        if big_size or big_ofs:
            fields = (struct.pack("<QQ", size, size) if big_size else b"") + (struct.pack("<Q", ofs) if big_ofs else b"")
            zip64 = struct.pack("<HH", 1, len(fields)) + fields
        start = ofs + 30 + len(fname) + len(zip64) + 4
        pad = (-start) % _ALIGN
        extra = zip64 + b"FB" + struct.pack("<H", pad) + b"Z" * pad
        self._write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 0, 0x0808, 0, 0, 0, 0, 0, 0, len(fname), len(extra)))
        self._write(fname)
        self._write(extra)
        crc = 0
        for c in chunks:
            crc = zlib.crc32(c, crc)
            self._write(c)
        if zip64:
            self._write(struct.pack("<IIQQ", 0x08074B50, crc, size, size))
        else:
            self._write(struct.pack("<IIII", 0x08074B50, crc, size, size))
        self.central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0, 0, 0x0808, 0, 0, 0, crc,
                                        min(size, _U32), min(size, _U32), len(fname), len(zip64), 0, 0, 0, 0,
                                        min(ofs, _U32)) + fname + zip64)

    def finish(self) -> None:
        cd_ofs = self.pos
        for entry in self.central:
            self._write(entry)
        cd_size = self.pos - cd_ofs
        n = len(self.central)
        eocd64 = self.pos
        self._write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 0x031E, 0x2D, 0, 0, n, n, cd_size, cd_ofs))
        self._write(struct.pack("<IIQI", 0x07064B50, 0, eocd64, 1))
        self._write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, min(n, 0xFFFF), min(n, 0xFFFF),
                                min(cd_size, _U32), min(cd_ofs, _U32), 0))


def _chunks(a: np.ndarray) -> Iterator[memoryview]:
    flat = a.reshape(-1).view(np.uint8) if a.size else np.zeros(0, np.uint8)
    for s in range(0, flat.shape[0], _CHUNK):
        yield memoryview(flat[s:s + _CHUNK])  # type: ignore[arg-type]  # ndarray has the buffer protocol


def _storage_array(name: str, a: np.ndarray) -> np.ndarray:
    key = a.dtype.newbyteorder("<")
    if key not in STORAGE_NAMES:
        raise ValueError(f"{name}: dtype {a.dtype} cannot be stored (torch 2.2, which DGL 2.1 runs on, has no "
                         f"storage for it; use one of bool, uint8, int8/16/32/64, float16/32/64, complex64/128)")
    return np.ascontiguousarray(a, dtype=key)


def _prepare(g: GraphBoltGraph) -> GraphBoltGraph:
    validate_graphbolt(g, ValueError)
    for what, a in (("indptr", g.indptr), ("indices", g.indices)):
        if a.dtype.newbyteorder("=") not in (np.dtype(np.int32), np.dtype(np.int64)):
            raise ValueError(f"{what}: dtype {a.dtype} is not int32/int64 (GraphBolt's sampler supports no other)")
    def opt(name: str, a: np.ndarray | None) -> np.ndarray | None:
        return None if a is None else _storage_array(name, np.asarray(a))

    return GraphBoltGraph(
        indptr=_storage_array("indptr", np.asarray(g.indptr)), indices=_storage_array("indices", np.asarray(g.indices)),
        node_type_offset=opt("node_type_offset", g.node_type_offset),
        type_per_edge=opt("type_per_edge", g.type_per_edge),
        node_type_to_id=g.node_type_to_id, edge_type_to_id=g.edge_type_to_id,
        node_attributes={k: _storage_array(f"node_attributes[{k!r}]", np.asarray(v))
                         for k, v in g.node_attributes.items()},
        edge_attributes={k: _storage_array(f"edge_attributes[{k!r}]", np.asarray(v))
                         for k, v in g.edge_attributes.items()},
        version_number=g.version_number)


def _archive_name(path: str) -> str:
    base = os.path.basename(path)
    dot = base.rfind(".")
    return base[:dot] if dot > 0 else base


def _new_serialization_id() -> str:
    return f"{secrets.randbits(64):020d}{secrets.randbits(64):020d}"


def _emit(fh: BinaryIO, g: GraphBoltGraph, archive: str, serialization_id: str | None) -> None:
    data_pkl, storages = _pickle_graph(g)
    z = _Zip(fh, archive + "/")
    z.record("data.pkl", [data_pkl], len(data_pkl))
    z.record("byteorder", [b"little"], 6)
    for key in sorted(range(len(storages)), key=str):  # torch writes storages in string order of key
        a = storages[key]
        z.record(f"data/{key}", list(_chunks(a)), int(a.nbytes))
    z.record("version", [b"3\n"], 2)
    sid = (serialization_id or _new_serialization_id()).encode("ascii")
    z.record(".data/serialization_id", [sid], len(sid))
    z.finish()


def write_graphbolt_file(path: str | os.PathLike[str], g: GraphBoltGraph, *,
                         serialization_id: str | None = None) -> None:
    """Write ``g`` to ``path`` as DGL 2.x's ``torch.save`` would (atomic: temp file + ``os.replace``).

    Arrays keep their dtypes (``ValueError`` for one torch 2.2 cannot hold, or an
    invalid graph).  The zip's record prefix is the final file name without its
    extension, as torch derives it.  ``node_attributes`` / ``edge_attributes`` are
    always stored (empty dicts included), as DGL's ``partition_graph`` stores them.
    """
    path = os.fspath(path)
    g = _prepare(g)
    with atomic_writer(path, fsync=False) as fh:     # torch.save does no fsync either
        _emit(fh, g, _archive_name(path), serialization_id)


def graphbolt_bytes(g: GraphBoltGraph, archive: str = "fused_csc_sampling_graph", *,
                    serialization_id: str | None = None) -> bytes:
    """The bytes :func:`write_graphbolt_file` writes, in memory (small graphs, tests)."""
    import io

    buf = io.BytesIO()
    _emit(buf, _prepare(g), archive, serialization_id)
    return buf.getvalue()


#: The writer under the name the reader's module used to export (``read_graphbolt`` / ``write_graphbolt``).
write_graphbolt = write_graphbolt_file
