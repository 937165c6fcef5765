"""Reading DGL ``save_graphs`` files: version 2 (HeteroGraph) and the legacy version 1
(ImmutableGraph); the layout and the checks are described in :mod:`gpf.sdk.codecs.dgl_graph`,
whose :func:`~gpf.sdk.codecs.dgl_graph.read_graphs` calls :func:`read_v2` / :func:`read_v1`."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from gpf.sdk.aligned import min_max, umax
from gpf.sdk.codecs.dgl_bytes import (
    MAGIC_COO,
    MAGIC_CSR,
    MAGIC_HETEROGRAPH,
    MAGIC_IMMUTABLE_GRAPH,
    MAGIC_UNITGRAPH,
    ByteReader,
    read_named_tensors,
    read_ndarray,
)
from gpf.sdk.codecs.dgl_graph_types import (
    _FORMAT_ORDER,
    _HEADER_SIZE,
    _INDEX_DTYPES,
    _LEGACY_ALLOWED,
    _LEGACY_SAVE_FORMAT,
    _MIN_HETERO,
    _MIN_UNIT,
    FORMAT_CODES,
    StoredGraph,
    _Sparse,
)
from gpf.sdk.codecs.mapped import release

__all__ = ["read_v1", "read_v2"]


# -- version 2 --------------------------------------------------------------------------


def read_v2(cur: ByteReader, check_indices: bool) -> tuple[list[StoredGraph], dict[str, np.ndarray]]:
    gtype_at = cur.pos
    graph_type = cur.u64("graph type")
    if graph_type != 2:
        raise cur.error(f"save_graphs version 2 with graph type {graph_type}, expected 2 (HeteroGraph)", gtype_at)
    num_at = cur.pos
    num_graphs = cur.u64("number of graphs")
    if cur.size < _HEADER_SIZE + 8:
        raise cur.error(f"truncated header: the file has {cur.size} bytes, a graph file at least {_HEADER_SIZE + 16}", cur.size)
    cur.seek(_HEADER_SIZE, "header")
    start_at = cur.pos
    gdata_start = cur.u64("graph data start offset")
    labels = read_named_tensors(cur, "graph labels")
    if gdata_start != cur.pos:
        raise cur.error(f"graph data start offset says {gdata_start}, but the labels end at {cur.pos}", start_at)
    if num_graphs * _MIN_HETERO > cur.remaining:
        raise cur.error(f"{num_graphs} graphs cannot fit in the {cur.remaining} bytes left", num_at)
    graphs: list[StoredGraph] = []
    offsets: list[int] = []
    for i in range(num_graphs):
        offsets.append(cur.pos)
        graphs.append(_read_heterograph_data(cur, f"graph {i}", check_indices))
    _read_tail(cur, offsets)
    return graphs, labels


def _read_tail(cur: ByteReader, offsets: list[int]) -> None:
    """The tail index: u64 L, vector<u64> graph offsets, u64 L, and then end of file."""
    at = cur.pos
    length = cur.u64("graph index length")
    index = cur.uint64s("graph index")
    length2 = cur.u64("graph index length (repeated)")
    expected = 8 + 8 * len(offsets)
    if length != expected or length2 != expected or len(index) != len(offsets):
        raise cur.error(
            f"bad graph index: lengths {length}/{length2} and {len(index)} entries, "
            f"expected {expected} bytes and {len(offsets)} entries",
            at,
        )
    if not np.array_equal(index, np.asarray(offsets, dtype=np.uint64)):
        raise cur.error(f"graph index {index.tolist()} does not match graph offsets {offsets}", at)
    if cur.remaining:
        raise cur.error(f"{cur.remaining} unexpected bytes after the graph index")


def _read_heterograph_data(cur: ByteReader, what: str, check_indices: bool) -> StoredGraph:
    at = cur.pos
    cur.magic(MAGIC_HETEROGRAPH, f"{what}: HeteroGraph")
    meta = _read_immutable_graph(cur, f"{what}: metagraph")
    num_rel = cur.count(f"{what}: relation graphs", _MIN_UNIT)
    units = [_read_unitgraph(cur, f"{what}: relation graph {e}") for e in range(num_rel)]
    verts_at = cur.pos
    num_verts = cur.int64s(f"{what}: num_verts_per_type")
    nt_at = cur.pos
    n_offsets: list[dict[str, int]] = []
    ndata = _read_tensor_lists(cur, f"{what}: node data", n_offsets)
    et_at = cur.pos
    e_offsets: list[dict[str, int]] = []
    edata = _read_tensor_lists(cur, f"{what}: edge data", e_offsets)
    names_at = cur.pos
    ntypes = cur.strings(f"{what}: node type names")
    etypes = cur.strings(f"{what}: edge type names")

    n_nt, n_et = len(ntypes), len(etypes)
    if meta.num_rows != n_nt or meta.num_cols != n_nt:
        raise cur.error(f"{what}: metagraph is {meta.num_rows}x{meta.num_cols} but there are {n_nt} node types", meta.at)
    if meta.nnz != n_et or num_rel != n_et:
        raise cur.error(
            f"{what}: {n_et} edge type names, but the metagraph has {meta.nnz} edges and "
            f"there are {num_rel} relation graphs",
            names_at,
        )
    if len(num_verts) != n_nt:
        raise cur.error(f"{what}: {len(num_verts)} node counts for {n_nt} node types", verts_at)
    if len(ndata) != n_nt:
        raise cur.error(f"{what}: node data for {len(ndata)} node types, expected {n_nt}", nt_at)
    if len(edata) != n_et:
        raise cur.error(f"{what}: edge data for {len(edata)} edge types, expected {n_et}", et_at)
    if n_nt and int(num_verts.min()) < 0:
        raise cur.error(f"{what}: negative node count in {num_verts.tolist()}", verts_at)
    num_nodes = [int(v) for v in num_verts]

    endpoints = _metagraph_endpoints(cur, meta, f"{what}: metagraph")
    src: list[np.ndarray] = []
    dst: list[np.ndarray] = []
    idtypes: set[str] = set()
    for e, (_unit_at, mats) in enumerate(units):
        s_t, d_t = endpoints[e]
        s, d, idt = _unit_edges(cur, mats, num_nodes[s_t], num_nodes[d_t], f"{what}: relation graph {e} ({etypes[e]!r})",
                                check_indices)
        src.append(s)
        dst.append(d)
        idtypes.add(idt)
    if len(idtypes) > 1:
        raise cur.error(f"{what}: relation graphs mix index dtypes {sorted(idtypes)}", at)
    for t in range(n_nt):
        _check_rows(cur, ndata[t], n_offsets[t], num_nodes[t], f"{what}: node data of {ntypes[t]!r}", "nodes")
    for e in range(n_et):
        _check_rows(cur, edata[e], e_offsets[e], len(src[e]), f"{what}: edge data of {etypes[e]!r}", "edges")
    return StoredGraph(
        ntypes=ntypes,
        etypes=etypes,
        etype_endpoints=endpoints,
        num_nodes=num_nodes,
        src=src,
        dst=dst,
        ndata=ndata,
        edata=edata,
        idtype=idtypes.pop() if idtypes else "int64",
    )


def _read_tensor_lists(cur: ByteReader, what: str, offsets: list[dict[str, int]]) -> list[dict[str, np.ndarray]]:
    n = cur.count(what, 8)
    out = []
    for i in range(n):
        offs: dict[str, int] = {}
        out.append(read_named_tensors(cur, f"{what}[{i}]", offs))
        offsets.append(offs)
    return out


def _check_rows(
    cur: ByteReader, tensors: Mapping[str, np.ndarray], offsets: Mapping[str, int], rows: int, what: str, unit: str
) -> None:
    for name, arr in tensors.items():
        if arr.ndim == 0 or arr.shape[0] != rows:
            got = "a 0-dim tensor" if arr.ndim == 0 else f"{arr.shape[0]} rows"
            raise cur.error(f"{what}: tensor {name!r} has {got}, expected {rows} (one per {unit[:-1]})", offsets[name])


def _read_immutable_graph(cur: ByteReader, what: str) -> _Sparse:
    cur.magic(MAGIC_IMMUTABLE_GRAPH, f"{what} (ImmutableGraph)")
    m = _read_csr(cur, what)
    _check_indices(cur, m, what)
    return m


def _read_unitgraph(cur: ByteReader, what: str) -> tuple[int, dict[str, tuple[_Sparse, _Sparse]]]:
    """A UnitGraph: ``(offset, {"coo"|"csr"|"csc": (unit metagraph, matrix)})``."""
    at = cur.pos
    cur.magic(MAGIC_UNITGRAPH, f"{what} (UnitGraph)")
    code_at = cur.pos
    save_code = cur.i64(f"{what}: saved formats")
    allowed_code = cur.i64(f"{what}: allowed formats")
    if save_code >> 32:
        saved = save_code & 0xFFFFFFFF
    else:
        saved = _LEGACY_SAVE_FORMAT.get(save_code, 0)
    if saved == 0 or saved & ~7:
        raise cur.error(f"{what}: unknown saved-formats code 0x{save_code & 0xFFFFFFFFFFFFFFFF:X}", code_at)
    allowed = allowed_code & 0xFFFFFFFF if allowed_code >> 32 else _LEGACY_ALLOWED.get(allowed_code, 0)
    if allowed == 0 or allowed & ~7:
        raise cur.error(f"{what}: unknown allowed-formats code 0x{allowed_code & 0xFFFFFFFFFFFFFFFF:X}", code_at + 8)
    mats: dict[str, tuple[_Sparse, _Sparse]] = {}
    for name in _FORMAT_ORDER:
        if saved & FORMAT_CODES[name]:
            unit_meta = _read_immutable_graph(cur, f"{what}: {name.upper()} metagraph")
            _check_unit_metagraph(cur, unit_meta, f"{what}: {name.upper()} metagraph")
            if name == "coo":
                mats[name] = (unit_meta, _read_coo(cur, f"{what}: COO matrix"))
            else:
                mats[name] = (unit_meta, _read_csr(cur, f"{what}: {name.upper()} matrix"))
    return at, mats


def _read_csr(cur: ByteReader, what: str) -> _Sparse:
    at = cur.pos
    cur.magic(MAGIC_CSR, f"{what} (CSRMatrix)")
    num_cols = cur.i64(f"{what}: num_cols")
    num_rows = cur.i64(f"{what}: num_rows")
    indptr = read_ndarray(cur, f"{what}: indptr")
    indices = read_ndarray(cur, f"{what}: indices")
    data = read_ndarray(cur, f"{what}: data")
    cur.u8(f"{what}: sorted flag")
    idt = _index_dtype(cur, at, what, indptr, indices, data)
    _check_dim(cur, at, what, num_rows, num_cols, idt)
    if indptr.shape[0] != num_rows + 1:
        raise cur.error(f"{what}: indptr has {indptr.shape[0]} entries, expected num_rows + 1 = {num_rows + 1}", at)
    nnz = indices.shape[0]
    if int(indptr[0]) != 0 or int(indptr[-1]) != nnz:
        raise cur.error(f"{what}: indptr must run from 0 to {nnz}, found {int(indptr[0])}..{int(indptr[-1])}", at)
    if num_rows and int(np.diff(indptr).min()) < 0:
        raise cur.error(f"{what}: indptr is not non-decreasing", at)
    return _Sparse("csr", at, num_rows, num_cols, indptr, indices, _edge_ids(cur, at, what, data, nnz), what)


def _read_coo(cur: ByteReader, what: str) -> _Sparse:
    at = cur.pos
    cur.magic(MAGIC_COO, f"{what} (COOMatrix)")
    num_cols = cur.i64(f"{what}: num_cols")
    num_rows = cur.i64(f"{what}: num_rows")
    row = read_ndarray(cur, f"{what}: row")
    col = read_ndarray(cur, f"{what}: col")
    data = read_ndarray(cur, f"{what}: data")
    cur.u8(f"{what}: row_sorted flag")
    cur.u8(f"{what}: col_sorted flag")
    idt = _index_dtype(cur, at, what, row, col, data)
    _check_dim(cur, at, what, num_rows, num_cols, idt)
    if row.shape[0] != col.shape[0]:
        raise cur.error(f"{what}: row has {row.shape[0]} entries but col has {col.shape[0]}", at)
    return _Sparse("coo", at, num_rows, num_cols, row, col, _edge_ids(cur, at, what, data, row.shape[0]), what)


def _check_indices(cur: ByteReader, m: _Sparse, what: str) -> None:
    """Every stored index of ``m`` is a valid row/column (indptr was checked when read)."""
    if m.kind == "coo":
        _check_range(cur, m.at, what, "row", m.a, m.num_rows)
    _check_range(cur, m.at, what, "col" if m.kind == "coo" else "indices", m.b, m.num_cols)


def _index_dtype(cur: ByteReader, at: int, what: str, a: np.ndarray, b: np.ndarray, data: np.ndarray) -> np.dtype:
    """Check the index arrays are 1-D int32/int64 of one dtype (data too, unless empty)."""
    for name, arr in (("first index array", a), ("second index array", b), ("data", data)):
        if arr.ndim != 1:
            raise cur.error(f"{what}: {name} has shape {arr.shape}, expected 1-D", at)
    if a.dtype not in _INDEX_DTYPES or b.dtype != a.dtype:
        raise cur.error(f"{what}: index arrays have dtypes {a.dtype}/{b.dtype}, expected both int32 or both int64", at)
    if data.shape[0] and data.dtype != a.dtype:
        raise cur.error(f"{what}: data has dtype {data.dtype}, expected {a.dtype} like the indices", at)
    return a.dtype


def _check_dim(cur: ByteReader, at: int, what: str, num_rows: int, num_cols: int, idt: np.dtype) -> None:
    limit = int(np.iinfo(idt).max)
    for name, v in (("num_rows", num_rows), ("num_cols", num_cols)):
        if v < 0 or v > limit:
            raise cur.error(f"{what}: {name} = {v} is outside 0..{limit} ({idt.name} indices)", at)


_SCAN_CHUNK = 1 << 22   # IDs checked at a time: the pages of a mapped file are let go after each chunk


def _check_range(cur: ByteReader, at: int, what: str, name: str, ids: np.ndarray, bound: int) -> None:
    ok = True
    for a in range(0, ids.shape[0], _SCAN_CHUNK):
        chunk = ids[a:a + _SCAN_CHUNK]
        ok = umax(chunk) < bound  # one reduction: seen unsigned, a negative ID is larger than any bound
        release(chunk)            # a mapped file stays in the page cache, not in this process
        if not ok:
            break
    if ok:
        return
    lo, hi = min_max(ids)
    if lo < 0 or hi >= bound:
        raise cur.error(f"{what}: {name} values span {lo}..{hi}, outside 0..{bound - 1}", at)


def _edge_ids(cur: ByteReader, at: int, what: str, data: np.ndarray, nnz: int) -> np.ndarray | None:
    """The edge-ID array of a matrix, validated as a permutation of 0..nnz-1 (None = identity)."""
    if data.shape[0] == 0:
        return None
    if data.shape[0] != nnz:
        raise cur.error(f"{what}: data has {data.shape[0]} edge IDs for {nnz} edges", at)
    lo, hi = int(data.min()), int(data.max())
    if lo < 0 or hi >= nnz:
        raise cur.error(f"{what}: edge IDs span {lo}..{hi}, outside 0..{nnz - 1}", at)
    seen = np.zeros(nnz, dtype=bool)
    seen[data] = True
    if not seen.all():
        raise cur.error(f"{what}: edge IDs are not a permutation of 0..{nnz - 1} (duplicates)", at)
    return data


def _check_unit_metagraph(cur: ByteReader, meta: _Sparse, what: str) -> None:
    """A relation graph's metagraph: 1 type (src = dst) or 2 types (0 -> 1), one edge."""
    ok = meta.num_rows == meta.num_cols and meta.num_rows in (1, 2) and meta.nnz == 1
    if ok:
        ok = int(meta.b[0]) == meta.num_rows - 1 and int(meta.a[1]) == 1
    if not ok:
        raise cur.error(f"{what}: not a one-relation metagraph", meta.at)


def _metagraph_endpoints(cur: ByteReader, meta: _Sparse, what: str) -> list[tuple[int, int]]:
    """(src ntype, dst ntype) per etype ID from the metagraph out-CSR (data = etype IDs)."""
    counts: np.ndarray = np.diff(meta.a.astype(np.int64))
    src_t = np.repeat(np.arange(meta.num_rows, dtype=np.int64), counts)
    dst_t = meta.b.astype(np.int64)
    src_e = np.empty(meta.nnz, np.int64)
    dst_e = np.empty(meta.nnz, np.int64)
    order = meta.data if meta.data is not None else np.arange(meta.nnz)
    src_e[order] = src_t
    dst_e[order] = dst_t
    return list(zip(src_e.tolist(), dst_e.tolist()))


def _unit_edges(
    cur: ByteReader, mats: Mapping[str, tuple[_Sparse, _Sparse]], n_src: int, n_dst: int, what: str,
    check_indices: bool,
) -> tuple[np.ndarray, np.ndarray, str]:
    """Check each stored matrix against the node counts and its indices against its shape (the
    returned one's only with ``check_indices``); return (src, dst, idtype) in EID order."""
    nnz = None
    for name, (_meta, m) in mats.items():
        rows, cols = (n_dst, n_src) if name == "csc" else (n_src, n_dst)
        if (m.num_rows, m.num_cols) != (rows, cols):
            raise cur.error(
                f"{what}: {name.upper()} matrix is {m.num_rows}x{m.num_cols}, expected {rows}x{cols} "
                "from the node counts",
                m.at,
            )
        if nnz is not None and m.nnz != nnz:
            raise cur.error(f"{what}: {name.upper()} matrix has {m.nnz} edges, another format has {nnz}", m.at)
        nnz = m.nnz
    name = next(n for n in _FORMAT_ORDER if n in mats)
    for other, (_meta, om) in mats.items():
        if check_indices or other != name:
            _check_indices(cur, om, om.what)
    m = mats[name][1]
    idt = m.a.dtype.name
    if m.kind == "coo":
        first, second = m.a, m.b
    else:
        counts = np.diff(m.a).astype(np.int64, copy=False)
        first = np.repeat(np.arange(m.num_rows, dtype=np.int64), counts)
        second = m.b
    a = _in_eid_order(first, m.data)
    b = _in_eid_order(second, m.data)
    return (b, a, idt) if name == "csc" else (a, b, idt)


def _in_eid_order(values: np.ndarray, eids: np.ndarray | None) -> np.ndarray:
    """``out[eids[i]] = values[i]`` as int64 (a zero-copy view when possible)."""
    if eids is None:
        out = values.astype(np.int64, copy=False)
    else:
        out = np.empty(values.shape[0], np.int64)
        out[eids] = values
    if out.flags.writeable:
        out.flags.writeable = False
    return out


# -- version 1 --------------------------------------------------------------------------


def read_v1(cur: ByteReader) -> tuple[list[StoredGraph], dict[str, np.ndarray]]:
    gtype_at = cur.pos
    graph_type = cur.u64("graph type")
    if graph_type not in (0, 1):
        raise cur.error(f"save_graphs version 1 with graph type {graph_type}, expected 1 (ImmutableGraph)", gtype_at)
    if cur.size < _HEADER_SIZE + 8:
        raise cur.error(f"truncated header: the file has {cur.size} bytes, a graph file at least {_HEADER_SIZE + 8}", cur.size)
    cur.seek(_HEADER_SIZE, "header")
    num_at = cur.pos
    num_graphs = cur.u64("number of graphs")
    indices = cur.uint64s("graph offsets")
    nodes = cur.int64s("node counts")
    edges = cur.int64s("edge counts")
    if not (len(indices) == len(nodes) == len(edges) == num_graphs):
        raise cur.error(
            f"{num_graphs} graphs but {len(indices)} offsets, {len(nodes)} node counts, {len(edges)} edge counts",
            num_at,
        )
    labels = read_named_tensors(cur, "graph labels")
    graphs = []
    for i in range(num_graphs):
        what = f"graph {i}"
        at = cur.pos
        if int(indices[i]) != at:
            raise cur.error(f"{what}: offset table says {int(indices[i])}, but the graph starts here", at)
        indptr = read_ndarray(cur, f"{what}: in-CSR indptr")
        idx = read_ndarray(cur, f"{what}: in-CSR indices")
        eids = read_ndarray(cur, f"{what}: in-CSR edge ids")
        n_offs: dict[str, int] = {}
        e_offs: dict[str, int] = {}
        ndata = read_named_tensors(cur, f"{what}: node data", n_offs)
        edata = read_named_tensors(cur, f"{what}: edge data", e_offs)
        idt = _index_dtype(cur, at, f"{what}: in-CSR", indptr, idx, eids)
        if indptr.shape[0] == 0:
            raise cur.error(f"{what}: empty indptr", at)
        n = indptr.shape[0] - 1
        if n != int(nodes[i]) or idx.shape[0] != int(edges[i]):
            raise cur.error(
                f"{what}: {n} nodes and {idx.shape[0]} edges, but the header says {int(nodes[i])} and {int(edges[i])}",
                at,
            )
        csc = _Sparse("csr", at, n, n, indptr, idx, None)
        # validate like a CSR matrix
        if int(indptr[0]) != 0 or int(indptr[-1]) != idx.shape[0] or (n and int(np.diff(indptr).min()) < 0):
            raise cur.error(f"{what}: indptr is not a valid CSR index pointer over {idx.shape[0]} edges", at)
        _check_range(cur, at, what, "in-CSR indices", idx, n)
        csc.data = _edge_ids(cur, at, what, eids, idx.shape[0])
        src, dst, _ = _unit_edges(cur, {"csc": (csc, csc)}, n, n, what, False)  # indices checked above
        _check_rows(cur, ndata, n_offs, n, f"{what}: node data", "nodes")
        _check_rows(cur, edata, e_offs, idx.shape[0], f"{what}: edge data", "edges")
        graphs.append(
            StoredGraph(["_U"], ["_E"], [(0, 0)], [n], [src], [dst], [ndata], [edata], idtype=idt.name)
        )
    if cur.remaining:
        raise cur.error(f"{cur.remaining} unexpected bytes after the last graph")
    return graphs, labels
