"""Primitives of DGL's binary serialization: a bounds-checked cursor and NDArrays.

DGL writes ``.dgl`` files with dmlc-core's serializer: little-endian, no padding,
``std::string`` = ``u64 length`` + bytes, ``std::vector<T>`` = ``u64 count`` +
elements, ``shared_ptr<T>`` = ``T`` itself.  An NDArray is::

    u64 0xDD5E40F096B4A13F  u64 reserved  i32 device_type(=1 CPU)  i32 device_id
    i32 ndim  u8 code  u8 bits  u16 lanes  i64 shape[ndim]  i64 nbytes  <nbytes raw bytes>

:class:`ByteReader` checks every size a file claims against the bytes that are
actually left *before* anything is allocated, so a corrupt or hostile file raises
:class:`~gpf.errors.FormatError` (with the file name and byte offset) instead of
``MemoryError`` or ``struct.error``.

Arrays read by :func:`read_ndarray` are read-only ``numpy.frombuffer`` views on the
buffer (zero-copy over an mmap).  They may be unaligned: numpy handles that.

bfloat16 (DGL dtype code 4, 16 bits) has no numpy dtype.  It is returned as the
structured dtype :data:`BFLOAT16` (one little-endian ``uint16`` field named
``"bfloat16"``, 2 bytes per element), which keeps the raw bits, zero-copy, and is
written back as bfloat16 by :func:`write_ndarray`.  ``arr.view("<u2")`` gives the
raw bits and :func:`bfloat16_to_float32` converts the values.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from typing import BinaryIO

import numpy as np

from gpf.errors import FormatError
from gpf.files import atomic_writer  # noqa: F401  (re-exported: the codecs write through it)
from gpf.sdk.codecs.buffer import Buffer

__all__ = [
    "MAGIC_GRAPHS",
    "MAGIC_TENSORS",
    "MAGIC_NDARRAY",
    "MAGIC_HETEROGRAPH",
    "MAGIC_IMMUTABLE_GRAPH",
    "MAGIC_UNITGRAPH",
    "MAGIC_CSR",
    "MAGIC_COO",
    "KNOWN_MAGICS",
    "BFLOAT16",
    "ByteReader",
    "read_ndarray",
    "read_named_tensors",
    "write_u8",
    "write_i64",
    "write_u64",
    "write_string",
    "write_ndarray",
    "write_named_tensors",
    "ndarray_dtype_code",
    "bfloat16_to_float32",
    "atomic_writer",
]

MAGIC_GRAPHS = 0xDD2E4FF046B4A13F
MAGIC_TENSORS = 0xDD5A9FBE3FA2443F
MAGIC_NDARRAY = 0xDD5E40F096B4A13F
MAGIC_HETEROGRAPH = 0xDD589FBE35224ABF
MAGIC_IMMUTABLE_GRAPH = 0xDD3C5FFE20046ABF
MAGIC_UNITGRAPH = 0xDD2E60F0F6B4A127
MAGIC_CSR = 0xDD6CD31205DFF127
MAGIC_COO = 0xDD61FFD305DFF127

#: What each magic number announces, for error messages.
KNOWN_MAGICS: dict[int, str] = {
    MAGIC_GRAPHS: "a DGL graph file (save_graphs)",
    MAGIC_TENSORS: "a DGL tensor file (save_tensors)",
    MAGIC_NDARRAY: "a DGL NDArray",
    MAGIC_HETEROGRAPH: "a DGL HeteroGraph",
    MAGIC_IMMUTABLE_GRAPH: "a DGL ImmutableGraph",
    MAGIC_UNITGRAPH: "a DGL UnitGraph",
    MAGIC_CSR: "a DGL CSRMatrix",
    MAGIC_COO: "a DGL COOMatrix",
}

#: numpy stand-in for bfloat16: the raw 16 bits in a one-field structured dtype.
BFLOAT16 = np.dtype([("bfloat16", "<u2")])

_NDARRAY_FIXED = 40  # magic, reserved, ctx, ndim, dtype, nbytes
_MAX_NDIM = 64  # numpy's limit
_MAX_NBYTES = 1 << 62

# (code, bits) -> numpy dtype; code 0 int, 1 uint, 2 float, 4 bfloat (DGL's DLDataTypeCode).
_DTYPES: dict[tuple[int, int], np.dtype] = {
    (0, 8): np.dtype("i1"),
    (0, 16): np.dtype("<i2"),
    (0, 32): np.dtype("<i4"),
    (0, 64): np.dtype("<i8"),
    (1, 8): np.dtype("u1"),
    (1, 16): np.dtype("<u2"),
    (1, 32): np.dtype("<u4"),
    (1, 64): np.dtype("<u8"),
    (2, 16): np.dtype("<f2"),
    (2, 32): np.dtype("<f4"),
    (2, 64): np.dtype("<f8"),
    (4, 16): BFLOAT16,
}
_KIND_CODE = {"i": 0, "u": 1, "f": 2}

_U8 = struct.Struct("<B")
_U16 = struct.Struct("<H")
_I32 = struct.Struct("<i")
_U64 = struct.Struct("<Q")
_I64 = struct.Struct("<q")
_NDHEAD = struct.Struct("<QQiiiBBH")


class ByteReader:
    """A little-endian read cursor over a :class:`Buffer` that never reads past its end.

    Every method takes ``what``, a short description used in error messages, and
    raises :class:`FormatError` naming the buffer and the byte offset of the item.
    """

    __slots__ = ("buf", "data", "name", "pos", "size")

    def __init__(self, buf: Buffer, pos: int = 0) -> None:
        self.buf = buf
        self.data = buf.data
        self.name = buf.name
        self.pos = pos
        self.size = len(buf.data)

    # -- errors and bounds ------------------------------------------------------------
    def error(self, message: str, offset: int | None = None) -> FormatError:
        """A :class:`FormatError` at ``offset`` (default: the current position)."""
        return FormatError(self.name, self.pos if offset is None else offset, message)

    @property
    def remaining(self) -> int:
        return self.size - self.pos

    def require(self, nbytes: int, what: str) -> None:
        """Raise unless ``nbytes`` more bytes are available."""
        if nbytes < 0 or nbytes > self.size - self.pos:
            raise self.error(
                f"truncated {what}: needs {nbytes} bytes, only {max(self.size - self.pos, 0)} left"
            )

    def seek(self, pos: int, what: str) -> None:
        """Move to absolute offset ``pos`` (which must lie inside the buffer)."""
        if pos < 0 or pos > self.size:
            raise self.error(f"{what} points to byte {pos}, outside the file of {self.size} bytes")
        self.pos = pos

    # -- scalars -----------------------------------------------------------------------
    def _scalar(self, st: struct.Struct, what: str) -> int:
        self.require(st.size, what)
        (value,) = st.unpack_from(self.data, self.pos)
        self.pos += st.size
        return int(value)

    def u8(self, what: str) -> int:
        return self._scalar(_U8, what)

    def u16(self, what: str) -> int:
        return self._scalar(_U16, what)

    def i32(self, what: str) -> int:
        return self._scalar(_I32, what)

    def u64(self, what: str) -> int:
        return self._scalar(_U64, what)

    def i64(self, what: str) -> int:
        return self._scalar(_I64, what)

    def raw(self, nbytes: int, what: str) -> memoryview:
        """The next ``nbytes`` bytes as a zero-copy memoryview."""
        self.require(nbytes, what)
        view = self.data[self.pos : self.pos + nbytes]
        self.pos += nbytes
        return view

    # -- composite -------------------------------------------------------------------
    def count(self, what: str, min_item_size: int) -> int:
        """A ``u64`` element count of a vector whose elements take ``min_item_size`` bytes or more.

        The count is checked against the bytes left, so a huge count fails at once.
        """
        start = self.pos
        n = self.u64(f"count of {what}")
        if n * min_item_size > self.size - self.pos:
            raise self.error(
                f"{what}: count {n} needs at least {n * min_item_size} bytes, "
                f"only {self.size - self.pos} left",
                start,
            )
        return n

    def string(self, what: str) -> str:
        """A dmlc ``std::string``: ``u64 length`` + UTF-8 bytes."""
        start = self.pos
        n = self.count(what, 1)
        raw = self.raw(n, what)
        try:
            return str(raw, "utf-8")
        except UnicodeDecodeError:
            raise self.error(f"{what} is not valid UTF-8", start) from None

    def strings(self, what: str) -> list[str]:
        """A ``vector<string>``."""
        n = self.count(what, 8)
        return [self.string(f"{what}[{i}]") for i in range(n)]

    def int64s(self, what: str) -> np.ndarray:
        """A ``vector<int64>`` as a read-only zero-copy int64 view."""
        n = self.count(what, 8)
        return _view(self.raw(8 * n, what), np.dtype("<i8"), n, (n,))

    def uint64s(self, what: str) -> np.ndarray:
        """A ``vector<uint64>`` as a read-only zero-copy uint64 view."""
        n = self.count(what, 8)
        return _view(self.raw(8 * n, what), np.dtype("<u8"), n, (n,))

    def magic(self, expected: int, what: str) -> None:
        """Read a ``u64`` magic number and raise unless it is ``expected``."""
        start = self.pos
        if self.size == 0:
            raise self.error(f"empty file, expected {what}", 0)
        found = self.u64(f"magic number of {what}")
        if found != expected:
            known = KNOWN_MAGICS.get(found)
            hint = f": this is {known}, not {what}" if known else ""
            raise self.error(
                f"expected {what} (magic 0x{expected:016X}), found 0x{found:016X}{hint}", start
            )


def _view(raw: memoryview, dtype: np.dtype, count: int, shape: tuple[int, ...]) -> np.ndarray:
    """A read-only array of ``shape`` over ``raw`` (zero-copy unless it is empty)."""
    if count == 0:
        arr = np.empty(shape, dtype=dtype)
    else:
        arr = np.frombuffer(raw, dtype=dtype, count=count).reshape(shape)
    arr.flags.writeable = False
    return arr


def read_ndarray(cur: ByteReader, what: str = "NDArray") -> np.ndarray:
    """Read one DGL NDArray at the cursor; return a read-only zero-copy view.

    Sizes are validated before any allocation: ``ndim`` against numpy's limit and
    the bytes left, every dimension non-negative, and ``nbytes`` equal to
    ``prod(shape) * itemsize`` and present in the buffer.
    """
    start = cur.pos
    cur.magic(MAGIC_NDARRAY, f"{what} (a DGL NDArray)")
    cur.require(_NDARRAY_FIXED - 8, f"header of {what}")
    _magic, _reserved, device_type, _device_id, ndim, code, bits, lanes = _NDHEAD.unpack_from(
        cur.data, start
    )
    cur.pos = start + _NDHEAD.size
    if device_type != 1:
        raise cur.error(f"{what}: device_type {device_type}, DGL only stores CPU arrays (1)", start + 16)
    if ndim < 0 or ndim > _MAX_NDIM:
        raise cur.error(f"{what}: invalid ndim {ndim} (must be 0..{_MAX_NDIM})", start + 24)
    dtype = _DTYPES.get((code, bits))
    if dtype is None or lanes != 1:
        raise cur.error(
            f"{what}: unsupported dtype code={code} bits={bits} lanes={lanes}", start + 28
        )
    shape_at = cur.pos
    cur.require(8 * ndim + 8, f"shape of {what}")
    shape = tuple(int(d) for d in np.frombuffer(cur.data, "<i8", ndim, shape_at)) if ndim else ()
    cur.pos = shape_at + 8 * ndim
    if any(d < 0 for d in shape):
        raise cur.error(f"{what}: negative dimension in shape {shape}", shape_at)
    count = 1
    nonzero = 1
    for d in shape:
        count *= d
        nonzero *= max(d, 1)
    if nonzero * dtype.itemsize > _MAX_NBYTES:
        raise cur.error(f"{what}: shape {shape} is impossibly large", shape_at)
    nbytes_at = cur.pos
    nbytes = cur.i64(f"byte size of {what}")
    if nbytes != count * dtype.itemsize:
        raise cur.error(
            f"{what}: byte size {nbytes} does not match shape {shape} x {dtype.itemsize} bytes",
            nbytes_at,
        )
    raw = cur.raw(nbytes, f"data of {what} ({nbytes} bytes, shape {shape})")
    return _view(raw, dtype, count, shape)


def read_named_tensors(
    cur: ByteReader, what: str, offsets: dict[str, int] | None = None
) -> dict[str, np.ndarray]:
    """A ``vector<pair<string, NDArray>>`` as an ordered dict (duplicate names are an error).

    When ``offsets`` is given it receives the byte offset of each named entry.
    """
    n = cur.count(what, 8 + _NDARRAY_FIXED)
    out: dict[str, np.ndarray] = {}
    for i in range(n):
        at = cur.pos
        name = cur.string(f"name of {what}[{i}]")
        if name in out:
            raise cur.error(f"{what}: duplicate tensor name {name!r}", at)
        out[name] = read_ndarray(cur, f"{what}[{name!r}]")
        if offsets is not None:
            offsets[name] = at
    return out


# -- writing ---------------------------------------------------------------------------


def write_u8(fh: BinaryIO, value: int) -> None:
    fh.write(_U8.pack(value))


def write_u64(fh: BinaryIO, value: int) -> None:
    fh.write(_U64.pack(value))


def write_i64(fh: BinaryIO, value: int) -> None:
    fh.write(_I64.pack(value))


def write_string(fh: BinaryIO, value: str) -> None:
    raw = value.encode("utf-8")
    fh.write(_U64.pack(len(raw)))
    fh.write(raw)


def ndarray_dtype_code(dtype: np.dtype) -> tuple[int, int, np.dtype]:
    """``(code, bits, little-endian storage dtype)`` for a numpy dtype; bool is stored as uint8."""
    dtype = np.dtype(dtype)
    if dtype == BFLOAT16:
        return 4, 16, BFLOAT16
    if dtype.kind == "b":
        return 1, 8, np.dtype("u1")
    code = _KIND_CODE.get(dtype.kind)
    if code is None or dtype.itemsize not in (1, 2, 4, 8) or (code == 2 and dtype.itemsize == 1):
        raise TypeError(f"DGL cannot store arrays of dtype {dtype}")
    return code, dtype.itemsize * 8, dtype.newbyteorder("<")


def write_ndarray(fh: BinaryIO, arr: np.ndarray) -> None:
    """Write ``arr`` as a DGL NDArray (C order, little-endian; bool as uint8), one data write."""
    arr = np.asarray(arr)
    code, bits, store = ndarray_dtype_code(arr.dtype)
    if arr.dtype != store:
        arr = arr.astype(store) if arr.dtype.kind != "b" else arr.view(store)
    if not arr.flags.c_contiguous:
        arr = arr.copy(order="C")  # (np.ascontiguousarray would turn 0-d into 1-d)
    fh.write(_NDHEAD.pack(MAGIC_NDARRAY, 0, 1, 0, arr.ndim, code, bits, 1))
    if arr.ndim:
        fh.write(struct.pack(f"<{arr.ndim}q", *arr.shape))
    fh.write(_I64.pack(arr.nbytes))
    if arr.nbytes:
        fh.write(arr.reshape(-1).view(np.uint8).data)


def write_named_tensors(fh: BinaryIO, tensors: Mapping[str, np.ndarray]) -> None:
    """Write a ``vector<pair<string, NDArray>>`` in the mapping's order."""
    write_u64(fh, len(tensors))
    for name, arr in tensors.items():
        if not isinstance(name, str):
            raise TypeError(f"tensor names must be str, got {type(name).__name__}")
        write_string(fh, name)
        write_ndarray(fh, arr)


def bfloat16_to_float32(arr: np.ndarray) -> np.ndarray:
    """Convert a :data:`BFLOAT16` (or raw ``uint16`` bits) array to float32 values."""
    bits = np.asarray(arr).view("<u2").astype("<u4") << 16
    return bits.view("<f4")


