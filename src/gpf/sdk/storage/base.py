"""The small interface every storage backend implements.

A backend turns "partition i of this config" into arrays (:class:`PartitionStore`)
and arrays into files (:class:`PartitionWriter`).  The reader (:mod:`gpf.sdk.read.reader`)
and the writer (:mod:`gpf.sdk.write.writer`) give them meaning; backends only move bytes.
:mod:`gpf.sdk.storage.registry` picks the backend of each partition.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Protocol, Union

import numpy as np

__all__ = ["PartGraph", "PartitionStore", "PartitionWriter", "ArraySource", "ARRAY_ROLES", "materialize"]


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
ArraySource = Union[np.ndarray, Callable[[], np.ndarray]]

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
