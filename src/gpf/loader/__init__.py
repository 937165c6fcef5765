"""Training loaders over a gpf partition set (plain, composable; modelled on PyG's loaders).

    from gpf.loader import ClusterLoader, PartitionLoader
    loader = ClusterLoader("parts/cora.json", batch_size=8, shuffle=True, device="cuda",
                           node_feats=["feat"], label="label", seed=0)
    for batch in loader:          # batch.x, batch.y, batch.edge_index, batch.n_id, batch.train_mask
        ...

* :class:`ClusterLoader` -- Cluster-GCN batches (random groups of partitions, every edge
  between them), every node once per epoch;
* :class:`PartitionLoader` -- the partitions one rank owns under ``torch.distributed``,
  as full halo-aware batches (inner + HALO nodes, ``inner_mask``);
* :class:`DistNeighborLoader` -- neighbour-sampled mini-batches of each rank's seeds under
  ``torch.distributed``, each rank holding only its own partitions (:mod:`gpf.loader.sampling`);
* :class:`Batch` -- per-type tensors, ``to_pyg()``.
"""

from gpf.extras import require

require("torch", "gpf.loader")  # one line naming the extra, not torch's ModuleNotFoundError

from gpf.loader.batch import Batch  # noqa: E402
from gpf.loader.cluster import ClusterLoader  # noqa: E402

__all__ = ["Batch", "ClusterLoader", "DistNeighborLoader", "PartitionLoader", "rank_partitions"]


def __getattr__(name):  # PartitionLoader pulls in torch.distributed helpers only when used
    if name in ("PartitionLoader", "rank_partitions"):
        from gpf.loader import partition_loader

        return getattr(partition_loader, name)
    if name == "DistNeighborLoader":
        from gpf.loader.sampling import DistNeighborLoader

        return DistNeighborLoader
    raise AttributeError(name)
