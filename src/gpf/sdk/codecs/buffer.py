"""Open a file as a read-only byte buffer, memory-mapped when it is local.

Binary codecs parse from a buffer (``memoryview`` over an ``mmap`` or ``bytes``)
so that ``numpy.frombuffer`` views are zero-copy and every size a file claims can
be checked against ``len(buffer)`` before anything is allocated.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from gpf.errors import FormatError
from gpf.files import open_regular

BytesLike = bytes | bytearray | memoryview


@dataclass(frozen=True)
class Buffer:
    """A read-only byte buffer and the name used for it in error messages."""

    data: memoryview
    name: str

    def __len__(self) -> int:
        return len(self.data)


def open_buffer(source: str | os.PathLike[str] | BytesLike | Buffer, name: str | None = None,
                *, use_mmap: bool = True) -> Buffer:
    """Return a :class:`Buffer` over ``source``.

    ``source`` may be a local path (only a regular file is opened; memory-mapped read-only through
    :func:`gpf.sdk.codecs.mapped.map_file`, so a truncation under gpf is reported, or with
    ``use_mmap=False`` read into private memory with one ``readinto``; empty files give an empty buffer),
    an fsspec URL (read whole), raw bytes, or a ``Buffer``.
    """
    if isinstance(source, Buffer):
        return source
    if isinstance(source, (bytes, bytearray, memoryview)):
        return Buffer(memoryview(source).cast("B"), name or "<bytes>")
    path = os.fspath(source)
    label = name or path
    if "://" in path and not path.startswith("file://"):
        return Buffer(memoryview(_read_url(path)), label)
    if path.startswith("file://"):
        path = path[len("file://"):]
    try:
        with open_regular(path, label) as fh:
            size = os.fstat(fh.fileno()).st_size
            if size == 0:
                return Buffer(memoryview(b""), label)
            if not use_mmap:
                import numpy as np

                data = np.empty(size, dtype=np.uint8)  # not zero-filled, unlike bytearray
                got = fh.readinto(data.data)
                if got != size:
                    raise FormatError(label, got, f"file shrank while reading ({got} of {size} bytes)")
                return Buffer(data.data.toreadonly(), label)
            from gpf.sdk.codecs.mapped import map_file

            return Buffer(map_file(fh.fileno(), label), label)
    except OSError as exc:
        raise FormatError(label, None, f"cannot read: {exc.strerror or exc}") from None


def _read_url(url: str) -> bytes:
    try:
        import fsspec
    except ImportError:  # pragma: no cover - fsspec is a dependency
        raise FormatError(url, None, "fsspec is required to read URLs") from None
    try:
        with fsspec.open(url, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        raise FormatError(url, None, "file not found") from None
    except Exception as exc:  # noqa: BLE001 - any backend error becomes one line
        raise FormatError(url, None, f"cannot read: {exc}") from None
