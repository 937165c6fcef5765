"""DGL ``save_graphs`` / ``load_graphs`` files (a partition's ``graph.dgl``), without DGL.

Reads version 2 (HeteroGraph; COO, CSR and CSC blocks in any combination, plus
the pre-1.0 single-format encoding) and the legacy version 1 (ImmutableGraph in-CSR)
layout; writes version 2.  Layout of version 2 (DGL heterograph_serialize.cc)::

    0     u64 magic 0xDD2E4FF046B4A13F, u64 version 2, u64 graph_type 2, u64 num_graphs
    32    zero padding up to 4096 (DGL leaves garbage there; it is ignored)
    4096  u64 gdata_start, vector<NamedTensor> labels, num_graphs x HeteroGraphData
    tail  u64 L, vector<u64> graph offsets (L bytes), u64 L

    HeteroGraphData = HeteroGraph, vector<vector<NamedTensor>> ndata (per ntype),
                      vector<vector<NamedTensor>> edata (per etype),
                      vector<string> ntypes, vector<string> etypes
    HeteroGraph     = magic, ImmutableGraph metagraph, u64 R, R x UnitGraph, vector<i64> num_nodes
    ImmutableGraph  = magic, CSRMatrix                (metagraph: out-CSR over node types)
    UnitGraph       = magic, i64 saved|1<<32, i64 allowed|1<<32, then for COO, CSR, CSC
                      when saved: ImmutableGraph unit metagraph + matrix
    CSRMatrix       = magic, i64 num_cols, i64 num_rows, NDArray indptr, indices, data, u8 sorted
    COOMatrix       = magic, i64 num_cols, i64 num_rows, NDArray row, col, data, u8 row_sorted,
                      u8 col_sorted

Everything read is validated the way DGL validates it (and more: index ranges,
edge-ID permutations, tensor row counts), raising :class:`~gpf.errors.FormatError`
with the file, the byte offset and what is wrong.  Edges come back in edge-ID
order whatever formats the file stored.  Stricter than DGL 1.1.3, which reads
``num_graphs`` graphs from ``gdata_start`` and ignores the rest: the tail index
must match the graph offsets and end the file.
"""


from __future__ import annotations

import os
import struct
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from gpf.errors import FormatError
from gpf.sdk.codecs.buffer import open_buffer
from gpf.sdk.codecs.dgl_bytes import (
    MAGIC_GRAPHS,
    ByteReader,
    atomic_writer,
    write_named_tensors,
    write_u64,
)
from gpf.sdk.codecs.dgl_graph_read import read_v1, read_v2
from gpf.sdk.codecs.dgl_graph_types import (
    _HEADER_SIZE,
    _WHAT,
    FORMAT_CODES,
    GraphSource,
    StoredGraph,
)
from gpf.sdk.codecs.dgl_graph_write import check_writable, format_code, write_heterograph_data

__all__ = [
    "StoredGraph",
    "GraphSource",
    "read_graphs",
    "read_partition_graph",
    "write_graphs",
    "FORMAT_CODES",
]


def read_graphs(source: GraphSource, *, check_indices: bool = True) -> tuple[list[StoredGraph], dict[str, np.ndarray]]:
    """Read every graph and the label dict of a DGL ``save_graphs`` file (version 1 or 2).

    ``source`` is a path, URL, bytes or :class:`Buffer`.  Raises
    :class:`~gpf.errors.FormatError` for anything DGL would reject and for
    inconsistent content (shapes vs node counts, IDs out of range, tensor row
    counts).  ``check_indices=False`` leaves the range check of the returned ``src``/``dst``
    (version 2) to the caller, which must do it before using them as indices (the validator
    does, in passes it needs anyway); every other index, in any other stored format, is checked.
    """
    buf = open_buffer(source)
    cur = ByteReader(buf)
    cur.magic(MAGIC_GRAPHS, _WHAT)
    version_at = cur.pos
    version = cur.u64("version")
    if version == 2:
        return read_v2(cur, check_indices)
    if version == 1:
        return read_v1(cur)
    raise cur.error(f"unknown save_graphs version {version} (known: 1, 2)", version_at)


def read_partition_graph(source: GraphSource, *, check_indices: bool = True) -> StoredGraph:
    """Read a partition's ``graph.dgl``: exactly one graph with one node type and one edge type
    (``check_indices``: see :func:`read_graphs`)."""
    buf = open_buffer(source)
    graphs, _labels = read_graphs(buf, check_indices=check_indices)
    if len(graphs) != 1:
        raise FormatError(
            buf.name, None, f"expected exactly one graph in a partition graph file, found {len(graphs)}"
        )
    g = graphs[0]
    if len(g.ntypes) != 1 or len(g.etypes) != 1:
        raise FormatError(
            buf.name,
            None,
            "expected a partition graph with one node type and one edge type, found "
            f"node types {g.ntypes} and edge types {g.etypes}",
        )
    if g.num_nodes[0] > len(buf):  # every partition node has an 8-byte _ID: the count is a bare claim
        raise FormatError(buf.name, None, f"claims {g.num_nodes[0]} nodes, more than a {len(buf)}-byte partition "
                          "graph file can describe")
    return g


def write_graphs(
    path: str | os.PathLike[str],
    graphs: StoredGraph | Sequence[StoredGraph],
    labels: Mapping[str, np.ndarray] | None = None,
    formats: str | Iterable[str] = ("coo",),
) -> None:
    """Write ``graphs`` (and graph ``labels``) as a DGL ``save_graphs`` version-2 file.

    ``formats`` is any non-empty subset of ``"coo"``, ``"csr"``, ``"csc"``; every
    relation graph stores those blocks (in DGL's order COO, CSR, CSC).  CSR/CSC
    keep the edge-ID order within a row and store the edge IDs as ``data``.  The
    header padding is zero, COO ``data`` is an empty int64 array and every
    sorted flag is 0 (always safe: DGL only trusts a 1).  The index dtype is each
    graph's ``idtype``.  Bool tensors are stored as uint8.  The file is written
    atomically.  Raises ``ValueError`` for an inconsistent graph.
    """
    glist = [graphs] if isinstance(graphs, StoredGraph) else list(graphs)
    code = format_code(formats)
    label_arrays = {k: np.asarray(v) for k, v in (labels or {}).items()}
    for i, g in enumerate(glist):
        check_writable(g, i)
    with atomic_writer(path) as fh:
        header = bytearray(_HEADER_SIZE)
        struct.pack_into("<QQQQ", header, 0, MAGIC_GRAPHS, 2, 2, len(glist))
        fh.write(header)
        write_u64(fh, 0)  # gdata_start, patched below
        write_named_tensors(fh, label_arrays)
        gdata_start = fh.tell()
        offsets = []
        for g in glist:
            offsets.append(fh.tell())
            write_heterograph_data(fh, g, code)
        tail = np.asarray(offsets, dtype="<u8")
        length = 8 + 8 * len(offsets)
        write_u64(fh, length)
        write_u64(fh, len(offsets))
        fh.write(tail.tobytes())
        write_u64(fh, length)
        fh.seek(_HEADER_SIZE)
        write_u64(fh, gdata_start)
        fh.seek(0, os.SEEK_END)
