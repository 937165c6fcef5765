"""R-MAT graph generator (vectorised numpy), shared by the benchmarks.

    src, dst = rmat(scale=20, edge_factor=16, seed=0)   # 2**20 nodes, 16 * 2**20 edges
"""

from __future__ import annotations

import numpy as np

__all__ = ["rmat"]


def rmat(scale: int, edge_factor: int = 16, *, a: float = 0.57, b: float = 0.19, c: float = 0.19,
         seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Directed R-MAT edges (int64) over ``2**scale`` nodes; node IDs are randomly permuted."""
    rng = np.random.default_rng(seed)
    n, m = 1 << scale, edge_factor << scale
    src = np.zeros(m, dtype=np.int64)
    dst = np.zeros(m, dtype=np.int64)
    for level in range(scale):
        r = rng.random(m, dtype=np.float32)
        # quadrants: a = (0,0), b = (0,1), c = (1,0), d = (1,1)
        src_bit = r >= a + b
        dst_bit = ((r >= a) & (r < a + b)) | (r >= a + b + c)
        src |= src_bit.astype(np.int64) << level
        dst |= dst_bit.astype(np.int64) << level
    perm = rng.permutation(n)
    return perm[src], perm[dst]
