"""Inner edges of every partition, grouped once by (edge type, owner of the source).

Partition ``p``'s inner edges are all in-edges of its inner nodes (spec 5.1); their
sources are inner or HALO nodes of ``p``.  Cluster-GCN keeps an edge of a batch iff the
owner of its source is in the batch, so if each partition's inner edges are grouped by
``(etype, source owner)``, a batch's edges of one type are the groups ``(p, r, q)`` for
``p, q`` in the batch: a handful of contiguous slices of one flat array.

The grouping is computed in memory when a loader is built (a stable argsort per
partition); the files keep the writer's (DGL's) edge order.  Endpoints are stored as
offsets inside their node block ``(type, owner)`` -- ``hid - s(t, q)`` -- in int32, so a
batch relabels an edge by adding the batch position of the block (one add per group).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from gpf.errors import GpfError
from gpf.loader.transfer import Transfer

__all__ = ["GroupedEdges", "group_inner_edges", "etype_endpoints"]


@dataclass
class GroupedEdges:
    """``rel[:, ptr[g]:ptr[g+1]]`` are the inner edges of group ``g = (p * R + r) * P + q``.

    ``rel[0]``: source offset in block (src type, q); ``rel[1]``: destination offset in
    block (dst type, p).  ``eid``: per-type edge ID of each edge (only when asked for).
    """

    rel: torch.Tensor           # (2, E) int32, host (pinned for CUDA) or device
    ptr: np.ndarray             # (P * R * P + 1,) int64, host
    eid: torch.Tensor | None  # (E,) int64 per-type edge IDs, or None
    num_parts: int
    num_etypes: int

    def segments(self, parts: np.ndarray, etype_id: int) -> tuple[np.ndarray, np.ndarray]:
        """``(starts, lengths)`` of the groups ``(p, etype_id, q)``, ``p`` major, both in ``parts``."""
        g = ((parts[:, None] * self.num_etypes + etype_id) * self.num_parts + parts[None, :]).reshape(-1)
        starts = self.ptr[g]
        return starts, self.ptr[g + 1] - starts


def etype_endpoints(ps) -> list[tuple[int, int]]:
    """(src ntype ID, dst ntype ID) of each edge type, in type-ID order."""
    return [(ps.ntypes.index(s), ps.ntypes.index(d)) for s, _, d in ps.etypes]


def group_inner_edges(ps, transfer: Transfer, with_eid: bool = False) -> GroupedEdges:
    P, R = ps.num_parts, len(ps.etypes)
    ends = etype_endpoints(ps)
    src_type = np.array([s for s, _ in ends], np.int64)
    dst_type = np.array([d for _, d in ends], np.int64)
    block_start = ps.book.nodes.ranges[:, :, 0]             # (T, P)
    block_size = ps.book.nodes.ranges[:, :, 1] - block_start
    key_dtype = np.int16 if R * P < 2 ** 15 else np.int64    # int16: numpy's stable sort is a radix sort

    counts = np.zeros((P, R * P), np.int64)
    chunks_rel, chunks_eid = [], []
    for part in ps:
        p = part.part_id
        inner = np.asarray(part.inner_edge)
        src_l, dst_l = np.asarray(part.src)[inner], np.asarray(part.dst)[inner]
        nid, owner = part.global_nid, part.owner
        r = part.etype_ids[inner].astype(np.int64)
        q = owner[src_l]
        ts, td = src_type[r], dst_type[r]
        src_rel = nid[src_l] - block_start[ts, q]
        dst_rel = nid[dst_l] - block_start[td, p]
        bad = np.flatnonzero((src_rel < 0) | (src_rel >= block_size[ts, q])
                             | (dst_rel < 0) | (dst_rel >= block_size[td, p]) | (owner[dst_l] != p))
        if bad.size:
            e = int(np.flatnonzero(inner)[bad[0]])
            raise GpfError(f"{part.graph.source}: partition {p}: inner edge {e} (EID {int(part.global_eid[e])}) "
                           f"joins node {int(nid[part.src[e]])} -> {int(nid[part.dst[e]])}, which do not lie in the "
                           f"node blocks of its edge type {':'.join(ps.etypes[int(part.etype_ids[e])])} "
                           "(source owner / destination in this partition)")
        key = (r * P + q).astype(key_dtype)
        order = np.argsort(key, kind="stable")
        counts[p] = np.bincount(key.astype(np.int64), minlength=R * P)
        chunks_rel.append(np.stack([src_rel[order], dst_rel[order]]).astype(np.int32))
        if with_eid:
            per_type = ps.book.map_to_per_etype(part.global_eid[inner])[1]
            chunks_eid.append(per_type[order])
    total = int(counts.sum())
    rel, view = transfer.host_table((2, total), np.dtype(np.int32))
    if chunks_rel:
        np.concatenate(chunks_rel, axis=1, out=view)
    ptr = np.zeros(P * R * P + 1, np.int64)
    np.cumsum(counts.reshape(-1), out=ptr[1:])
    eid = None
    if with_eid:
        eid, eview = transfer.host_table((total,), np.dtype(np.int64))
        if chunks_eid:
            np.concatenate(chunks_eid, out=eview)
    return GroupedEdges(rel, ptr, eid, P, R)
