"""Any partitioner input as DGL's chunked graph format, for the out-of-core / Dask partitioner.

``gpf partition INPUT OUT --workers N`` (or ``--scheduler``, ``--out-of-core``) runs
:func:`gpf.sdk.streaming.partition_chunked`, which reads a chunked graph.  :func:`chunked_input`
hands it one for every input ``gpf partition`` accepts: a chunked graph as it is, anything else
(``.npz``, a partition set) read once and staged as a chunked graph next to the output -- inside
``OUT`` for a local output, so that on a multi-machine cluster it sits on the same shared file
system the workers write to -- and removed afterwards.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator

from gpf.sdk import paths

__all__ = ["chunked_input"]


@contextlib.contextmanager
def chunked_input(source, out_dir: str | os.PathLike[str], *, num_chunks: int = 1,
                  graph_name: str | None = None) -> Iterator[str]:
    """The ``metadata.json`` of ``source`` as a chunked graph (a path, or a :class:`gpf.Graph`)."""
    from gpf.sdk.write.graph import Graph
    from gpf.sdk.write.inputs import chunked_metadata, load_graph

    if not isinstance(source, Graph):
        meta = chunked_metadata(os.fspath(source))
        if meta is not None:
            yield meta
            return
    graph = source if isinstance(source, Graph) else load_graph(source)
    out = os.fspath(out_dir)
    if paths.is_url(out):
        parent = None
    else:
        parent = os.path.abspath(out[len("file://"):] if out.startswith("file://") else out)
        os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".gpf-input-", dir=parent)
    try:
        yield graph.save_chunked(staging, num_chunks=max(1, int(num_chunks)), edge_format="numpy",
                                 graph_name=graph_name or "graph", overwrite=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
