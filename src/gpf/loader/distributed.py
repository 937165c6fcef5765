"""``torch.distributed`` helpers: which partitions a rank owns, gradient averaging."""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["rank_partitions", "rank_and_world_size", "all_reduce_gradients"]


def rank_partitions(num_parts: int, rank: int, world_size: int) -> np.ndarray:
    """The partitions rank ``rank`` owns: a contiguous block, sizes differing by at most one.

    As in DistDGL each partition is owned by exactly one rank; with more partitions than
    ranks, rank ``r`` owns ``np.array_split(range(num_parts), world_size)[r]``.
    """
    if not 0 < world_size <= num_parts:
        raise ValueError(f"world_size must be in [1, num_parts={num_parts}] (each rank owns at least one "
                         f"partition), got {world_size}")
    if not 0 <= rank < world_size:
        raise ValueError(f"rank must be in [0, {world_size}), got {rank}")
    return np.array_split(np.arange(num_parts, dtype=np.int64), world_size)[rank]


def rank_and_world_size(rank: int | None, world_size: int | None) -> tuple[int, int]:
    """Fill in ``rank``/``world_size`` from the initialised default process group (else 0 / 1)."""
    import torch.distributed as dist

    initialised = dist.is_available() and dist.is_initialized()
    if rank is None:
        rank = dist.get_rank() if initialised else 0
    if world_size is None:
        world_size = dist.get_world_size() if initialised else 1
    return int(rank), int(world_size)


def all_reduce_gradients(module: torch.nn.Module) -> None:
    """Average the gradients of ``module`` over all ranks (one all-reduce per parameter)."""
    import torch.distributed as dist

    world = dist.get_world_size()
    for p in module.parameters():
        if p.grad is not None:
            dist.all_reduce(p.grad, op=dist.ReduceOp.SUM)
            p.grad /= world
