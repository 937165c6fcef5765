"""The partition book: vectorised ID maps of a reshuffled partition set.

IDs (see spec/SPEC.md, "ID scheme"):

* a **homogeneous ID** (hid) numbers every node (edge) of the set; the hid space is
  partition-major, type-minor: partition 0's type-0 block, its type-1 block, ...,
  then partition 1's blocks, and so on.  ``node_map[t][p] = [start, end)``.
* a **per-type ID** numbers the nodes of one type: type t's IDs in partition 0 come
  first, then those in partition 1, ...

Everything here takes and returns int64 numpy arrays; nothing loops per ID.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from gpf.sdk.aligned import min_max, umax

if TYPE_CHECKING:
    from gpf.spec.models import PartitionConfig

__all__ = ["IdMap", "PartitionBook"]


def _as_ids(ids: ArrayLike, what: str, limit: int) -> np.ndarray:
    arr = np.asarray(ids)
    if arr.dtype.kind not in "iu":
        if arr.size == 0:
            arr = arr.astype(np.int64)
        else:
            raise TypeError(f"{what} must be integers, got dtype {arr.dtype}")
    arr = arr.astype(np.int64, copy=False)
    if arr.size and umax(arr.reshape(-1)) >= limit:  # one pass: a negative ID reads as a huge one
        lo, hi = min_max(arr.reshape(-1))
        raise IndexError(f"{what} {lo if lo < 0 else hi} is out of range [0, {limit})")
    return arr


@dataclass(frozen=True)
class IdMap:
    """ID arithmetic for one kind of item (nodes or edges).

    ``ranges`` has shape (num_types, num_parts, 2) ordered by type ID; ``names``
    are the type names (ntype, or canonical etype string) in type-ID order.
    """

    ranges: np.ndarray
    names: tuple[str, ...]
    kind: str = "node"
    # derived in __post_init__
    _sizes: np.ndarray = field(init=False, repr=False, compare=False)
    _typed_starts: np.ndarray = field(init=False, repr=False, compare=False)
    _block_ends: np.ndarray = field(init=False, repr=False, compare=False)
    _block_type: np.ndarray = field(init=False, repr=False, compare=False)
    _block_shift: np.ndarray = field(init=False, repr=False, compare=False)
    _part_ends: np.ndarray = field(init=False, repr=False, compare=False)
    _part_starts: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        r = np.asarray(self.ranges, dtype=np.int64).reshape(len(self.names), -1, 2)
        object.__setattr__(self, "ranges", r)
        sizes = r[:, :, 1] - r[:, :, 0]  # (T, P)
        object.__setattr__(self, "_sizes", sizes)
        # Type-wise offsets: per-type ID of the first item of type t in partition p.
        typed = np.zeros((r.shape[0], r.shape[1] + 1), dtype=np.int64)
        np.cumsum(sizes, axis=1, out=typed[:, 1:])
        object.__setattr__(self, "_typed_starts", typed)
        # Blocks in hid order (partition-major, type-minor).
        block_ends = r[:, :, 1].T.reshape(-1)  # index p*T + t
        object.__setattr__(self, "_block_ends", block_ends)
        # Per block: its type, and what turns a hid into a per-type ID (per = hid + shift).
        object.__setattr__(self, "_block_type", np.tile(np.arange(r.shape[0], dtype=np.int64), r.shape[1]))
        object.__setattr__(self, "_block_shift", (typed[:, :-1] - r[:, :, 0]).T.reshape(-1))
        part_ends = r[:, :, 1].max(axis=0) if r.shape[0] else np.zeros(r.shape[1], np.int64)
        part_starts = r[:, :, 0].min(axis=0) if r.shape[0] else np.zeros(r.shape[1], np.int64)
        object.__setattr__(self, "_part_ends", part_ends)
        object.__setattr__(self, "_part_starts", part_starts)

    # -- sizes ---------------------------------------------------------------------
    @property
    def num_types(self) -> int:
        return int(self.ranges.shape[0])

    @property
    def num_parts(self) -> int:
        return int(self.ranges.shape[1])

    @property
    def total(self) -> int:
        return int(self._sizes.sum())

    def count(self, type_id: int) -> int:
        """Number of items of one type in the whole set."""
        return int(self._typed_starts[type_id, -1])

    def part_range(self, part_id: int) -> tuple[int, int]:
        """The hid range ``[start, end)`` of partition ``part_id``."""
        return int(self._part_starts[part_id]), int(self._part_ends[part_id])

    def part_sizes(self) -> np.ndarray:
        """Items per partition (all types)."""
        return np.asarray(self._sizes.sum(axis=0))

    def type_id(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise KeyError(f"unknown {self.kind} type {name!r}; known: {list(self.names)}") from None

    # -- maps ----------------------------------------------------------------------
    def to_partition(self, hids: ArrayLike) -> np.ndarray:
        """Owner partition of each hid."""
        ids = _as_ids(hids, f"{self.kind} ID", self.total)
        return np.searchsorted(self._part_ends, ids, side="right").astype(np.int64, copy=False)

    def to_per_type(self, hids: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """``(type_ids, per_type_ids)`` of each hid."""
        ids = _as_ids(hids, f"{self.kind} ID", self.total)
        block = np.searchsorted(self._block_ends, ids, side="right")
        return self._block_type.take(block), ids + self._block_shift.take(block)

    def type_blocks(self, part_id: int | None = None) -> list[tuple[int, int, int]]:
        """``(type ID, start, end)`` of the non-empty hid blocks of one partition (default: of all,
        partition-major), in hid order."""
        parts = range(self.num_parts) if part_id is None else [part_id]
        return [(t, int(a), int(b)) for p in parts for t, (a, b) in enumerate(self.ranges[:, p].tolist()) if b > a]

    def to_homogeneous(self, type_name_or_id: str | int | np.integer[Any], per_type_ids: ArrayLike) -> np.ndarray:
        """hid of each per-type ID of one type."""
        t = int(type_name_or_id) if isinstance(type_name_or_id, (int, np.integer)) else self.type_id(type_name_or_id)
        ids = _as_ids(per_type_ids, f"{self.names[t]} ID", self.count(t))
        p = np.searchsorted(self._typed_starts[t, 1:], ids, side="right")
        return np.asarray(self.ranges[t, p, 0] + ids - self._typed_starts[t, p])

    def part_ids(self, part_id: int) -> np.ndarray:
        """All hids owned by one partition."""
        s, e = self.part_range(part_id)
        return np.arange(s, e, dtype=np.int64)


class PartitionBook:
    """Node and edge ID maps of a partition set, built from the config's ranges."""

    def __init__(self, node_ranges: np.ndarray, edge_ranges: np.ndarray,
                 ntypes: list[str] | tuple[str, ...], etypes: list[str] | tuple[str, ...]) -> None:
        self.nodes = IdMap(node_ranges, tuple(ntypes), "node")
        self.edges = IdMap(edge_ranges, tuple(etypes), "edge")

    @classmethod
    def from_config(cls, config: PartitionConfig) -> PartitionBook:
        etypes = [":".join(c) for c in config.canonical_etypes]
        return cls(config.node_ranges(), config.edge_ranges(), config.ntype_names, etypes)

    @property
    def num_parts(self) -> int:
        return self.nodes.num_parts

    # DGL-style names, vectorised.
    def nid2partid(self, gids: ArrayLike) -> np.ndarray:
        return self.nodes.to_partition(gids)

    def eid2partid(self, gids: ArrayLike) -> np.ndarray:
        return self.edges.to_partition(gids)

    def map_to_per_ntype(self, gids: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        return self.nodes.to_per_type(gids)

    def map_to_per_etype(self, gids: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        return self.edges.to_per_type(gids)

    def map_to_homogeneous(self, ntype: str | int, ids: ArrayLike) -> np.ndarray:
        """Per-type node IDs of ``ntype`` (name or ID) to homogeneous IDs."""
        return self.nodes.to_homogeneous(ntype, ids)

    def map_to_homogeneous_eid(self, etype: str | int | tuple[str, str, str], ids: ArrayLike) -> np.ndarray:
        """Per-type edge IDs of ``etype`` (canonical string/tuple or ID) to homogeneous IDs."""
        if isinstance(etype, tuple):
            etype = ":".join(etype)
        return self.edges.to_homogeneous(etype, ids)

    def partid2nids(self, part_id: int) -> np.ndarray:
        return self.nodes.part_ids(part_id)

    def partid2eids(self, part_id: int) -> np.ndarray:
        return self.edges.part_ids(part_id)
