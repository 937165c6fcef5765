"""Opening an input file: only a regular file is ever opened (SPEC.md section 11, "Hostile sets");
writing an output file: all or nothing (:func:`atomic_writer`).

A named pipe (FIFO) blocks ``open()`` until a writer appears, a device such as ``/dev/zero`` never
ends, and a socket cannot be read as a file: every reader of gpf opens its local inputs through
:func:`open_regular`, which opens without blocking, checks with ``fstat`` (on the descriptor, so
nothing can be swapped in between) that it holds a regular file, and only then reads.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
import tempfile
from collections.abc import Iterator
from typing import BinaryIO

from gpf.errors import FileKindError, FormatError

__all__ = ["open_regular", "check_regular", "file_kind", "atomic_writer"]


def file_kind(mode: int) -> str:
    """A few words naming the kind of file ``mode`` (from ``stat``) is."""
    for test, what in ((stat.S_ISREG, "a regular file"), (stat.S_ISDIR, "a directory"),
                       (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISLNK, "a symlink")):
        if test(mode):
            return what
    return "a special file"


def open_regular(path: str | os.PathLike[str], label: str | None = None) -> io.BufferedReader:
    """Open ``path`` for binary reading if it is a regular file (a symlink to one is followed: where
    it may point is the caller's rule, :func:`gpf.sdk.paths.resolve`).

    Raises :class:`~gpf.errors.FormatError` (file not found, cannot open) or
    :class:`~gpf.errors.FileKindError` (a directory, FIFO, device, socket) naming ``label``.
    Never blocks on a FIFO: the open is non-blocking and the kind is checked on the descriptor.
    """
    path = os.fspath(path)
    label = label or path
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
                     | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise FormatError(label, None, "file not found") from None
    except IsADirectoryError:
        raise FileKindError(label, None, "is a directory, expected a regular file") from None
    except OSError as exc:  # ENXIO: a socket or a FIFO opened for writing elsewhere; ELOOP; EACCES...
        raise FormatError(label, None, f"cannot open: {exc.strerror or exc}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise FileKindError(label, None, f"is {file_kind(mode)}, expected a regular file (only regular files "
                                "are opened)")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def check_regular(path: str | os.PathLike[str], label: str | None = None) -> None:
    """Refuse ``path`` unless it is a regular file, without opening it (for a library that opens the
    file itself by name, such as h5py). ``stat`` follows symlinks, as ``open`` does."""
    path = os.fspath(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise FormatError(label or path, None, "file not found") from None
    except OSError as exc:
        raise FormatError(label or path, None, f"cannot open: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        raise FileKindError(label or path, None, f"is {file_kind(mode)}, expected a regular file (only regular "
                            "files are opened)")


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike[str], fsync: bool = True) -> Iterator[BinaryIO]:
    """Open a temp file beside ``path`` for writing; on success (``fsync`` it and) ``os.replace`` it.

    On any exception the temp file is removed and ``path`` is left untouched.  The file gets the
    mode a plain ``open`` would give it (0o666 less the umask).
    """
    target = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(target))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(target) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb", buffering=1 << 20) as fh:
            yield fh
            fh.flush()
            if fsync:
                os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
