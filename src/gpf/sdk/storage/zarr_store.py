"""The ``zarr`` backend (zarr-python >= 3, Zarr format 3): one store for the whole set.

Layout of the store (a local folder or any fsspec URL: ``file://``, ``memory://``,
``s3://``, ``gs://``...)::

    zarr.json                     root group; attributes["gpf_config"] = the partition config
    part0/graph/src ...           the tree of :mod:`layout`, one Zarr array per array
    part0/node_feats/<ntype>/<name>
    ...

Each ``part-N`` entry of the config is ``{"gpf_backend": "zarr", "gpf_path": "partN"}``
(the group inside the store).  Feature arrays are chunked by rows (about 64 KiB per
chunk, or ``chunk_rows``) so a mini-batch gather reads little more than the rows it
needs, and sharded (``shard_rows``; by default 256 chunks per shard object when the store
is an object-store URL such as ``s3://``, none on a local disk or ``memory://``, where
sharding only adds an index read per chunk) so an object store holds few large objects;
the compressor is ``zstd[:level]`` (default),
``blosc[:level]`` (LZ4 with byte shuffle), ``blosc-zstd[:level]``, ``gzip[:level]``
or ``none``.  Graph and original-ID arrays are read whole and use 1 MiB chunks.

Node and edge features are returned as :class:`ZarrFeature` handles: nothing is read
until they are indexed; ``feat[rows]`` reads only the chunks holding ``rows``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np

from gpf.errors import ConfigError, FormatError, GpfError, UnsupportedError
from gpf.sdk import paths
from gpf.sdk.storage.base import Backend, PartGraph, materialize
from gpf.sdk.storage.layout import (
    GRAPH,
    as_stored,
    check_claim,
    check_feature,
    check_graph,
    check_key,
    default_chunk_rows,
    graph_arrays,
)

__all__ = ["ZarrFeature", "ZarrStore", "ZarrWriter", "zarr_compressors", "find_zarr_root", "read_zarr_config",
           "config_location", "BACKEND",
           "CONFIG_ATTR", "ROOT_META"]

CONFIG_ATTR = "gpf_config"
ROOT_META = "zarr.json"
_DTYPE_ATTR = "gpf_dtype"
_SHARD_CHUNKS = 256


def _local(url: str) -> str:
    return url[len("file://"):] if url.startswith("file://") else url


def find_zarr_root(path: str) -> str | None:
    """The store root when ``path`` is a Zarr store root (or its ``zarr.json``), else None."""
    path = path.rstrip("/") or path
    if path.endswith("/" + ROOT_META) or path == ROOT_META:
        return path[: -len(ROOT_META)].rstrip("/") or "."
    if path.endswith(".json"):
        return None
    if paths.is_url(path):
        try:
            import fsspec

            fs, p = fsspec.core.url_to_fs(path)
            return path if fs.isfile(f"{p.rstrip('/')}/{ROOT_META}") else None
        except Exception:  # noqa: BLE001 - not a store we can see: not a zarr root
            return None
    local = _local(path)
    # lexists: a zarr.json that is a FIFO or a dangling link is still this store's, and refused as such
    return path if os.path.isdir(local) and os.path.lexists(os.path.join(local, ROOT_META)) else None


def _open_group(root: str, mode: str):
    """The root group, read through :func:`~gpf.sdk.storage.zarr_guard.guarded_store` (``mode`` "r")."""
    from gpf.extras import require

    zarr = require("zarr", "reading a Zarr store")

    from gpf.sdk.storage.zarr_guard import guarded_store

    try:
        store = guarded_store(root) if mode == "r" else _local(root)
        if mode == "r":  # gpf never writes consolidated metadata: members are always looked up in the store
            return zarr.open_group(store, mode=mode, zarr_format=3, use_consolidated=False)
        return zarr.open_group(store, mode=mode, zarr_format=3)
    except FormatError:
        raise
    except FileNotFoundError:
        raise FormatError(f"{root}/{ROOT_META}", None, "no Zarr group here") from None
    except (ValueError, TypeError, KeyError, RecursionError) as exc:
        raise FormatError(f"{root}/{ROOT_META}", None, f"not a readable Zarr v3 group "
                          f"({type(exc).__name__}: {' '.join(str(exc).split())[:200]})") from None


def read_zarr_config(root: str) -> dict:
    """The raw partition config stored in the root group's attributes."""
    attrs = dict(_open_group(root, "r").attrs)
    cfg = attrs.get(CONFIG_ATTR)
    if not isinstance(cfg, dict):
        raise ConfigError(f"{root}/{ROOT_META}", "the root group has no partition config: not a gpf set, "
                          "or its write was interrupted", f"attributes.{CONFIG_ATTR}")
    return cfg


def zarr_compressors(spec: str | None):
    """Codec list for ``compressor`` (see the module docstring); None for no compression."""
    from zarr.codecs import BloscCodec, GzipCodec, ZstdCodec

    spec = "zstd" if spec in (None, "") else spec
    name, _, level = spec.partition(":")
    lvl = int(level) if level else None
    if name == "none" and lvl is None:
        return None
    if name == "zstd":
        return [ZstdCodec(level=3 if lvl is None else lvl)]
    if name == "blosc":
        return [BloscCodec(cname="lz4", clevel=5 if lvl is None else lvl, shuffle="shuffle")]
    if name == "blosc-zstd":
        return [BloscCodec(cname="zstd", clevel=3 if lvl is None else lvl, shuffle="shuffle")]
    if name == "gzip":
        return [GzipCodec(level=5 if lvl is None else lvl)]
    raise UnsupportedError(f"zarr backend: unknown compressor {spec!r} "
                           "(use zstd[:level], blosc[:level], blosc-zstd[:level], gzip[:level] or none)")


def _stored_dtype(a) -> np.dtype | None:
    """The dtype to return for a stored array (bfloat16 is stored as its raw uint16 bits)."""
    if a.attrs.get(_DTYPE_ATTR) == "bfloat16":
        from gpf.sdk.codecs.dgl_bytes import BFLOAT16

        return BFLOAT16
    return None


class ZarrFeature:
    """A lazy feature array in a Zarr store: ``.shape``, ``.dtype``, ``len()``,
    ``feat[rows]`` (an int, a slice, an integer array or a boolean mask, optionally
    followed by indices of the other axes) and ``np.asarray(feat)`` (everything).

    Indexing returns numpy arrays and reads only the chunks that hold the rows asked
    for; an integer array may be unsorted and repeat rows.
    """

    __slots__ = ("array", "name", "_view")

    def __init__(self, array, name: str) -> None:
        self.array = array
        self.name = name
        self._view = _stored_dtype(array)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.array.shape)

    @property
    def dtype(self) -> np.dtype:
        return self._view if self._view is not None else np.dtype(self.array.dtype)

    @property
    def ndim(self) -> int:
        return len(self.array.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.array.shape, dtype=np.int64))

    def __len__(self) -> int:
        if not self.array.shape:
            raise TypeError("len() of a 0-d feature")
        return int(self.array.shape[0])

    def _out(self, a) -> np.ndarray:
        a = np.asarray(a)
        return a.view(self._view) if self._view is not None else a

    def __getitem__(self, idx) -> np.ndarray:
        first, rest = (idx[0], idx[1:]) if isinstance(idx, tuple) and idx else (idx, ())
        if isinstance(first, (list, np.ndarray)) or (hasattr(first, "__array__") and not np.isscalar(first)):
            rows = np.asarray(first)
            if rows.dtype == bool:
                if rows.shape != (len(self),):
                    raise IndexError(f"{self.name}: boolean mask of shape {rows.shape} for {len(self)} rows")
                rows = np.flatnonzero(rows)
            elif rows.size and rows.dtype.kind not in "iu":
                raise IndexError(f"{self.name}: row indices must be integers, got dtype {rows.dtype}")
            rows = rows.astype(np.int64, copy=False)
            n = len(self)
            if rows.size and (int(rows.min()) < -n or int(rows.max()) >= n):
                raise IndexError(f"{self.name}: row index out of range [{-n}, {n})")
            rows = np.where(rows < 0, rows + n, rows)
            uniq, inverse = np.unique(rows.reshape(-1), return_inverse=True)
            if uniq.size:
                got = self.array.oindex[(uniq,) + (slice(None),) * (self.ndim - 1)]
            else:
                got = np.empty((0, *self.shape[1:]), dtype=self.array.dtype)
            out = self._out(got)[inverse].reshape(rows.shape + self.shape[1:])
            return out[(slice(None),) * rows.ndim + tuple(rest)] if rest else out
        return self._out(self.array[idx])

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        a = self._out(self.array[...])
        return a.astype(dtype) if dtype is not None else a

    def __repr__(self) -> str:
        return f"ZarrFeature({self.name!r}, shape={self.shape}, dtype={self.dtype})"


class ZarrStore:
    """Reads partitions from a Zarr store (opened once per process, lazily)."""

    name = "zarr"

    def __init__(self, config, config_path: str, root: str) -> None:
        self.config = config
        self.config_path = config_path
        self.root = root
        self._pid = -1
        self._group_cache = None

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_group_cache"], state["_pid"] = None, -1
        return state

    def _group(self):
        if self._pid != os.getpid() or self._group_cache is None:
            self._group_cache = _open_group(self.root, "r")
            self._pid = os.getpid()
        return self._group_cache

    def group_path(self, part_id: int) -> str:
        entry = self.config.part_files(part_id)
        rel = (entry.model_extra or {}).get("gpf_path")
        try:
            return check_key(rel, "gpf_path")
        except (UnsupportedError, AttributeError):
            raise ConfigError(self.config_path, f"zarr partition names no valid group ('gpf_path': {rel!r})",
                              f"part-{part_id}") from None

    def _node(self, part_id: int, name: str, *, required: bool = True):
        path = f"{self.group_path(part_id)}/{name}"
        try:
            node = self._group()[path]
        except KeyError:
            if not required:
                return None
            raise FormatError(f"{self.root}/{path}", None, f"partition {part_id}: array or group is missing") from None
        except FormatError as exc:
            raise type(exc)(exc.path, exc.offset, f"partition {part_id}: {exc.message}") from None
        except (ValueError, TypeError, RecursionError) as exc:
            raise FormatError(f"{self.root}/{path}", None, f"partition {part_id}: not a readable Zarr node "
                              f"({type(exc).__name__}: {' '.join(str(exc).split())[:200]})") from None
        return self._guard(node, part_id, path)

    def _guard(self, node, part_id: int, path: str):
        import zarr

        from gpf.sdk.storage.zarr_guard import guarded_array

        if not isinstance(node, zarr.Array):
            return node
        try:
            return guarded_array(node, f"{self.root}/{path}")
        except FormatError as exc:
            raise type(exc)(exc.path, exc.offset, f"partition {part_id}: {exc.message}") from None

    def _stored_bytes(self, path: str) -> int:
        """Bytes of the chunk objects stored for the array at ``path`` (its metadata excluded)."""
        from gpf.sdk.storage.zarr_guard import stored_bytes

        return stored_bytes(f"{self.root}/{path}")

    def _read(self, part_id: int, name: str, rows: int | None = None) -> np.ndarray:
        import zarr

        from gpf.sdk.storage.zarr_guard import check_backed, settle_failed_read

        a = self._node(part_id, name)
        where = f"{self.root}/{self.group_path(part_id)}/{name}"
        if not isinstance(a, zarr.Array):
            raise FormatError(where, None, f"partition {part_id}: expected an array, found a group")
        check_claim(a.shape, self.config, where, part_id, name)
        try:
            check_backed(a, where, self._stored_bytes(f"{self.group_path(part_id)}/{name}"), rows)
            view = _stored_dtype(a)
            out = np.asarray(a[...])
        except FormatError as exc:
            settle_failed_read()           # the failed read's sibling chunk reads: done before the error
            raise type(exc)(exc.path, exc.offset, f"partition {part_id}: {exc.message}") from None
        except (ValueError, TypeError, RuntimeError, MemoryError, OSError) as exc:
            settle_failed_read()
            raise FormatError(where, None, f"partition {part_id}: array cannot be read "
                              f"({type(exc).__name__}: {' '.join(str(exc).split())[:200]})") from None
        return out.view(view) if view is not None else out

    def _arrays(self, part_id: int, role: str) -> dict | None:
        import zarr

        g = self._node(part_id, role, required=False)
        if g is None:
            return None
        if not isinstance(g, zarr.Group):
            raise FormatError(f"{self.root}/{self.group_path(part_id)}/{role}", None,
                              f"partition {part_id}: expected a group, found an array")
        try:
            members = sorted(g.members(max_depth=None))
        except FormatError as exc:
            raise type(exc)(exc.path, exc.offset, f"partition {part_id}: {exc.message}") from None
        except (ValueError, TypeError, KeyError, RecursionError) as exc:
            raise FormatError(f"{self.root}/{self.group_path(part_id)}/{role}", None, f"partition {part_id}: "
                              f"not a readable Zarr group ({type(exc).__name__}: "
                              f"{' '.join(str(exc).split())[:200]})") from None
        base = f"{self.group_path(part_id)}/{role}"
        return {k: self._guard(v, part_id, f"{base}/{k}") for k, v in members if isinstance(v, zarr.Array)}

    def read_graph(self, part_id: int) -> PartGraph:
        where = f"{self.root}/{self.group_path(part_id)}/{GRAPH}"
        members = self._arrays(part_id, GRAPH)
        if members is None:
            raise FormatError(where, None, f"partition {part_id}: group is missing")
        for need in ("src", "dst", "ndata/_ID"):
            if need not in members:
                raise FormatError(f"{where}/{need}", None, f"partition {part_id}: array is missing")
        # _ID values are distinct, so their chunks are all stored: they back the node and edge counts
        # that every other graph array is then held to before it is read
        arrays = {"ndata/_ID": self._read(part_id, f"{GRAPH}/ndata/_ID")}
        if "edata/_ID" in members:
            arrays["edata/_ID"] = self._read(part_id, f"{GRAPH}/edata/_ID")
        n = int(arrays["ndata/_ID"].shape[0]) if arrays["ndata/_ID"].ndim else None
        m = int(arrays["edata/_ID"].shape[0]) if "edata/_ID" in arrays and arrays["edata/_ID"].ndim else None
        for k in members:
            if k not in arrays:
                arrays[k] = self._read(part_id, f"{GRAPH}/{k}", n if k.startswith("ndata/") else m)
        ndata = {k[6:]: a for k, a in arrays.items() if k.startswith("ndata/")}
        edata = {k[6:]: a for k, a in arrays.items() if k.startswith("edata/")}
        return check_graph(where, part_id, arrays["src"], arrays["dst"], ndata, edata)

    def _features(self, part_id: int, role: str) -> Mapping[str, ZarrFeature]:
        out = {}
        for k, a in (self._arrays(part_id, role) or {}).items():
            feat = ZarrFeature(a, f"{self.root}/{self.group_path(part_id)}/{role}/{k}")
            check_feature(feat, feat.name, part_id, f"{role}/{k}")
            check_claim(feat.shape, self.config, feat.name, part_id, f"{role}/{k}")
            out[k] = feat
        return out

    def read_node_feats(self, part_id: int) -> Mapping[str, ZarrFeature]:
        return self._features(part_id, "node_feats")

    def read_edge_feats(self, part_id: int) -> Mapping[str, ZarrFeature]:
        return self._features(part_id, "edge_feats")

    def read_orig_ids(self, part_id: int, kind: str) -> Mapping[str, np.ndarray] | None:
        role = {"nodes": "orig_nids", "edges": "orig_eids"}[kind]
        members = self._arrays(part_id, role)
        if members is None:
            return None
        return {k: self._read(part_id, f"{role}/{k}") for k in members}

    def files(self, part_id: int) -> dict[str, str]:
        return {"zarr": f"{self.root}/{self.group_path(part_id)}"}


class ZarrWriter:
    """Writes a whole set into one Zarr store; the config (root attributes) goes last."""

    name = "zarr"

    def __init__(self, url: str | os.PathLike[str], graph_name: str, *, compressor: str | None = None,
                 chunk_rows: int | None = None, shard_rows: int | None = None) -> None:
        url = os.fspath(url).rstrip("/")
        self.url = url if paths.is_url(url) else os.path.abspath(_local(url))
        self.graph_name = graph_name
        self.config_path = f"{self.url}/{ROOT_META}"
        self.compressors = zarr_compressors(compressor)
        for what, v in (("chunk_rows", chunk_rows), ("shard_rows", shard_rows)):
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0
                                  or (v == 0 and what == "chunk_rows")):
                raise UnsupportedError(f"{what} must be a positive integer, got {v!r}")
        self.chunk_rows = chunk_rows
        self.shard_rows = shard_rows  # None: by default (see shard_by_default); 0: no sharding
        #: object stores get shards by default; local disks and memory:// do not
        self.shard_by_default = paths.is_url(self.url) and not self.url.startswith("memory://")
        self._root = None

    def exists(self) -> bool:
        if paths.is_url(self.url):
            import fsspec

            fs, p = fsspec.core.url_to_fs(self.url)
            return bool(fs.exists(f"{p}/{ROOT_META}"))
        return os.path.lexists(os.path.join(self.url, ROOT_META))

    def begin(self) -> None:
        import zarr

        if not paths.is_url(self.url) and os.path.isdir(self.url) and os.listdir(self.url) and not self.exists():
            raise GpfError(f"{self.url}: is a non-empty directory that is not a Zarr store; "
                           "the zarr backend writes the whole set into its own store")
        # mode "w" empties an existing store: its config goes with it, before any data is written
        self._root = zarr.open_group(self.url, mode="w", zarr_format=3)

    def write_part(self, part_id: int, graph: PartGraph, arrays) -> dict:
        if self._root is None:  # another process ran begin() (out-of-core tasks): open the store it made
            import zarr

            self._root = zarr.open_group(self.url, mode="r+", zarr_format=3)
        base = f"part{part_id}"
        for key, a in graph_arrays(graph).items():
            self._array(f"{base}/{GRAPH}/{key}", as_stored(a), features=False)
        for role, tensors in arrays.items():
            if tensors is None:
                continue
            self._root.require_group(f"{base}/{role}")
            for key, source in tensors.items():
                self._array(f"{base}/{role}/{check_key(key, role)}", as_stored(materialize(source)),
                            features=role in ("node_feats", "edge_feats"))
        return {"gpf_backend": self.name, "gpf_path": base}

    def _array(self, name: str, a: np.ndarray, *, features: bool) -> None:
        from gpf.sdk.codecs.dgl_bytes import BFLOAT16

        attrs = {}
        if a.dtype == BFLOAT16:
            a, attrs = a.view("<u2"), {_DTYPE_ATTR: "bfloat16"}
        elif a.dtype.byteorder == ">":
            a = a.astype(a.dtype.newbyteorder("<"))
        shape = a.shape
        shards = None
        if shape:
            if features:
                rows = self.chunk_rows or default_chunk_rows(shape, a.dtype.itemsize)
            else:
                rows = default_chunk_rows(shape, a.dtype.itemsize, 1 << 20)
            rows = max(1, min(rows, shape[0]) if shape[0] else 1)
            chunks = (rows, *[max(1, d) for d in shape[1:]])
            nchunks = -(-shape[0] // rows)
            sharded = self.shard_rows if self.shard_rows is not None else self.shard_by_default
            if features and sharded and nchunks > 1:
                per = max(1, -(-(self.shard_rows or rows * _SHARD_CHUNKS) // rows))
                shards = (rows * min(per, nchunks), *chunks[1:])
        else:
            chunks = ()
        arr = self._root.create_array(name, shape=shape, dtype=a.dtype, chunks=chunks, shards=shards,
                                      compressors=self.compressors, attributes=attrs or None)
        if a.size:
            arr[...] = a

    def commit(self, config) -> None:
        from gpf.spec import config_to_dict

        self._root.attrs.update({CONFIG_ATTR: config_to_dict(config)})


def config_location(path: str) -> str | None:
    """``<root>/zarr.json`` when ``path`` is a Zarr store (its root or its ``zarr.json``), else None:
    a Zarr set keeps its config in the store's root attributes (SPEC 11)."""
    root = find_zarr_root(path)
    return None if root is None else f"{root}/{ROOT_META}"


def _read_config(location: str) -> dict:
    return read_zarr_config(location[: -len(ROOT_META) - 1] if location.endswith(ROOT_META) else location)


#: The whole set in one Zarr v3 store (local or fsspec URL), the config in its root attributes.
BACKEND = Backend("zarr", lambda config, config_path, root, o: ZarrStore(config, config_path, root),
                  lambda out, graph_name, options: ZarrWriter(out, graph_name, **options),
                  writer_options=("compressor", "chunk_rows", "shard_rows"), path_kind="folder",
                  writes_urls=True, locate_config=config_location, read_config=_read_config, requires="zarr")
