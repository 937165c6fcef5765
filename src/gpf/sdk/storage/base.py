"""The small interface every storage backend implements.

A backend turns "partition i of this config" into arrays.  The reader
(:mod:`gpf.sdk.reader`) gives them meaning; backends only move bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Protocol

import numpy as np

__all__ = ["PartGraph", "PartitionStore"]


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
