"""gpf's SDK, one sub-package per job (data flows down this list, never up):

* :mod:`gpf.sdk.codecs` — DGL's binary files and GraphBolt's ``.pt``: bytes <-> arrays;
* :mod:`gpf.sdk.storage` — the backends (dgl, npy, hdf5, zarr) behind ``PartitionStore`` / ``PartitionWriter``;
* :mod:`gpf.sdk.read` — ``gpf.open``: partition sets, partitions, the partition book;
* :mod:`gpf.sdk.write` — ``gpf.partition``: graph inputs, partitioners (METIS), reshuffle, HALO, pipelines;
* :mod:`gpf.sdk.ops` — ``gpf.convert``, upgrade, the summary behind ``gpf info``.

Helpers every layer may use sit at this level: :mod:`~gpf.sdk.paths` (paths inside the dataset
root), :mod:`~gpf.sdk.arrays` and :mod:`~gpf.sdk.aligned` (numpy kernels), :mod:`~gpf.sdk.memory`.
"""
