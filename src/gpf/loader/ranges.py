"""Vectorised index ranges (no Python loop over nodes or edges)."""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["expand_ranges", "exclusive_cumsum"]


def exclusive_cumsum(a: np.ndarray) -> np.ndarray:
    out = np.zeros_like(a)
    if a.size > 1:
        np.cumsum(a[:-1], out=out[1:])
    return out


def expand_ranges(starts: torch.Tensor, lengths: torch.Tensor, total: int) -> torch.Tensor:
    """``cat([arange(s, s + l) for s, l in zip(starts, lengths)])`` with one ``repeat_interleave``.

    ``total`` (= ``lengths.sum()``) is passed in so that nothing waits on the device.
    """
    device = starts.device
    if total == 0:
        return torch.zeros(0, dtype=torch.int64, device=device)
    offsets = torch.cumsum(lengths, 0) - lengths
    return torch.arange(total, device=device) + torch.repeat_interleave(starts - offsets, lengths, output_size=total)
