"""The ``dgl`` backend's writer: the files real DGL's ``load_partition`` loads.

Per partition ``p``, in ``OUT/part{p}/``: ``graph.dgl`` (DGL ``save_graphs``, COO),
``node_feat.dgl`` / ``edge_feat.dgl`` (``save_tensors``; always written, DGL asserts
them), and ``orig_nids.dgl`` / ``orig_eids.dgl`` when given, named in the config by
the extra part keys ``orig_nids`` / ``orig_eids``.  Tensor files are written one array
at a time through a temp file and ``os.replace``; no per-file fsync (DGL does none):
the config, written last, is the commit point of the set.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Mapping

import numpy as np

from gpf.sdk.storage.base import ArraySource, PartGraph, materialize
from gpf.sdk.storage.dir_writer import DirectoryWriter

__all__ = ["DglWriter", "write_tensor_file"]

FILES = {"part_graph": "graph.dgl", "node_feats": "node_feat.dgl", "edge_feats": "edge_feat.dgl",
         "orig_nids": "orig_nids.dgl", "orig_eids": "orig_eids.dgl"}


class _LazyTensors(Mapping):
    """``{name: array}`` whose arrays are made on access, so a file is written one array at a time."""

    def __init__(self, sources: Mapping[str, ArraySource]) -> None:
        self._sources = sources

    def __getitem__(self, key: str) -> np.ndarray:
        return materialize(self._sources[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._sources)

    def __len__(self) -> int:
        return len(self._sources)


def write_tensor_file(path: str, sources: Mapping[str, ArraySource]) -> None:
    """A DGL ``save_tensors`` file, one array at a time, via a temp file and ``os.replace``."""
    from gpf.sdk.codecs.dgl_bytes import MAGIC_TENSORS, write_named_tensors, write_u64

    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb", buffering=1 << 20) as fh:
            write_u64(fh, MAGIC_TENSORS)
            write_u64(fh, len(sources))
            write_named_tensors(fh, _LazyTensors(sources))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class DglWriter(DirectoryWriter):
    """Writes DGL's own partition files (the default backend)."""

    name = "dgl"

    def write_part(self, part_id: int, graph: PartGraph, arrays) -> dict:
        from gpf.sdk.codecs import dgl_graph

        self.part_dir(part_id)
        rel = {}
        for role in ("node_feats", "edge_feats", "orig_nids", "orig_eids"):
            tensors = arrays.get(role)
            if tensors is None and role in ("node_feats", "edge_feats"):
                tensors = {}  # DGL asserts both files, even without a tensor
            if tensors is not None:
                rel[role] = f"part{part_id}/{FILES[role]}"
                write_tensor_file(os.path.join(self.out_dir, rel[role]), tensors)
        rel["part_graph"] = f"part{part_id}/{FILES['part_graph']}"
        sg = dgl_graph.StoredGraph.homogeneous(graph.src, graph.dst, graph.num_nodes,
                                               {k: np.asarray(v) for k, v in graph.ndata.items()},
                                               {k: np.asarray(v) for k, v in graph.edata.items()})
        dgl_graph.write_graphs(os.path.join(self.out_dir, rel["part_graph"]), sg, formats=("coo",))
        # the entry in DGL's key order
        return {k: rel[k] for k in ("part_graph", "node_feats", "edge_feats", "orig_nids", "orig_eids") if k in rel}
