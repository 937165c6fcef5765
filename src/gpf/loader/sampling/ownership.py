"""Which rank owns which node: the partition book, cut by rank, as torch lookups.

Rank ``r`` owns the partitions ``rank_partitions(P, r, W)``, a contiguous block, so it
owns one contiguous range of homogeneous node IDs (hids are partition-major) and, for
each node type, one contiguous range of per-type IDs.  Everything here is a
``searchsorted`` on a handful of boundaries; nothing loops over nodes.
"""

from __future__ import annotations

import numpy as np
import torch

from gpf.loader.distributed import rank_partitions
from gpf.sdk.read.features import feature_columns, gather_features

__all__ = ["Ownership"]


class Ownership:
    def __init__(self, ps, rank: int, world_size: int, device: torch.device) -> None:
        idmap = ps.book.nodes
        P, T = ps.num_parts, len(ps.ntypes)
        self.rank, self.world_size, self.num_types = rank, world_size, T
        self.parts = rank_partitions(P, rank, world_size)
        blocks = np.array_split(np.arange(P), world_size)
        first = np.array([b[0] for b in blocks], np.int64)
        last = np.array([b[-1] for b in blocks], np.int64)
        ranges = idmap.ranges                                          # (T, P, 2)
        part_start = ranges[:, :, 0].min(axis=0)
        part_end = ranges[:, :, 1].max(axis=0)
        #: hid range of each rank: [hid_start[r], hid_end[r])
        self.hid_start = part_start[first]
        self.hid_end = part_end[last]
        sizes = ranges[:, :, 1] - ranges[:, :, 0]
        typed = np.zeros((T, P + 1), np.int64)
        np.cumsum(sizes, axis=1, out=typed[:, 1:])
        #: per-type ID range of each (type, rank): [type_start[t, r], type_end[t, r])
        self.type_start = typed[:, first]
        self.type_end = typed[:, last + 1]
        self.lo, self.hi = int(self.hid_start[rank]), int(self.hid_end[rank])
        self.type_lo = self.type_start[:, rank].copy()
        self.type_hi = self.type_end[:, rank].copy()
        # hid -> (type, per-type ID): blocks in hid order (partition-major, type-minor)
        self._block_ends = torch.from_numpy(np.ascontiguousarray(ranges[:, :, 1].T.reshape(-1))).to(device)
        self._block_type = torch.arange(T, device=device).repeat(P)
        self._block_shift = torch.from_numpy(np.ascontiguousarray((typed[:, :-1] - ranges[:, :, 0]).T.reshape(-1))).to(device)
        self._rank_ends = torch.from_numpy(self.hid_end.copy()).to(device)
        self._typed_ends = torch.from_numpy(np.ascontiguousarray(typed[:, 1:])).to(device)   # (T, P)
        self._ranges_start = torch.from_numpy(np.ascontiguousarray(ranges[:, :, 0])).to(device)
        self._typed_start = torch.from_numpy(np.ascontiguousarray(typed[:, :-1])).to(device)

    @property
    def num_owned(self) -> int:
        return self.hi - self.lo

    def owner_rank(self, hids: torch.Tensor) -> torch.Tensor:
        return torch.searchsorted(self._rank_ends, hids, right=True)

    def split(self, hids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(type, per-type ID)`` of each hid."""
        block = torch.searchsorted(self._block_ends, hids, right=True)
        return self._block_type.index_select(0, block), hids + self._block_shift.index_select(0, block)

    def to_hid(self, t: int, per_type: torch.Tensor) -> torch.Tensor:
        p = torch.searchsorted(self._typed_ends[t], per_type, right=True)
        return self._ranges_start[t, p] + per_type - self._typed_start[t, p]


def owned_columns(ps, own: Ownership, t: int, names: list[str]):
    """Where the stored node features ``names`` (bare names, side by side) of type ``t`` lie in the
    partitions this rank owns, checked as the set-level gather checks them; no other partition is opened."""
    return feature_columns(ps, "node", ps.ntypes[t], names, parts=own.parts.tolist())


def owned_rows(ps, own: Ownership, t: int, names: list[str], out: np.ndarray | None = None, columns=None
               ) -> np.ndarray:
    """The rows of ``names`` for the type-``t`` nodes this rank owns, in per-type ID order (into ``out``)."""
    cols = columns if columns is not None else owned_columns(ps, own, t, names)
    return gather_features(ps, "node", ps.ntypes[t], names, slice(int(own.type_lo[t]), int(own.type_hi[t])),
                           out=out, columns=cols)
