"""Checks on sets of IDs shared by the node and edge checks: values outside a range, a range covered
exactly once, repeats, IDs owned by the partition itself.  numpy passes, no per-ID Python loop."""

from __future__ import annotations

import numpy as np

from gpf.sdk import aligned
from gpf.sdk.arrays import unique
from gpf.validators.part_data import SetFacts, search_sorted
from gpf.validators.report import Report

__all__ = ["outside", "is_range", "range_coverage", "inner_coverage", "duplicates", "owned_here"]


def outside(a: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Positions of values outside [lo, hi) (two reductions when there are none)."""
    if a.size == 0 or (int(a.min()) >= lo and int(a.max()) < hi):
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero((a < lo) | (a >= hi))


def is_range(a: np.ndarray, lo: int, hi: int) -> bool:
    """``a`` equals ``arange(lo, hi)`` (strictly increasing from lo to hi-1 with hi-lo values)."""
    if a.shape[0] != hi - lo:
        return False
    if a.shape[0] == 0:
        return True
    return int(a[0]) == lo and int(a[-1]) == hi - 1 and bool(np.all(a[1:] > a[:-1]))


def range_coverage(rep: Report, ids: np.ndarray, lo: int, hi: int, p: int, path: str, kind: str) -> bool:
    """Report IDs of [lo, hi) missing or repeated among ``ids`` (all inside the range).

    The range comes from the config; ``ids`` from the partition's file.  A range far larger than what the
    file stores (a config claiming more nodes than exist) is reported from the sorted IDs, without
    allocating anything of the range's size."""
    if hi - lo > 4 * ids.size + (1 << 16):
        return _sparse_coverage(rep, ids, lo, hi, p, path, kind)
    counts = np.bincount(ids - lo, minlength=hi - lo) if ids.size else np.zeros(hi - lo, np.int64)
    ok = True
    missing = np.flatnonzero(counts == 0)
    if missing.size:
        rep.error(f"inner_{kind}.missing", f"{missing.size} {kind}(s) of this partition's range [{lo}, {hi}) are "
                  f"not stored as inner {kind}s", partition=p, path=path, examples=missing + lo)
        ok = False
    dup = np.flatnonzero(counts > 1)
    if dup.size:
        rep.error(f"{kind}_id.duplicate", f"{dup.size} {kind} _ID(s) stored more than once as inner {kind}s",
                  partition=p, path=path, examples=dup + lo)
        ok = False
    return ok


def inner_coverage(rep: Report, ids: np.ndarray, lo: int, hi: int, p: int, path: str, kind: str,
                   range_name: str = "range", owner_note: str = "") -> bool:
    """The _IDs of a partition's inner nodes or edges (``kind``) are exactly its range [lo, hi): report the
    ones outside it (``inner_<kind>.owner``), then the range's missing and repeated IDs.  True when both hold."""
    out = outside(ids, lo, hi)
    if out.size:
        rep.error(f"inner_{kind}.owner", f"{out.size} inner {kind}(s) have an _ID outside this partition's "
                  f"{range_name} [{lo}, {hi}){owner_note}", partition=p, path=path, examples=ids[out])
        ids = np.delete(ids, out)
    return range_coverage(rep, ids, lo, hi, p, path, kind) and not out.size


def _sparse_coverage(rep: Report, ids: np.ndarray, lo: int, hi: int, p: int, path: str, kind: str) -> bool:
    """:func:`_range_coverage` for a range much larger than ``ids``: sort, count, and find the first gaps."""
    s = np.sort(ids)
    u = unique(s)
    if u.size < s.size:
        dup = unique(s[1:][s[1:] == s[:-1]])
        rep.error(f"{kind}_id.duplicate", f"{dup.size} {kind} _ID(s) stored more than once as inner {kind}s",
                  partition=p, path=path, examples=dup)
    expect = np.arange(lo, lo + u.size, dtype=np.int64)
    off = np.flatnonzero(u != expect)
    first = int(expect[off[0]]) if off.size else lo + u.size  # the first ID of the range not stored
    missing = (hi - lo) - u.size
    rep.error(f"inner_{kind}.missing", f"{missing} {kind}(s) of this partition's range [{lo}, {hi}) are not stored "
              f"as inner {kind}s (the range claims {hi - lo} {kind}s, the partition stores {ids.size})",
              partition=p, path=path, examples=np.arange(first, min(first + rep.max_examples, hi)))
    return False


def duplicates(a: np.ndarray, limit: int, up: bool) -> np.ndarray:
    """The values repeated in ``a`` (all in [0, limit); ``up``: ``a`` is strictly ascending)."""
    if a.size < 2 or up:
        return a[:0]
    if limit <= 16 * a.size:  # marks cost O(limit): cheaper than a sort when ``a`` is not much smaller
        seen = np.zeros(limit, dtype=bool)
        aligned.mark(seen, a)
        if np.count_nonzero(seen) == a.size:
            return a[:0]
    s = np.sort(a)
    return unique(s[1:][s[1:] == s[:-1]])


def owned_here(f: SetFacts, ids: np.ndarray, p: int, kind: str, up: bool) -> np.ndarray:
    """The IDs of ``ids`` owned by partition ``p`` (binary search when ``up``: ``ids`` is ascending)."""
    lo, hi = f.node_range(p) if kind == "node" else f.edge_range(p)
    if ids.size > 1 and up:
        a, b = search_sorted(ids, [lo, hi])
        return ids[a:b]
    return ids[(ids >= lo) & (ids < hi)]
