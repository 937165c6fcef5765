"""Which rank owns which node: the partition book, cut by rank, as torch lookups.

Rank ``r`` owns the partitions ``rank_partitions(P, r, W)``, a contiguous block, so it
owns one contiguous range of homogeneous node IDs (hids are partition-major) and, for
each node type, one contiguous range of per-type IDs.  Everything here is a
``searchsorted`` on a handful of boundaries; nothing loops over nodes.
"""

from __future__ import annotations

import numpy as np
import torch

from gpf.errors import GpfError
from gpf.loader.distributed import rank_partitions

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


def owned_feature_chunks(ps, own: Ownership, t: int, key: str, what: str, *, one_column: bool = False
                         ) -> list[np.ndarray]:
    """The stored node feature ``key`` of each partition this rank owns (type ``t``), one row per owned node.

    A partition that owns no type-``t`` node may lack the feature; any other that lacks it, or stores a row
    count other than its owned count, is an error naming the partition (``what`` names the use).
    """
    chunks = []
    for p in own.parts.tolist():
        want = int(ps.book.nodes.ranges[t, p, 1] - ps.book.nodes.ranges[t, p, 0])
        feats = ps.partition(p).node_feats
        if key not in feats:
            if want:
                raise GpfError(f"{ps.path}: partition {p}: {what} {key!r} is not a stored node feature "
                               f"(have {sorted(feats)})")
            continue
        arr = np.asarray(feats[key])
        if arr.shape[:1] != (want,) or (one_column and arr.ndim != 1):
            raise GpfError(f"{ps.path}: partition {p}: {what} {key!r} has shape {arr.shape}, "
                           f"expected {(want,) if one_column else f'{want} rows'} (one per owned node)")
        chunks.append(arr)
    return chunks
