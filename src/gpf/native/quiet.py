"""Capture what native code writes to file descriptors 1 and 2 (C ``printf``, ``fprintf(stderr)``).

``contextlib.redirect_stdout`` only swaps Python's ``sys.stdout``; a C library writes to the
process's descriptors directly.  :func:`captured_c_output` points descriptors 1 and 2 at one
anonymous temporary file for the duration of a block, flushes C's stdio buffers before
putting them back (so nothing buffered leaks out later), and hands back the text::

    with captured_c_output() as out:
        lib.METIS_PartGraphKway(...)
    out.text   # what METIS printed, for an error message

Descriptors are process-wide: output of other threads during the block is captured too.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["CapturedOutput", "captured_c_output"]

_MAX_KEEP = 64 * 1024  # bytes of captured text kept for messages (the last ones)


@dataclass
class CapturedOutput:
    """The text the block wrote to descriptors 1 and 2 (filled when the block ends)."""

    text: str = ""

    def last_line(self) -> str:
        """The last non-empty line, stripped of METIS-style ``***`` decoration ('' when none)."""
        lines = [ln.strip().strip("*").strip() for ln in self.text.splitlines()]
        lines = [ln for ln in lines if ln]
        return lines[-1] if lines else ""


def _flush_c_stdio() -> None:
    try:
        libc = ctypes.CDLL(None)
        libc.fflush(None)  # every C stdio output stream
    except (OSError, AttributeError):  # pragma: no cover - no C runtime symbols to flush
        pass


def _flush_python() -> None:
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # closed or detached stream
            pass


@contextlib.contextmanager
def captured_c_output() -> Iterator[CapturedOutput]:
    """Send descriptors 1 and 2 to a temporary file during the block; the text lands in ``.text``."""
    out = CapturedOutput()
    _flush_python()
    _flush_c_stdio()
    saved: list[tuple[int, int]] = []
    with tempfile.TemporaryFile() as sink:
        try:
            for fd in (1, 2):
                try:
                    saved.append((fd, os.dup(fd)))
                except OSError:  # descriptor not open: nothing to protect
                    continue
                os.dup2(sink.fileno(), fd)
            yield out
        finally:
            _flush_c_stdio()
            for fd, copy in saved:
                os.dup2(copy, fd)
                os.close(copy)
            size = sink.seek(0, os.SEEK_END)
            sink.seek(max(0, size - _MAX_KEEP))  # the end says what went wrong
            out.text = sink.read().decode("utf-8", "replace")
