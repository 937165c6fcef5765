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

A partition set is Zarr v3 only.  A store opened with ``zarr_formats=(2, 3)`` (the Zarr chunks of a
chunked-graph input) also reads a Zarr v2 array: its ``.zarray`` names a plain numeric dtype, no filters
and at most one compressor of :data:`~gpf.limits.ZARR_V2_COMPRESSORS`, bounded the same way.

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
import re
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
    ZARR_V2_COMPRESSORS,
)

__all__ = ["GuardedStore", "guarded_store", "guarded_array", "check_backed", "check_key_path", "stored_bytes",
           "settle_failed_read", "ChunkRefused"]

_META_NAMES = ("zarr.json", ".zarray", ".zgroup", ".zattrs", ".zmetadata")


def check_key_path(key: str, where: str) -> None:
    """Refuse a store key that is not a plain relative path."""
    segs = key.split("/")
    if not key or key.startswith("/") or "\\" in key or "\x00" in key or any(s in ("", ".", "..") for s in segs):
        raise PathEscapeError(f"{where}/{key}", None, f"Zarr key {key!r} is not a plain relative path inside the "
                              "store (refused)")


def _within(real: str, real_root: str) -> bool:
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def _metadata_problem(doc: Any, name: str = "zarr.json", formats: tuple[int, ...] = (3,)) -> str | None:
    """Why a decoded metadata document ``name`` (``zarr.json``; with Zarr v2 allowed also ``.zarray``,
    ``.zgroup``, ``.zattrs``, ``.zmetadata``) is refused, or None."""
    if not isinstance(doc, dict):
        return "metadata is not a JSON object"
    if name != "zarr.json":
        if 2 not in formats:
            return f"{name} is Zarr v2 metadata, gpf reads Zarr v3 only here"
        if name in (".zattrs", ".zmetadata"):
            return None  # attributes; a consolidated listing is never used to open an input array
        if doc.get("zarr_format") != 2:
            return f"zarr_format is {_short(doc.get('zarr_format'))} in {name}, expected 2"
        return _v2_array_problem(doc) if name == ".zarray" else None
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


_V2_DTYPE = re.compile(r"[<>|=]?(b1|[iu][1248]|f[248])")


def _v2_array_problem(doc: dict) -> str | None:
    """Why a Zarr v2 ``.zarray`` (or zarr-python's parsed form of one) is refused, or None."""
    dtype = doc.get("dtype")
    if not (isinstance(dtype, str) and _V2_DTYPE.fullmatch(dtype)):
        return f"dtype {_short(dtype)} is not a plain bool, int, uint or float dtype"
    shape: Any = doc.get("shape")
    chunks: Any = doc.get("chunks")
    for key, value in (("shape", shape), ("chunks", chunks)):
        if not (isinstance(value, (list, tuple)) and all(type(c) is int and c >= 0 for c in value)):
            return f"{key} is {_short(value)}, expected a list of sizes"
    if len(shape) != len(chunks):
        return f"shape {_short(shape)} and chunks {_short(chunks)} differ in length"
    if doc.get("filters"):
        return f"filters {_short(doc.get('filters'))} (gpf decodes no Zarr v2 filter: refused)"
    comp = doc.get("compressor")
    name = comp.get("id") if isinstance(comp, dict) else comp
    if comp is not None and name not in ZARR_V2_COMPRESSORS:
        return f"compressor {_short(name)} is not one gpf decodes ({', '.join(sorted(ZARR_V2_COMPRESSORS))})"
    if doc.get("order", "C") not in ("C", "F") or doc.get("dimension_separator", ".") not in (".", "/", None):
        return f"order {_short(doc.get('order'))} / dimension_separator {_short(doc.get('dimension_separator'))} " \
            "is not one gpf reads"
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


def _guard_json(data: bytes, label: str, formats: tuple[int, ...] = (3,)) -> None:
    from gpf.spec.io import decode_config_json

    if len(data) > MAX_JSON_BYTES:
        raise FormatError(label, None, f"Zarr metadata is {len(data)} bytes, over the {MAX_JSON_BYTES}-byte limit")
    try:
        doc = decode_config_json(data, source=label)
    except ConfigError as e:
        raise FormatError(label, None, f"Zarr metadata refused: {e.message}") from None
    problem = _metadata_problem(doc, label.rsplit("/", 1)[-1], formats)
    if problem:
        raise FormatError(label, None, f"Zarr metadata refused: {problem}")


def _make_store_class():
    from zarr.storage import WrapperStore

    class _Guarded(WrapperStore):
        """A store that refuses what SPEC 11 refuses (see the module docstring); read-only."""

        def __init__(self, store, label: str = "", local_root: str | None = None,
                     formats: tuple[int, ...] = (3,)) -> None:
            super().__init__(store)
            self._formats = formats
            self._label = label
            self._local_root = local_root
            self._real_root = os.path.realpath(local_root) if local_root is not None else ""
            self._folders: dict[str, bool] = {}

        def _with_store(self, store):
            return type(self)(store, self._label, self._local_root, self._formats)

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
                _guard_json(buf.to_bytes(), f"{self._label}/{key}", self._formats)
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


def GuardedStore(store, label: str = "", local_root: str | None = None,  # noqa: N802 - a class, made lazily
                 formats: tuple[int, ...] = (3,)):
    """Wrap a zarr ``store`` (see the module docstring); ``local_root``: its folder when it is on a local disk;
    ``formats``: the Zarr formats whose metadata is read (a partition set: v3 only)."""
    if not _STORE_CLASS:
        _STORE_CLASS.append(_make_store_class())
    return _STORE_CLASS[0](store, label, local_root, formats)


def guarded_store(root: str, formats: tuple[int, ...] = (3,)):
    """The read-only guarded store over ``root`` (a local folder or an fsspec URL)."""
    from gpf.sdk import paths

    if paths.is_url(root):
        from zarr.storage import FsspecStore

        return GuardedStore(FsspecStore.from_url(root, read_only=True), root, None, formats)
    from zarr.storage import LocalStore

    local = root[len("file://"):] if root.startswith("file://") else root
    return GuardedStore(LocalStore(local, read_only=True), root, local, formats)


def stored_bytes(root: str, skip: tuple[str, ...] = _META_NAMES) -> int:
    """Bytes of the chunk objects under ``root`` (a local folder or an fsspec URL), metadata documents
    (``skip``) excluded; symlinks count as their own size (what they point to is refused when read)."""
    from gpf.sdk import paths

    if paths.is_url(root):
        import fsspec

        fs, p = fsspec.core.url_to_fs(root)
        return int(sum(size for name, size in fs.du(p, total=False).items()
                       if name.rstrip("/").rsplit("/", 1)[-1] not in skip))
    local = root[len("file://"):] if root.startswith("file://") else root
    total = 0
    for dirpath, _dirs, files in os.walk(local):
        for f in files:
            if f not in skip:
                try:
                    total += os.lstat(os.path.join(dirpath, f)).st_size
                except OSError:
                    pass
    return total


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
        _zstd_check(data, limit)
        return None

    def blosc(_codec, data: bytes, limit: int):
        _blosc_check(data, limit)
        return None

    def gzip(_codec, data: bytes, limit: int):
        return _inflate(data, limit, "gzip")

    return {"zstd": bounded(ZstdCodec, zstd), "blosc": bounded(BloscCodec, blosc), "gzip": bounded(GzipCodec, gzip)}


def _zstd_check(data: bytes, limit: int) -> None:
    try:
        size = _zstd_sizes(data)
    except (ValueError, IndexError) as exc:
        raise _Bomb(f"zstd chunk refused: {exc}") from None
    if size > limit:
        raise _Bomb(f"zstd chunk declares {size} bytes, more than its chunk's {limit - _SLACK}")


def _blosc_check(data: bytes, limit: int) -> None:
    if len(data) < 16:
        raise _Bomb("blosc chunk shorter than its header")
    nbytes = int.from_bytes(data[4:8], "little")
    cbytes = int.from_bytes(data[12:16], "little")
    if nbytes > limit:
        raise _Bomb(f"blosc chunk declares {nbytes} bytes, more than its chunk's {limit - _SLACK}")
    if cbytes != len(data):
        raise _Bomb(f"blosc chunk header says {cbytes} compressed bytes, the chunk has {len(data)}")


def _inflate(data: bytes, limit: int, what: str) -> bytes:
    """gzip or zlib streams (one or more) inflated in bounded steps: at most ``limit`` bytes."""
    out = bytearray()
    rest = data
    while rest:
        d = zlib.decompressobj(wbits=47)  # gzip or zlib header
        try:
            out += d.decompress(rest, limit + 1 - len(out))
        except zlib.error as exc:
            raise _Bomb(f"{what} chunk does not decode: {exc}") from None
        if len(out) > limit or d.unconsumed_tail:
            raise _Bomb(f"{what} chunk expands past its chunk's {limit - _SLACK} bytes")
        if not d.eof:
            raise _Bomb(f"{what} chunk is truncated")
        rest = d.unused_data
    return bytes(out)


def _lz4_check(data: bytes, limit: int) -> None:
    if len(data) < 4:
        raise _Bomb("lz4 chunk shorter than its header")
    size = int.from_bytes(data[:4], "little")
    if size > limit:
        raise _Bomb(f"lz4 chunk declares {size} bytes, more than its chunk's {limit - _SLACK}")


class _BoundedV2:
    """A Zarr v2 (numcodecs) compressor whose output is bounded by the array's chunk size (decode only)."""

    def __init__(self, inner: Any, limit: int) -> None:
        self.inner, self.limit = inner, limit
        self.codec_id = inner.codec_id

    def decode(self, buf: Any, out: Any = None) -> Any:
        from numcodecs.compat import ensure_bytes, ensure_contiguous_ndarray

        data = ensure_bytes(ensure_contiguous_ndarray(buf))
        name = self.codec_id
        if name in ("gzip", "zlib"):
            return _inflate(data, self.limit, name)
        {"zstd": _zstd_check, "blosc": _blosc_check, "lz4": _lz4_check}[name](data, self.limit)
        return self.inner.decode(data, out)

    def encode(self, buf: Any) -> Any:
        raise FormatError("", None, "the store is opened read-only")

    def get_config(self) -> dict:
        return dict(self.inner.get_config())

    @classmethod
    def from_config(cls, config: dict) -> Any:  # never used: zarr rebuilds nothing from a bounded codec
        raise NotImplementedError


class _Bomb(ValueError):
    """A chunk that would decompress past its declared size."""


ChunkRefused = _Bomb


def settle_failed_read(timeout: float = 30.0) -> None:
    """Wait (at most ``timeout`` seconds) for the tasks on zarr-python's I/O loop to finish after a read
    failed: a failed gather leaves its sibling chunk reads running, and a task still pending when the
    process exits is reported by asyncio on stderr.  Nothing is cancelled (another thread's read may
    share the loop); every sibling's work is bounded by the rules above."""
    try:
        from zarr.core import sync as zsync
    except ImportError:
        return
    loop = zsync.loop[0]
    if loop is None or loop.is_closed():
        return

    async def wait_others() -> None:
        me = asyncio.current_task()
        others = [t for t in asyncio.all_tasks() if t is not me]
        if others:
            await asyncio.wait(others, timeout=timeout)

    try:
        asyncio.run_coroutine_threadsafe(wait_others(), loop).result(timeout + 1)
    except Exception:  # noqa: BLE001 - best effort: the read's own error is what gets reported
        pass


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
    checking its chunk and shard sizes.  A Zarr v2 array (opened through a store that allows v2) is
    checked by the rules of ``.zarray`` and its compressor bounded the same way."""
    import zarr
    from zarr.core.array import AsyncArray
    from zarr.core.metadata.v2 import ArrayV2Metadata
    from zarr.core.metadata.v3 import ArrayV3Metadata

    meta = a.metadata
    if isinstance(meta, ArrayV3Metadata):  # checked again on the parsed form, wherever zarr-python took it from
        problem = _metadata_problem(meta.to_dict())
    elif isinstance(meta, ArrayV2Metadata):
        problem = _v2_array_problem(meta.to_dict())
    else:
        raise FormatError(where, None, "not a Zarr v3 or v2 array")
    if problem:
        raise FormatError(where, None, f"Zarr metadata refused: {problem}")
    itemsize = np.dtype(a.dtype).itemsize
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
    if isinstance(meta, ArrayV2Metadata):
        comp = meta.compressor
        safe: Any = meta if comp is None else _rebuild(type(meta), meta, {"compressor": _BoundedV2(comp, chunk_bytes + _SLACK)})
    else:
        safe = dataclasses.replace(meta, codecs=_guard_codecs(meta.codecs))
    inner = a._async_array
    return zarr.Array(AsyncArray(safe, inner.store_path, inner.config))


def check_backed(a, where: str, stored: int, rows: int | None = None) -> None:
    """Refuse reading the whole of ``a`` when its declared bytes exceed what ``stored`` bytes of chunk
    objects can hold (:data:`~gpf.limits.ZARR_MAX_RATIO` times, plus one chunk: a chunk of fill values
    is not stored), unless ``rows`` (a count already backed by another array) gives its length and its
    rows are narrow (at most 64 bytes: a flag, type or owner per node may be all fill values)."""
    itemsize = np.dtype(a.dtype).itemsize
    declared = int(np.prod(a.shape, dtype=object)) * itemsize
    chunk = int(np.prod(a.chunks, dtype=object)) * itemsize
    if rows is not None and a.shape and int(a.shape[0]) == rows and declared <= 64 * max(rows, 1):
        return
    if declared > ZARR_MAX_RATIO * stored + chunk:
        raise FormatError(where, None, f"array of shape {tuple(a.shape)} claims {declared} bytes but its chunks "
                          f"store {stored} bytes (at most {ZARR_MAX_RATIO}:1 is decoded)")
