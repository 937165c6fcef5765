"""A restricted, bounded unpickler for the pickle of a ``torch.save`` archive: it never executes code.

:class:`RestrictedUnpickler` is a :class:`pickle.Unpickler` whose ``find_class`` allows only:

* the classes its caller names (mapped to the caller's inert stubs, e.g. GraphBolt's
  ``FusedCSCSamplingGraph`` and ``torch.ScriptObject``, see :mod:`gpf.sdk.codecs.graphbolt`);
* ``torch._utils._rebuild_tensor_v2`` / ``_rebuild_tensor_v3``, the typed storage names
  (``torch.LongStorage`` ...), ``torch.storage.UntypedStorage`` and plain torch dtypes, all mapped to
  gpf's own numpy rebuilders, never to torch's code;
* ``collections.OrderedDict`` called with no arguments (torch's empty ``backward_hooks``).

Everything else raises :class:`~gpf.sdk.codecs.pickle_scan.PickleRefused` ("refusing to unpickle global
'os.system'") before anything is called.  Tensors are numpy arrays that are zero-copy, read-only views of
their storage's bytes; a tensor with more elements than its storage (stride-0 expansion) or reaching past
it is refused.  The caller bounds the stream first (:func:`~gpf.sdk.codecs.pickle_scan.prescan`) and
supplies the storages (:mod:`gpf.sdk.codecs.torch_archive` reads them from the zip).
"""

from __future__ import annotations

import collections
import functools
import io
import pickle
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from gpf.sdk.codecs.pickle_scan import PickleRefused, short_repr

__all__ = ["RestrictedUnpickler", "PickleStub", "Storage", "StorageLoader", "STORAGE_DTYPES", "TORCH_DTYPES"]


# torch storage class name -> numpy dtype (little-endian; byteorder applied later)
STORAGE_DTYPES: dict[str, np.dtype] = {
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
TORCH_DTYPES: dict[str, np.dtype] = {
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


class PickleStub:
    """Base of the inert stand-ins a caller maps its allowed classes to: it only keeps the pickled state."""

    state: Any = None

    def __setstate__(self, state: Any) -> None:
        self.state = state


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


class Storage:
    """One storage record of the archive: its bytes (a uint8 view), dtype (None: untyped bytes) and key."""

    __slots__ = ("raw", "dtype", "key")

    def __init__(self, raw: np.ndarray, dtype: np.dtype | None, key: str) -> None:
        self.raw = raw  # uint8 array of the record's bytes
        self.dtype = dtype
        self.key = key



def _check_bool(v: Any, what: str) -> None:
    if not isinstance(v, bool):
        raise PickleRefused(f"tensor rebuild: {what} is {type(v).__name__}, expected bool")


def _as_int_tuple(v: Any, what: str) -> tuple[int, ...]:
    if not isinstance(v, tuple) or not all(type(x) is int for x in v):
        raise PickleRefused(f"tensor rebuild: {what} is not a tuple of ints")
    if any(x < 0 for x in v):
        raise PickleRefused(f"tensor rebuild: negative {what} {v}")
    return v


def _make_array(storage: Any, offset: Any, size: Any, stride: Any, dtype: np.dtype, byteorder: str) -> np.ndarray:
    if not isinstance(storage, Storage):
        raise PickleRefused("tensor rebuild: first argument is not a storage")
    if type(offset) is not int or offset < 0:
        raise PickleRefused("tensor rebuild: bad storage offset")
    size = _as_int_tuple(size, "size")
    stride = _as_int_tuple(stride, "stride")
    if len(size) != len(stride):
        raise PickleRefused(f"tensor rebuild: size {size} and stride {stride} differ in length")
    if storage.raw.size % dtype.itemsize:
        raise PickleRefused(f"storage data/{storage.key}: {storage.raw.size} bytes is not a multiple of {dtype.itemsize}")
    flat = storage.raw.view(dtype.newbyteorder("<" if byteorder == "little" else ">"))
    numel = 1
    for s in size:
        numel *= s
    if numel == 0:
        return np.empty(size, dtype=dtype)
    last = offset + sum((n - 1) * st for n, st in zip(size, stride))
    if last >= flat.size:
        raise PickleRefused(
            f"tensor of size {size} at offset {offset} overruns storage data/{storage.key} of {flat.size} elements"
        )
    if numel > flat.size:
        raise PickleRefused(f"tensor of size {size} has more elements than storage data/{storage.key} ({flat.size})")
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


def _empty_ordered_dict(*args: Any, **kwargs: Any) -> collections.OrderedDict[Any, Any]:
    """``collections.OrderedDict`` as torch pickles it (empty, filled by SETITEMS whose keys the pre-scan checked)."""
    if args or kwargs:
        raise PickleRefused("OrderedDict built from arguments (torch pickles an empty one)")
    return collections.OrderedDict()


#: The reader of :class:`Storage` records: ``(key, element count, dtype or None for bytes) -> Storage``.
StorageLoader = Callable[[str, int, "np.dtype | None"], "Storage"]


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickle ``data`` allowing only tensors and the globals of ``classes`` (``(module, name) -> stub``).

    ``load_storage`` supplies the storage records the pickle refers to by persistent id; ``byteorder``
    ("little" or "big") is the archive's.  Refusals raise :class:`PickleRefused`."""

    def __init__(self, data: bytes, load_storage: StorageLoader, byteorder: str,
                 classes: Mapping[tuple[str, str], type] | None = None) -> None:
        super().__init__(io.BytesIO(data))
        self._load_storage = load_storage
        self._byteorder = byteorder
        self._classes = dict(classes or {})

    # -- tensor rebuilders (gpf's own; torch's are never called) --
    # Static, handed out bound to the byte order only: a bound method of the unpickler in its memo or
    # stack is a reference cycle the collector cannot see (the C unpickler does not traverse them).
    @staticmethod
    def _rebuild_v2(byteorder: str, storage: Any, offset: Any, size: Any, stride: Any, requires_grad: Any,
                    backward_hooks: Any, metadata: Any = None) -> np.ndarray:
        _check_bool(requires_grad, "requires_grad")
        if not isinstance(backward_hooks, dict) or backward_hooks:
            raise PickleRefused("tensor rebuild: backward hooks are not supported")
        if not isinstance(storage, Storage) or storage.dtype is None:
            raise PickleRefused("tensor rebuild v2: storage has no dtype")
        return _make_array(storage, offset, size, stride, storage.dtype, byteorder)

    @staticmethod
    def _rebuild_v3(byteorder: str, storage: Any, offset: Any, size: Any, stride: Any, requires_grad: Any,
                    backward_hooks: Any, dtype: Any, metadata: Any = None) -> np.ndarray:
        _check_bool(requires_grad, "requires_grad")
        if not isinstance(backward_hooks, dict) or backward_hooks:
            raise PickleRefused("tensor rebuild: backward hooks are not supported")
        if not isinstance(dtype, _TorchDType):
            raise PickleRefused("tensor rebuild v3: dtype argument is not a torch dtype")
        return _make_array(storage, offset, size, stride, dtype.dtype, byteorder)

    def find_class(self, module: str, name: str) -> Any:
        stub = self._classes.get((module, name))
        if stub is not None:
            return stub
        if module == "torch":
            if name in STORAGE_DTYPES:
                return _StorageType(name, STORAGE_DTYPES[name])
            if name in TORCH_DTYPES:
                return _TorchDType(name, TORCH_DTYPES[name])
        if module == "torch.storage" and name == "UntypedStorage":
            return _StorageType(name, None)
        if module == "torch._utils":
            if name == "_rebuild_tensor_v2":
                return functools.partial(self._rebuild_v2, self._byteorder)
            if name == "_rebuild_tensor_v3":
                return functools.partial(self._rebuild_v3, self._byteorder)
        if module == "collections" and name == "OrderedDict":
            return _empty_ordered_dict
        raise PickleRefused(f"refusing to unpickle global '{module}.{name}'")

    def persistent_load(self, pid: Any) -> Any:
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise PickleRefused(f"unsupported persistent id {short_repr(pid)}")
        _, stype, key, _location, numel = pid
        if not isinstance(stype, _StorageType) or not isinstance(key, str) or type(numel) is not int or numel < 0:
            raise PickleRefused(f"malformed storage persistent id {short_repr(pid)}")
        return self._load_storage(key, numel, stype.dtype)

