"""Uniform neighbour sampling over a CSC, vectorised (no loop over nodes).

:func:`sample_slots` picks, for each of ``n`` nodes whose in-edges are the CSC slots
``[start, start + deg)``, up to ``k`` of them:

* ``k < 0``: every slot;
* ``replace=True``: ``k`` independent uniform draws (none for a node without in-edges);
* otherwise (default) a uniform random subset of ``min(k, deg)`` distinct slots: nodes
  with ``deg <= k`` take all of theirs; the others run Floyd's algorithm, vectorised over
  the nodes (``k`` steps, each one ``rand`` for every node), so the cost does not grow
  with the degree of hub nodes.

Edges come out grouped by node, in node order, without a sort.
"""

from __future__ import annotations

import torch

from gpf.loader.ranges import expand_ranges

__all__ = ["sample_slots"]


def _randint_below(bound: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """One uniform draw in ``[0, bound)`` per entry (``bound >= 1``)."""
    r = torch.rand(bound.shape, generator=generator, dtype=torch.float64, device=bound.device)
    return torch.minimum((r * bound).to(torch.int64), bound - 1)


def sample_slots(start: torch.Tensor, deg: torch.Tensor, k: int, replace: bool = False,
                 generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``(which, slot)``: for each sampled edge, the index of its node in ``start`` and its CSC slot.

    Edges come grouped by node, nodes in order (``which`` ascends), so the caller never sorts.
    """
    device = start.device
    n = start.numel()
    empty = torch.zeros(0, dtype=torch.int64, device=device)
    if n == 0 or k == 0:
        return empty, empty
    if k < 0:
        return _all_slots(torch.arange(n, device=device), start, deg)
    if replace:
        has = torch.nonzero(deg > 0).view(-1)
        which = has.repeat_interleave(k)
        return which, start.index_select(0, which) + _randint_below(deg.index_select(0, which), generator)
    count = deg.clamp(max=k)
    total = int(count.sum())
    offset = torch.cumsum(count, 0) - count                   # where each node's edges start in the output
    which = torch.repeat_interleave(torch.arange(n, device=device), count, output_size=total)
    # each edge's place among its node's slots: every slot of a node with deg <= k, Floyd's picks for the others
    within = torch.arange(total, device=device) - offset.index_select(0, which)
    idx_big = torch.nonzero(deg > k).view(-1)
    if idx_big.numel():
        # Floyd: for j = d-k .. d-1: t ~ U[0, j]; take t unless already taken, else j.  Every draw at once;
        # only the "already taken" test runs step by step.  Rows are steps (k x n), each written in place.
        j = deg.index_select(0, idx_big)[None, :] - k + torch.arange(k, device=device)[:, None]
        chosen = _randint_below(j + 1, generator)
        for i in range(1, k):
            t = chosen[i]
            taken = torch.amax((chosen[:i] == t).view(torch.uint8), 0).view(torch.bool)  # any(0), 2x faster on CPU
            torch.where(taken, j[i], t, out=t)
        at = (offset.index_select(0, idx_big)[:, None] + torch.arange(k, device=device)).reshape(-1)
        within.index_copy_(0, at, chosen.t().reshape(-1))
    return which, start.index_select(0, which) + within


def _all_slots(which: torch.Tensor, start: torch.Tensor, deg: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    total = int(deg.sum()) if deg.numel() else 0
    return which.repeat_interleave(deg, output_size=total), expand_ranges(start, deg, total)
