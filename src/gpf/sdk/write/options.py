"""How a set is partitioned and written, as frozen option objects.

:func:`gpf.partition` keeps its keyword signature; it packs the keywords into one
:class:`PartitionOptions` (with a :class:`WriteOptions` inside) that goes, unchanged, through
the in-memory writer, the out-of-core writer and the shared write sequence
(:func:`gpf.sdk.write.set_writer.write_set`); ``gpf convert`` passes a :class:`WriteOptions`.
Each option is described once, here, with DGL ``partition_graph``'s meaning where it has one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["WriteOptions", "PartitionOptions"]


@dataclass(frozen=True)
class WriteOptions:
    """Where and how a set's files are written."""

    #: Storage backend (a name in :data:`gpf.sdk.storage.registry.BACKENDS`).
    backend: str = "dgl"
    #: Replace an existing set at the destination (else: an error naming it).
    overwrite: bool = False
    #: Progress bars on a terminal.
    progress: bool = True
    # -- backend options (the registry refuses one a backend does not take) -----------------
    #: hdf5 / zarr: "gzip", "lzf", "zstd", "blosc", ... (see :mod:`gpf.sdk.storage`).
    compressor: str | None = None
    #: hdf5 / zarr: rows per chunk.
    chunk_rows: int | None = None
    #: zarr: rows per shard (0: no sharding; None: shards on object stores only).
    shard_rows: int | None = None
    # -- DGL partition_graph's file options (dgl backend) ------------------------------------
    #: Sparse formats saved in ``graph.dgl`` (None: COO; any of "coo", "csr", "csc").
    graph_formats: str | Sequence[str] | None = None
    #: Also write DGL 2.x's ``fused_csc_sampling_graph.pt`` (DGL's ``use_graphbolt``).
    graphbolt: bool = False
    #: GraphBolt optional fields (every field when ``DGL_DIST_DEBUG`` is set, as DGL).
    store_eids: bool = False
    store_inner_node: bool = False
    store_inner_edge: bool = False
    #: False (with ``graphbolt``): leave ``graph.dgl`` out.
    dgl_graph: bool = True

    def writer_options(self) -> dict[str, Any]:
        """The backend options that are set, as :func:`~gpf.sdk.storage.registry.open_writer` takes them:
        ``compressor``/``chunk_rows``/``shard_rows``, and DGL's file options as one ``dgl_options``
        (:class:`~gpf.sdk.storage.dgl_writer.DglOptions`; absent when all are DGL's defaults).  Raises
        :class:`~gpf.errors.GpfError` for a bad value, :class:`~gpf.errors.UnsupportedError` when DGL's
        file options are given for another backend."""
        from gpf.sdk.storage.dgl_writer import dgl_options

        given = {"compressor": self.compressor, "chunk_rows": self.chunk_rows, "shard_rows": self.shard_rows,
                 "dgl_options": dgl_options(self.backend, graph_formats=self.graph_formats, graphbolt=self.graphbolt,
                                            store_eids=self.store_eids, store_inner_node=self.store_inner_node,
                                            store_inner_edge=self.store_inner_edge, dgl_graph=self.dgl_graph)}
        return {k: v for k, v in given.items() if v is not None}


@dataclass(frozen=True)
class PartitionOptions:
    """How a graph is partitioned (DGL ``partition_graph``'s meanings), and how the set is written."""

    #: "metis", "random", an int array with one partition ID per node, or ``{ntype: array}``.
    method: Any = "metis"
    #: HALO depth (>= 1).
    halo_hops: int = 1
    #: METIS: balance in-edges too.
    balance_edges: bool = False
    #: METIS: labels (e.g. a train mask) whose classes are balanced across partitions.
    balance_ntypes: Any = None
    #: METIS objective: "cut" (edge cut) or "vol" (communication volume).
    objtype: str = "cut"
    #: > 1 adds ``trainer_id`` node and edge features as DGL does.
    num_trainers_per_machine: int = 1
    #: Seed of the random method (and METIS).
    seed: int = 0
    #: How the set is written.
    write: WriteOptions = field(default_factory=WriteOptions)

    @classmethod
    def from_keywords(cls, **kw: Any) -> PartitionOptions:
        """One object from :func:`gpf.partition`'s keywords: partition fields and write fields mixed."""
        names = {f.name for f in dataclasses.fields(cls)} - {"write"}
        write_names = {f.name for f in dataclasses.fields(WriteOptions)}
        unknown = set(kw) - names - write_names
        if unknown:
            raise TypeError(f"unknown partition option(s): {sorted(unknown)}")
        write = WriteOptions(**{k: v for k, v in kw.items() if k in write_names})
        return cls(**{k: v for k, v in kw.items() if k in names}, write=write)

    def replace(self, **changes: Any) -> PartitionOptions:
        """A copy with ``changes`` (partition or write fields)."""
        mine = {k: v for k, v in changes.items() if k in {f.name for f in dataclasses.fields(self)}}
        theirs = {k: v for k, v in changes.items() if k not in mine}
        write = dataclasses.replace(self.write, **theirs) if theirs else self.write
        return dataclasses.replace(self, **mine, write=write)
