"""Exceptions raised by gpf.

Every error names *where* the problem is: the file, and when it applies the
partition, the byte offset or the config key.  The CLI prints ``str(err)`` on a
single line and maps the class to an exit code, so messages must stay one line.
"""

from __future__ import annotations

import errno
import os
from typing import Any

__all__ = ["GpfError", "FormatError", "ConfigError", "UnsupportedError", "MissingExtraError", "GraphError",
           "PathEscapeError", "FileKindError", "FileChangedError", "problem_code", "describe_os_error",
           "EXIT_OK", "EXIT_INVALID", "EXIT_UNREADABLE"]

# Exit codes of the ``gpf`` command (README, spec/SPEC.md), here beside the errors they stand for so that
# library code (``Report.exit_code``) never imports the CLI:
#   0  success (``validate``: the set is valid; warnings allowed)
#   1  the input was read but is invalid (``validate``)
#   2  the input could not be read at all (any GpfError), or bad usage
EXIT_OK, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2


_OS_CAUSES = {
    errno.EEXIST: "already exists",
    errno.ENOTDIR: "a part of this path is a file, not a directory",
    errno.EISDIR: "is a directory, not a file",
    errno.ENOENT: "no such file or directory",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENOSPC: "no space left on the device",
    errno.EROFS: "read-only file system",
    errno.ENAMETOOLONG: "file name too long",
    errno.ELOOP: "too many levels of symbolic links",
    errno.ECONNREFUSED: "connection refused",
    errno.ETIMEDOUT: "timed out",
}


def describe_os_error(exc: OSError, path: Any = None) -> str:
    """``"<path>: <cause>"`` for an :class:`OSError`, in gpf's words rather than ``[Errno N] ...``."""
    where = path if path is not None else (exc.filename if exc.filename is not None else "")
    cause = _OS_CAUSES.get(exc.errno or -1) or (exc.strerror or " ".join(str(exc).split()) or type(exc).__name__)
    other = f" (and {os.fspath(exc.filename2)})" if getattr(exc, "filename2", None) else ""
    return f"{_where(where)}{other}: {cause}" if where != "" else cause


def _where(path: Any) -> str:
    return os.fspath(path) if isinstance(path, (str, os.PathLike)) else str(path)


class GpfError(Exception):
    """Base class of every error gpf raises on purpose."""


class FormatError(GpfError):
    """A binary file is not what it claims to be (bad magic, truncated, bad size...).

    ``FormatError(path, offset, message)`` renders as ``"<path>: at byte <offset>: <message>"``.
    """

    def __init__(self, path: Any, offset: int | None, message: str) -> None:
        self.path = _where(path)
        self.offset = offset
        self.message = message
        where = self.path if offset is None else f"{self.path}: at byte {offset}"
        super().__init__(f"{where}: {message}")

    def __reduce__(self) -> tuple[Any, ...]:  # picklable, so errors cross process / Dask worker boundaries
        return type(self), (self.path, self.offset, self.message)


class ConfigError(GpfError):
    """The partition config (JSON) is unreadable or does not match the spec.

    ``ConfigError(path, message, key=None)`` renders as ``"<path>: <key>: <message>"``.
    """

    def __init__(self, path: Any, message: str, key: str | None = None) -> None:
        self.path = _where(path)
        self.key = key
        self.message = message
        where = self.path if key is None else f"{self.path}: {key}"
        super().__init__(f"{where}: {message}")

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.path, self.message, self.key)


class UnsupportedError(GpfError):
    """A valid but unsupported variant (e.g. DGL's pre-1.0 non-reshuffled layout)."""


class MissingExtraError(GpfError, ImportError):
    """A feature needs an optional dependency that is not installed.

    ``MissingExtraError(what, module, extra)`` renders as
    ``"<what> needs <module>, which is not installed: pip install 'gpf[<extra>]'"``; it is also an
    :class:`ImportError`, so ``import gpf.loader`` without torch fails the usual way.
    """

    def __init__(self, what: str, module: str, extra: str) -> None:
        self.what, self.module, self.extra = what, module, extra
        GpfError.__init__(self, f"{what} needs {module}, which is not installed: pip install 'gpf[{extra}]'")
        self.name = module

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.what, self.module, self.extra)


class GraphError(GpfError):
    """An input graph (``gpf.Graph``, a ``.npz``, a chunked graph) is inconsistent; the message names the
    type, array and position.  Also importable as ``gpf.sdk.write.graph.GraphError``."""


class PathEscapeError(FormatError):
    """A file of the set names something outside the dataset root (an HDF5 external file, link or virtual
    dataset, a symlink, a Zarr store path): refused before it is opened.  ``gpf validate``: ``path.escape``."""


class FileKindError(FormatError):
    """A path the set names is not a regular file (a FIFO, a device, a socket, a directory): refused
    before it is read.  ``gpf validate``: ``path.kind``."""


class FileChangedError(FormatError):
    """A file changed (was truncated) while gpf had it memory-mapped.  ``gpf validate``: ``file.changed``."""


def problem_code(exc: BaseException, default: str) -> str:
    """The ``gpf validate`` problem code of an error met while reading a file: the refusals above have
    their own codes; any other decoding error is ``default`` (``graph.format``, ``feature.format``...)."""
    for cls, code in ((PathEscapeError, "path.escape"), (FileKindError, "path.kind"),
                      (FileChangedError, "file.changed")):
        if isinstance(exc, cls):
            return code
    return default
