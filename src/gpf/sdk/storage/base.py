"""The small interface every storage backend implements.

A backend turns "partition i of this config" into arrays (:class:`PartitionStore`)
and arrays into files (:class:`PartitionWriter`).  The reader (:mod:`gpf.sdk.read.reader`)
and the writer (:mod:`gpf.sdk.write.writer`) give them meaning; backends only move bytes.
:class:`Backend` is one backend's record (how to open, write, locate its config, its options);
:mod:`gpf.sdk.storage.registry` holds the table of records and picks the backend of each partition.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

__all__ = ["PartGraph", "PartitionStore", "PartitionWriter", "ArraySource", "ARRAY_ROLES", "materialize",
           "ReadOptions", "Backend"]


@dataclass
class PartGraph:
    """One partition's structure in local IDs, as stored.

    ``src``/``dst`` are int64 in local edge order (inner edges first); ``ndata`` and
    ``edata`` hold the stored per-node / per-edge fields (``_ID``, ``inner_node``,
    ``inner_edge``, ``_TYPE``, ``part_id``...) with their stored dtypes.
    """

    num_nodes: int
    src: np.ndarray
    dst: np.ndarray
    ndata: dict[str, np.ndarray] = field(default_factory=dict)
    edata: dict[str, np.ndarray] = field(default_factory=dict)
    source: str = ""


class PartitionStore(Protocol):
    """Reads the arrays of one partition set, one partition at a time."""

    name: str

    def read_graph(self, part_id: int) -> PartGraph: ...

    def read_node_feats(self, part_id: int) -> Mapping[str, np.ndarray]: ...

    def read_edge_feats(self, part_id: int) -> Mapping[str, np.ndarray]: ...

    def read_orig_ids(self, part_id: int, kind: str) -> Mapping[str, np.ndarray] | None:
        """Original per-type IDs of the owned items (``kind`` "nodes" or "edges"), if stored."""
        ...

    def files(self, part_id: int) -> dict[str, str]:
        """Role ("part_graph", "node_feats", ...) -> resolved path or URL of the files used."""
        ...


#: One array to write: the array itself, or a function that makes it when it is written
#: (so a writer holds one array at a time).
ArraySource = np.ndarray | Callable[[], np.ndarray]

#: The per-partition array groups besides the graph, in the order they are written.
ARRAY_ROLES = ("node_feats", "edge_feats", "orig_nids", "orig_eids")


class PartitionWriter(Protocol):
    """Writes one partition set in one backend: partitions first, the config last.

    ``begin`` and ``write_part`` put data files in place; only ``commit`` makes the set
    visible (it writes the config), so an interrupted write never leaves a config that
    points at partial data.
    """

    name: str
    #: What :func:`gpf.open` takes to open the set once committed (config JSON or store root).
    config_path: str

    def exists(self) -> bool:
        """True when a committed set (a config) is already at the destination."""
        ...

    def begin(self) -> None:
        """Prepare the destination; remove an existing config *first*, so no config ever
        points at a mix of old and new files."""
        ...

    def write_part(self, part_id: int, graph: PartGraph,
                   arrays: Mapping[str, Mapping[str, ArraySource] | None]) -> dict[str, Any]:
        """Write partition ``part_id``: its graph and the arrays of each role in
        :data:`ARRAY_ROLES` (a role mapped to ``None`` or left out is not stored).
        Returns the ``part-N`` config entry (relative paths and backend keys)."""
        ...

    def commit(self, config: Any) -> None:
        """Write the config (a :class:`gpf.spec.PartitionConfig`): the set's commit point."""
        ...


def materialize(source: ArraySource) -> np.ndarray:
    """The array of an :data:`ArraySource` (calls a maker; ``np.asarray`` on a lazy handle)."""
    return np.asarray(source() if callable(source) else source)


@dataclass(frozen=True)
class ReadOptions:
    """How the reader asks a backend to open a set; a backend uses what applies to it."""

    #: The graph file when a part names both DGL's ``part_graph`` and a GraphBolt file ("dgl"/"graphbolt").
    prefer: str = "dgl"
    #: Memory-map local files (zero-copy read-only views) rather than reading them.
    use_mmap: bool = True
    #: Global node ID -> owner partition (GraphBolt files without ``inner_node`` need it).
    owner_of: Callable[[np.ndarray], np.ndarray] | None = None
    #: False: a backend may leave the range check of a graph's local IDs to the caller (the
    #: validator's G1 checks them in passes it reuses); True for every other reader.
    check_indices: bool = True


@dataclass(frozen=True)
class Backend:
    """One storage backend, as the registry (:mod:`gpf.sdk.storage.registry`) knows it.

    Everything the reader, the writers, ``gpf convert`` and the validator need to know about a
    backend is here, so adding one touches its own module and one registration line.
    """

    #: The ``gpf_backend`` value of its ``part-N`` entries (the DGL backend's is implied).
    name: str
    #: ``(config, config_path, root, ReadOptions) -> PartitionStore``.
    open_store: Callable[[Any, str, str, ReadOptions], PartitionStore]
    #: ``(out, graph_name, {option: value}) -> PartitionWriter``; only :attr:`writer_options` are passed.
    open_writer: Callable[[str, str, Mapping[str, Any]], PartitionWriter]
    #: Writer options it takes (``compressor``, ``chunk_rows``, ``shard_rows``, ...).
    writer_options: tuple[str, ...] = ()
    #: True: a ``part-N`` entry names one file per role (DGL's files); False: one ``gpf_path``.
    entry_files: bool = False
    #: What ``gpf_path`` names: "folder" or "file".
    path_kind: str = "folder"
    #: ``(leading bytes, what the file is)`` a ``gpf_path`` file starts with, if known.
    magic: tuple[bytes, str] | None = None
    #: The writer writes fsspec URLs itself (else ``gpf convert`` stages the set locally and uploads it).
    writes_urls: bool = False
    #: For a backend that keeps the config inside its store: ``path -> config location`` when
    #: ``path`` is such a store (its root or its metadata file), else None.
    locate_config: Callable[[str], str | None] | None = None
    #: ``config location -> raw config dict`` (with :attr:`locate_config`).
    read_config: Callable[[str], dict[str, Any]] | None = None
    #: The optional package it needs (its extra: :data:`gpf.extras.EXTRAS`), checked before it is used.
    requires: str | None = None
