"""Memory-mapping input files so that a file truncated under gpf is reported, not fatal.

gpf memory-maps its local inputs read-only (zero-copy, and pages the kernel can drop).  If another
process truncates a mapped file, touching a page past the new end raises ``SIGBUS``, which kills a
Python process outright.  Every mapping gpf makes goes through :func:`map_file`, which records the
address range and installs (once per process, on Linux) a ``SIGBUS`` handler: a fault inside a
recorded range is repaired by mapping zero pages over the rest of that range, the file is noted as
changed, and the interrupted read finishes (reading zeros).  :func:`check_unchanged` then raises
:class:`~gpf.errors.FileChangedError` naming the file; ``gpf validate`` calls it after every check
(problem ``file.changed``), ``gpf convert`` before it commits, the reader before it returns arrays.
A fault outside the recorded ranges keeps the default action (the process dies, as before).
"""

from __future__ import annotations

import ctypes
import mmap
import os
import signal
import sys
import threading
import weakref
from typing import Any

from gpf.errors import FileChangedError

__all__ = ["map_file", "check_unchanged", "changed_files", "guard_installed", "release"]

_LOCK = threading.Lock()
_REGIONS: dict[int, tuple[int, int, str]] = {}  # id -> (start, end, file)
_FILES: dict[int, tuple[str, int, int, int]] = {}  # id -> (file, device, inode, size mapped)
_CHANGED: list[str] = []
_STATE: dict[str, Any] = {"installed": None}
_MAP_FIXED = 0x10
_MADV_DONTNEED = 4
_SA_SIGINFO = 4
_SI_ADDR_OFFSET = 16  # siginfo_t on Linux (64-bit): three ints, padding, then the fault address


def _install() -> bool:
    """Install the SIGBUS handler (Linux x86-64/aarch64 only); True when it is in place."""
    if _STATE["installed"] is not None:
        return bool(_STATE["installed"])
    ok = False
    if sys.platform.startswith("linux") and ctypes.sizeof(ctypes.c_void_p) == 8 and hasattr(signal, "SIGBUS"):
        try:
            ok = _install_linux()
        except (OSError, AttributeError, ValueError):  # no libc symbols: keep the default action
            ok = False
    _STATE["installed"] = ok
    return ok


class _SigAction(ctypes.Structure):
    _fields_ = [("handler", ctypes.c_void_p), ("mask", ctypes.c_ubyte * 128), ("flags", ctypes.c_int),
                ("restorer", ctypes.c_void_p)]


def _install_linux() -> bool:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
    libc.sigaction.argtypes = [ctypes.c_int, ctypes.POINTER(_SigAction), ctypes.POINTER(_SigAction)]
    page = mmap.PAGESIZE
    previous = _SigAction()

    def on_sigbus(signum: int, info: int, _ctx: int) -> None:
        # Runs on the faulting thread, inside the interrupted read: no locks, no allocation beyond the minimum.
        addr = ctypes.c_void_p.from_address(info + _SI_ADDR_OFFSET).value or 0
        for start, end, name in list(_REGIONS.values()):
            if start <= addr < end:
                at = addr & ~(page - 1)
                libc.mmap(at, end - at, mmap.PROT_READ, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | _MAP_FIXED, -1, 0)
                _CHANGED.append(name)
                return
        libc.sigaction(signal.SIGBUS, ctypes.byref(previous), None)  # not ours: the fault recurs, fatal as before

    handler = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)(on_sigbus)
    action = _SigAction()
    action.handler = ctypes.cast(handler, ctypes.c_void_p).value
    action.flags = _SA_SIGINFO
    if libc.sigaction(signal.SIGBUS, ctypes.byref(action), ctypes.byref(previous)) != 0:
        return False
    _STATE["keep"] = (handler, action, previous, libc)  # the callback must outlive the process's use of it
    return True


def _forget(key: int) -> None:
    """A mapping is gone: if its file shrank meanwhile (what was read may be zeros), note it as changed."""
    with _LOCK:
        entry = _FILES.pop(key, None)
    if entry is not None and _shrunk(entry):
        _CHANGED.append(entry[0])


def _shrunk(entry: tuple[str, int, int, int]) -> bool:
    name, dev, ino, size = entry
    try:
        st = os.stat(name)
    except OSError:
        return False  # removed or renamed: the mapping held the old file, whole
    return (st.st_dev, st.st_ino) == (dev, ino) and st.st_size < size


def guard_installed() -> bool:
    """True when truncation of a mapped file is caught in this process."""
    return _install()


def map_file(fileno: int, name: str) -> memoryview:
    """Map the open file ``fileno`` read-only, whole; a later truncation is recorded against ``name``."""
    mm = mmap.mmap(fileno, 0, access=mmap.ACCESS_READ)
    view = memoryview(mm)
    st = os.fstat(fileno)
    with _LOCK:
        _FILES[id(mm)] = (name, st.st_dev, st.st_ino, len(mm))
    weakref.finalize(mm, _forget, id(mm))
    if _install():
        import numpy as np

        start = int(np.frombuffer(view, dtype=np.uint8).ctypes.data)  # the mapping's address
        key = id(mm)
        with _LOCK:
            _REGIONS[key] = (start, start + len(mm), name)
        weakref.finalize(mm, _REGIONS.pop, key, None)
    return view


def changed_files() -> list[str]:
    """The mapped files found changed since the last call (each once): those whose truncation faulted a
    read (SIGBUS), and those now shorter than when mapped (a truncation inside the last page reads zeros
    without a fault).  Each is reported once."""
    with _LOCK:
        out = list(dict.fromkeys(_CHANGED))
        _CHANGED.clear()
        files = list(_FILES.items())
    for key, entry in files:
        if _shrunk(entry):
            if entry[0] not in out:
                out.append(entry[0])
            with _LOCK:
                _FILES.pop(key, None)  # reported once
    return out


def check_unchanged() -> None:
    """Raise :class:`FileChangedError` for the first mapped file found truncated since the last check."""
    changed = changed_files()
    if changed:
        more = f" (and {len(changed) - 1} other file(s))" if len(changed) > 1 else ""
        raise FileChangedError(changed[0], None, "the file was truncated or replaced while gpf had it "
                               f"memory-mapped; the data read from it is not valid{more}")


def release(array: Any) -> None:
    """Drop this process's pages of ``array`` if it lies inside a mapping made by :func:`map_file`.

    The mapping is read-only, so the pages stay in the page cache and a later read faults them back
    in; only the process's resident size shrinks (a reader that streams through a large mapped file
    chunk by chunk keeps one chunk resident, not the file).  Anything else is left alone.
    """
    import numpy as np

    a = np.asarray(array)
    if not a.flags.c_contiguous:
        return
    start = int(a.ctypes.data)
    end = start + int(a.nbytes)
    with _LOCK:
        inside = any(lo <= start and end <= hi for lo, hi, _ in _REGIONS.values())
    page = mmap.PAGESIZE
    first, last = -(-start // page) * page, end // page * page
    if not inside or last <= first:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.madvise(ctypes.c_void_p(first), ctypes.c_size_t(last - first), _MADV_DONTNEED)
