"""Read a ``torch.save`` zip archive without torch: the zip, its pickle and its storage records.

:func:`read_torch_archive` does **not** call ``torch.load`` and does not import torch.  It opens the zip
with :mod:`zipfile` (over a memory map for local files), bounds the pickle ``<archive>/data.pkl``
(:func:`~gpf.sdk.codecs.pickle_scan.prescan`), unpickles it with
:class:`~gpf.sdk.codecs.torch_unpickler.RestrictedUnpickler` and resolves the persistent storage ids
itself, so that tensors are zero-copy, read-only numpy views of the zip's stored (uncompressed, 64-byte
aligned) records.  Compressed storage records (torch never writes them; a possible zip bomb) are
refused, and no record is inflated before its claimed size is checked against the archive and
:data:`~gpf.limits.MAX_PICKLE_BYTES`.

Why not torch: ``torch.load(pickle_module=...)`` goes through torch's C++ zip reader (whose errors
are opaque ``RuntimeError``s and which has had crash bugs on corrupt input) and falls back to the
legacy non-zip unpickling path on arbitrary bytes; ``torch.load(weights_only=True)`` +
``add_safe_globals`` mutates process-wide allow-lists (not thread-safe), needs the stubs spelled as
torch's private ``(obj, "module.name")`` tuples, and its refusals are long ``UnpicklingError`` texts
whose wording changes between torch releases.  This reader behaves the same for every torch version
(or none installed) and turns every failure into one :class:`~gpf.errors.FormatError`.  Zip CRCs of
storage records are not re-checked (torch does not either); the pickle record is read through
:mod:`zipfile` and so is CRC-checked.
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import numpy as np

from gpf.errors import FormatError
from gpf.limits import MAX_PICKLE_BYTES
from gpf.sdk.codecs.buffer import Buffer
from gpf.sdk.codecs.pickle_scan import PickleRefused, prescan, short_repr
from gpf.sdk.codecs.torch_unpickler import RestrictedUnpickler, Storage

__all__ = ["read_torch_archive"]

T = TypeVar("T")

_MAX_PICKLE_BYTES = MAX_PICKLE_BYTES  # data.pkl holds no tensor data: DGL's are a few KB


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


def read_torch_archive(buf: Buffer, classes: Mapping[tuple[str, str], type], build: Callable[[Any], T]) -> T:
    """Unpickle the object of the ``torch.save`` archive in ``buf`` and return ``build(obj)``.

    ``classes`` maps the ``(module, name)`` globals allowed besides tensors to inert stubs
    (:class:`~gpf.sdk.codecs.torch_unpickler.PickleStub`).  Any problem (not a zip, truncated, no
    ``data.pkl``, a refused global or opcode, a failure in ``build``) raises
    :class:`~gpf.errors.FormatError` naming ``buf``.
    """
    label = buf.name
    if len(buf) < 22:
        raise FormatError(label, None, f"not a torch.save zip archive ({len(buf)} bytes)")
    try:
        zf = zipfile.ZipFile(_MemFile(buf.data))
    except Exception as exc:  # noqa: BLE001 - BadZipFile, NotImplementedError, OSError, struct.error...
        raise FormatError(label, None, f"not a torch.save zip archive ({short_repr(str(exc))})") from None
    try:
        return build(_load_zip(buf, zf, classes))
    except FormatError:
        raise
    except PickleRefused as exc:
        raise FormatError(label, None, str(exc)) from None
    except RecursionError:
        raise FormatError(label, None, "corrupt pickle stream: nesting too deep") from None
    except MemoryError:
        raise FormatError(label, None, "corrupt file: allocation failed while reading") from None
    except Exception as exc:  # noqa: BLE001 - any other failure is a malformed file
        raise FormatError(label, None, f"corrupt torch.save archive: {type(exc).__name__}: {short_repr(str(exc))}") from None
    finally:
        zf.close()


def _load_zip(buf: Buffer, zf: zipfile.ZipFile, classes: Mapping[tuple[str, str], type]) -> Any:
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
    cache: dict[str, Storage] = {}

    def load_storage(key: str, numel: int, dtype: np.dtype | None) -> Storage:
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
        st = Storage(_record_view(buf, zf, info), dtype, key)
        cache[key] = st
        return st

    prescan(data_pkl)
    return RestrictedUnpickler(data_pkl, load_storage, byteorder, classes).load()
