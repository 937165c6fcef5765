"""gpf.sdk.aligned and gpf.sdk.arrays: each helper returns what the plain numpy expression returns, on
aligned and unaligned arrays (as DGL's files give them), across block boundaries."""

from __future__ import annotations

import numpy as np
import pytest

from gpf.sdk import aligned
from gpf.sdk.arrays import unique

N = 3 * aligned.BLOCK + 17


def unaligned(a: np.ndarray) -> np.ndarray:
    """A copy of ``a`` at an odd address."""
    raw = np.empty(a.nbytes + 1, dtype=np.uint8)
    out = raw[1:].view(a.dtype) if a.nbytes else a.copy()
    out[...] = a
    assert a.nbytes == 0 or a.dtype.itemsize == 1 or not out.flags.aligned
    return out


def both(a: np.ndarray):
    return [a, unaligned(a)]


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8])
@pytest.mark.parametrize("n", [0, 1, 5, aligned.BLOCK, N])
def test_reductions_match_numpy(dtype, n):
    rng = np.random.default_rng(n)
    base = rng.integers(0, 100, n).astype(dtype)
    variants = [base]
    if n and np.dtype(dtype).kind == "i":
        neg = base.copy()
        neg[rng.integers(0, n)] = -3
        variants.append(neg)
    for v in variants:
        for a in both(v):
            unsigned = a.view(a.dtype.str.replace("i", "u"))
            assert aligned.umax(a) == (int(unsigned.max()) if n else -1)
            assert aligned.min_umax(a) == ((int(a.min()), int(unsigned.max())) if n else (2 ** 63, -1))
            if n:
                assert aligned.min_max(a) == (int(a.min()), int(a.max()))


@pytest.mark.parametrize("n", [0, 1, 2, aligned.BLOCK, aligned.BLOCK + 1, N])
def test_ascending_matches_numpy(n):
    up = np.arange(n, dtype=np.int64) * 2
    cases = [up, up // 4 * 4]  # strictly ascending; ascending with repeats
    if n > 1:
        for at in {1, n // 2, n - 1, min(aligned.BLOCK, n - 1)}:  # one drop, at block edges too
            drop = up.copy()
            drop[at] = drop[at - 1] - 1
            cases.append(drop)
    for c in cases:
        for a in both(c):
            for strict in (False, True):
                cmp = np.greater if strict else np.greater_equal
                assert aligned.ascending(a, strict) == bool(cmp(c[1:], c[:-1]).all())


@pytest.mark.parametrize("dtype", [np.int64, np.int32])
def test_mark_and_take_match_numpy(dtype):
    rng = np.random.default_rng(1)
    table = rng.integers(0, 1 << 30, 5000).astype(np.int32)
    idx = rng.integers(0, 5000, N).astype(dtype)
    for a in both(idx):
        flags = np.zeros(5000, dtype=bool)
        aligned.mark(flags, a)
        expect = np.zeros(5000, dtype=bool)
        expect[idx] = True
        assert np.array_equal(flags, expect)
        assert np.array_equal(aligned.take(table, a), table[idx])
    for bad in (5000, -1):
        idx_bad = idx.copy()
        idx_bad[2 * aligned.BLOCK + 3] = bad
        with pytest.raises(IndexError):
            aligned.take(table, unaligned(idx_bad))


def test_unique_matches_numpy():
    rng = np.random.default_rng(2)
    for a in (np.zeros(0, np.int64), np.array([7]), rng.integers(0, 50, 1000), rng.integers(-5, 1 << 40, 5000),
              np.arange(12).reshape(3, 4) % 5):
        got, want = unique(a), np.unique(a)
        assert got.dtype == want.dtype and np.array_equal(got, want)
