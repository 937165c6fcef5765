"""What the ``zarr`` backend lets zarr-python read: the rules of SPEC.md section 11 for Zarr stores.

zarr-python trusts its store.  gpf reads every store through :class:`GuardedStore`, which sits between
zarr-python and the real store (a local folder or an fsspec URL) and enforces, for every key zarr asks
for:

* the key is a plain relative path (no ``..``, ``.``, empty or absolute segments, no ``\\`` or NUL: a
  consolidated-metadata listing could otherwise name ``../../etc/passwd``); on a local disk the file it
  names resolves (through symlinks) inside the store root and is a regular file (a FIFO would block);
* a metadata document (``zarr.json``) is at most :data:`~gpf.limits.MAX_JSON_BYTES` and passes the same
  bounded JSON loader as the partition config (depth, duplicate keys, NaN);
* an array declares no storage transformer, only codecs of :data:`~gpf.limits.ZARR_CODECS`, chunks of at
  most :data:`~gpf.limits.ZARR_MAX_CHUNK_BYTES` and shards of at most
  :data:`~gpf.limits.ZARR_MAX_SHARD_CHUNKS` chunks.

:func:`guarded_array` then swaps each decompressing codec of an array for one that checks, before it
decompresses a chunk, that the chunk cannot expand past the size its declared chunk shape gives (zstd:
every frame states its size; blosc: the header does; gzip: decompressed in bounded steps), so a chunk of
a few hundred bytes cannot make gigabytes.  :func:`check_backed` refuses a whole-array read whose declared
size the stored chunk objects cannot back.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import stat
import zlib
from typing import Any

import numpy as np

from gpf.errors import ConfigError, FileKindError, FormatError, PathEscapeError
from gpf.files import file_kind
from gpf.limits import (
    MAX_JSON_BYTES,
    ZARR_CODECS,
    ZARR_MAX_CHUNK_BYTES,
    ZARR_MAX_RATIO,
    ZARR_MAX_ROW_BYTES,
    ZARR_MAX_SHARD_CHUNKS,
)

__all__ = ["GuardedStore", "guarded_store", "guarded_array", "check_backed", "check_key_path"]

_META_NAMES = ("zarr.json", ".zarray", ".zgroup", ".zattrs", ".zmetadata")


def check_key_path(key: str, where: str) -> None:
    """Refuse a store key that is not a plain relative path."""
    segs = key.split("/")
    if not key or key.startswith("/") or "\\" in key or "\x00" in key or any(s in ("", ".", "..") for s in segs):
        raise PathEscapeError(f"{where}/{key}", None, f"Zarr key {key!r} is not a plain relative path inside the "
                              "store (refused)")


def _within(real: str, real_root: str) -> bool:
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def _metadata_problem(doc: Any) -> str | None:
    """Why a decoded ``zarr.json`` is refused, or None."""
    if not isinstance(doc, dict):
        return "metadata is not a JSON object"
    if doc.get("zarr_format") != 3:
        return f"zarr_format is {doc.get('zarr_format')!r}, gpf reads Zarr v3 only"
    if doc.get("node_type") != "array":
        return None
    if doc.get("storage_transformers"):
        return "the array declares storage transformers (gpf reads none: refused)"
    problem = _codecs_problem(doc.get("codecs"))
    if problem:
        return problem
    chunks = ((doc.get("chunk_grid") or {}).get("configuration") or {}).get("chunk_shape")
    if not (isinstance(chunks, (list, tuple)) and all(type(c) is int and c >= 0 for c in chunks)):
        return f"chunk_grid has no valid regular chunk_shape ({_short(chunks)})"
    enc = doc.get("chunk_key_encoding") or {}
    sep = (enc.get("configuration") or {}).get("separator", "/" if enc.get("name") == "default" else ".")
    if enc.get("name") not in ("default", "v2") or sep not in ("/", "."):
        return f"chunk_key_encoding {_short(enc)} is not one gpf reads"
    return None


def _codecs_problem(codecs: Any, depth: int = 0) -> str | None:
    if not isinstance(codecs, (list, tuple)) or depth > 2:
        return f"codecs is {_short(codecs)}, expected a list"
    for c in codecs:
        name = c.get("name") if isinstance(c, dict) else c
        if name not in ZARR_CODECS:
            return f"codec {_short(name)} is not one gpf decodes ({', '.join(sorted(ZARR_CODECS))})"
        if name == "sharding_indexed":
            conf = c.get("configuration") or {} if isinstance(c, dict) else {}
            for key in ("codecs", "index_codecs"):
                problem = _codecs_problem(conf.get(key), depth + 1)
                if problem:
                    return f"sharding {key}: {problem}"
    return None


def _short(value: Any) -> str:
    import reprlib

    r = reprlib.Repr()
    r.maxlevel, r.maxstring, r.maxother = 3, 60, 60
    return r.repr(value)


def _guard_json(data: bytes, label: str) -> None:
    from gpf.spec.io import decode_config_json

    if len(data) > MAX_JSON_BYTES:
        raise FormatError(label, None, f"Zarr metadata is {len(data)} bytes, over the {MAX_JSON_BYTES}-byte limit")
    try:
        doc = decode_config_json(data, source=label)
    except ConfigError as e:
        raise FormatError(label, None, f"Zarr metadata refused: {e.message}") from None
    problem = _metadata_problem(doc)
    if problem:
        raise FormatError(label, None, f"Zarr metadata refused: {problem}")


def _make_store_class():
    from zarr.storage import WrapperStore

    class _Guarded(WrapperStore):
        """A store that refuses what SPEC 11 refuses (see the module docstring); read-only."""

        def __init__(self, store, label: str = "", local_root: str | None = None) -> None:
            super().__init__(store)
            self._label = label
            self._local_root = local_root
            self._real_root = os.path.realpath(local_root) if local_root is not None else ""
            self._folders: dict[str, bool] = {}

        def _with_store(self, store):
            return type(self)(store, self._label, self._local_root)

        def _check(self, key: str) -> None:
            check_key_path(key, self._label)
            if self._local_root is None:
                return
            path = os.path.join(self._local_root, *key.split("/"))
            try:
                mode = os.lstat(path).st_mode  # one call per chunk: folders are checked once (_folder_inside)
            except FileNotFoundError:
                return  # a missing key: zarr's own answer (None, a fill-value chunk)
            except OSError as exc:
                raise FormatError(path, None, f"cannot read: {exc.strerror or exc}") from None
            if stat.S_ISLNK(mode) or not self._folder_inside(os.path.dirname(path)):
                real = os.path.realpath(path)
                if not _within(real, self._real_root):
                    raise PathEscapeError(path, None, f"Zarr key {key!r} resolves to {real!r}, outside the store "
                                          "(refused: nothing outside the dataset root is read)")
                try:
                    mode = os.stat(path).st_mode
                except OSError as exc:
                    raise FormatError(path, None, f"cannot read: {exc.strerror or exc}") from None
            if not stat.S_ISREG(mode):
                raise FileKindError(path, None, f"Zarr key {key!r} is {file_kind(mode)}, expected a regular file")
            if key.rsplit("/", 1)[-1] in _META_NAMES and os.stat(path).st_size > MAX_JSON_BYTES:
                raise FormatError(path, None, f"Zarr metadata is {os.stat(path).st_size} bytes, over the "
                                  f"{MAX_JSON_BYTES}-byte limit")

        def _folder_inside(self, folder: str) -> bool:
            """True when ``folder`` resolves inside the store (remembered: a chunk folder holds many chunks)."""
            ok = self._folders.get(folder)
            if ok is None:
                ok = self._folders[folder] = _within(os.path.realpath(folder), self._real_root)
            return ok

        async def get(self, key, prototype=None, byte_range=None):
            self._check(key)
            meta = key.rsplit("/", 1)[-1] in _META_NAMES
            buf = await self._store.get(key, prototype, byte_range)
            if meta and buf is not None:
                _guard_json(buf.to_bytes(), f"{self._label}/{key}")
            return buf

        async def get_partial_values(self, prototype, key_ranges):
            key_ranges = list(key_ranges)
            for key, _range in key_ranges:
                self._check(key)
                if key.rsplit("/", 1)[-1] in _META_NAMES:
                    raise FormatError(f"{self._label}/{key}", None, "partial read of a metadata document refused")
            return await self._store.get_partial_values(prototype, key_ranges)

        async def set(self, key, value):  # read-only: gpf never writes through a guarded store
            raise FormatError(f"{self._label}/{key}", None, "the store is opened read-only")

        async def delete(self, key):
            raise FormatError(f"{self._label}/{key}", None, "the store is opened read-only")

    return _Guarded


_STORE_CLASS: list[type] = []


def GuardedStore(store, label: str = "", local_root: str | None = None):  # noqa: N802 - a class, made lazily
    """Wrap a zarr ``store`` (see the module docstring); ``local_root``: its folder when it is on a local disk."""
    if not _STORE_CLASS:
        _STORE_CLASS.append(_make_store_class())
    return _STORE_CLASS[0](store, label, local_root)


def guarded_store(root: str):
    """The read-only guarded store over ``root`` (a local folder or an fsspec URL)."""
    from gpf.sdk import paths

    if paths.is_url(root):
        from zarr.storage import FsspecStore

        return GuardedStore(FsspecStore.from_url(root, read_only=True), root, None)
    from zarr.storage import LocalStore

    local = root[len("file://"):] if root.startswith("file://") else root
    return GuardedStore(LocalStore(local, read_only=True), root, local)


# -- codecs ---------------------------------------------------------------------------------------
def _chunk_nbytes(chunk_spec) -> int:
    dtype = chunk_spec.dtype.to_native_dtype() if hasattr(chunk_spec.dtype, "to_native_dtype") else chunk_spec.dtype
    return int(np.prod(chunk_spec.shape, dtype=object)) * np.dtype(dtype).itemsize


_SLACK = 64  # a checksum codec adds a few bytes to what a compressor holds


def _zstd_sizes(data: bytes) -> int:
    """The total content size the zstd frames of ``data`` declare; FormatError when a frame declares none."""
    pos, total = 0, 0
    while pos < len(data):
        if len(data) - pos < 6:
            raise ValueError("truncated zstd frame header")
        magic = int.from_bytes(data[pos:pos + 4], "little")
        if 0x184D2A50 <= magic <= 0x184D2A5F:  # a skippable frame
            pos += 8 + int.from_bytes(data[pos + 4:pos + 8], "little")
            continue
        if magic != 0xFD2FB528:
            raise ValueError("not a zstd frame")
        fhd = data[pos + 4]
        fcs_flag, single, did_flag = fhd >> 6, (fhd >> 5) & 1, fhd & 3
        at = pos + 5 + (0 if single else 1) + (0, 1, 2, 4)[did_flag]
        n = (1 if single else 0, 2, 4, 8)[fcs_flag]
        if n == 0:
            raise ValueError("a zstd frame does not declare its content size")
        size = int.from_bytes(data[at:at + n], "little") + (256 if n == 2 else 0)
        total += size
        # the frame's blocks: walk their headers to find the next frame
        at += n
        while True:
            if at + 3 > len(data):
                raise ValueError("truncated zstd block")
            head = int.from_bytes(data[at:at + 3], "little")
            last, btype, bsize = head & 1, (head >> 1) & 3, head >> 3
            at += 3 + (1 if btype == 1 else bsize)
            if last:
                break
        if fhd & 4:  # content checksum
            at += 4
        pos = at
    return total


def _make_codec_classes() -> dict[str, type]:
    from zarr.codecs import BloscCodec, GzipCodec, ZstdCodec

    def bounded(base: type, check):
        class Bounded(base):  # type: ignore[misc, valid-type]
            def _decode_sync(self, chunk_bytes, chunk_spec):
                limit = _chunk_nbytes(chunk_spec) + _SLACK
                out = check(self, chunk_bytes.to_bytes(), limit)
                if out is not None:
                    return chunk_spec.prototype.buffer.from_bytes(out)
                return super()._decode_sync(chunk_bytes, chunk_spec)

            async def _decode_single(self, chunk_bytes, chunk_spec):
                return await asyncio.to_thread(self._decode_sync, chunk_bytes, chunk_spec)  # as zarr's own

        Bounded.__name__ = Bounded.__qualname__ = f"Bounded{base.__name__}"
        return Bounded

    def zstd(_codec, data: bytes, limit: int):
        try:
            size = _zstd_sizes(data)
        except (ValueError, IndexError) as exc:
            raise _Bomb(f"zstd chunk refused: {exc}") from None
        if size > limit:
            raise _Bomb(f"zstd chunk declares {size} bytes, more than its chunk's {limit - _SLACK}")
        return None

    def blosc(_codec, data: bytes, limit: int):
        if len(data) < 16:
            raise _Bomb("blosc chunk shorter than its header")
        nbytes = int.from_bytes(data[4:8], "little")
        cbytes = int.from_bytes(data[12:16], "little")
        if nbytes > limit:
            raise _Bomb(f"blosc chunk declares {nbytes} bytes, more than its chunk's {limit - _SLACK}")
        if cbytes != len(data):
            raise _Bomb(f"blosc chunk header says {cbytes} compressed bytes, the chunk has {len(data)}")
        return None

    def gzip(_codec, data: bytes, limit: int):
        out = bytearray()
        rest = data
        while rest:
            d = zlib.decompressobj(wbits=47)  # gzip or zlib header
            try:
                out += d.decompress(rest, limit + 1 - len(out))
            except zlib.error as exc:
                raise _Bomb(f"gzip chunk does not decode: {exc}") from None
            if len(out) > limit or d.unconsumed_tail:
                raise _Bomb(f"gzip chunk expands past its chunk's {limit - _SLACK} bytes")
            if not d.eof:
                raise _Bomb("gzip chunk is truncated")
            rest = d.unused_data
        return bytes(out)

    return {"zstd": bounded(ZstdCodec, zstd), "blosc": bounded(BloscCodec, blosc), "gzip": bounded(GzipCodec, gzip)}


class _Bomb(ValueError):
    """A chunk that would decompress past its declared size."""


_CODEC_CLASSES: dict[str, type] = {}


def _guard_codecs(codecs) -> tuple:
    from zarr.codecs import BloscCodec, GzipCodec, ShardingCodec, ZstdCodec

    if not _CODEC_CLASSES:
        _CODEC_CLASSES.update(_make_codec_classes())
    out = []
    for c in codecs:
        for base, name in ((ZstdCodec, "zstd"), (BloscCodec, "blosc"), (GzipCodec, "gzip")):
            if type(c) is base:
                fields = {f.name: getattr(c, f.name) for f in dataclasses.fields(c) if f.init}
                c = _rebuild(_CODEC_CLASSES[name], c, fields)
                break
        if isinstance(c, ShardingCodec):
            c = dataclasses.replace(c, codecs=_guard_codecs(c.codecs), index_codecs=_guard_codecs(c.index_codecs))
        out.append(c)
    return tuple(out)


def _rebuild(cls: type, codec: Any, fields: dict) -> Any:
    """An instance of ``cls`` (a subclass of ``codec``'s frozen dataclass) holding ``codec``'s fields."""
    new: Any = object.__new__(cls)
    for k, v in vars(codec).items() if hasattr(codec, "__dict__") else ():
        object.__setattr__(new, k, v)
    for k, v in fields.items():
        object.__setattr__(new, k, v)
    return new


def guarded_array(a, where: str):
    """``a`` (a zarr Array) with its decompressing codecs bounded by the declared chunk size, after
    checking its chunk and shard sizes."""
    import zarr
    from zarr.core.array import AsyncArray
    from zarr.core.metadata.v3 import ArrayV3Metadata

    meta = a.metadata
    if not isinstance(meta, ArrayV3Metadata):
        raise FormatError(where, None, "not a Zarr v3 array")
    problem = _metadata_problem(meta.to_dict())  # again on the parsed form, wherever zarr-python took it from
    if problem:
        raise FormatError(where, None, f"Zarr metadata refused: {problem}")
    itemsize = np.dtype(meta.data_type.to_native_dtype()).itemsize
    chunk = tuple(int(c) for c in a.chunks)
    chunk_bytes = int(np.prod(chunk, dtype=object)) * itemsize
    shards = getattr(a, "shards", None)
    if shards is not None:
        per_shard = int(np.prod([-(-int(s) // max(1, int(c))) for s, c in zip(shards, chunk)], dtype=object))
        if per_shard > ZARR_MAX_SHARD_CHUNKS:
            raise FormatError(where, None, f"shards of {per_shard} chunks, over the {ZARR_MAX_SHARD_CHUNKS} limit")
    row_bytes = int(np.prod(a.shape[1:], dtype=object)) * itemsize
    if row_bytes > ZARR_MAX_ROW_BYTES:
        raise FormatError(where, None, f"array of shape {tuple(a.shape)} has rows of {row_bytes} bytes, over the "
                          f"{ZARR_MAX_ROW_BYTES}-byte limit for a row")
    if chunk_bytes > ZARR_MAX_CHUNK_BYTES:
        raise FormatError(where, None, f"chunks of shape {chunk} ({chunk_bytes} bytes) are over the "
                          f"{ZARR_MAX_CHUNK_BYTES}-byte limit for a chunk")
    safe = dataclasses.replace(meta, codecs=_guard_codecs(meta.codecs))
    inner = a._async_array
    return zarr.Array(AsyncArray(safe, inner.store_path, inner.config))


def check_backed(a, where: str, stored: int, rows: int | None = None) -> None:
    """Refuse reading the whole of ``a`` when its declared bytes exceed what ``stored`` bytes of chunk
    objects can hold (:data:`~gpf.limits.ZARR_MAX_RATIO` times, plus one chunk: a chunk of fill values
    is not stored), unless ``rows`` (a count already backed by another array) gives its length and its
    rows are narrow (at most 64 bytes: a flag, type or owner per node may be all fill values)."""
    itemsize = np.dtype(a.metadata.data_type.to_native_dtype()).itemsize
    declared = int(np.prod(a.shape, dtype=object)) * itemsize
    chunk = int(np.prod(a.chunks, dtype=object)) * itemsize
    if rows is not None and a.shape and int(a.shape[0]) == rows and declared <= 64 * max(rows, 1):
        return
    if declared > ZARR_MAX_RATIO * stored + chunk:
        raise FormatError(where, None, f"array of shape {tuple(a.shape)} claims {declared} bytes but its chunks "
                          f"store {stored} bytes (at most {ZARR_MAX_RATIO}:1 is decoded)")
