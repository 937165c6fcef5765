"""Codecs of the binary files gpf reads and writes but did not design: DGL's ``graph.dgl`` (graph
serialisation), ``node_feat.dgl``/``edge_feat.dgl`` (named tensors), GraphBolt's
``fused_csc_sampling_graph.pt`` (zip + pickle-free reader), over byte buffers (``buffer``).
Pure byte <-> array translation: no partitions, configs or other gpf semantics."""
