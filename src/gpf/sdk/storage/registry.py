"""Which backend stores each partition, and the stores/writers of each backend.

A ``part-N`` entry names its backend with the extension key ``gpf_backend``
(``"npy"``, ``"hdf5"``, ``"zarr"``; absent or ``"dgl"``: DGL's files) and, for the
non-DGL backends, where its arrays are with ``gpf_path``.  DGL ignores both keys.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Mapping

import numpy as np

from gpf.errors import ConfigError, UnsupportedError
from gpf.sdk.storage.base import PartGraph, PartitionStore, PartitionWriter

__all__ = ["BACKENDS", "BACKEND_KEY", "PATH_KEY", "part_backend", "open_store", "open_writer", "require_backend"]

BACKENDS = ("dgl", "npy", "hdf5", "zarr")
#: backends that need an optional dependency: backend -> module (its extra: gpf.extras.EXTRAS)
BACKEND_MODULES = {"hdf5": "h5py", "zarr": "zarr"}


def require_backend(name: str) -> None:
    """One-line :class:`~gpf.errors.MissingExtraError` when backend ``name`` needs a package that is not installed."""
    if name in BACKEND_MODULES:
        from gpf.extras import require

        require(BACKEND_MODULES[name], f"the {name} storage backend")
BACKEND_KEY = "gpf_backend"
PATH_KEY = "gpf_path"


def part_backend(config, part_id: int, config_path: str = "<config>") -> str:
    """The backend of partition ``part_id`` (``"dgl"`` when the entry names none)."""
    entry = config.part_files(part_id)
    name = (entry.model_extra or {}).get(BACKEND_KEY, "dgl")
    if name not in BACKENDS:
        raise ConfigError(config_path, f"unknown storage backend {name!r} (known: {list(BACKENDS)})",
                          f"part-{part_id}.{BACKEND_KEY}")
    return name


def open_store(config, config_path: str, root: str, *, prefer: str = "dgl", use_mmap: bool = True,
               owner_of: Callable[[np.ndarray], np.ndarray] | None = None) -> PartitionStore:
    """The store reading ``config``'s partitions: one backend's store, or a router when
    partitions use different backends."""
    names = [part_backend(config, p, config_path) for p in range(len(config.parts))] or ["dgl"]

    def make(name: str) -> PartitionStore:
        require_backend(name)
        if name == "dgl":
            from gpf.sdk.storage.dgl_store import DglStore

            return DglStore(config, config_path, root, prefer=prefer, use_mmap=use_mmap, owner_of=owner_of)
        if name == "npy":
            from gpf.sdk.storage.npy_store import NpyStore

            return NpyStore(config, config_path, root, use_mmap=use_mmap)
        if name == "hdf5":
            from gpf.sdk.storage.hdf5_store import Hdf5Store

            return Hdf5Store(config, config_path, root)
        from gpf.sdk.storage.zarr_store import ZarrStore

        return ZarrStore(config, config_path, root)

    stores = {n: make(n) for n in dict.fromkeys(names)}
    if len(stores) == 1:
        return next(iter(stores.values()))
    return MixedStore([stores[n] for n in names])


class MixedStore:
    """Routes each partition to the store of its own backend."""

    name = "mixed"

    def __init__(self, per_part: list[PartitionStore]) -> None:
        self.per_part = per_part

    def _store(self, part_id: int) -> PartitionStore:
        if not 0 <= part_id < len(self.per_part):
            raise IndexError(f"partition {part_id} does not exist")
        return self.per_part[part_id]

    def read_graph(self, part_id: int) -> PartGraph:
        return self._store(part_id).read_graph(part_id)

    def read_node_feats(self, part_id: int) -> Mapping[str, np.ndarray]:
        return self._store(part_id).read_node_feats(part_id)

    def read_edge_feats(self, part_id: int) -> Mapping[str, np.ndarray]:
        return self._store(part_id).read_edge_feats(part_id)

    def read_orig_ids(self, part_id: int, kind: str) -> Mapping[str, np.ndarray] | None:
        return self._store(part_id).read_orig_ids(part_id, kind)

    def files(self, part_id: int) -> dict[str, str]:
        return self._store(part_id).files(part_id)


def open_writer(backend: str, out: "str | os.PathLike[str]", graph_name: str, *, compressor: str | None = None,
                chunk_rows: int | None = None, shard_rows: int | None = None,
                dgl_options: Any = None) -> PartitionWriter:
    """A writer of backend ``backend`` putting a set named ``graph_name`` at ``out``: a directory
    for ``dgl``/``npy``/``hdf5`` (``out/<graph_name>.json`` + ``out/part<N>/``), the store itself
    for ``zarr`` (local path or fsspec URL).  ``compressor``/``chunk_rows`` apply to hdf5 and zarr,
    ``shard_rows`` to zarr (0: no sharding; None: shards on object stores only); ``dgl_options``
    (:class:`~gpf.sdk.storage.dgl_writer.DglOptions`: sparse formats, GraphBolt files) to dgl."""
    if backend not in BACKENDS:
        raise UnsupportedError(f"backend {backend!r} is not supported by the writer (use one of {list(BACKENDS)})")
    require_backend(backend)
    if backend in ("dgl", "npy"):
        for what, v in (("compressor", compressor), ("chunk_rows", chunk_rows), ("shard_rows", shard_rows)):
            if v is not None:
                raise UnsupportedError(f"backend {backend!r} takes no {what} (hdf5 and zarr do)")
        if backend == "dgl":
            from gpf.sdk.storage.dgl_writer import DglWriter

            return DglWriter(out, graph_name, dgl_options)
        from gpf.sdk.storage.npy_store import NpyWriter

        return NpyWriter(out, graph_name)
    if backend == "hdf5":
        if shard_rows is not None:
            raise UnsupportedError("backend 'hdf5' takes no shard_rows (zarr does)")
        from gpf.sdk.storage.hdf5_store import Hdf5Writer

        return Hdf5Writer(out, graph_name, compressor=compressor, chunk_rows=chunk_rows)
    from gpf.sdk.storage.zarr_store import ZarrWriter

    return ZarrWriter(out, graph_name, compressor=compressor, chunk_rows=chunk_rows, shard_rows=shard_rows)
