"""``SampledBatch``: a neighbour-sampled mini-batch (PyG's ``NeighborLoader`` layout).

Seeds come first among the nodes of the seed type (``batch.n_id[:batch.batch_size]``);
``edge_index`` row 0 is the sampled neighbour, row 1 the node it was sampled for, both
batch-local; ``n_id`` holds per-type node IDs of the set (hids for a homogeneous set).
"""

from __future__ import annotations

from gpf.loader.batch import Batch

__all__ = ["SampledBatch"]


class SampledBatch(Batch):
    def __init__(self, nodes, edges, num_nodes, parts, homogeneous: bool, batch_size: int, input_type: str) -> None:
        super().__init__(nodes, edges, num_nodes, parts, homogeneous)
        self.batch_size = int(batch_size)
        self.input_type = input_type

    def to_pyg(self):
        """``Data`` (with ``batch_size``) or ``HeteroData`` (``data[input_type].batch_size``)."""
        data = super().to_pyg()
        if self.is_homogeneous:
            data.batch_size = self.batch_size
        else:
            data[self.input_type].batch_size = self.batch_size
        return data

    def __repr__(self) -> str:
        return super().__repr__().replace("Batch(", f"SampledBatch(batch_size={self.batch_size}, ", 1)
