"""The one sequence every writer of a set follows (the in-memory and out-of-core partitioners,
``gpf convert``): open the backend's writer and refuse an existing set (:func:`open_set_writer`),
then -- after the caller's work that can still fail on bad input -- begin (the old config goes
first), write the partitions and commit the config (:func:`write_set`).  Only the commit makes the set visible, so an interrupted or failed write never leaves a
config that points at partial data.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from gpf.errors import GpfError
from gpf.sdk.storage.base import PartitionWriter
from gpf.sdk.storage.registry import open_writer
from gpf.sdk.write.options import WriteOptions

__all__ = ["open_set_writer", "write_set"]


def open_set_writer(out: str | os.PathLike[str], graph_name: str, options: WriteOptions, *,
                    exists: Callable[[PartitionWriter], str | None] | None = None) -> PartitionWriter:
    """The writer of ``options.backend`` for a set named ``graph_name`` at ``out``; an existing set
    there is an error unless ``options.overwrite``.  ``exists(writer)`` names the existing set, if any
    (default: the writer's own config, when :meth:`~PartitionWriter.exists`)."""
    writer = open_writer(options.backend, os.fspath(out), graph_name, **options.writer_options())
    found = exists(writer) if exists is not None else (writer.config_path if writer.exists() else None)
    if found is not None and not options.overwrite:
        raise GpfError(f"{found}: already exists (pass overwrite=True, or --overwrite, to replace it)")
    return writer


def write_set(writer: PartitionWriter, write_parts: Callable[[PartitionWriter], list[dict[str, Any]]],
              make_config: Callable[[list[dict[str, Any]]], Any]) -> str:
    """The rest of the sequence on a writer from :func:`open_set_writer`: ``begin``,
    ``write_parts(writer)`` -> the ``part-N`` entries, then commit ``make_config(entries)``.
    Returns what :func:`gpf.open` takes to open the set."""
    writer.begin()  # removes an old config first: no config may point at a mix of old and new files
    entries = write_parts(writer)
    writer.commit(make_config(entries))
    return writer.config_path
