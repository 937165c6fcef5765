"""Give the C heap's free memory back to the operating system (glibc ``malloc_trim``).

numpy and torch temporaries of a few MiB come from the C heap once glibc has raised its
dynamic mmap threshold; after a build that made many of them, the freed space stays mapped
to the process (and counted in its resident size) until reused.  :func:`trim_heap` hands it
back; elsewhere than glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

__all__ = ["trim_heap"]


@functools.cache
def _malloc_trim():
    name = ctypes.util.find_library("c")
    try:
        fn = ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None
    if fn is not None:
        fn.argtypes, fn.restype = [ctypes.c_size_t], ctypes.c_int
    return fn


def trim_heap() -> bool:
    """Return free heap pages to the OS; True where glibc did it."""
    fn = _malloc_trim()
    return bool(fn(0)) if fn is not None else False
