"""One partition's arrays as the validator checks them (:class:`PartData`), what the config says
about the whole set (:class:`SetFacts`), and the loading of a stored partition graph (:func:`load_part`).

:func:`load_part` turns a stored partition graph into a :class:`PartData` (or reports why it cannot:
``graph.format``, ``graph.field_missing``...); the checks of :mod:`gpf.validators.node_checks` and
:mod:`gpf.validators.edge_checks` then record on it what they established, and what later set-level
checks need (the global endpoints of inner and HALO edges, :class:`HaloCopy`) is computed from it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from gpf.errors import FormatError, GpfError, problem_code
from gpf.sdk import aligned
from gpf.sdk.aligned import ascending
from gpf.sdk.read.book import PartitionBook
from gpf.sdk.storage.base import PartGraph
from gpf.spec import PartitionConfig
from gpf.validators.report import Report

__all__ = ["SetFacts", "PartData", "HaloCopy", "IndexExtremes", "load_part", "search_sorted"]


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
    def from_config(cls, cfg: PartitionConfig) -> SetFacts:
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

    def halo_copy(self, m_inner: int, node_lo: int, n_inner: int) -> HaloCopy:
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


def search_sorted(a: np.ndarray, values: Sequence[int] | np.ndarray) -> list[int]:
    """``np.searchsorted(a, values)`` (left) for a few values, by bisection: numpy's copies an
    unaligned ``a`` whole for every call."""
    import bisect

    if a.flags.aligned and a.dtype == np.int64:
        return np.searchsorted(a, np.asarray(values, dtype=np.int64)).tolist()
    return [bisect.bisect_left(a, int(v)) for v in values]


def _plus(local: np.ndarray, lo: int, dtype: DTypeLike) -> np.ndarray:
    """``local + lo`` as ``dtype``, in one pass (the sums are hids: they fit ``dtype``)."""
    return np.add(local, lo, dtype=dtype, casting="unsafe")


def _is_int_like(a: np.ndarray) -> bool:
    return a.dtype.kind in "iub"


def load_part(rep: Report, p: int, read: Callable[[], PartGraph], path: str, *,
              graphbolt: bool = False) -> PartData | None:
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


def _flags(a: ArrayLike) -> np.ndarray:
    """``a != 0``; a zero-copy bool view when ``a`` holds only 0 and 1 bytes (as written: uint8)."""
    a = np.asarray(a)
    if a.dtype == np.bool_:
        return a
    if a.dtype.itemsize == 1 and aligned.umax(a) <= 1:
        return a.view(np.bool_)
    return a != 0


def _int64_aligned(a: ArrayLike) -> np.ndarray:
    """``a`` as int64, copied only when it is another dtype or not 8-byte aligned.  DGL's files put
    tensors at unaligned offsets, and numpy runs every pass over an unaligned array through buffered
    loops (``searchsorted`` copies it whole).  Used for the node _IDs (small, searched and compared
    several times); the edge arrays, read once or twice each, are not worth the copy."""
    a = np.asarray(a)
    if a.dtype == np.int64 and a.flags.aligned:
        return a
    return np.array(a, dtype=np.int64, order="C")


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
        if self.src is None or self.dst is None:
            raise ValueError(f"HaloCopy of partition {self.p} has neither stored endpoints nor an ends() function")
        return self.src[a:b], self.dst[a:b]

    def materialized(self) -> HaloCopy:
        src, dst = self.endpoints()
        return replace(self, src=np.array(src), dst=np.array(dst), eid=np.array(self.eid), ends=None)
