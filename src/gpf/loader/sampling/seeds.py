"""This rank's seeds, and how an epoch cuts them into batches that every rank can keep up with.

Seeds are per-type IDs of one node type (the *seed type*), given as

* the name of a stored bool node feature (``"train_mask"``, ``"paper/train_mask"``):
  read from this rank's own partitions only;
* an array of IDs (or a bool mask over all nodes of the type), the same on every rank:
  each rank keeps the IDs it owns (as DistDGL's ``node_split``);
* ``None``: every node of the seed type this rank owns.

Epoch ``e`` shuffles them with ``default_rng([seed, rank, e])`` and cuts them into
batches of ``batch_size`` (the last one smaller, or dropped with ``drop_last``).  Ranks
own different numbers of seeds, but collectives need every rank to run the same number
of steps: every rank runs ``steps`` = the largest count of any rank, and a rank with
fewer batches of its own ends the epoch with *filler* steps: empty batches
(``fill="empty"``, ``batch_size == 0``: it still answers the others' requests) or
``batch_size`` of its seeds drawn again at random (``fill="repeat"``; empty when it has
none).  So each seed is in exactly one of a rank's own batches per epoch.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from gpf.errors import GpfError
from gpf.loader.sampling.ownership import owned_rows

__all__ = ["resolve_seed_type", "owned_seeds", "EpochPlan"]


def resolve_seed_type(ps, seeds, seed_type: str | None) -> tuple[str, object]:
    """``(seed type, seeds)``, taking the type from ``"type/name"`` when given that way."""
    if isinstance(seeds, str) and "/" in seeds:
        t, name = seeds.split("/", 1)
        if seed_type is not None and seed_type != t:
            raise ValueError(f"seeds={seeds!r} names node type {t!r} but seed_type={seed_type!r}")
        seed_type, seeds = t, name
    if seed_type is None:
        if len(ps.ntypes) != 1:
            raise ValueError(f"{ps.path}: a heterogeneous set needs seed_type (one of {list(ps.ntypes)})")
        seed_type = ps.ntypes[0]
    if seed_type not in ps.ntypes:
        raise ValueError(f"{ps.path}: unknown seed type {seed_type!r} (node types: {list(ps.ntypes)})")
    return seed_type, seeds


def owned_seeds(ps, own, t: int, seeds) -> np.ndarray:
    """Sorted unique per-type IDs of the type-``t`` seeds this rank owns."""
    lo, hi = int(own.type_lo[t]), int(own.type_hi[t])
    nt = ps.ntypes[t]
    if seeds is None:
        return np.arange(lo, hi, dtype=np.int64)
    if isinstance(seeds, str):
        try:
            mask = owned_rows(ps, own, t, [seeds])
        except GpfError as exc:
            raise GpfError(f"seed mask {nt}/{seeds}: {exc}") from None
        if mask.ndim != 1:
            raise GpfError(f"{ps.path}: seed mask {nt}/{seeds} has shape {mask.shape[1:]} per node, expected "
                           "one value per node")
        return lo + np.flatnonzero(mask != 0).astype(np.int64)
    arr = seeds.cpu().numpy() if isinstance(seeds, torch.Tensor) else np.asarray(seeds)
    count = ps.book.nodes.count(t)
    if arr.dtype == np.bool_:
        if arr.shape != (count,):
            raise ValueError(f"a bool seed mask must have one entry per {nt!r} node ({count}), got shape {arr.shape}")
        arr = np.flatnonzero(arr)
    if arr.size and arr.dtype.kind not in "iu":
        raise TypeError(f"seeds must be integer node IDs or a bool mask, got dtype {arr.dtype}")
    arr = arr.astype(np.int64).reshape(-1)
    if arr.size and (int(arr.min()) < 0 or int(arr.max()) >= count):
        bad = int(arr.min()) if int(arr.min()) < 0 else int(arr.max())
        raise IndexError(f"seed {bad} is out of range [0, {count}) of node type {nt!r}")
    arr = np.unique(arr)
    return arr[(arr >= lo) & (arr < hi)]


class EpochPlan:
    FILLS = ("empty", "repeat")

    def __init__(self, seeds: np.ndarray, batch_size: int, shuffle: bool, drop_last: bool, fill: str,
                 seed: int, rank: int) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if fill not in self.FILLS:
            raise ValueError(f"fill must be one of {self.FILLS}, got {fill!r}")
        self.seeds, self.batch_size, self.shuffle, self.drop_last = seeds, int(batch_size), shuffle, drop_last
        self.fill, self.seed, self.rank = fill, int(seed), int(rank)
        n = seeds.size
        self.own_steps = n // self.batch_size if drop_last else math.ceil(n / self.batch_size)
        self.steps = self.own_steps  # raised to the maximum over ranks by the loader

    def batches(self, epoch: int) -> list[np.ndarray]:
        rng = np.random.default_rng([self.seed, self.rank, int(epoch)])
        order = rng.permutation(self.seeds) if self.shuffle else self.seeds
        bs = self.batch_size
        out = [order[i * bs:(i + 1) * bs] for i in range(self.own_steps)]
        for _ in range(self.steps - self.own_steps):
            if self.fill == "repeat" and self.seeds.size:
                out.append(np.sort(rng.choice(self.seeds, size=min(bs, self.seeds.size), replace=False)))
            else:
                out.append(np.zeros(0, np.int64))
        return out
