"""Storage: the backends behind the small :class:`PartitionStore` / :class:`PartitionWriter`
interfaces: ``dgl`` (DGL's files), ``npy``, ``hdf5`` and ``zarr`` (SPEC.md section 11).
:func:`open_store` / :func:`open_writer` pick a backend's reader and writer.  The byte-level
codecs of DGL's and GraphBolt's files are in :mod:`gpf.sdk.codecs` (their names are re-exported
here, as before)."""

from gpf.sdk.codecs.dgl_graph import StoredGraph, read_graphs, read_partition_graph, write_graphs
from gpf.sdk.codecs.dgl_tensors import read_tensors, write_tensors
from gpf.sdk.codecs.graphbolt import GraphBoltGraph, graphbolt_to_coo, read_graphbolt
from gpf.sdk.codecs.graphbolt_writer import write_graphbolt
from gpf.sdk.storage.base import PartGraph, PartitionStore, PartitionWriter
from gpf.sdk.storage.registry import BACKENDS, open_store, open_writer
from gpf.sdk.storage.zarr_store import ZarrFeature

__all__ = [
    "PartGraph", "PartitionStore", "PartitionWriter", "BACKENDS", "open_store", "open_writer", "ZarrFeature",
    "StoredGraph", "read_graphs", "read_partition_graph", "write_graphs",
    "read_tensors", "write_tensors",
    "GraphBoltGraph", "graphbolt_to_coo", "read_graphbolt", "write_graphbolt",
]
