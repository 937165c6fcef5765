"""Process-memory helpers for the writer's large temporary arrays.

glibc hands every allocation above its mmap threshold (at most 32 MiB) fresh pages from
the kernel and returns them on free, so each big temporary array pays its page faults
again.  :func:`reuse_freed_memory` raises the threshold for the duration of a block,
so freed blocks are reused, then restores a fixed default threshold and trims the heap
(``malloc_trim``) so the memory goes back to the system.  A no-op where glibc's
``mallopt`` is not available.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import sys
from collections.abc import Iterator

__all__ = ["reuse_freed_memory", "without_hugepage_advice"]

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_DEFAULT_MMAP_THRESHOLD = 128 * 1024
_DEFAULT_TRIM_THRESHOLD = 128 * 1024


def _libc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except OSError:  # pragma: no cover - not glibc
        return None


def _set_numpy_hugepage(enabled: bool) -> bool | None:
    """numpy's ``madvise(MADV_HUGEPAGE)`` on large arrays: set it, return the previous setting (None: unknown)."""
    try:
        from numpy._core import multiarray
    except ImportError:  # numpy < 2
        from numpy.core import multiarray  # type: ignore[no-redef]
    setter = getattr(multiarray, "_set_madvise_hugepage", None)
    return None if setter is None else bool(setter(enabled))


@contextlib.contextmanager
def without_hugepage_advice() -> Iterator[None]:
    """Turn off numpy's transparent-huge-page advice for the block (the writer's phases).

    With the kernel's usual ``defrag=madvise``, each huge-page fault on a machine whose memory
    is full of page cache (a partitioner that just wrote a gigabyte) compacts memory
    synchronously: measured here, that doubled a fresh process's scale-20 partitioning time.
    Readers that gather over large arrays keep the advice (fewer TLB misses); they do not use this.
    """
    hugepage = _set_numpy_hugepage(False)
    try:
        yield
    finally:
        if hugepage is not None:
            _set_numpy_hugepage(hugepage)


@contextlib.contextmanager
def reuse_freed_memory() -> Iterator[None]:
    """Keep freed large blocks in the process while the block runs (see module doc)."""
    libc = _libc()
    if libc is None:
        yield
        return
    libc.mallopt(_M_MMAP_THRESHOLD, 1 << 30)
    libc.mallopt(_M_TRIM_THRESHOLD, 1 << 30)
    try:
        yield
    finally:
        libc.mallopt(_M_MMAP_THRESHOLD, _DEFAULT_MMAP_THRESHOLD)
        libc.mallopt(_M_TRIM_THRESHOLD, _DEFAULT_TRIM_THRESHOLD)
        libc.malloc_trim(0)
