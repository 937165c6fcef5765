"""Storage codecs: byte buffers and DGL's binary formats, readable without DGL."""

from gpf.sdk.storage.dgl_graph import StoredGraph, read_graphs, read_partition_graph, write_graphs
from gpf.sdk.storage.dgl_tensors import read_tensors, write_tensors
