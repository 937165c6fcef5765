"""Distributed neighbour sampling straight from a partition set (DistDGL's data path, no DGL).

* :class:`DistNeighborLoader` -- sampled mini-batches of this rank's seeds under
  ``torch.distributed``;
* :func:`sample_slots` -- vectorised uniform sampling over a CSC.
"""

from gpf.loader.sampling.batch import SampledBatch
from gpf.loader.sampling.loader import DistNeighborLoader
from gpf.loader.sampling.uniform import sample_slots

__all__ = ["DistNeighborLoader", "SampledBatch", "sample_slots"]
