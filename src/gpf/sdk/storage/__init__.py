"""Storage: byte buffers, DGL's binary formats and GraphBolt files, readable without DGL,
and the backends behind the small :class:`PartitionStore` interface."""

from gpf.sdk.storage.base import PartGraph, PartitionStore
from gpf.sdk.storage.dgl_graph import StoredGraph, read_graphs, read_partition_graph, write_graphs
from gpf.sdk.storage.dgl_tensors import read_tensors, write_tensors
from gpf.sdk.storage.graphbolt import GraphBoltGraph, graphbolt_to_coo, read_graphbolt, write_graphbolt

__all__ = [
    "PartGraph", "PartitionStore",
    "StoredGraph", "read_graphs", "read_partition_graph", "write_graphs",
    "read_tensors", "write_tensors",
    "GraphBoltGraph", "graphbolt_to_coo", "read_graphbolt", "write_graphbolt",
]
