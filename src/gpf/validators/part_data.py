"""Per-partition graph checks (SPEC.md section 10: G1-G9), vectorised over one partition's arrays.

:func:`load_part` turns a stored partition graph into a :class:`PartData` (or reports why it
cannot: ``graph.format``, ``graph.field_missing``...); each ``check_*`` function then checks one
rule on it and adds problems.  Every function is O(local nodes + local edges) numpy work: no
Python loop runs per node or per edge.  What later set-level checks need (the global endpoints of
inner and HALO edges) is kept on the :class:`PartData`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial

import numpy as np

from gpf.errors import FormatError, GpfError, problem_code
from gpf.sdk import aligned
from gpf.sdk.aligned import ascending
from gpf.sdk.arrays import unique
from gpf.sdk.read.book import PartitionBook
from gpf.sdk.storage.base import PartGraph
from gpf.validators.report import Report

__all__ = [
    "SetFacts",
    "PartData",
    "HaloCopy",
    "IndexExtremes",
    "load_part",
    "check_local_ids",
    "check_node_ids",
    "check_inner_nodes",
    "check_halo_nodes",
    "check_node_types",
    "check_part_ids",
    "check_edge_ids",
    "check_inner_edges",
    "check_inner_edge_flags",
    "check_halo_edges",
    "check_edge_types",
    "check_endpoint_types",
    "check_graph_files_agree",
    "PARTITION_CHECKS",
]


@dataclass
class SetFacts:
    """What the (sound) config says about the whole set."""

    book: PartitionBook
    num_parts: int
    num_nodes: int
    num_edges: int
    ntypes: list[str]
    etypes: list[str]                 # canonical keys, type-ID order
    etype_ends: np.ndarray            # (R, 2) node type IDs of each etype's src and dst
    halo_hops: int

    @classmethod
    def from_config(cls, cfg) -> SetFacts:
        ntypes = list(cfg.ntype_names)
        etypes = [":".join(c) for c in cfg.canonical_etypes]
        ends = np.asarray([[ntypes.index(s), ntypes.index(d)] for s, _r, d in cfg.canonical_etypes],
                          dtype=np.int64).reshape(-1, 2)
        return cls(PartitionBook.from_config(cfg), cfg.num_parts, cfg.num_nodes, cfg.num_edges, ntypes, etypes,
                   ends, cfg.halo_hops)

    def node_range(self, p: int) -> tuple[int, int]:
        return self.book.nodes.part_range(p)

    def edge_range(self, p: int) -> tuple[int, int]:
        return self.book.edges.part_range(p)


@dataclass(frozen=True)
class IndexExtremes:
    """Extremes of a partition's local edge endpoints, each array split at ``m`` (the inner edges,
    when G5 holds): G1 needs them, and they spare G6 and the HALO copies their own passes.
    ``*_umax`` is the maximum seen unsigned (a negative ID reads as huge); -1 for an empty half."""

    m: int
    src_head_umax: int
    src_tail_umax: int
    dst_head_umax: int
    dst_tail_min: int       # signed; 2**63 for an empty half
    dst_tail_umax: int

    @classmethod
    def of(cls, src: np.ndarray, dst: np.ndarray, m: int) -> IndexExtremes:
        return cls(m, aligned.umax(src[:m]), aligned.umax(src[m:]), aligned.umax(dst[:m]), *aligned.min_umax(dst[m:]))

    def in_range(self, n: int) -> bool:
        """Every endpoint is in [0, n)."""
        return max(self.src_head_umax, self.src_tail_umax, self.dst_head_umax, self.dst_tail_umax) < n


@dataclass
class PartData:
    """One partition's arrays, plus what the checks established about them."""

    p: int
    path: str
    num_nodes: int
    src: np.ndarray            # local IDs, int64
    dst: np.ndarray
    nid: np.ndarray            # _ID, int64
    inner: np.ndarray          # bool
    eid: np.ndarray
    inner_e: np.ndarray
    ndata: dict
    edata: dict
    local_ok: bool = False     # src/dst are local node IDs (G1)
    ends: IndexExtremes | None = None   # set by G1
    nodes_ok: bool = False     # every _ID is a valid hid
    inner_nodes_ok: bool = False   # inner nodes are exactly the range, in order (G3)
    edges_ok: bool = False
    inner_edges_ok: bool = False   # inner edges are exactly the edge range, in order (G5)
    node_types: np.ndarray | None = None   # book type of each local node (when nodes_ok)
    eids_stored: bool = True   # False: a GraphBolt file without edge _ID (``eid`` is a placeholder)
    hid_dtype: type = np.int64     # dtype of the global endpoints handed on: int32 once every _ID fits (nodes_ok)

    @property
    def num_edges(self) -> int:
        return int(self.src.shape[0])

    # Global endpoints (hids) of the inner and HALO edges, for the set-level checks (``hid_dtype``:
    # int32 when the set's hids fit, which halves the memory the set-level checks stream through).
    def inner_endpoints(self, m_inner: int, node_lo: int) -> tuple[np.ndarray, np.ndarray]:
        nid = self._nid_hid()
        dst = self.dst[:m_inner]
        # When G6 found every inner edge ending at an inner node, whose hid is local + node_lo when G3
        # holds: no gather.
        split = self.__dict__.get("_dst_split")
        arithmetic = self.inner_nodes_ok and split is not None and split[:2] == (id(self.dst), m_inner)
        gdst = _plus(dst, node_lo, self.hid_dtype) if arithmetic else aligned.take(nid, dst)
        return aligned.take(nid, self.src[:m_inner]), gdst

    def halo_ends(self, m_inner: int, node_lo: int, n_inner: int, a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
        """Global (src, dst) of the HALO edges at positions ``a .. b-1`` after the ``m_inner`` inner ones."""
        dst = self.dst[m_inner + a:m_inner + b]
        x = self.ends if self.ends is not None and self.ends.m == m_inner else None
        if self.inner_nodes_ok and self.__dict__.get("_dst_split") == (id(self.dst), m_inner, n_inner):
            gdst = aligned.take(self._nid_hid(), dst)  # G6 found every HALO edge ending at a HALO node: plain gather
        else:
            gdst = self.to_global(dst, node_lo, n_inner, None if x is None else (x.dst_tail_min, x.dst_tail_umax))
        gsrc = self.to_global(self.src[m_inner + a:m_inner + b], node_lo, n_inner,
                              None if x is None else (None, x.src_tail_umax))  # the whole tail's bounds hold here too
        return gsrc, gdst

    def halo_copy(self, m_inner: int, node_lo: int, n_inner: int):
        """This partition's :class:`HaloCopy`: the HALO edges' EIDs (a view),
        global endpoints computed on demand (:meth:`halo_ends`), and whether the EIDs are ascending when
        G5's checks already know (spares the HALO check a pass)."""
        cached = self.__dict__.get("_eid_layout")
        up = cached[1][1] if cached is not None and cached[0][:2] == (id(self.eid), m_inner) else None
        return HaloCopy(self.p, self.path, self.eid[m_inner:], None, None, eid_ascending=up or None,
                        ends=partial(self.halo_ends, m_inner, node_lo, n_inner))

    def to_global(self, local: np.ndarray, node_lo: int, n_inner: int,
                  known: tuple[int | None, int] | None = None) -> np.ndarray:
        """hids of local node IDs (in range, G1): arithmetic for inner nodes (G3 holds), a gather only
        for HALO ones.  ``known``: ``(min or None, max)`` of ``local`` when already computed."""
        nid = self._nid_hid()
        if not self.inner_nodes_ok or local.size == 0:
            return aligned.take(nid, local)
        lo_v, hi_v = known if known is not None else (None, int(local.max()))
        if hi_v < n_inner:  # all inner (a HALO edge's source, as DGL lays them out)
            return _plus(local, node_lo, self.hid_dtype)
        if (int(local.min()) if lo_v is None else lo_v) >= n_inner:  # all HALO
            return aligned.take(nid, local)
        halo = np.flatnonzero(local >= n_inner)
        if 2 * halo.size > local.size:  # mostly HALO: one plain gather is cheaper
            return aligned.take(nid, local)
        out = _plus(local, node_lo, self.hid_dtype)
        out[halo] = nid.take(local[halo])
        return out

    def _nid_hid(self) -> np.ndarray:
        """``nid`` as ``hid_dtype`` (a small copy per partition: gathers from it stay in cache)."""
        cached = self.__dict__.get("_nid_cast")
        if cached is None or cached[0] is not self.nid or cached[1] is not self.hid_dtype:
            cached = (self.nid, self.hid_dtype, self.nid.astype(self.hid_dtype, copy=False))
            self.__dict__["_nid_cast"] = cached
        return cached[2]

    def eid_layout(self, m_inner: int, lo: int) -> tuple[bool, bool]:
        """(edge _IDs 0..m_inner-1 are exactly ``lo .. lo+m_inner-1`` in order, the rest strictly ascending):
        one pass over ``eid`` shared by G5's range, inner-edge and HALO-edge checks."""
        key = (id(self.eid), m_inner, lo)
        cached = self.__dict__.get("_eid_layout")
        if cached is not None and cached[0] == key:
            return cached[1]
        a, m = self.eid, self.eid.shape[0]
        if m_inner > m:
            out = (False, False)
        else:
            inner = m_inner == 0 or (int(a[0]) == lo and int(a[m_inner - 1]) == lo + m_inner - 1
                                     and ascending(a[:m_inner], strict=True))
            out = (inner, ascending(a[m_inner:], strict=True))
        self.__dict__["_eid_layout"] = (key, out)
        return out


def search_sorted(a: np.ndarray, values) -> list[int]:
    """``np.searchsorted(a, values)`` (left) for a few values, by bisection: numpy's copies an
    unaligned ``a`` whole for every call."""
    import bisect

    if a.flags.aligned and a.dtype == np.int64:
        return np.searchsorted(a, np.asarray(values, dtype=np.int64)).tolist()
    return [bisect.bisect_left(a, int(v)) for v in values]


def _plus(local: np.ndarray, lo: int, dtype) -> np.ndarray:
    """``local + lo`` as ``dtype``, in one pass (the sums are hids: they fit ``dtype``)."""
    return np.add(local, lo, dtype=dtype, casting="unsafe")


def _is_int_like(a: np.ndarray) -> bool:
    return a.dtype.kind in "iub"


def load_part(rep: Report, p: int, read, path: str, *, graphbolt: bool = False) -> PartData | None:
    """Read partition ``p`` with ``read()`` -> :class:`PartGraph`; G1 (decodes), G2 (fields exist),
    fields are 1-D integer arrays of the node/edge count.  None when later checks cannot run.

    ``graphbolt``: the graph is a GraphBolt file, whose edge ``_ID`` is optional (DGL's
    ``store_eids``): without it the edge-ID checks are listed as not run (``check.not_stored``)."""
    try:
        g: PartGraph = read()
    except FormatError as e:
        at = f" at byte {e.offset}" if e.offset is not None else ""
        code = problem_code(e, "graph.format")
        rep.error(code, f"{'cannot decode' if code == 'graph.format' else 'refused'}{at}: {e.message}", partition=p,
                  path=e.path, examples=[] if e.offset is None else [e.offset])
        return None
    except GpfError as e:
        rep.error("graph.format", str(e), partition=p, path=path)
        return None
    path = g.source or path
    n, m = int(g.num_nodes), int(g.src.shape[0])
    ok = True
    for kind, data, names, rows in (("node", g.ndata, ("_ID", "inner_node"), n),
                                    ("edge", g.edata, ("_ID", "inner_edge"), m)):
        missing = [k for k in names if k not in data]
        if graphbolt and kind == "edge" and missing == ["_ID"]:
            rep.add("check.not_stored", "the GraphBolt file stores no edge IDs (written without store_eids / "
                    "--store-eids): edge-ID range, inner/HALO edge order and duplicates (G5), edge _TYPE against "
                    "edge_map (G7), HALO-edge copies across partitions and edge-feature row order were not checked",
                    partition=p, path=path, examples=["_ID"])
            missing = []
        if missing:
            rep.error("graph.field_missing", f"{kind} field(s) {missing} missing (have {sorted(data)[:8]})",
                      partition=p, path=path, examples=missing)
            ok = False
        for k in (*names, "_TYPE", "part_id"):
            a = data.get(k)
            if a is None:
                continue
            a = np.asarray(a)
            if a.ndim != 1 or a.shape[0] != rows or not _is_int_like(a):
                rep.error("graph.field_dtype", f"{kind} field {k!r} has shape {a.shape} dtype {a.dtype}, expected "
                          f"{rows} integer values (one per {kind})", partition=p, path=path, examples=[k])
                ok = False
    if not ok:
        return None
    nd, ed = g.ndata, g.edata
    stored = "_ID" in ed
    eid = np.asarray(ed["_ID"]).astype(np.int64, copy=False) if stored else np.full(m, -1, dtype=np.int64)
    return PartData(p, path, n, np.asarray(g.src, dtype=np.int64), np.asarray(g.dst, dtype=np.int64),
                    _int64_aligned(nd["_ID"]), _flags(nd["inner_node"]), eid, _flags(ed["inner_edge"]), nd, ed,
                    eids_stored=stored)


def _flags(a) -> np.ndarray:
    """``a != 0``; a zero-copy bool view when ``a`` holds only 0 and 1 bytes (as written: uint8)."""
    a = np.asarray(a)
    if a.dtype == np.bool_:
        return a
    if a.dtype.itemsize == 1 and aligned.umax(a) <= 1:
        return a.view(np.bool_)
    return a != 0


def _int64_aligned(a) -> np.ndarray:
    """``a`` as int64, copied only when it is another dtype or not 8-byte aligned.  DGL's files put
    tensors at unaligned offsets, and numpy runs every pass over an unaligned array through buffered
    loops (``searchsorted`` copies it whole).  Used for the node _IDs (small, searched and compared
    several times); the edge arrays, read once or twice each, are not worth the copy."""
    a = np.asarray(a)
    if a.dtype == np.int64 and a.flags.aligned:
        return a
    return np.array(a, dtype=np.int64, order="C")


def _outside(a: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Positions of values outside [lo, hi) (two reductions when there are none)."""
    if a.size == 0 or (int(a.min()) >= lo and int(a.max()) < hi):
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero((a < lo) | (a >= hi))


def _is_range(a: np.ndarray, lo: int, hi: int) -> bool:
    """``a`` equals ``arange(lo, hi)`` (strictly increasing from lo to hi-1 with hi-lo values)."""
    if a.shape[0] != hi - lo:
        return False
    if a.shape[0] == 0:
        return True
    return int(a[0]) == lo and int(a[-1]) == hi - 1 and bool(np.all(a[1:] > a[:-1]))


def check_local_ids(rep: Report, f: SetFacts, d: PartData) -> None:
    """G1: edge endpoints are local node IDs (0 <= id < stored node count).  One pass per array half
    (inner edges, the rest), whose extremes later checks reuse (:class:`IndexExtremes`)."""
    lo, hi = f.edge_range(d.p)
    d.ends = IndexExtremes.of(d.src, d.dst, min(hi - lo, d.num_edges))
    if d.ends.in_range(d.num_nodes):
        d.local_ok = True
        return
    bad = np.concatenate([_outside(d.src, 0, d.num_nodes), _outside(d.dst, 0, d.num_nodes)])
    if bad.size:
        rep.error("graph.local_id", f"{bad.size} edge endpoint(s) outside the {d.num_nodes} local nodes "
                  "(local edge IDs in examples)", partition=d.p, path=d.path, examples=unique(bad))
        return
    d.local_ok = True


def check_node_ids(rep: Report, f: SetFacts, d: PartData) -> None:
    """G4 (part): every node _ID is a hid of the set."""
    bad = _outside(d.nid, 0, f.num_nodes)
    if bad.size:
        rep.error("node_id.range", f"{bad.size} node _ID(s) outside [0, {f.num_nodes})", partition=d.p,
                  path=d.path, examples=d.nid[bad])
        return
    d.nodes_ok = True
    if f.num_nodes <= np.iinfo(np.int32).max:
        d.hid_dtype = np.int32
    if len(f.ntypes) > 1:
        d.node_types = f.book.nodes.to_per_type(d.nid)[0].astype(np.int8 if len(f.ntypes) <= 127 else np.int64)


def _range_coverage(rep: Report, ids: np.ndarray, lo: int, hi: int, p: int, path: str, kind: str) -> bool:
    """Report IDs of [lo, hi) missing or repeated among ``ids`` (all inside the range).

    The range comes from the config; ``ids`` from the partition's file.  A range far larger than what the
    file stores (a config claiming more nodes than exist) is reported from the sorted IDs, without
    allocating anything of the range's size."""
    if hi - lo > 4 * ids.size + (1 << 16):
        return _sparse_coverage(rep, ids, lo, hi, p, path, kind)
    counts = np.bincount(ids - lo, minlength=hi - lo) if ids.size else np.zeros(hi - lo, np.int64)
    ok = True
    missing = np.flatnonzero(counts == 0)
    if missing.size:
        rep.error(f"inner_{kind}.missing", f"{missing.size} {kind}(s) of this partition's range [{lo}, {hi}) are "
                  f"not stored as inner {kind}s", partition=p, path=path, examples=missing + lo)
        ok = False
    dup = np.flatnonzero(counts > 1)
    if dup.size:
        rep.error(f"{kind}_id.duplicate", f"{dup.size} {kind} _ID(s) stored more than once as inner {kind}s",
                  partition=p, path=path, examples=dup + lo)
        ok = False
    return ok


def _sparse_coverage(rep: Report, ids: np.ndarray, lo: int, hi: int, p: int, path: str, kind: str) -> bool:
    """:func:`_range_coverage` for a range much larger than ``ids``: sort, count, and find the first gaps."""
    s = np.sort(ids)
    u = unique(s)
    if u.size < s.size:
        dup = unique(s[1:][s[1:] == s[:-1]])
        rep.error(f"{kind}_id.duplicate", f"{dup.size} {kind} _ID(s) stored more than once as inner {kind}s",
                  partition=p, path=path, examples=dup)
    expect = np.arange(lo, lo + u.size, dtype=np.int64)
    off = np.flatnonzero(u != expect)
    first = int(expect[off[0]]) if off.size else lo + u.size  # the first ID of the range not stored
    missing = (hi - lo) - u.size
    rep.error(f"inner_{kind}.missing", f"{missing} {kind}(s) of this partition's range [{lo}, {hi}) are not stored "
              f"as inner {kind}s (the range claims {hi - lo} {kind}s, the partition stores {ids.size})",
              partition=p, path=path, examples=np.arange(first, min(first + rep.max_examples, hi)))
    return False


def check_inner_nodes(rep: Report, f: SetFacts, d: PartData) -> None:
    """G3: the inner nodes are exactly local IDs 0..n_inner-1 with _ID = S_p + local."""
    if not d.nodes_ok:
        return
    lo, hi = f.node_range(d.p)
    n_in = hi - lo
    if n_in <= d.num_nodes and d.inner[:n_in].all() and not d.inner[n_in:].any() and _is_range(d.nid[:n_in], lo, hi):
        d.inner_nodes_ok = True
        return
    ids = d.nid[d.inner]
    out = _outside(ids, lo, hi)
    if out.size:
        rep.error("inner_node.owner", f"{out.size} inner node(s) have an _ID outside this partition's range "
                  f"[{lo}, {hi}) (owned elsewhere)", partition=d.p, path=d.path, examples=ids[out])
        ids = np.delete(ids, out)
    ok = _range_coverage(rep, ids, lo, hi, d.p, d.path, "node") and not out.size
    if ok:
        first_halo = np.flatnonzero(~d.inner)
        rep.error("inner_node.order", "inner nodes are not local IDs 0..n_inner-1 in ascending _ID (local = _ID - "
                  f"{lo}); first HALO node at local ID {int(first_halo[0]) if first_halo.size else '-'}",
                  partition=d.p, path=d.path, examples=first_halo)


def _duplicates(a: np.ndarray, limit: int, up: bool) -> np.ndarray:
    """The values repeated in ``a`` (all in [0, limit); ``up``: ``a`` is strictly ascending)."""
    if a.size < 2 or up:
        return a[:0]
    if limit <= 16 * a.size:  # marks cost O(limit): cheaper than a sort when ``a`` is not much smaller
        seen = np.zeros(limit, dtype=bool)
        aligned.mark(seen, a)
        if np.count_nonzero(seen) == a.size:
            return a[:0]
    s = np.sort(a)
    return unique(s[1:][s[1:] == s[:-1]])


def _owned_here(f: SetFacts, ids: np.ndarray, p: int, kind: str, up: bool) -> np.ndarray:
    """The IDs of ``ids`` owned by partition ``p`` (binary search when ``up``: ``ids`` is ascending)."""
    lo, hi = f.node_range(p) if kind == "node" else f.edge_range(p)
    if ids.size > 1 and up:
        a, b = search_sorted(ids, [lo, hi])
        return ids[a:b]
    return ids[(ids >= lo) & (ids < hi)]


def check_halo_nodes(rep: Report, f: SetFacts, d: PartData) -> None:
    """G4: HALO nodes are owned by other partitions, and no HALO _ID repeats."""
    if not d.nodes_ok:
        return
    lo, hi = f.node_range(d.p)
    halo = d.nid[hi - lo:] if d.inner_nodes_ok else d.nid[~d.inner]
    up = ascending(halo, strict=True)  # as the pipeline writes them: one binary search, no repeats
    own = _owned_here(f, halo, d.p, "node", up)
    if own.size:
        rep.error("halo_node.owner", f"{own.size} HALO node(s) have an _ID owned by this partition itself",
                  partition=d.p, path=d.path, examples=own)
    dup = _duplicates(halo, f.num_nodes, up)
    if dup.size:
        rep.error("node_id.duplicate", f"{dup.size} HALO node _ID(s) appear more than once", partition=d.p,
                  path=d.path, examples=dup)


def check_node_types(rep: Report, f: SetFacts, d: PartData) -> None:
    """G7 (nodes): _TYPE, when stored, is the type node_map gives each _ID."""
    t = d.ndata.get("_TYPE")
    if t is None or not d.nodes_ok:
        return
    t = np.asarray(t)
    bad = np.flatnonzero(t != 0) if d.node_types is None else np.flatnonzero(t.astype(np.int64) != d.node_types)
    if bad.size:
        rep.error("node_type.mismatch", f"{bad.size} node(s) have a _TYPE other than the type of their _ID",
                  partition=d.p, path=d.path, examples=d.nid[bad])


def check_part_ids(rep: Report, f: SetFacts, d: PartData) -> None:
    """G8: part_id, when stored, is the owner node_map gives each _ID."""
    pid = d.ndata.get("part_id")
    if pid is None or not d.nodes_ok:
        return
    pid = np.asarray(pid)
    if d.inner_nodes_ok:  # inner nodes are owned by p: only HALO rows need the book
        n_in = int(f.node_range(d.p)[1] - f.node_range(d.p)[0])
        bad = np.flatnonzero(pid[:n_in] != d.p)
        halo_bad = np.flatnonzero(pid[n_in:] != f.book.nid2partid(d.nid[n_in:])) + n_in
        bad = np.concatenate([bad, halo_bad])
    else:
        bad = np.flatnonzero(pid.astype(np.int64) != f.book.nid2partid(d.nid))
    if bad.size:
        rep.error("part_id.mismatch", f"{bad.size} node(s) have a part_id other than the owner of their _ID",
                  partition=d.p, path=d.path, examples=d.nid[bad])


def check_edge_ids(rep: Report, f: SetFacts, d: PartData) -> None:
    """G5 (part): every edge _ID is an EID of the set.  Without stored edge IDs: the number of inner
    edges of each type is the partition's edge_map range (what the IDs' ranges would have shown)."""
    if not d.eids_stored:
        _check_inner_edge_counts(rep, f, d)
        return
    bad = _outside_eids(f, d)
    if bad.size:
        rep.error("edge_id.range", f"{bad.size} edge _ID(s) outside [0, {f.num_edges})", partition=d.p,
                  path=d.path, examples=d.eid[bad])
        return
    d.edges_ok = True


def _check_inner_edge_counts(rep: Report, f: SetFacts, d: PartData) -> None:
    lo, hi = f.edge_range(d.p)
    types = d.edata.get("_TYPE")
    if len(f.etypes) == 1 or types is None:
        have, want, names = [int(np.count_nonzero(d.inner_e))], [hi - lo], ["(all types)"]
    else:
        have = np.bincount(np.asarray(types)[d.inner_e].astype(np.int64), minlength=len(f.etypes)).tolist()
        want = [0] * len(f.etypes)
        for t, a, b in f.book.edges.type_blocks(d.p):
            want[t] += b - a
        names = [":".join(e) if isinstance(e, (tuple, list)) else str(e) for e in f.etypes]
    for t, (h, w) in enumerate(zip(have, want)):
        if h != w:
            rep.error("inner_edge.count", f"{h} inner edge(s) of type {names[t]!r}, but edge_map gives this "
                      f"partition {w}", partition=d.p, path=d.path, examples=[names[t]])
            return


def _outside_eids(f: SetFacts, d: PartData) -> np.ndarray:
    """Positions of edge _IDs outside [0, num_edges); from the ends of the sorted runs when the layout is
    DGL's (inner edges a range, HALO edges ascending), else two reductions."""
    lo, hi = f.edge_range(d.p)
    m_in, a = hi - lo, d.eid
    if a.size and m_in <= a.size and d.eid_layout(m_in, lo) == (True, True):
        ends = [int(a[0]), int(a[m_in - 1])] if m_in else []
        if m_in < a.size:
            ends += [int(a[m_in]), int(a[-1])]
        if min(ends) >= 0 and max(ends) < f.num_edges:
            return np.zeros(0, dtype=np.int64)
    return _outside(a, 0, f.num_edges)


def check_inner_edges(rep: Report, f: SetFacts, d: PartData) -> None:
    """G5: the inner edges are exactly local edge IDs 0..m_inner-1 with _ID = edge S_p + local."""
    if not d.edges_ok:
        return
    lo, hi = f.edge_range(d.p)
    m_in = hi - lo
    if m_in <= d.num_edges and d.inner_e[:m_in].all() and not d.inner_e[m_in:].any() and d.eid_layout(m_in, lo)[0]:
        d.inner_edges_ok = True
        return
    ids = d.eid[d.inner_e]
    out = _outside(ids, lo, hi)
    if out.size:
        rep.error("inner_edge.owner", f"{out.size} inner edge(s) have an _ID outside this partition's edge range "
                  f"[{lo}, {hi})", partition=d.p, path=d.path, examples=ids[out])
        ids = np.delete(ids, out)
    ok = _range_coverage(rep, ids, lo, hi, d.p, d.path, "edge") and not out.size
    if ok:
        first = np.flatnonzero(~d.inner_e)
        rep.error("inner_edge.order", "inner edges are not local edge IDs 0..m_inner-1 in ascending _ID "
                  f"(local = _ID - {lo})", partition=d.p, path=d.path, examples=first)


def check_inner_edge_flags(rep: Report, f: SetFacts, d: PartData) -> None:
    """G6: inner_edge is 1 exactly for the edges whose destination is an inner node."""
    if not d.local_ok:
        return
    if d.inner_nodes_ok:  # inner nodes are local IDs 0..n_inner-1: no gather needed
        lo, hi = f.node_range(d.p)
        m_in = f.edge_range(d.p)[1] - f.edge_range(d.p)[0]
        if d.inner_edges_ok and _flags_split_at(d, m_in, hi - lo):
            d.__dict__["_dst_split"] = (id(d.dst), m_in, hi - lo)  # halo_edges need not look again
            return
        bad = np.flatnonzero(d.inner_e != (d.dst < hi - lo))
    else:
        bad = np.flatnonzero(d.inner_e != d.inner[d.dst])
    if bad.size:
        rep.error("inner_edge.dst", f"{bad.size} edge(s) have inner_edge != inner_node of their destination "
                  f"({'edge _IDs' if d.eids_stored else 'local edge IDs'} in examples)", partition=d.p,
                  path=d.path, examples=d.eid[bad] if d.eids_stored else bad)


def _flags_split_at(d: PartData, m_in: int, n_in: int) -> bool:
    """With inner edges first (G5 holds): edges before ``m_in`` end below ``n_in``, the rest at or above it
    (from G1's extremes when split at ``m_in``, else two reductions)."""
    x = d.ends
    if x is not None and x.m == m_in:
        return x.dst_head_umax < n_in and x.dst_tail_min >= n_in
    head, tail = d.dst[:m_in], d.dst[m_in:]
    return (head.size == 0 or int(head.max()) < n_in) and (tail.size == 0 or int(tail.min()) >= n_in)


def check_halo_edges(rep: Report, f: SetFacts, d: PartData) -> None:
    """G5: HALO edges are owned by other partitions and no HALO _ID repeats."""
    if not d.edges_ok:
        return
    lo, hi = f.edge_range(d.p)
    halo = d.eid[hi - lo:] if d.inner_edges_ok else d.eid[~d.inner_e]
    up = d.eid_layout(hi - lo, lo)[1] if d.inner_edges_ok else ascending(halo, strict=True)
    own, dup = _owned_here(f, halo, d.p, "edge", up), _duplicates(halo, f.num_edges, up)  # 5.2: ascending
    if own.size:
        rep.error("halo_edge.owner", f"{own.size} HALO edge(s) have an _ID owned by this partition itself",
                  partition=d.p, path=d.path, examples=own)
    if dup.size:
        rep.error("edge_id.duplicate", f"{dup.size} HALO edge _ID(s) appear more than once", partition=d.p,
                  path=d.path, examples=dup)


def _edge_types(f: SetFacts, d: PartData) -> np.ndarray:
    if len(f.etypes) == 1:
        return np.zeros(d.num_edges, np.int64)
    return f.book.edges.to_per_type(d.eid)[0]


def _edge_type_runs(f: SetFacts, d: PartData) -> list[tuple[int, int, int]] | None:
    """``(start, end, etype)``: the local edge IDs in runs of one etype, when the _IDs are laid out as
    written (G5: the inner range, then ascending HALO _IDs): the runs are the edge map's blocks, found
    by binary search, with no per-edge lookup.  None for any other layout."""
    lo, hi = f.edge_range(d.p)
    m = hi - lo
    if not (d.edges_ok and d.inner_edges_ok and d.eid_layout(m, lo)[1]):
        return None
    runs = [(a - lo, b - lo, t) for t, a, b in f.book.edges.type_blocks(d.p)]
    blocks = f.book.edges.type_blocks()
    cuts = search_sorted(d.eid[m:], [b for _t, _a, b in blocks])  # HALO _IDs ascending: one cut per block end
    prev = 0
    for (t, _a, _b), cut in zip(blocks, cuts):
        if cut > prev:
            runs.append((m + prev, m + cut, t))
            prev = cut
    return runs


def _mismatches(runs: list[tuple[int, int, int]], differs) -> np.ndarray:
    """Positions where the mask ``differs(start, end, etype)`` is set, over every run."""
    bad = []
    for a, b, t in runs:
        diff = differs(a, b, t)
        if diff.any():
            bad.append(np.flatnonzero(diff) + a)
    return np.concatenate(bad) if bad else np.zeros(0, dtype=np.int64)


def check_edge_types(rep: Report, f: SetFacts, d: PartData) -> None:
    """G7 (edges): _TYPE, when stored, is the etype edge_map gives each _ID."""
    t = d.edata.get("_TYPE")
    if t is None or not d.edges_ok:
        return
    t = np.asarray(t)
    runs = _edge_type_runs(f, d) if len(f.etypes) > 1 else None
    if len(f.etypes) == 1:
        bad = np.flatnonzero(t != 0)
    elif runs is not None:
        bad = _mismatches(runs, lambda a, b, r: t[a:b] != r)
    else:
        bad = np.flatnonzero(t.astype(np.int64) != _edge_types(f, d))
    if bad.size:
        rep.error("edge_type.mismatch", f"{bad.size} edge(s) have a _TYPE other than the etype of their _ID",
                  partition=d.p, path=d.path, examples=d.eid[bad])


def check_endpoint_types(rep: Report, f: SetFacts, d: PartData) -> None:
    """G9: each edge of etype src:rel:dst joins a node of type src to a node of type dst (the etype of
    its _ID; without stored edge IDs, the stored edge type, GraphBolt's type_per_edge)."""
    if len(f.ntypes) == 1:
        return
    if not d.eids_stored and "_TYPE" in d.edata and d.nodes_ok and d.local_ok:
        et = np.asarray(d.edata["_TYPE"]).astype(np.int64)
        if et.size and (int(et.min()) < 0 or int(et.max()) >= len(f.etypes)):
            rep.error("edge_type.mismatch", f"edge types outside 0..{len(f.etypes) - 1}", partition=d.p,
                      path=d.path)
            return
        ends = f.etype_ends[et]
        nt = d.node_types
        if nt is None:
            return
        bad = np.flatnonzero((nt[d.src] != ends[:, 0]) | (nt[d.dst] != ends[:, 1]))
        if bad.size:
            rep.error("edge.endpoint_type", f"{bad.size} edge(s) join nodes whose types differ from their edge "
                      "type's source/destination types (local edge IDs in examples)", partition=d.p, path=d.path,
                      examples=bad)
        return
    if not (d.edges_ok and d.nodes_ok and d.local_ok):
        return
    runs = _edge_type_runs(f, d)
    nt = d.node_types
    if runs is not None:
        ends = f.etype_ends.tolist()
        bad = _mismatches(runs, lambda a, b, r: (aligned.take(nt, d.src[a:b]) != ends[r][0]) |
                          (aligned.take(nt, d.dst[a:b]) != ends[r][1]))
    else:
        ends = f.etype_ends[_edge_types(f, d)]
        bad = np.flatnonzero((nt[d.src] != ends[:, 0]) | (nt[d.dst] != ends[:, 1]))
    if bad.size:
        rep.error("edge.endpoint_type", f"{bad.size} edge(s) join nodes whose types differ from their etype's "
                  "source/destination types (edge _IDs in examples)", partition=d.p, path=d.path,
                  examples=d.eid[bad])


def check_graph_files_agree(rep: Report, f: SetFacts, d: PartData, other: PartGraph) -> None:
    """B2: when a partition names a DGL and a GraphBolt graph, both hold the same nodes (same local
    order, same _ID) and the same edges (each EID joining the same two nodes)."""
    o_nid = np.asarray(other.ndata.get("_ID", np.zeros(0, np.int64))).astype(np.int64, copy=False)
    o_eid = np.asarray(other.edata.get("_ID", np.zeros(0, np.int64))).astype(np.int64, copy=False)
    where = f"{d.path} and {other.source}"
    if other.num_nodes != d.num_nodes or not np.array_equal(o_nid, d.nid):
        rep.error("graph.files_disagree", f"{where}: node _ID arrays differ ({d.num_nodes} vs {other.num_nodes} "
                  "nodes)", partition=d.p, path=other.source)
        return
    if "_ID" not in other.edata or not d.eids_stored:  # a GraphBolt file without edge IDs: compare edge multisets
        if other.src.shape[0] != d.num_edges or not d.local_ok:
            rep.error("graph.files_disagree", f"{where}: {d.num_edges} vs {other.src.shape[0]} edges",
                      partition=d.p, path=other.source)
            return
        a = np.lexsort((d.src, d.dst))
        b = np.lexsort((np.asarray(other.src), np.asarray(other.dst)))
        bad = np.flatnonzero((d.src[a] != np.asarray(other.src)[b]) | (d.dst[a] != np.asarray(other.dst)[b]))
        if bad.size:
            rep.error("graph.files_disagree", f"{where}: the edges differ (local destination IDs in examples; "
                      "no edge IDs stored to say more)", partition=d.p, path=other.source, examples=d.dst[a][bad])
        return
    if o_eid.shape[0] != d.num_edges or not (d.local_ok and o_eid.shape[0] == other.src.shape[0]):
        rep.error("graph.files_disagree", f"{where}: {d.num_edges} vs {o_eid.shape[0]} edges", partition=d.p,
                  path=other.source)
        return
    a, b = np.argsort(d.eid, kind="stable"), np.argsort(o_eid, kind="stable")
    bad = np.flatnonzero((d.eid[a] != o_eid[b]) | (d.src[a] != other.src[b]) | (d.dst[a] != other.dst[b]))
    if bad.size:
        rep.error("graph.files_disagree", f"{where}: {bad.size} edge(s) differ (edge _IDs in examples)",
                  partition=d.p, path=other.source, examples=d.eid[a][bad])


#: Per-partition checks in the order they run (later ones use what earlier ones established).
PARTITION_CHECKS = (check_local_ids, check_node_ids, check_inner_nodes, check_halo_nodes, check_node_types,
                    check_part_ids, check_edge_ids, check_inner_edges, check_inner_edge_flags, check_halo_edges,
                    check_edge_types, check_endpoint_types)


@dataclass
class HaloCopy:
    """What one partition stores beyond its inner edges: the HALO edges' EIDs and global endpoints,
    stored (``src``, ``dst``) or computed on demand for positions ``a .. b-1`` by ``ends(a, b)``."""

    p: int
    path: str
    eid: np.ndarray
    src: np.ndarray | None
    dst: np.ndarray | None
    eid_ascending: bool | None = None   # True when the partition checks found the EIDs ascending (None: unknown)
    ends: Callable[[int, int], tuple[np.ndarray, np.ndarray]] | None = None

    def endpoints(self, a: int = 0, b: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Global (src, dst) of the HALO edges at positions ``a .. b-1`` (default: all)."""
        b = self.eid.shape[0] if b is None else b
        if self.ends is not None:
            return self.ends(a, b)
        return self.src[a:b], self.dst[a:b]

    def materialized(self) -> HaloCopy:
        src, dst = self.endpoints()
        return replace(self, src=np.array(src), dst=np.array(dst), eid=np.array(self.eid), ends=None)
