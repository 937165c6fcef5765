"""The Zarr backend as a converter: ``to_zarr(ps, url)`` / ``from_zarr(url)``.

A thin layer over :func:`gpf.sdk.ops.convert.convert` and :func:`gpf.open`; the store
layout is SPEC.md section 11 (``gpf.sdk.storage.zarr_store``).
"""

from __future__ import annotations

import os
from typing import Any

from gpf.errors import GpfError

__all__ = ["to_zarr", "from_zarr"]


def to_zarr(ps: Any, url: "str | os.PathLike[str]", *, compressor: str | None = None,
            chunk_rows: int | None = None, shard_rows: int | None = None, overwrite: bool = False,
            progress: bool = False):
    """Write the set ``ps`` (a :class:`gpf.PartitionSet` or anything :func:`gpf.open` takes) into
    the Zarr store at ``url`` (local path or fsspec URL); return it opened."""
    from gpf.sdk.ops.convert import convert

    return convert(ps, url, to="zarr", compressor=compressor, chunk_rows=chunk_rows, shard_rows=shard_rows,
                   overwrite=overwrite, progress=progress)


def from_zarr(url: "str | os.PathLike[str]"):
    """Open the partition set stored in the Zarr store at ``url``."""
    from gpf.sdk.read.reader import open_set
    from gpf.sdk.storage.zarr_store import config_location

    url = os.fspath(url)
    if config_location(url) is None:
        raise GpfError(f"{url}: not a Zarr store (no zarr.json at its root)")
    return open_set(url)
