"""The Zarr storage format as a converter: ``write_zarr(ps, url)`` / ``open_zarr(url)``.

Zarr is a storage format, not a framework: it has no in-memory object for ``from_``/``to_``
verbs to make, so its verbs are the storage ones (README, "Converters"): :func:`write_zarr` writes
a set into a Zarr store and returns it opened, :func:`open_zarr` opens one.  A thin layer over
:func:`gpf.sdk.ops.convert.convert` and :func:`gpf.open`; the store layout is SPEC.md section 11
(:mod:`gpf.sdk.storage.zarr_store`).  ``to_zarr`` / ``from_zarr`` are the old names of these two,
kept as deprecated aliases for one release.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

from gpf.errors import GpfError

__all__ = ["write_zarr", "open_zarr", "to_zarr", "from_zarr"]


def write_zarr(ps: Any, url: str | os.PathLike[str], *, compressor: str | None = None,
               chunk_rows: int | None = None, shard_rows: int | None = None, overwrite: bool = False,
               progress: bool = False) -> Any:
    """Write the set ``ps`` (a :class:`gpf.PartitionSet` or anything :func:`gpf.open` takes) into
    the Zarr store at ``url`` (local path or fsspec URL); return it opened."""
    from gpf.sdk.ops.convert import convert

    return convert(ps, url, to="zarr", compressor=compressor, chunk_rows=chunk_rows, shard_rows=shard_rows,
                   overwrite=overwrite, progress=progress)


def open_zarr(url: str | os.PathLike[str]) -> Any:
    """Open the partition set stored in the Zarr store at ``url`` (a :class:`gpf.PartitionSet`)."""
    from gpf.sdk.read.reader import open_set
    from gpf.sdk.storage.zarr_store import config_location

    url = os.fspath(url)
    if config_location(url) is None:
        raise GpfError(f"{url}: not a Zarr store (no zarr.json at its root)")
    return open_set(url)


def to_zarr(ps: Any, url: str | os.PathLike[str], **kw: Any) -> Any:
    """Deprecated alias of :func:`write_zarr` (removed in the next release)."""
    warnings.warn("gpf.converters.zarr.to_zarr is deprecated: use write_zarr (same arguments)",
                  DeprecationWarning, stacklevel=2)
    return write_zarr(ps, url, **kw)


def from_zarr(url: str | os.PathLike[str]) -> Any:
    """Deprecated alias of :func:`open_zarr` (removed in the next release)."""
    warnings.warn("gpf.converters.zarr.from_zarr is deprecated: use open_zarr", DeprecationWarning, stacklevel=2)
    return open_zarr(url)
