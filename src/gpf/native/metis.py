"""METIS graph partitioning through ctypes, with multi-constraint vertex weights.

Why not ``pymetis.part_graph``: its C wrapper passes ``ncon = 1`` to METIS whatever the
vertex weights, so an ``n * ncon`` weight array is read as its first ``n`` entries (the
constraint columns interleaved into one scrambled column), and it has no ``ubvec``.
Here ``METIS_PartGraphKway`` / ``METIS_PartGraphRecursive`` are called directly with the
real ``ncon``.

Libraries, narrowest index type first (:func:`libraries`):

* ``cmeel-metis`` (a PyPI wheel of METIS 5.2 with 32-bit ``idx_t``; gpf's ``metis`` extra):
  half the memory of a 64-bit build for every array METIS allocates.  Its option
  indices are read from the ``metis.h`` the wheel ships (option numbering differs
  between METIS releases).
* the METIS inside ``pymetis``'s extension module (64-bit ``idx_t``; its option indices
  come from pymetis itself): used for graphs whose adjacency does not fit 32 bits.

The index width of a library is probed (``METIS_SetDefaultOptions`` fills a zeroed
buffer with ``METIS_NOPTIONS`` entries of -1) and must agree with what the library
claims, or the library is not used.  METIS's own messages (it ``printf``\\ s, e.g.
"You are trying to partition a graph into too many parts!") are captured
(:mod:`gpf.native.quiet`); a failure raises :class:`MetisError` with one line.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import re
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from gpf.errors import GpfError, MissingExtraError
from gpf.native.quiet import captured_c_output

__all__ = ["MetisError", "MetisLibrary", "libraries", "choose_library", "part_graph", "check_csr",
           "OBJTYPES", "IDX32_MAX"]

#: ``objtype`` values: minimise the edge cut, or the total communication volume.
OBJTYPES = ("cut", "vol")
IDX32_MAX = 2**31 - 1
IDX64_MAX = 2**63 - 1

_OK, _ERROR_INPUT, _ERROR_MEMORY, _ERROR = 1, -2, -3, -4
_STATUS = {_ERROR_INPUT: "input error", _ERROR_MEMORY: "out of memory", _ERROR: "internal error"}



#: One METIS call at a time: the output capture swaps process-wide descriptors, and GKlib's
#: error handling (signals + longjmp) is not meant for concurrent calls.
_ONE_AT_A_TIME = threading.Lock()


class MetisError(GpfError):
    """METIS is missing, cannot take the input, or failed; the message says which (one line)."""


@dataclass(frozen=True)
class MetisLibrary:
    """A loaded METIS shared library: its index width and option numbering."""

    name: str
    path: str
    idx_width: int
    options: dict[str, int]
    num_options: int
    lib: ctypes.CDLL = field(repr=False, compare=False)

    @property
    def idx_dtype(self) -> np.dtype:
        return np.dtype(np.int32 if self.idx_width == 32 else np.int64)

    @property
    def idx_max(self) -> int:
        return IDX32_MAX if self.idx_width == 32 else IDX64_MAX

    def default_options(self) -> np.ndarray:
        opts = np.zeros(self.num_options, dtype=self.idx_dtype)
        self.lib.METIS_SetDefaultOptions(opts.ctypes.data_as(ctypes.c_void_p))
        return opts


# -- discovery ----------------------------------------------------------------------------------
def _probe_width(lib: ctypes.CDLL, num_options: int) -> int | None:
    """Index width (32/64) from how many bytes ``METIS_SetDefaultOptions`` sets to -1."""
    buf = np.zeros(4 * num_options, dtype=np.int64)  # 4x the largest possible need
    lib.METIS_SetDefaultOptions.restype = ctypes.c_int
    lib.METIS_SetDefaultOptions(buf.ctypes.data_as(ctypes.c_void_p))
    raw = buf.view(np.uint8)
    nset = int(np.argmin(raw == 0xFF)) if not (raw == 0xFF).all() else raw.size
    if raw[nset:].any():  # something other than a prefix of -1: not the layout we expect
        return None
    width = 8 * nset // num_options
    return width if width in (32, 64) and width * num_options == 8 * nset else None


def _parse_header(text: str) -> tuple[int | None, int | None, dict[str, int]]:
    """``(IDXTYPEWIDTH, METIS_NOPTIONS, {option: index})`` from a ``metis.h``."""
    width = re.search(r"^\s*#define\s+IDXTYPEWIDTH\s+(\d+)", text, re.M)
    nopt = re.search(r"^\s*#define\s+METIS_NOPTIONS\s+(\d+)", text, re.M)
    options: dict[str, int] = {}
    block = re.search(r"typedef\s+enum\s*\{([^}]*)\}\s*moptions_et\s*;", text)
    if block:
        body = re.sub(r"/\*.*?\*/|//[^\n]*", "", block.group(1), flags=re.S)
        names = [x.strip() for x in body.split(",") if x.strip()]
        if all(re.fullmatch(r"METIS_OPTION_[A-Z0-9_]+", x) for x in names):
            options = {x[len("METIS_OPTION_"):]: i for i, x in enumerate(names)}
    return (int(width.group(1)) if width else None, int(nopt.group(1)) if nopt else None, options)


def _dist_file(dist: str, suffix: str) -> str | None:
    from importlib import metadata

    try:
        files = metadata.distribution(dist).files or []
    except metadata.PackageNotFoundError:
        return None
    for f in files:
        if str(f).replace("\\", "/").endswith(suffix):
            path = os.fspath(f.locate())
            return path if os.path.exists(path) else None
    return None


def _load_cmeel() -> MetisLibrary | None:
    libpath = _dist_file("cmeel-metis", "/lib/libmetis.so") or _dist_file("cmeel-metis", "/lib/libmetis.dylib")
    header = _dist_file("cmeel-metis", "/include/metis.h")
    if libpath is None or header is None:
        return None
    # The wheel's RUNPATH does not resolve; load GKlib (same prefix) globally first.
    gk = _dist_file("cmeel-gklib", "/lib/libGKlib.so") or _dist_file("cmeel-gklib", "/lib/libGKlib.dylib")
    try:
        if gk is not None:
            ctypes.CDLL(gk, mode=ctypes.RTLD_GLOBAL)
        lib = ctypes.CDLL(libpath)
    except OSError:
        return None
    with open(header, encoding="utf-8", errors="replace") as fh:
        width, nopt, options = _parse_header(fh.read())
    if width is None or nopt is None or not options:
        return None
    return _checked("cmeel-metis", libpath, lib, width, nopt, options)


def _load_pymetis() -> MetisLibrary | None:
    try:
        from pymetis import _internal as pm  # type: ignore[attr-defined]
    except ImportError:
        return None
    try:
        lib = ctypes.CDLL(pm.__file__)
        width = int(pm._idx_type_width())
        idx = getattr(pm, "options_indices")  # noqa: B009 - not in pymetis's stubs
        options = {k: int(getattr(idx, k)) for k in dir(idx) if k.isupper()}
    except (OSError, AttributeError):
        return None
    return _checked("pymetis", pm.__file__, lib, width, 40, options)


def _checked(name: str, path: str, lib: ctypes.CDLL, width: int, nopt: int,
             options: dict[str, int]) -> MetisLibrary | None:
    if not all(hasattr(lib, f) for f in ("METIS_SetDefaultOptions", "METIS_PartGraphKway",
                                         "METIS_PartGraphRecursive")):
        return None
    if _probe_width(lib, nopt) != width or not all(0 <= v < nopt for v in options.values()):
        return None
    for fn in ("METIS_PartGraphKway", "METIS_PartGraphRecursive"):
        getattr(lib, fn).restype = ctypes.c_int
    return MetisLibrary(name, path, width, options, nopt, lib)


@functools.lru_cache(maxsize=1)
def libraries() -> tuple[MetisLibrary, ...]:
    """The usable METIS libraries, narrowest index type first (loaded once)."""
    found = [lib for lib in (_load_cmeel(), _load_pymetis()) if lib is not None]
    return tuple(sorted(found, key=lambda lib: lib.idx_width))


def choose_library(largest: int) -> MetisLibrary:
    """The narrowest library whose ``idx_t`` holds ``largest`` (the biggest count METIS will see)."""
    libs = libraries()
    if not libs:
        raise MissingExtraError("method 'metis'", "cmeel-metis", "metis")
    for lib in libs:
        if largest <= lib.idx_max:
            return lib
    raise MetisError(f"METIS input too large: {largest:,} exceeds the index range of every METIS library "
                     f"found ({', '.join(f'{x.name}: {x.idx_width}-bit' for x in libs)}); "
                     "install pymetis for a 64-bit METIS")


# -- calling ------------------------------------------------------------------------------------
def check_csr(xadj: np.ndarray, adjncy: np.ndarray) -> int:
    """Check a CSR adjacency METIS would read; return its number of vertices.  MetisError if bad."""
    if xadj.ndim != 1 or adjncy.ndim != 1 or xadj.shape[0] < 1:
        raise MetisError("METIS input: xadj and adjncy must be 1-D and xadj non-empty")
    n = xadj.shape[0] - 1
    if int(xadj[0]) != 0 or int(xadj[-1]) != adjncy.shape[0]:
        raise MetisError(f"METIS input: xadj must run from 0 to len(adjncy) = {adjncy.shape[0]}, "
                         f"got {int(xadj[0])}..{int(xadj[-1])}")
    if n and bool((xadj[1:] < xadj[:-1]).any()):
        v = int(np.flatnonzero(xadj[1:] < xadj[:-1])[0])
        raise MetisError(f"METIS input: xadj decreases at vertex {v}")
    if adjncy.size:
        lo, hi = int(adjncy.min()), int(adjncy.max())
        if lo < 0 or hi >= n:
            bad = lo if lo < 0 else hi
            raise MetisError(f"METIS input: adjncy holds vertex {bad}, outside 0..{n - 1}")
    return n


@contextlib.contextmanager
def _private_cwd(enabled: bool) -> Iterator[None]:
    """With METIS's ``ONDISK`` option it writes each large coarsening level to ``metis<pid>.<n>``
    in the *current directory* (and reads it back when uncoarsening): run it inside a private
    temporary directory, removed afterwards.  The working directory is process-wide: other
    threads that open relative paths during the call would resolve them there."""
    if not enabled:
        yield
        return
    here = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="gpf-metis-") as tmp:
        os.chdir(tmp)
        try:
            yield
        finally:
            os.chdir(here)


def _as(arr: np.ndarray, dtype: np.dtype) -> np.ndarray:
    return np.ascontiguousarray(arr, dtype=dtype)  # no copy when it already is


def part_graph(xadj: np.ndarray, adjncy: np.ndarray, nparts: int, *, vwgt: np.ndarray | None = None,
               ncon: int = 1, ubvec: list[float] | None = None, objtype: Literal["cut", "vol"] = "cut",
               seed: int = 0, recursive: bool = False, options: dict[str, int] | None = None,
               library: MetisLibrary | None = None, check: bool = True) -> tuple[np.ndarray, int]:
    """Partition the undirected graph ``(xadj, adjncy)`` (both directions of every edge, no
    self-loops) into ``nparts``; return ``(part, objval)`` (``part``: the library's index dtype).

    ``vwgt``: ``n * ncon`` non-negative integer weights, vertex-major (``vwgt[v * ncon + c]``),
    or None (every vertex weighs 1).  ``ubvec``: the allowed imbalance per constraint
    (METIS's default 1.03 for k-way when None).  ``objtype``: ``"cut"`` or ``"vol"``.
    ``options``: more METIS options by name (``{"NITER": 1, "DROPEDGES": 1}``); one the
    library does not have is left out.  Arrays already of the library's index dtype are
    passed without a copy.
    """
    if objtype not in OBJTYPES:
        raise MetisError(f"objtype must be one of {OBJTYPES}, got {objtype!r}")
    nparts, ncon = int(nparts), int(ncon)
    if nparts < 1:
        raise MetisError(f"METIS: nparts must be >= 1, got {nparts}")
    if ncon < 1:
        raise MetisError(f"METIS: ncon must be >= 1, got {ncon}")
    n = xadj.shape[0] - 1 if xadj.ndim == 1 else -1
    totals = None
    if vwgt is not None:
        if vwgt.ndim != 1 or vwgt.shape[0] != max(n, 0) * ncon:
            raise MetisError(f"METIS input: vwgt has {vwgt.size} entries, expected {max(n, 0)} vertices x "
                             f"{ncon} constraints = {max(n, 0) * ncon}")
        if vwgt.dtype.kind not in "iu":
            raise MetisError(f"METIS input: vwgt must hold integers, got dtype {vwgt.dtype}")
        if vwgt.size and int(vwgt.min()) < 0:
            raise MetisError("METIS input: vwgt holds a negative weight")
        totals = vwgt.reshape(-1, ncon).sum(axis=0, dtype=np.int64) if vwgt.size else np.zeros(ncon, np.int64)
    elif ncon != 1:
        raise MetisError(f"METIS input: ncon = {ncon} needs vertex weights")
    largest = max(n + 1, int(xadj[-1]) if xadj.size else 0, int(totals.max()) if totals is not None and totals.size else 0)
    lib = library or choose_library(largest)
    if largest > lib.idx_max:
        raise MetisError(f"METIS input too large for {lib.name} ({lib.idx_width}-bit): {largest:,}")
    if check:
        check_csr(xadj, adjncy)
    if n <= 0:
        return np.zeros(0, dtype=lib.idx_dtype), 0
    if nparts == 1:
        return np.zeros(n, dtype=lib.idx_dtype), 0
    dt = lib.idx_dtype
    xadj_c, adjncy_c = _as(xadj, dt), _as(adjncy, dt)
    vwgt_c = _as(vwgt, dt) if vwgt is not None else None
    opts = lib.default_options()
    wanted = dict(options or {}, OBJTYPE=OBJTYPES.index(objtype), SEED=int(seed) & 0x7FFFFFFF)
    for key, value in wanted.items():
        if key in lib.options:
            opts[lib.options[key]] = value
    if ubvec is not None and len(ubvec) != ncon:
        raise MetisError(f"METIS: ubvec has {len(ubvec)} entries for {ncon} constraints")
    real = ctypes.c_float  # real_t: 32-bit in both libraries (REALTYPEWIDTH 32)
    ub = (real * ncon)(*ubvec) if ubvec is not None else None
    idx_c = ctypes.c_int32 if lib.idx_width == 32 else ctypes.c_int64
    part = np.zeros(n, dtype=dt)
    objval = idx_c(0)

    def ptr(a: np.ndarray | None):
        return None if a is None else a.ctypes.data_as(ctypes.c_void_p)

    fn = lib.lib.METIS_PartGraphRecursive if recursive else lib.lib.METIS_PartGraphKway
    ondisk = bool(wanted.get("ONDISK")) and "ONDISK" in lib.options
    with _ONE_AT_A_TIME, captured_c_output() as said, _private_cwd(ondisk):
        status = fn(ctypes.byref(idx_c(n)), ctypes.byref(idx_c(ncon)), ptr(xadj_c), ptr(adjncy_c), ptr(vwgt_c),
                    None, None, ctypes.byref(idx_c(nparts)), None, ub, ptr(opts), ctypes.byref(objval),
                    ptr(part))
    if status != _OK:
        why = said.last_line()
        raise MetisError(f"METIS failed partitioning {n:,} vertices into {nparts} parts "
                         f"({_STATUS.get(status, f'status {status}')}" + (f": {why}" if why else "") + ")")
    return part, int(objval.value)
