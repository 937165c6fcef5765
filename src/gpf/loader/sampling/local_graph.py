"""The in-edges of the nodes one rank owns, as one CSC keyed by (node, edge type).

Every edge of a partition set is stored, as an *inner edge*, with its destination's
partition (spec 5.1), so the inner edges of a rank's partitions are exactly the
in-edges of the nodes it owns: it can sample any of its nodes' neighbourhoods without
asking anyone.  Edges are sorted once by ``key = (dst hid - lo) * R + etype``;
``colptr[key]:colptr[key + 1]`` are the slots of one node's in-edges of one type.
Sources are stored as hids (int32 when the set has fewer than 2**31 nodes), edge IDs as
per-type edge IDs (only when asked for).
"""

from __future__ import annotations

import numpy as np
import torch

from gpf.errors import GpfError
from gpf.loader.sampling.dense import hugepage_empty

__all__ = ["LocalGraph"]


class LocalGraph:
    def __init__(self, ps, parts: np.ndarray, lo: int, hi: int, device: torch.device, with_eids: bool) -> None:
        R = len(ps.etypes)
        n_local = hi - lo
        keys, srcs, eids = [], [], []
        for p in parts.tolist():
            part = ps.partition(p)
            inner = np.asarray(part.inner_edge)
            nid = part.global_nid
            src = nid[np.asarray(part.src)[inner]]
            dst = nid[np.asarray(part.dst)[inner]]
            bad = np.flatnonzero((dst < lo) | (dst >= hi))
            if bad.size:
                e = int(np.flatnonzero(inner)[bad[0]])
                raise GpfError(f"{part.graph.source}: partition {p}: inner edge {e} (EID {int(part.global_eid[e])}) "
                               f"ends at node {int(dst[bad[0]])}, which this partition does not own")
            r = np.asarray(part.etype_ids)[inner].astype(np.int64)
            keys.append((dst - lo) * R + r)
            srcs.append(src)
            if with_eids:
                eids.append(ps.book.map_to_per_etype(part.global_eid[inner])[1])
        key = np.concatenate(keys) if keys else np.zeros(0, np.int64)
        order = np.argsort(key, kind="stable")
        counts = np.bincount(key, minlength=n_local * R)
        colptr = np.zeros(n_local * R + 1, np.int64)
        np.cumsum(counts, out=colptr[1:])
        src_dtype = np.int32 if ps.num_nodes < 2 ** 31 else np.int64
        src = (np.concatenate(srcs) if srcs else np.zeros(0, np.int64))[order].astype(src_dtype)
        self.num_etypes = R
        self.colptr = _table(colptr, device)
        self.src = _table(src, device)
        self.eid = torch.from_numpy(np.concatenate(eids)[order]).to(device) if with_eids else None

    @property
    def num_edges(self) -> int:
        return int(self.src.numel())

    def nbytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in (self.colptr, self.src, self.eid) if t is not None)


def _table(a: np.ndarray, device: torch.device) -> torch.Tensor:
    """``a`` on ``device``, sampled from at random: in huge-page-advised memory on the CPU."""
    out = hugepage_empty(a.shape, torch.from_numpy(a[:0]).dtype, device)
    out.copy_(torch.from_numpy(a))
    return out
