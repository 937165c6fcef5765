"""Writing DGL ``save_graphs`` version-2 files: the checks of a graph before it is written and the
encoding of its HeteroGraphData; :func:`gpf.sdk.codecs.dgl_graph.write_graphs` frames them."""

from __future__ import annotations

from collections.abc import Iterable, Sized
from typing import BinaryIO

import numpy as np

from gpf.sdk.codecs.dgl_bytes import (
    MAGIC_COO,
    MAGIC_CSR,
    MAGIC_HETEROGRAPH,
    MAGIC_IMMUTABLE_GRAPH,
    MAGIC_UNITGRAPH,
    write_i64,
    write_named_tensors,
    write_ndarray,
    write_string,
    write_u8,
    write_u64,
)
from gpf.sdk.codecs.dgl_graph_types import (
    _FORMAT_ORDER,
    _I64,
    FORMAT_CODES,
    StoredGraph,
)

__all__ = ["check_writable", "format_code", "write_heterograph_data"]


def format_code(formats: str | Iterable[str]) -> int:
    names = [formats] if isinstance(formats, str) else list(formats)
    code = 0
    for name in names:
        bit = FORMAT_CODES.get(str(name).lower())
        if bit is None:
            raise ValueError(f"unknown sparse format {name!r}: use 'coo', 'csr' or 'csc'")
        code |= bit
    if not code:
        raise ValueError("formats must name at least one of 'coo', 'csr', 'csc'")
    return code


def check_writable(g: StoredGraph, gi: int) -> None:
    what = f"graph {gi}"
    n_nt, n_et = len(g.ntypes), len(g.etypes)
    lists: dict[str, tuple[Sized, int]] = {
        "num_nodes": (g.num_nodes, n_nt),
        "ndata": (g.ndata, n_nt),
        "etype_endpoints": (g.etype_endpoints, n_et),
        "src": (g.src, n_et),
        "dst": (g.dst, n_et),
        "edata": (g.edata, n_et),
    }
    for name, (lst, n) in lists.items():
        if len(lst) != n:
            raise ValueError(f"{what}: {name} has {len(lst)} entries, expected {n}")
    if g.idtype not in ("int32", "int64"):
        raise ValueError(f"{what}: idtype must be 'int32' or 'int64', not {g.idtype!r}")
    limit = int(np.iinfo(g.idtype).max)
    for t, n in enumerate(g.num_nodes):
        if not 0 <= int(n) <= limit:
            raise ValueError(f"{what}: node type {g.ntypes[t]!r} has {n} nodes, outside 0..{limit}")
    for e, (s_t, d_t) in enumerate(g.etype_endpoints):
        if not (0 <= s_t < n_nt and 0 <= d_t < n_nt):
            raise ValueError(f"{what}: edge type {g.etypes[e]!r} has endpoints {(s_t, d_t)} outside 0..{n_nt - 1}")
        src, dst = np.asarray(g.src[e]), np.asarray(g.dst[e])
        for name, ids, bound in (("src", src, g.num_nodes[s_t]), ("dst", dst, g.num_nodes[d_t])):
            if ids.ndim != 1 or ids.dtype.kind not in "iu":
                raise ValueError(f"{what}: {name} of edge type {g.etypes[e]!r} must be a 1-D integer array")
            if ids.shape[0] and (int(ids.min()) < 0 or int(ids.max()) >= bound):
                raise ValueError(f"{what}: {name} of edge type {g.etypes[e]!r} has IDs outside 0..{bound - 1}")
        if src.shape[0] != dst.shape[0]:
            raise ValueError(f"{what}: edge type {g.etypes[e]!r} has {src.shape[0]} src and {dst.shape[0]} dst IDs")
        if src.shape[0] > limit:
            raise ValueError(f"{what}: edge type {g.etypes[e]!r} has too many edges for {g.idtype}")
    for kind, frames, counts, names in (
        ("node", g.ndata, g.num_nodes, g.ntypes),
        ("edge", g.edata, [len(s) for s in g.src], g.etypes),
    ):
        for frame, rows, name in zip(frames, counts, names):
            for key, arr in frame.items():
                shape = np.shape(arr)
                if not shape or shape[0] != rows:
                    raise ValueError(f"{what}: {kind} data {key!r} of {name!r} has shape {shape}, expected {rows} rows")


def write_heterograph_data(fh: BinaryIO, g: StoredGraph, code: int) -> None:
    n_nt = len(g.ntypes)
    idt = np.dtype(g.idtype).newbyteorder("<")
    ends = np.asarray(g.etype_endpoints, dtype=np.int64).reshape(-1, 2)
    write_u64(fh, MAGIC_HETEROGRAPH)
    # Metagraph: out-CSR over node types, grouped by src type, etype order within a row.
    order = np.argsort(ends[:, 0], kind="stable")
    _write_immutable(fh, n_nt, n_nt, _indptr(ends[:, 0], n_nt, _I64), ends[order, 1], order.astype(_I64))
    write_u64(fh, len(g.etypes))
    for e in range(len(g.etypes)):
        s_t, d_t = (int(x) for x in ends[e])
        _write_unitgraph(fh, g, e, s_t, d_t, code, idt)
    write_u64(fh, n_nt)
    fh.write(np.asarray(g.num_nodes, dtype=_I64).tobytes())
    write_u64(fh, n_nt)
    for frame in g.ndata:
        write_named_tensors(fh, frame)
    write_u64(fh, len(g.etypes))
    for frame in g.edata:
        write_named_tensors(fh, frame)
    for names in (g.ntypes, g.etypes):
        write_u64(fh, len(names))
        for name in names:
            write_string(fh, name)


def _write_unitgraph(fh: BinaryIO, g: StoredGraph, e: int, s_t: int, d_t: int, code: int, idt: np.dtype) -> None:
    n_src, n_dst = int(g.num_nodes[s_t]), int(g.num_nodes[d_t])
    src = np.asarray(g.src[e]).astype(idt, copy=False)
    dst = np.asarray(g.dst[e]).astype(idt, copy=False)
    write_u64(fh, MAGIC_UNITGRAPH)
    write_i64(fh, code | (1 << 32))
    write_i64(fh, 7 | (1 << 32))
    for name in _FORMAT_ORDER:
        if not code & FORMAT_CODES[name]:
            continue
        _write_unit_metagraph(fh, s_t != d_t)
        if name == "coo":
            write_u64(fh, MAGIC_COO)
            write_i64(fh, n_dst)
            write_i64(fh, n_src)
            write_ndarray(fh, src)
            write_ndarray(fh, dst)
            write_ndarray(fh, np.empty(0, dtype=_I64))
            write_u8(fh, 0)
            write_u8(fh, 0)
        else:
            rows, cols, n_rows, n_cols = (src, dst, n_src, n_dst) if name == "csr" else (dst, src, n_dst, n_src)
            order = _row_order(rows, n_rows)
            _write_csr(fh, n_rows, n_cols, _indptr(rows, n_rows, idt), cols[order], order.astype(idt, copy=False))


def _row_order(rows: np.ndarray, n_rows: int) -> np.ndarray:
    """Edge IDs grouped by row, ascending within a row (a stable argsort of ``rows``).

    Sorts packed ``row << b | eid`` keys (much faster than a stable argsort) when
    they fit in 63 bits.
    """
    m = int(rows.shape[0])
    bits = max((m - 1).bit_length(), 1)
    if m == 0 or int(n_rows).bit_length() + bits > 63:
        return np.argsort(rows, kind="stable")
    key = rows.astype(np.int64) << bits
    key |= np.arange(m, dtype=np.int64)
    key.sort()
    key &= (1 << bits) - 1
    return key


def _indptr(rows: np.ndarray, n_rows: int, dtype: np.dtype) -> np.ndarray:
    indptr = np.zeros(n_rows + 1, dtype=dtype)
    if rows.shape[0]:
        np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
    return indptr


def _write_unit_metagraph(fh: BinaryIO, bipartite: bool) -> None:
    if bipartite:
        _write_immutable(fh, 2, 2, np.array([0, 1, 1], _I64), np.array([1], _I64), np.array([0], _I64))
    else:
        _write_immutable(fh, 1, 1, np.array([0, 1], _I64), np.array([0], _I64), np.array([0], _I64))


def _write_immutable(fh: BinaryIO, n_rows: int, n_cols: int, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray) -> None:
    write_u64(fh, MAGIC_IMMUTABLE_GRAPH)
    _write_csr(fh, n_rows, n_cols, indptr, indices, data)


def _write_csr(fh: BinaryIO, n_rows: int, n_cols: int, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray) -> None:
    write_u64(fh, MAGIC_CSR)
    write_i64(fh, n_cols)
    write_i64(fh, n_rows)
    write_ndarray(fh, indptr)
    write_ndarray(fh, indices)
    write_ndarray(fh, data)
    write_u8(fh, 0)
