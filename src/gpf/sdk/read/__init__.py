"""Reading a partition set: :func:`reader.open_set` (``gpf.open``), :class:`reader.PartitionSet`,
:class:`reader.Partition` and the partition book (``book``: global ID <-> partition, type-wise IDs)."""
