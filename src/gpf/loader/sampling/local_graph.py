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
from gpf.sdk.codecs.mapped import release

__all__ = ["LocalGraph"]


#: edges read, keyed and placed at a time (bounds the build's memory beyond the result)
CHUNK_EDGES = 1 << 18


class LocalGraph:
    def __init__(self, ps, parts: np.ndarray, lo: int, hi: int, device: torch.device, with_eids: bool) -> None:
        R = len(ps.etypes)
        n_keys = (hi - lo) * R
        src_dtype = np.int32 if ps.num_nodes < 2 ** 31 else np.int64
        key_dtype = np.int32 if n_keys < 2 ** 31 else np.int64
        parts_ = [ps.partition(p) for p in parts.tolist()]
        for part in parts_:              # reading checked every edge: let go of the pages that touched
            release(part.src)
            release(part.dst)
        # pass 1: how many in-edges each (node, type) key has -> colptr
        counts = np.zeros(n_keys, np.int64)
        for part in parts_:
            for _, key, _ in _keyed_chunks(part, lo, hi, R, key_dtype, with_src=False):
                counts += np.bincount(key, minlength=n_keys)
        colptr = np.zeros(n_keys + 1, np.int64)
        np.cumsum(counts, out=colptr[1:])
        total = int(colptr[-1])
        # pass 2: place each chunk's edges at their keys' next free slots (file order within a key)
        src_t = hugepage_empty((total,), torch.from_numpy(np.zeros(0, src_dtype)).dtype, torch.device("cpu"))
        src = src_t.numpy()
        eid = np.empty(total, np.int64) if with_eids else None
        fill = colptr[:-1].copy()
        for part in parts_:
            for sel, key, src_hid in _keyed_chunks(part, lo, hi, R, key_dtype):
                order = np.argsort(key, kind="stable")
                ks = key[order]
                new_run = np.empty(ks.size, bool)
                new_run[:1] = True
                np.not_equal(ks[1:], ks[:-1], out=new_run[1:])
                run_start = np.flatnonzero(new_run)
                within = np.arange(ks.size) - np.repeat(run_start, np.diff(np.append(run_start, ks.size)))
                at = fill[ks] + within
                src[at] = src_hid[order]
                if eid is not None:
                    geid = part.global_eid[sel]
                    eid[at] = ps.book.map_to_per_etype(geid)[1][order]
                    release(part.global_eid[sel.start:sel.stop] if isinstance(sel, slice) else geid)
                fill += np.bincount(ks, minlength=n_keys)
        del parts_
        self.num_etypes = R
        self.colptr = _table(colptr, device)
        self.src = src_t.to(device)
        self.eid = torch.from_numpy(eid).to(device) if eid is not None else None

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


def _keyed_chunks(part, lo: int, hi: int, R: int, key_dtype, with_src: bool = True):
    """``(edges, key, src hid)`` per chunk of the partition's inner edges (``edges``: their local
    edge IDs, a slice or an index array; ``src hid`` None without ``with_src``); the mapped input pages
    of each chunk are released after it."""
    nid = part.global_nid
    inner = part.inner_edge
    all_inner = bool(inner.all())
    for a in range(0, part.num_edges, CHUNK_EDGES):
        b = min(a + CHUNK_EDGES, part.num_edges)
        s_raw, d_raw = part.src[a:b], part.dst[a:b]
        if all_inner:
            sel: slice | np.ndarray = slice(a, b)
            s, d = s_raw, d_raw
        else:
            idx = np.flatnonzero(inner[a:b])
            sel = idx + a
            s, d = s_raw[idx], d_raw[idx]
        dst = nid[d]
        bad = np.flatnonzero((dst < lo) | (dst >= hi))
        if bad.size:
            e = a + int(bad[0]) if isinstance(sel, slice) else int(sel[bad[0]])
            raise GpfError(f"{part.graph.source}: partition {part.part_id}: inner edge {e} "
                           f"(EID {int(part.global_eid[e])}) ends at node {int(dst[bad[0]])}, which this "
                           "partition does not own")
        key = (dst - lo).astype(key_dtype)
        if R > 1:
            key *= R
            key += part.etype_ids[sel].astype(key_dtype)
        src_hid = nid[s] if with_src else None
        release(s_raw)
        release(d_raw)
        yield sel, key, src_hid
