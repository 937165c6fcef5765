"""Read and write GraphBolt ``fused_csc_sampling_graph.pt`` files without DGL.

DGL 2.x (``dgl_partition_to_graphbolt``) stores each partition as a ``torch.save``
zip whose pickle is a ``dgl.graphbolt.impl.fused_csc_sampling_graph.FusedCSCSamplingGraph``
holding ``{'_c_csc_graph': torch.ScriptObject}``; the ScriptObject's state is
``(state, '__torch__.torch.classes.graphbolt.FusedCSCSamplingGraph')`` with ``state`` a
``Dict[str, Dict[str, Tensor]]`` (reference: dgl-partition-format.md section 4).

Reading: choice and why
-----------------------
:func:`read_graphbolt` does **not** call ``torch.load`` and does not import torch.  It
opens the zip with :mod:`zipfile` (over a memory map for local files), runs its own
:class:`pickle.Unpickler` over ``<archive>/data.pkl`` and resolves the persistent
storage ids itself, building numpy arrays that are zero-copy, read-only views of the
zip's stored (uncompressed, 64-byte aligned) records.  ``find_class`` allows only:

* ``dgl.graphbolt.impl.fused_csc_sampling_graph.FusedCSCSamplingGraph`` and
  ``torch.ScriptObject`` (both mapped to inert stubs that just capture their state);
* ``torch._utils._rebuild_tensor_v2`` / ``_rebuild_tensor_v3``, the typed storage
  names (``torch.LongStorage`` ...), ``torch.storage.UntypedStorage`` and plain torch
  dtypes (all mapped to gpf's own numpy rebuilders, never to torch's code);
* ``collections.OrderedDict`` called with no arguments (torch's empty ``backward_hooks``).

Everything else raises :class:`~gpf.errors.FormatError` ("refusing to unpickle global
'os.system'") before anything is called.  Before unpickling, the opcode stream is
walked with :mod:`pickletools` (parse only) to refuse out-of-band-buffer and
extension-registry opcodes and memo indices the stream cannot have produced (the C
unpickler sizes its memo table by the largest index, a one-opcode memory bomb), and to
bound the work: opcode count, container nesting and size, and only strings and numbers as
dict keys or set members (a deeply shared tuple used as a key hashes for ever); the
bounds are in :mod:`gpf.limits`.
Compressed storage records (torch never writes them; a possible zip bomb) and
tensors with more elements than their storage (stride-0 expansion) are refused.  The alternatives were rejected:
``torch.load(pickle_module=...)`` goes through torch's C++ zip reader (whose errors
are opaque ``RuntimeError``s and which has had crash bugs on corrupt input) and falls
back to the legacy non-zip unpickling path on arbitrary bytes;
``torch.load(weights_only=True)`` + ``add_safe_globals`` mutates process-wide
allow-lists (not thread-safe), needs the stubs spelled as torch's private
``(obj, "module.name")`` tuples, and its refusals are long ``UnpicklingError`` texts
whose wording changes between torch releases.  The own unpickler behaves the same for
every torch version (or none installed) and turns every failure into one FormatError.
Zip CRCs of storage records are not re-checked (torch does not either); the pickle
record is read through :mod:`zipfile` and so is CRC-checked.

Writing
-------
:func:`gpf.sdk.codecs.graphbolt_writer.write_graphbolt` writes these files: torch.save's exact
bytes, emitted without torch or DGL.  The stand-in classes below
(``_FakeGraph``, ``_ScriptObjectWriter``, ``_fake_dgl_modules``) make ``torch.save`` pickle
an arbitrary GraphBolt-shaped state the way DGL's object pickles; the tests use them to
craft hostile files.
"""

from __future__ import annotations

import collections
import copyreg
import functools
import io
import os
import pickle
import pickletools
import reprlib
import struct
import sys
import threading
import types
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gpf.errors import FormatError
from gpf.limits import MAX_PICKLE_BYTES, MAX_PICKLE_DEPTH, MAX_PICKLE_ITEMS, MAX_PICKLE_OPS
from gpf.sdk.codecs.buffer import Buffer, BytesLike, open_buffer

__all__ = [
    "GraphBoltGraph",
    "read_graphbolt",
    "graphbolt_to_coo",
    "PICKLE_VERSION",
    "GRAPHBOLT_MODULE",
    "GRAPHBOLT_CLASS",
    "SCRIPT_QUALNAME",
]

#: ``kPickleVersion`` of fused_csc_sampling_graph.cc, checked by DGL's ``SetState``.
PICKLE_VERSION = 6199
GRAPHBOLT_MODULE = "dgl.graphbolt.impl.fused_csc_sampling_graph"
GRAPHBOLT_CLASS = "FusedCSCSamplingGraph"
SCRIPT_QUALNAME = "__torch__.torch.classes.graphbolt.FusedCSCSamplingGraph"

_MAX_PICKLE_BYTES = MAX_PICKLE_BYTES  # data.pkl holds no tensor data: DGL's are a few KB
_STATE_KEYS = ("independent_tensors", "node_type_to_id", "edge_type_to_id", "node_attributes", "edge_attributes")
_INDEPENDENT_KEYS = ("version_number", "indptr", "indices", "node_type_offset", "type_per_edge")


@dataclass
class GraphBoltGraph:
    """The content of a GraphBolt ``FusedCSCSamplingGraph`` (arrays keep their stored dtype).

    ``indptr`` (num_nodes+1) and ``indices`` (num_edges) are the CSC adjacency: the
    in-edges of node ``v`` are CSC positions ``indptr[v]:indptr[v+1]`` and their source
    nodes are ``indices`` there.  Edge attributes are in CSC order.  Arrays returned by
    :func:`read_graphbolt` may be read-only views of the file's memory map.
    """

    indptr: np.ndarray
    indices: np.ndarray
    node_type_offset: np.ndarray | None = None
    type_per_edge: np.ndarray | None = None
    node_type_to_id: dict[str, int] | None = None
    edge_type_to_id: dict[str, int] | None = None
    node_attributes: dict[str, np.ndarray] = field(default_factory=dict)
    edge_attributes: dict[str, np.ndarray] = field(default_factory=dict)
    version_number: int = PICKLE_VERSION

    @property
    def num_nodes(self) -> int:
        return int(len(self.indptr)) - 1

    @property
    def num_edges(self) -> int:
        return int(len(self.indices))


# ----------------------------------------------------------------------------------------
# dtypes

# torch storage class name -> numpy dtype (little-endian; byteorder applied later)
_STORAGE_DTYPES: dict[str, np.dtype] = {
    "BoolStorage": np.dtype(np.bool_),
    "ByteStorage": np.dtype(np.uint8),
    "CharStorage": np.dtype(np.int8),
    "ShortStorage": np.dtype("<i2"),
    "IntStorage": np.dtype("<i4"),
    "LongStorage": np.dtype("<i8"),
    "HalfStorage": np.dtype("<f2"),
    "FloatStorage": np.dtype("<f4"),
    "DoubleStorage": np.dtype("<f8"),
    "ComplexFloatStorage": np.dtype("<c8"),
    "ComplexDoubleStorage": np.dtype("<c16"),
}
# torch dtype attribute name (as pickled by _rebuild_tensor_v3) -> numpy dtype
_TORCH_DTYPES: dict[str, np.dtype] = {
    "bool": np.dtype(np.bool_),
    "uint8": np.dtype(np.uint8),
    "int8": np.dtype(np.int8),
    "int16": np.dtype("<i2"),
    "uint16": np.dtype("<u2"),
    "int32": np.dtype("<i4"),
    "uint32": np.dtype("<u4"),
    "int64": np.dtype("<i8"),
    "uint64": np.dtype("<u8"),
    "float16": np.dtype("<f2"),
    "float32": np.dtype("<f4"),
    "float64": np.dtype("<f8"),
    "complex64": np.dtype("<c8"),
    "complex128": np.dtype("<c16"),
}
# dtypes write_graphbolt accepts: what torch 2.1+ (DGL 2.x's) can load back.
_WRITABLE_KINDS = {"b", "i", "f", "c"}


class _Refused(Exception):
    """Internal: raised inside the unpickler, turned into FormatError by the reader."""


class _StorageType:
    __slots__ = ("name", "dtype")

    def __init__(self, name: str, dtype: np.dtype | None) -> None:
        self.name = name
        self.dtype = dtype  # None: UntypedStorage (bytes)


class _TorchDType:
    __slots__ = ("name", "dtype")

    def __init__(self, name: str, dtype: np.dtype) -> None:
        self.name = name
        self.dtype = dtype


class _Storage:
    __slots__ = ("raw", "dtype", "key")

    def __init__(self, raw: np.ndarray, dtype: np.dtype | None, key: str) -> None:
        self.raw = raw  # uint8 array of the record's bytes
        self.dtype = dtype
        self.key = key


class _GraphStub:
    """Stand-in for ``FusedCSCSamplingGraph`` while reading: only captures the state."""

    def __setstate__(self, state: Any) -> None:
        self.state = state


class _ScriptObjectStub:
    """Stand-in for ``torch.ScriptObject`` while reading: only captures the state."""

    def __setstate__(self, state: Any) -> None:
        self.state = state


def _check_bool(v: Any, what: str) -> None:
    if not isinstance(v, bool):
        raise _Refused(f"tensor rebuild: {what} is {type(v).__name__}, expected bool")


def _as_int_tuple(v: Any, what: str) -> tuple[int, ...]:
    if not isinstance(v, tuple) or not all(type(x) is int for x in v):
        raise _Refused(f"tensor rebuild: {what} is not a tuple of ints")
    if any(x < 0 for x in v):
        raise _Refused(f"tensor rebuild: negative {what} {v}")
    return v


def _make_array(storage: Any, offset: Any, size: Any, stride: Any, dtype: np.dtype, byteorder: str) -> np.ndarray:
    if not isinstance(storage, _Storage):
        raise _Refused("tensor rebuild: first argument is not a storage")
    if type(offset) is not int or offset < 0:
        raise _Refused("tensor rebuild: bad storage offset")
    size = _as_int_tuple(size, "size")
    stride = _as_int_tuple(stride, "stride")
    if len(size) != len(stride):
        raise _Refused(f"tensor rebuild: size {size} and stride {stride} differ in length")
    if storage.raw.size % dtype.itemsize:
        raise _Refused(f"storage data/{storage.key}: {storage.raw.size} bytes is not a multiple of {dtype.itemsize}")
    flat = storage.raw.view(dtype.newbyteorder("<" if byteorder == "little" else ">"))
    numel = 1
    for s in size:
        numel *= s
    if numel == 0:
        return np.empty(size, dtype=dtype)
    last = offset + sum((n - 1) * st for n, st in zip(size, stride))
    if last >= flat.size:
        raise _Refused(
            f"tensor of size {size} at offset {offset} overruns storage data/{storage.key} of {flat.size} elements"
        )
    if numel > flat.size:
        raise _Refused(f"tensor of size {size} has more elements than storage data/{storage.key} ({flat.size})")
    itemsize = flat.dtype.itemsize
    arr = np.lib.stride_tricks.as_strided(
        flat[offset:], shape=size, strides=tuple(st * itemsize for st in stride), writeable=False
    )
    contiguous = all(
        st == int(np.prod(size[i + 1:], dtype=np.int64)) for i, st in enumerate(stride) if size[i] > 1
    )
    if not contiguous:
        arr = np.ascontiguousarray(arr)
    if byteorder != "little" and dtype.itemsize > 1:
        arr = arr.astype(dtype.newbyteorder("="))
    return arr


def _empty_ordered_dict(*args: Any, **kwargs: Any) -> collections.OrderedDict:
    """``collections.OrderedDict`` as torch pickles it (empty, filled by SETITEMS whose keys the pre-scan checked)."""
    if args or kwargs:
        raise _Refused("OrderedDict built from arguments (torch pickles an empty one)")
    return collections.OrderedDict()


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, data: bytes, load_storage: Callable[[str, int, np.dtype | None], _Storage], byteorder: str):
        super().__init__(io.BytesIO(data))
        self._load_storage = load_storage
        self._byteorder = byteorder

    # -- tensor rebuilders (gpf's own; torch's are never called) --
    # Static, handed out bound to the byte order only: a bound method of the unpickler in its memo or
    # stack is a reference cycle the collector cannot see (the C unpickler does not traverse them).
    @staticmethod
    def _rebuild_v2(byteorder, storage, offset, size, stride, requires_grad, backward_hooks, metadata=None):
        _check_bool(requires_grad, "requires_grad")
        if not isinstance(backward_hooks, dict) or backward_hooks:
            raise _Refused("tensor rebuild: backward hooks are not supported")
        if not isinstance(storage, _Storage) or storage.dtype is None:
            raise _Refused("tensor rebuild v2: storage has no dtype")
        return _make_array(storage, offset, size, stride, storage.dtype, byteorder)

    @staticmethod
    def _rebuild_v3(byteorder, storage, offset, size, stride, requires_grad, backward_hooks, dtype, metadata=None):
        _check_bool(requires_grad, "requires_grad")
        if not isinstance(backward_hooks, dict) or backward_hooks:
            raise _Refused("tensor rebuild: backward hooks are not supported")
        if not isinstance(dtype, _TorchDType):
            raise _Refused("tensor rebuild v3: dtype argument is not a torch dtype")
        return _make_array(storage, offset, size, stride, dtype.dtype, byteorder)

    def find_class(self, module: str, name: str) -> Any:
        if module == GRAPHBOLT_MODULE and name == GRAPHBOLT_CLASS:
            return _GraphStub
        if module == "torch":
            if name == "ScriptObject":
                return _ScriptObjectStub
            if name in _STORAGE_DTYPES:
                return _StorageType(name, _STORAGE_DTYPES[name])
            if name in _TORCH_DTYPES:
                return _TorchDType(name, _TORCH_DTYPES[name])
        if module == "torch.storage" and name == "UntypedStorage":
            return _StorageType(name, None)
        if module == "torch._utils":
            if name == "_rebuild_tensor_v2":
                return functools.partial(self._rebuild_v2, self._byteorder)
            if name == "_rebuild_tensor_v3":
                return functools.partial(self._rebuild_v3, self._byteorder)
        if module == "collections" and name == "OrderedDict":
            return _empty_ordered_dict
        raise _Refused(f"refusing to unpickle global '{module}.{name}'")

    def persistent_load(self, pid: Any) -> Any:
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise _Refused(f"unsupported persistent id {_short(pid)}")
        _, stype, key, _location, numel = pid
        if not isinstance(stype, _StorageType) or not isinstance(key, str) or type(numel) is not int or numel < 0:
            raise _Refused(f"malformed storage persistent id {_short(pid)}")
        return self._load_storage(key, numel, stype.dtype)


# Opcodes a torch.save pickle never needs and that reach past find_class or allocate
# out of proportion to the stream: out-of-band buffers (protocol 5), the copyreg
# extension registry, and the protocol-0/1 class instantiation opcodes.
_DENIED_OPS = {"NEXT_BUFFER", "READONLY_BUFFER", "BYTEARRAY8", "EXT1", "EXT2", "EXT4", "INST", "OBJ"}
_MEMO_PUT = {"PUT", "BINPUT", "LONG_BINPUT"}
_MEMO_GET = {"GET", "BINGET", "LONG_BINGET"}
_MARK_CONTAINERS = {"TUPLE": "tuple", "LIST": "list", "DICT": "dict", "FROZENSET": "frozenset"}
_EMPTY = {"EMPTY_LIST": "list", "EMPTY_DICT": "dict", "EMPTY_TUPLE": "tuple", "EMPTY_SET": "set"}
_TUPLE_N = {"TUPLE1": 1, "TUPLE2": 2, "TUPLE3": 3}


class _Sym:
    """What the pre-scan knows of a value on the pickle stack: its kind, nesting depth and item count."""

    __slots__ = ("kind", "depth", "items")

    def __init__(self, kind: str, depth: int = 0, items: int = 0) -> None:
        self.kind = kind  # "atom" (str/bytes/int/float/bool/None), a container kind, "object", "callable", "mark"
        self.depth = depth
        self.items = items


_ATOM = _Sym("atom")
_MARK = _Sym("mark")
_CALLABLE = _Sym("callable")


def _prescan(data: bytes) -> None:
    """Walk the opcodes (parsing only, nothing is built) before unpickling, bounding the work.

    A symbolic stack follows what each opcode would build, so that before anything is unpickled:
    the stream has at most :data:`~gpf.limits.MAX_PICKLE_OPS` opcodes; no container nests deeper than
    :data:`~gpf.limits.MAX_PICKLE_DEPTH` or holds more than :data:`~gpf.limits.MAX_PICKLE_ITEMS`
    items; dict keys and set members are atoms (strings, bytes, numbers, None) — a tuple key is how a
    150-byte pickle makes hashing run for ever (a deeply *shared* tuple has exponentially many paths);
    memo indices are ones the stream could have made (the C unpickler sizes its memo table by the
    largest index: ``LONG_BINPUT 0xFFFFFFF0`` would allocate tens of GB); denied opcodes are refused.
    """
    stack: list[_Sym] = []
    marks: list[int] = []
    memo: dict[int, _Sym] = {}
    count = 0

    def pop() -> _Sym:
        if not stack or stack[-1] is _MARK:
            raise _Refused(f"corrupt pickle stream: stack underflow at pickle byte {pos}")
        return stack.pop()

    def pop_mark() -> list[_Sym]:
        if not marks:
            raise _Refused(f"corrupt pickle stream: no mark at pickle byte {pos}")
        at = marks.pop()
        items = stack[at + 1:]
        del stack[at:]
        return items

    def build(kind: str, items: list[_Sym], keys: list[_Sym] | tuple[()] = ()) -> _Sym:
        for k in keys:
            if k.kind != "atom":
                raise _Refused(f"refusing pickle: a {k.kind} as a dict key or set member at pickle byte {pos} "
                               "(only strings and numbers may be)")
        return grow(_Sym(kind, 1), items)

    def grow(target: _Sym, items: list[_Sym]) -> _Sym:
        target.items += len(items)
        if target.items > MAX_PICKLE_ITEMS:
            raise _Refused(f"refusing pickle: a container of over {MAX_PICKLE_ITEMS} items at pickle byte {pos}")
        depth = max((i.depth for i in items), default=0) + 1
        if depth > target.depth:
            target.depth = depth
            if depth > MAX_PICKLE_DEPTH:
                raise _Refused(f"refusing pickle: containers nested deeper than {MAX_PICKLE_DEPTH} at pickle "
                               f"byte {pos}")
        return target

    pos: int | None = 0
    try:
        for op, arg, pos in pickletools.genops(data):
            count += 1
            if count > MAX_PICKLE_OPS:
                raise _Refused(f"refusing pickle: more than {MAX_PICKLE_OPS} opcodes")
            name = op.name
            if name in _DENIED_OPS:
                raise _Refused(f"refusing pickle opcode {name} at pickle byte {pos}")
            if name in ("PROTO", "FRAME", "STOP"):
                continue
            if name == "MARK":
                marks.append(len(stack))
                stack.append(_MARK)
            elif name in _MEMO_PUT or name == "MEMOIZE":
                index = len(memo) if name == "MEMOIZE" else arg
                if not (isinstance(index, int) and 0 <= index <= count) or not stack or stack[-1] is _MARK:
                    raise _Refused(f"corrupt pickle stream: memo index {_short(index)} at pickle byte {pos}")
                memo[index] = stack[-1]
            elif name in _MEMO_GET:
                if arg not in memo:
                    raise _Refused(f"corrupt pickle stream: memo index {_short(arg)} at pickle byte {pos}")
                stack.append(memo[arg])
            elif name in _EMPTY:
                stack.append(_Sym(_EMPTY[name], 1))
            elif name in _MARK_CONTAINERS:
                items = pop_mark()
                kind = _MARK_CONTAINERS[name]
                keys = items[0::2] if kind == "dict" else items if kind == "frozenset" else []
                stack.append(build(kind, items, keys))
            elif name in _TUPLE_N:
                items = [pop() for _ in range(_TUPLE_N[name])][::-1]
                stack.append(build("tuple", items))
            elif name == "APPEND":
                item = pop()
                grow(stack[-1] if stack else pop(), [item])
            elif name == "APPENDS":
                items = pop_mark()
                grow(stack[-1] if stack else pop(), items)
            elif name == "SETITEM":
                value, key = pop(), pop()
                build("dict", [], [key])
                grow(stack[-1] if stack else pop(), [key, value])
            elif name == "SETITEMS":
                items = pop_mark()
                build("dict", [], items[0::2])
                grow(stack[-1] if stack else pop(), items)
            elif name == "ADDITEMS":
                items = pop_mark()
                build("set", [], items)
                grow(stack[-1] if stack else pop(), items)
            elif name in ("GLOBAL", "STACK_GLOBAL"):
                if name == "STACK_GLOBAL":
                    pop(), pop()
                stack.append(_CALLABLE)
            elif name in ("REDUCE", "NEWOBJ"):
                args, _func = pop(), pop()
                stack.append(grow(_Sym("object"), [args]))
            elif name == "NEWOBJ_EX":
                kwargs, args, _cls = pop(), pop(), pop()
                stack.append(grow(_Sym("object"), [args, kwargs]))
            elif name == "BUILD":
                state = pop()
                grow(stack[-1] if stack else pop(), [state])
            elif name == "BINPERSID":
                pop()
                stack.append(_Sym("object"))
            elif name == "PERSID":
                stack.append(_Sym("object"))
            elif name == "POP":
                if stack and stack[-1] is _MARK:
                    stack.pop()
                    marks.pop()
                else:
                    pop()
            elif name == "POP_MARK":
                pop_mark()
            elif name == "DUP":
                stack.append(stack[-1] if stack else pop())
            elif not op.stack_before and len(op.stack_after) == 1:
                stack.append(_ATOM)  # ints, floats, strings, bytes, None, booleans
            else:
                raise _Refused(f"refusing pickle opcode {name} at pickle byte {pos}")
    except _Refused:
        raise
    except Exception as exc:  # noqa: BLE001 - ValueError/UnicodeDecodeError... from the parser
        raise _Refused(f"corrupt pickle stream: {_short(str(exc))}") from None


def _short(obj: Any) -> str:
    """A short repr that costs little whatever ``obj`` is (a deeply shared tuple has an exponential repr)."""
    s = _REPR.repr(obj)
    return s if len(s) <= 80 else s[:77] + "..."


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxtuple, _REPR.maxlist, _REPR.maxdict, _REPR.maxstring, _REPR.maxother = 3, 4, 4, 4, 60, 60


class _MemFile(io.RawIOBase):
    """A seekable read-only file over a memoryview (zipfile needs one; BytesIO would copy)."""

    def __init__(self, data: memoryview) -> None:
        self._data = data
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: len(self._data)}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, b: Any) -> int:
        chunk = self._data[self._pos:self._pos + len(b)]
        n = len(chunk)
        b[:n] = chunk
        self._pos += n
        return n


def _record_view(buf: Buffer, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> np.ndarray:
    """The bytes of a stored (uncompressed) zip record, zero-copy."""
    if info.compress_type == zipfile.ZIP_STORED and info.compress_size == info.file_size:
        off = info.header_offset
        header = bytes(buf.data[off:off + 30])
        if len(header) == 30 and header[:4] == b"PK\x03\x04":
            name_len, extra_len = struct.unpack("<HH", header[26:30])
            start = off + 30 + name_len + extra_len
            end = start + info.file_size
            if end <= len(buf.data):
                return np.frombuffer(buf.data[start:end], dtype=np.uint8)
        raise FormatError(buf.name, off, f"zip record {info.filename}: bad local header or data past end of file")
    # torch.save stores records uncompressed; a compressed one could be a zip bomb.
    raise FormatError(buf.name, info.header_offset, f"zip record {info.filename} is compressed (torch stores records uncompressed)")


def _check_record_size(buf: Buffer, info: zipfile.ZipInfo, limit: int) -> None:
    """Refuse a record before ``zf.read`` inflates it: over ``limit`` or larger than the whole archive
    (a deflated record can claim gigabytes in a few kilobytes: a zip bomb)."""
    if info.file_size > min(limit, len(buf.data)):
        raise FormatError(buf.name, info.header_offset, f"zip record {info.filename} claims {info.file_size} bytes, "
                          f"more than {'the archive holds' if info.file_size <= limit else 'any GraphBolt record'}")


def read_graphbolt(source: str | os.PathLike[str] | BytesLike | Buffer, name: str | None = None) -> GraphBoltGraph:
    """Read a GraphBolt ``fused_csc_sampling_graph.pt`` without DGL (and without torch).

    ``source`` is a path, fsspec URL, bytes or :class:`Buffer`.  Any problem (not a
    zip, truncated, no ``data.pkl``, a pickle referring to anything but the GraphBolt
    and tensor globals, a state that is not a valid graph) raises
    :class:`~gpf.errors.FormatError`.
    """
    buf = open_buffer(source, name)
    label = buf.name
    if len(buf) < 22:
        raise FormatError(label, None, f"not a torch.save zip archive ({len(buf)} bytes)")
    try:
        zf = zipfile.ZipFile(_MemFile(buf.data))
    except Exception as exc:  # noqa: BLE001 - BadZipFile, NotImplementedError, OSError, struct.error...
        raise FormatError(label, None, f"not a torch.save zip archive ({_short(str(exc))})") from None
    try:
        return _read_zip(buf, zf)
    except FormatError:
        raise
    except _Refused as exc:
        raise FormatError(label, None, str(exc)) from None
    except RecursionError:
        raise FormatError(label, None, "corrupt pickle stream: nesting too deep") from None
    except MemoryError:
        raise FormatError(label, None, "corrupt file: allocation failed while reading") from None
    except Exception as exc:  # noqa: BLE001 - any other failure is a malformed file
        raise FormatError(label, None, f"corrupt torch.save archive: {type(exc).__name__}: {_short(str(exc))}") from None
    finally:
        zf.close()


def _read_zip(buf: Buffer, zf: zipfile.ZipFile) -> GraphBoltGraph:
    label = buf.name
    infos = {i.filename: i for i in zf.infolist()}
    pkls = [n for n in infos if n.endswith("/data.pkl") and n.count("/") == 1]
    if not pkls:
        found = ", ".join(sorted(infos)[:5]) or "no records"
        raise FormatError(label, None, f"no '<archive>/data.pkl' record: not a torch.save file (found {found})")
    if len(pkls) > 1:
        raise FormatError(label, None, f"several data.pkl records: {', '.join(sorted(pkls))}")
    prefix = pkls[0][: -len("data.pkl")]
    byteorder = "little"
    if prefix + "byteorder" in infos:
        _check_record_size(buf, infos[prefix + "byteorder"], 16)
        byteorder = zf.read(prefix + "byteorder").decode("ascii", "replace").strip()
        if byteorder not in ("little", "big"):
            raise FormatError(label, None, f"unknown byteorder record {byteorder!r}")
    _check_record_size(buf, infos[pkls[0]], _MAX_PICKLE_BYTES)
    data_pkl = zf.read(pkls[0])
    cache: dict[str, _Storage] = {}

    def load_storage(key: str, numel: int, dtype: np.dtype | None) -> _Storage:
        if key in cache:
            return cache[key]
        rec = f"{prefix}data/{key}"
        info = infos.get(rec)
        if info is None:
            raise FormatError(label, None, f"missing storage record {rec!r}")
        nbytes = numel * (dtype.itemsize if dtype is not None else 1)
        if info.file_size != nbytes:
            raise FormatError(
                label, info.header_offset, f"storage record {rec!r} has {info.file_size} bytes, pickle says {nbytes}"
            )
        st = _Storage(_record_view(buf, zf, info), dtype, key)
        cache[key] = st
        return st

    _prescan(data_pkl)
    obj = _RestrictedUnpickler(data_pkl, load_storage, byteorder).load()
    state = _extract_state(label, obj)
    g = _state_to_graph(label, state)
    _validate(g, lambda msg: FormatError(label, None, msg))
    return g


def _describe(obj: Any) -> str:
    if isinstance(obj, dict):
        keys = ", ".join(repr(k) for k in list(obj)[:6])
        return f"a dict with keys [{keys}{', ...' if len(obj) > 6 else ''}]"
    if isinstance(obj, np.ndarray):
        return f"a tensor of shape {obj.shape}"
    return f"a {type(obj).__name__}"


def _extract_state(label: str, obj: Any) -> dict:
    if not isinstance(obj, _GraphStub):
        raise FormatError(label, None, f"not a GraphBolt FusedCSCSamplingGraph: the file holds {_describe(obj)}")
    outer = getattr(obj, "state", None)
    if not isinstance(outer, dict) or "_c_csc_graph" not in outer:
        raise FormatError(label, None, f"FusedCSCSamplingGraph state is {_describe(outer)}, expected '_c_csc_graph'")
    so = outer["_c_csc_graph"]
    if not isinstance(so, _ScriptObjectStub):
        raise FormatError(label, None, f"'_c_csc_graph' is {_describe(so)}, expected a torch.ScriptObject")
    st = getattr(so, "state", None)
    if not (isinstance(st, tuple) and len(st) == 2):
        raise FormatError(label, None, "ScriptObject state is not a (state, qualified name) pair")
    state, qual = st
    if qual != SCRIPT_QUALNAME:
        raise FormatError(label, None, f"ScriptObject class is {_short(qual)}, expected {SCRIPT_QUALNAME!r}")
    if not isinstance(state, dict):
        raise FormatError(label, None, f"graph state is {_describe(state)}, expected a dict")
    for k in state:
        if k not in _STATE_KEYS:
            raise FormatError(label, None, f"graph state has unknown key {_short(k)}")
    for k, v in state.items():
        if not isinstance(v, dict):
            raise FormatError(label, None, f"graph state[{k!r}] is {_describe(v)}, expected a dict")
        for kk, vv in v.items():
            if not isinstance(kk, str):
                raise FormatError(label, None, f"graph state[{k!r}] has a non-string key {_short(kk)}")
            if not isinstance(vv, np.ndarray):
                raise FormatError(label, None, f"graph state[{k!r}][{kk!r}] is {_describe(vv)}, expected a tensor")
    return state


def _state_to_graph(label: str, state: dict) -> GraphBoltGraph:
    if "independent_tensors" not in state:
        raise FormatError(label, None, "graph state has no 'independent_tensors'")
    ind = state["independent_tensors"]
    for k in ind:
        if k not in _INDEPENDENT_KEYS:
            raise FormatError(label, None, f"independent_tensors has unknown key {k!r}")
    for k in ("version_number", "indptr", "indices"):
        if k not in ind:
            raise FormatError(label, None, f"independent_tensors has no {k!r}")
    ver = ind["version_number"]
    if ver.size != 1 or ver.dtype.kind not in "iu":
        raise FormatError(label, None, f"version_number is not one integer (shape {ver.shape}, {ver.dtype})")
    version = int(ver.reshape(-1)[0])
    if version != PICKLE_VERSION:
        raise FormatError(label, None, f"unsupported GraphBolt pickle version_number {version} (expected {PICKLE_VERSION})")

    def id_map(key: str) -> dict[str, int] | None:
        if key not in state:
            return None
        out: dict[str, int] = {}
        for n, t in state[key].items():
            if t.size != 1 or t.dtype.kind not in "iu":
                raise FormatError(label, None, f"{key}[{n!r}] is not one integer (shape {t.shape}, {t.dtype})")
            out[n] = int(t.reshape(-1)[0])
        return out

    return GraphBoltGraph(
        indptr=ind["indptr"],
        indices=ind["indices"],
        node_type_offset=ind.get("node_type_offset"),
        type_per_edge=ind.get("type_per_edge"),
        node_type_to_id=id_map("node_type_to_id"),
        edge_type_to_id=id_map("edge_type_to_id"),
        node_attributes=dict(state.get("node_attributes", {})),
        edge_attributes=dict(state.get("edge_attributes", {})),
        version_number=version,
    )


# ----------------------------------------------------------------------------------------
# validation (shared by reader and writer)


def _validate(g: GraphBoltGraph, err: Callable[[str], Exception]) -> None:
    def int1d(name: str, a: Any) -> np.ndarray:
        if not isinstance(a, np.ndarray):
            raise err(f"{name} is {type(a).__name__}, expected a numpy array")
        if a.ndim != 1 or a.dtype.kind not in "iu":
            raise err(f"{name} must be a 1-D integer array, got shape {a.shape} dtype {a.dtype}")
        return a

    indptr = int1d("indptr", g.indptr)
    indices = int1d("indices", g.indices)
    if len(indptr) < 1:
        raise err("indptr is empty (length must be num_nodes+1)")
    n, m = len(indptr) - 1, len(indices)
    if int(indptr[0]) != 0:
        raise err(f"indptr[0] is {int(indptr[0])}, expected 0")
    if n and np.any(indptr[1:] < indptr[:-1]):
        bad = int(np.flatnonzero(indptr[1:] < indptr[:-1])[0])
        raise err(f"indptr is not monotone: indptr[{bad + 1}]={int(indptr[bad + 1])} < indptr[{bad}]={int(indptr[bad])}")
    if int(indptr[-1]) != m:
        raise err(f"indptr[-1] is {int(indptr[-1])} but there are {m} indices")
    if m and (int(indices.min()) < 0 or int(indices.max()) >= n):
        raise err(f"indices out of range [0, {n}): min {int(indices.min())}, max {int(indices.max())}")

    for what, mp in (("node_type_to_id", g.node_type_to_id), ("edge_type_to_id", g.edge_type_to_id)):
        if mp is None:
            continue
        if not isinstance(mp, dict) or not all(isinstance(k, str) and type(v) is int for k, v in mp.items()):
            raise err(f"{what} must map str to int")
        ids = list(mp.values())
        if any(v < 0 for v in ids) or len(set(ids)) != len(ids):
            raise err(f"{what} ids must be distinct and >= 0, got {sorted(ids)}")

    if g.node_type_offset is not None:
        nto = int1d("node_type_offset", g.node_type_offset)
        if g.node_type_to_id is not None and len(nto) != len(g.node_type_to_id) + 1:
            raise err(f"node_type_offset has {len(nto)} entries, expected {len(g.node_type_to_id) + 1}")
        if len(nto) < 1 or int(nto[0]) != 0 or int(nto[-1]) != n or np.any(nto[1:] < nto[:-1]):
            raise err(f"node_type_offset must rise monotonically from 0 to num_nodes={n}")
    if g.type_per_edge is not None:
        tpe = int1d("type_per_edge", g.type_per_edge)
        if len(tpe) != m:
            raise err(f"type_per_edge has {len(tpe)} entries, expected num_edges={m}")
        if g.edge_type_to_id is None:
            raise err("type_per_edge is set but edge_type_to_id is not")
        if m:
            lim = max(g.edge_type_to_id.values(), default=-1)
            if int(tpe.min()) < 0 or int(tpe.max()) > lim:
                raise err(f"type_per_edge values out of range [0, {lim}]: min {int(tpe.min())}, max {int(tpe.max())}")

    for what, attrs, count in (("node_attributes", g.node_attributes, n), ("edge_attributes", g.edge_attributes, m)):
        if not isinstance(attrs, dict):
            raise err(f"{what} must be a dict")
        for k, a in attrs.items():
            if not isinstance(k, str):
                raise err(f"{what} has a non-string key {_short(k)}")
            if not isinstance(a, np.ndarray):
                raise err(f"{what}[{k!r}] is {type(a).__name__}, expected a numpy array")
            if a.ndim < 1 or a.shape[0] != count:
                raise err(f"{what}[{k!r}] has shape {a.shape}, expected first dimension {count}")
    if g.version_number != PICKLE_VERSION:
        raise err(f"version_number is {g.version_number}, expected {PICKLE_VERSION}")


# ----------------------------------------------------------------------------------------
# writing

_SAVE_LOCK = threading.Lock()


def _make_fake_class() -> type:
    def __reduce_ex__(self: Any, protocol: int) -> tuple:
        return (copyreg.__newobj__, (type(self),), {"_c_csc_graph": self._c_csc_graph})

    cls = type(GRAPHBOLT_CLASS, (), {"__reduce_ex__": __reduce_ex__, "__module__": GRAPHBOLT_MODULE})
    cls.__qualname__ = GRAPHBOLT_CLASS
    return cls


_FakeGraph = _make_fake_class()


class _ScriptObjectWriter:
    """Pickles as DGL's ``torch.ScriptObject`` does: NEWOBJ ScriptObject, BUILD (state, qualname)."""

    def __init__(self, state: dict, script_object: type) -> None:
        self._state = state
        self._so = script_object

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # pickle checks that args[0] of __newobj__ is obj.__class__
        return self._so

    def __reduce_ex__(self, protocol: int) -> tuple:
        return (copyreg.__newobj__, (self._so,), (self._state, SCRIPT_QUALNAME))


class _fake_dgl_modules:
    """Register the stand-in module chain in ``sys.modules`` (caller holds _SAVE_LOCK)."""

    def __enter__(self) -> None:
        parts = GRAPHBOLT_MODULE.split(".")
        names = [".".join(parts[: i + 1]) for i in range(len(parts))]
        self._saved = {n: sys.modules.get(n) for n in names}
        leaf = types.ModuleType(GRAPHBOLT_MODULE)
        setattr(leaf, GRAPHBOLT_CLASS, _FakeGraph)
        for n in names[:-1]:
            if n not in sys.modules:
                sys.modules[n] = types.ModuleType(n)
        sys.modules[GRAPHBOLT_MODULE] = leaf

    def __exit__(self, *exc: Any) -> None:
        for n, mod in self._saved.items():
            if mod is None:
                sys.modules.pop(n, None)
            else:
                sys.modules[n] = mod


def _to_tensor(torch: Any, name: str, a: np.ndarray) -> Any:
    if a.dtype.kind not in _WRITABLE_KINDS and a.dtype != np.uint8:
        raise ValueError(f"{name}: dtype {a.dtype} cannot be stored (DGL's torch cannot load it)")
    if a.dtype.kind == "u" and a.dtype != np.uint8:
        raise ValueError(f"{name}: dtype {a.dtype} cannot be stored (torch < 2.3 has no {a.dtype})")
    a = np.array(a, dtype=a.dtype.newbyteorder("="), order="C", copy=True)
    return torch.from_numpy(a)


# ----------------------------------------------------------------------------------------
# conversion


def graphbolt_to_coo(g: GraphBoltGraph) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Expand the CSC adjacency into COO ``(src, dst, csc_order)`` (all int64).

    Edges come in DGL local-EID order when ``edge_attributes['_dgl2gb_eid']`` (DGL
    local EID -> CSC position, written by DGL >= 2.3 with COO) is present and a valid
    permutation, otherwise in CSC order.  ``csc_order[i]`` is the CSC position of
    edge ``i``, so ``g.edge_attributes[k][csc_order]`` lines attributes up with
    ``src``/``dst``.
    """
    indptr = np.asarray(g.indptr, dtype=np.int64)
    src = np.asarray(g.indices, dtype=np.int64)
    n = len(indptr) - 1
    m = len(src)
    dst = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
    perm = g.edge_attributes.get("_dgl2gb_eid")
    if isinstance(perm, np.ndarray) and perm.ndim == 1 and len(perm) == m and m and perm.dtype.kind in "iu":
        p = perm.astype(np.int64)
        if int(p.min()) >= 0 and int(p.max()) < m:
            seen = np.zeros(m, dtype=bool)
            seen[p] = True
            if seen.all():
                return src[p], dst[p], p
    return src, dst, np.arange(m, dtype=np.int64)
