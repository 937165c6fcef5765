"""The table of storage backends, and which backend stores each partition.

A ``part-N`` entry names its backend with the extension key ``gpf_backend``
(``"npy"``, ``"hdf5"``, ``"zarr"``; absent or ``"dgl"``: DGL's files) and, for the
non-DGL backends, where its arrays are with ``gpf_path``.  DGL ignores both keys.

Each backend is one :class:`~gpf.sdk.storage.base.Backend` record, defined in the backend's
own module and registered here with one line; the reader, the writers, ``gpf convert`` and
the validator look backends up in this table and never name one.  A backend defined elsewhere
(a plugin, a test) registers itself with :func:`register`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from gpf.errors import ConfigError, UnsupportedError
from gpf.sdk.storage import dgl_store, hdf5_store, npy_store, zarr_store
from gpf.sdk.storage.base import Backend, PartGraph, PartitionStore, PartitionWriter, ReadOptions

__all__ = ["BACKENDS", "BACKEND_KEY", "PATH_KEY", "Backend", "ReadOptions", "register", "unregister",
           "get_backend", "part_backend", "locate_config", "open_store", "open_writer", "require_backend",
           "MixedStore"]

BACKEND_KEY = "gpf_backend"
PATH_KEY = "gpf_path"

_TABLE: dict[str, Backend] = {}


def register(backend: Backend) -> Backend:
    """Add ``backend`` to the table (a name already there is an error); returns it."""
    if backend.name in _TABLE and _TABLE[backend.name] is not backend:
        raise ValueError(f"a storage backend named {backend.name!r} is already registered")
    _TABLE[backend.name] = backend
    return backend


def unregister(name: str) -> None:
    """Remove backend ``name`` from the table (tests register and remove their own)."""
    _TABLE.pop(name, None)


register(dgl_store.BACKEND)
register(npy_store.BACKEND)
register(hdf5_store.BACKEND)
register(zarr_store.BACKEND)


class _Names(Sequence[str]):
    """The registered backend names, read live from the table (a tuple-like sequence)."""

    def __getitem__(self, i):  # type: ignore[override]
        return tuple(_TABLE)[i]

    def __len__(self) -> int:
        return len(_TABLE)

    def __iter__(self) -> Iterator[str]:
        return iter(tuple(_TABLE))

    def __contains__(self, name: object) -> bool:
        return name in _TABLE

    def __repr__(self) -> str:
        return repr(tuple(_TABLE))


#: The names of the registered backends (live: a backend registered later is in it).
BACKENDS: Sequence[str] = _Names()


def get_backend(name: str) -> Backend:
    """The record of backend ``name`` (UnsupportedError naming the known ones)."""
    try:
        return _TABLE[name]
    except (KeyError, TypeError):
        raise UnsupportedError(f"unknown storage backend {name!r} (known: {list(_TABLE)})") from None


def require_backend(name: str) -> None:
    """One-line :class:`~gpf.errors.MissingExtraError` when backend ``name`` needs a package that is
    not installed (the record's ``requires``)."""
    record = _TABLE.get(name)
    if record is not None and record.requires is not None:
        from gpf.extras import require

        require(record.requires, f"the {name} storage backend")


def part_backend(config: Any, part_id: int, config_path: str = "<config>") -> str:
    """The backend of partition ``part_id`` (``"dgl"`` when the entry names none)."""
    entry = config.part_files(part_id)
    name = (entry.model_extra or {}).get(BACKEND_KEY, "dgl")
    if not isinstance(name, str) or name not in _TABLE:
        raise ConfigError(config_path, f"unknown storage backend {name!r} (known: {list(_TABLE)})",
                          f"part-{part_id}.{BACKEND_KEY}")
    return name


def locate_config(path: str) -> tuple[Backend, str] | None:
    """``(backend, config location)`` when ``path`` is a store of a backend that keeps the config
    inside it (e.g. a Zarr store's root attributes), else None (``path`` is a config JSON)."""
    for backend in _TABLE.values():
        if backend.locate_config is not None:
            where = backend.locate_config(path)
            if where is not None:
                return backend, where
    return None


def open_store(config: Any, config_path: str, root: str, options: ReadOptions | None = None,
               **kw: Any) -> PartitionStore:
    """The store reading ``config``'s partitions: one backend's store, or a router when
    partitions use different backends.  ``options`` (or its fields as keywords: ``prefer``,
    ``use_mmap``, ``owner_of``) say how; each backend takes what applies to it."""
    options = options or ReadOptions(**kw)
    names = [part_backend(config, p, config_path) for p in range(len(config.parts))] or ["dgl"]
    for n in dict.fromkeys(names):
        require_backend(n)
    stores = {n: _TABLE[n].open_store(config, config_path, root, options) for n in dict.fromkeys(names)}
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

    def graph_role(self, part_id: int) -> str:
        return graph_role(self._store(part_id), part_id)


def graph_role(store: PartitionStore, part_id: int) -> str:
    """The ``part-N`` key naming the graph the store reads: DGL's choice of file, else ``gpf_path``."""
    role = getattr(store, "graph_role", None)
    return role(part_id) if role is not None else PATH_KEY


def open_writer(backend: str, out: str | os.PathLike[str], graph_name: str, **options: Any) -> PartitionWriter:
    """A writer of backend ``backend`` putting a set named ``graph_name`` at ``out``: a directory
    for ``dgl``/``npy``/``hdf5`` (``out/<graph_name>.json`` + ``out/part<N>/``), the store itself
    for ``zarr`` (local path or fsspec URL).  ``options`` not None must be ones the backend takes
    (``compressor``/``chunk_rows``: hdf5 and zarr; ``shard_rows``: zarr; ``dgl_options``
    (:class:`~gpf.sdk.storage.dgl_writer.DglOptions`: sparse formats, GraphBolt files): dgl)."""
    if backend not in _TABLE:
        raise UnsupportedError(f"backend {backend!r} is not supported by the writer (use one of {list(_TABLE)})")
    require_backend(backend)
    record = _TABLE[backend]
    given = {k: v for k, v in options.items() if v is not None}
    for what in given:
        if what not in record.writer_options:
            takers = [b.name for b in _TABLE.values() if what in b.writer_options]
            who = (f" ({' and '.join(takers)} {'does' if len(takers) == 1 else 'do'})" if takers else "")
            raise UnsupportedError(f"backend {backend!r} takes no {what}{who}")
    return record.open_writer(os.fspath(out), graph_name, given)
