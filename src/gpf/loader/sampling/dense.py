"""Dense per-node lookups for the sampler's hot paths, where they fit a memory budget.

A sorted search costs about twenty cache misses per query, a dense array one: where an
``int32`` entry per node of the set fits :data:`DENSE_BUDGET_BYTES`, the sampler keeps
one (the slot of each row, the scratch map of a batch's nodes) instead of searching.

:func:`hugepage_empty` allocates the large CPU tables that batches gather from at random
(feature columns, the CSC) in memory the kernel may back with 2 MiB pages, so those
gathers miss the TLB less often (Linux, transparent huge pages in ``madvise`` mode;
elsewhere a plain ``torch.empty``).
"""

from __future__ import annotations

import mmap

import numpy as np
import torch

__all__ = ["DENSE_BUDGET_BYTES", "fits_dense", "group_steps", "hugepage_empty", "BatchIndex"]

#: most bytes one dense lookup array may take
DENSE_BUDGET_BYTES = 64 << 20
_HUGE_MIN_BYTES = 2 << 20
#: a batch map's entries: -1 (not in the batch), or this plus the node's position (positions < this: the map
#: only exists where an entry per node fits DENSE_BUDGET_BYTES)
_SEEN = 1 << 30
_HUGE_PAGE = 2 << 20


def fits_dense(num_nodes: int) -> bool:
    return 4 * int(num_nodes) <= DENSE_BUDGET_BYTES


def group_steps(num_nodes: int, most: int) -> int:
    """How many steps a group samples together: ``most``, or fewer where a dense batch map (an ``int32`` per
    node and step, up to ``4 * DENSE_BUDGET_BYTES``) of ``most`` steps would not fit but one of fewer does
    (``most`` again where not even one step's fits: the batch map is then sorted, whatever the group)."""
    steps = max(1, int(most))
    while steps > 1 and 4 * steps * int(num_nodes) > 4 * DENSE_BUDGET_BYTES:
        steps //= 2
    return steps if 4 * steps * int(num_nodes) <= 4 * DENSE_BUDGET_BYTES else max(1, int(most))


def hugepage_empty(shape: tuple[int, ...], dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """``torch.empty(shape, dtype)`` on ``device``; large CPU tensors in huge-page-advised memory."""
    numel = int(np.prod(shape))
    itemsize = torch.empty(0, dtype=dtype).element_size()
    advise = getattr(mmap, "MADV_HUGEPAGE", None)
    if device.type != "cpu" or advise is None or numel * itemsize < _HUGE_MIN_BYTES:
        return torch.empty(shape, dtype=dtype, device=device)
    nbytes = numel * itemsize
    region = mmap.mmap(-1, nbytes + _HUGE_PAGE, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    try:
        region.madvise(advise)
    except OSError:                       # kernel without THP: plain pages, same memory
        pass
    raw = torch.frombuffer(region, dtype=torch.uint8)      # keeps the mapping alive
    skip = -raw.data_ptr() % _HUGE_PAGE                    # start on a huge-page boundary
    return raw[skip:skip + nbytes].view(dtype).view(shape)


class BatchIndex:
    """Positions of a batch's nodes: ``add(cand)`` returns the distinct nodes of ``cand`` not seen yet
    and the position of every ``cand`` entry among all nodes added so far; :meth:`reset` forgets them.

    Dense (an ``int32`` scratch entry per node of the set, reset after each batch) where that fits the
    budget; else one sort per call.
    """

    def __init__(self, num_nodes: int, device: torch.device, steps: int = 1) -> None:
        """A map for batches of ``steps`` at once (keys ``step * num_nodes + node``), dense where it fits
        ``4 * DENSE_BUDGET_BYTES`` (see :func:`group_steps`)."""
        keys = int(steps) * int(num_nodes)
        self._map = hugepage_empty((keys,), torch.int32, device).fill_(-1) \
            if 4 * keys <= 4 * DENSE_BUDGET_BYTES else None
        self._nodes: list[torch.Tensor] = []
        self._count = 0

    def start(self, nodes: torch.Tensor) -> None:
        """Begin a batch with ``nodes`` (the seeds), in their order, at positions ``0..len - 1``."""
        self.reset()
        if self._map is not None:
            self._map.index_copy_(0, nodes, torch.arange(_SEEN, _SEEN + nodes.numel(), dtype=torch.int32,
                                                         device=nodes.device))
        self._nodes.append(nodes)
        self._count = int(nodes.numel())

    def add(self, cand: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        m = self._map
        if m is None or cand.numel() >= _SEEN:
            known = torch.cat(self._nodes) if self._nodes else cand[:0]
            fresh, local = _new_nodes_sorted(known, cand)
            if m is not None:
                m.index_copy_(0, fresh, torch.arange(_SEEN + self._count, _SEEN + self._count + fresh.numel(),
                                                     dtype=torch.int32, device=cand.device))
        else:
            # A node seen before holds _SEEN + its position, above any entry's index: the scatter leaves it.
            # A new one gets its last entry's index (max; deterministic, no sort): that entry represents it.
            pos = torch.arange(cand.numel(), dtype=torch.int32, device=cand.device)
            m.scatter_reduce_(0, cand, pos, "amax")
            fresh = cand[m.index_select(0, cand) == pos]
            m.index_copy_(0, fresh, torch.arange(_SEEN + self._count, _SEEN + self._count + fresh.numel(),
                                                 dtype=torch.int32, device=cand.device))
            local = m.index_select(0, cand).to(torch.int64) - _SEEN
        self._nodes.append(fresh)
        self._count += int(fresh.numel())
        return fresh, local

    def reset(self) -> None:
        if self._map is not None:
            for nodes in self._nodes:
                self._map.index_fill_(0, nodes, -1)
        self._nodes, self._count = [], 0


def _new_nodes_sorted(known: torch.Tensor, cand: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(fresh, local)`` by sorting: the distinct nodes of ``cand`` not in ``known`` (distinct), ascending,
    and the position of each ``cand`` entry in ``cat([known, fresh])``."""
    if cand.numel() == 0:
        return cand, cand
    narrow = cand.to(torch.int32) if int(cand.max()) < 2 ** 31 else cand   # sorts faster
    uniq, inv = torch.unique(narrow, return_inverse=True)
    uniq = uniq.to(cand.dtype)
    if known.numel() == 0:
        return uniq, inv
    ks, kpos = torch.sort(known)
    at = torch.searchsorted(ks, uniq).clamp_(max=ks.numel() - 1)
    is_known = ks[at] == uniq
    fresh = uniq[~is_known]
    local = torch.where(is_known, kpos[at], known.numel() + torch.cumsum(~is_known, 0) - 1)
    return fresh, local[inv]
