"""The in-memory form of a DGL ``save_graphs`` file's graphs (:class:`StoredGraph`), the stored
sparse matrix (``_Sparse``) and the format's constants, shared by the reader
(:mod:`~gpf.sdk.codecs.dgl_graph_read`) and the writer (:mod:`~gpf.sdk.codecs.dgl_graph_write`);
:mod:`gpf.sdk.codecs.dgl_graph` is the public face of the three."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Union

import numpy as np

from gpf.sdk.codecs.buffer import Buffer, BytesLike

__all__ = ["StoredGraph", "GraphSource", "FORMAT_CODES"]

GraphSource = Union[str, "os.PathLike[str]", BytesLike, Buffer]

#: DGL's sparse-format bitmask (spmat.h).
FORMAT_CODES: dict[str, int] = {"coo": 1, "csr": 2, "csc": 4}
_FORMAT_ORDER = ("coo", "csr", "csc")
_LEGACY_SAVE_FORMAT = {1: 1, 2: 2, 3: 4}  # pre-1.0 SparseFormat enum -> bitmask
_LEGACY_ALLOWED = {0: 7, 1: 1, 2: 2, 3: 4}
_HEADER_SIZE = 4096
_WHAT = "a DGL graph file (save_graphs)"
_I64 = np.dtype("<i8")
_INDEX_DTYPES = (np.dtype("<i4"), np.dtype("<i8"))
# Smallest possible encodings, used to bound counts before reading them.
_MIN_CSR = 8 + 16 + 3 * 40 + 1
_MIN_UNIT = 8 + 16 + 8 + _MIN_CSR + 8 + 16 + 3 * 40 + 2
_MIN_HETERO = 8 + 8 + _MIN_CSR + 8 + 8 + 4 * 8


@dataclass
class StoredGraph:
    """One graph of a DGL ``save_graphs`` file, as plain numpy arrays.

    * ``ntypes`` / ``etypes``: names as DGL stores them, in type-ID order (DGL
      sorts both; ``etypes`` are plain relation names, not canonical triples,
      and may repeat).
    * ``etype_endpoints[e] = (src ntype id, dst ntype id)`` from the metagraph.
    * ``num_nodes[t]``: node count per node type.
    * ``src[e]`` / ``dst[e]``: int64 endpoint IDs of etype ``e`` in edge-ID order.
    * ``ndata[t]`` / ``edata[e]``: ``{name: array}`` whose first dimension is the
      node / edge count.
    * ``idtype``: the index dtype on disk (``"int64"`` or ``"int32"``); the writer
      uses it, the reader reports the file's.

    Arrays read from a file are read-only (often zero-copy views on the mmap).
    """

    ntypes: list[str]
    etypes: list[str]
    etype_endpoints: list[tuple[int, int]]
    num_nodes: list[int]
    src: list[np.ndarray]
    dst: list[np.ndarray]
    ndata: list[dict[str, np.ndarray]] = field(default_factory=list)
    edata: list[dict[str, np.ndarray]] = field(default_factory=list)
    idtype: str = "int64"

    def __post_init__(self) -> None:
        if not self.ndata:
            self.ndata = [{} for _ in self.ntypes]
        if not self.edata:
            self.edata = [{} for _ in self.etypes]

    @classmethod
    def homogeneous(
        cls,
        src: np.ndarray,
        dst: np.ndarray,
        num_nodes: int,
        ndata: Mapping[str, np.ndarray] | None = None,
        edata: Mapping[str, np.ndarray] | None = None,
        *,
        ntype: str = "_N",
        etype: str = "_E",
        idtype: str = "int64",
    ) -> StoredGraph:
        """A graph with one node type and one edge type (a partition's ``graph.dgl``)."""
        return cls(
            ntypes=[ntype],
            etypes=[etype],
            etype_endpoints=[(0, 0)],
            num_nodes=[int(num_nodes)],
            src=[np.asarray(src)],
            dst=[np.asarray(dst)],
            ndata=[dict(ndata or {})],
            edata=[dict(edata or {})],
            idtype=idtype,
        )

    @property
    def num_edges(self) -> list[int]:
        """Edge count per edge type."""
        return [int(len(s)) for s in self.src]

    @property
    def canonical_etypes(self) -> list[tuple[str, str, str]]:
        """``(src ntype, relation, dst ntype)`` per edge type."""
        return [
            (self.ntypes[s], rel, self.ntypes[d])
            for rel, (s, d) in zip(self.etypes, self.etype_endpoints)
        ]


@dataclass
class _Sparse:
    """One sparse matrix as stored: COO (a=row, b=col) or CSR (a=indptr, b=indices)."""

    kind: str  # "coo" or "csr"
    at: int
    num_rows: int
    num_cols: int
    a: np.ndarray
    b: np.ndarray
    data: np.ndarray | None  # None: identity
    what: str = ""  # where it was read, for messages

    @property
    def nnz(self) -> int:
        return int(len(self.b))
