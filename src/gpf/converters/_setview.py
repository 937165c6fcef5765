"""Framework-neutral views of a partition set, shared by the converters.

Everything here goes through the public reader API only (``gpf.open``, Partition
attributes, ``ps.book``, ``ps.to_original``), so it works for any storage backend.

ID spaces (spec/SPEC.md, "ID scheme"):

* **gpf per-type IDs** ("new" IDs): a type's nodes (edges) numbered partition by
  partition; the stored feature rows of a type, concatenated over partitions, are in
  this order;
* **hids**: the set's homogeneous IDs (``_ID`` in the partition graphs);
* **original per-type IDs**: the IDs of the graph given to the partitioner, through
  the set's ``orig_nids``/``orig_eids`` maps (``ps.to_original``).

Arrays in, arrays out: loops run over partitions and types, never over nodes or edges.
"""

from __future__ import annotations

import functools
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np

from gpf.errors import GpfError
from gpf.sdk.aligned import umax
from gpf.sdk.read.features import FeatureColumns, feature_columns, gather_features, type_offsets
from gpf.sdk.write.graph import Graph

__all__ = ["SetView", "PartEdges", "BatchNodes", "local_union", "set_view", "whole_graph", "batch_partitions"]


@dataclass
class PartEdges:
    """The inner (owned) edges of one partition, one entry per edge type."""

    src: dict[str, np.ndarray]   # etype key -> per-type gpf ID of each edge's source
    dst: dict[str, np.ndarray]
    eid: dict[str, np.ndarray]   # etype key -> per-type gpf edge ID


class SetView:
    """Cached whole-set arrays of one partition set (structure in gpf per-type IDs)."""

    def __init__(self, ps) -> None:
        self.ps = ps
        self.book = ps.book
        self.ntypes: list[str] = list(ps.ntypes)
        self.etypes: list[tuple[str, str, str]] = [tuple(e) for e in ps.etypes]
        self.ekeys: list[str] = [":".join(e) for e in self.etypes]

    def part(self, part_id: int):
        """Partition ``part_id``, opened once per view (its files stay mapped between calls)."""
        parts = self.__dict__.setdefault("_parts", {})
        if part_id not in parts:
            parts[part_id] = self.ps.partition(int(part_id))
        return parts[part_id]

    # -- sizes ---------------------------------------------------------------------------
    def num_nodes(self, ntype: str) -> int:
        return self.book.nodes.count(self.book.nodes.type_id(ntype))

    def num_edges(self, ekey: str) -> int:
        return self.book.edges.count(self.book.edges.type_id(ekey))

    def node_offsets(self, ntype: str) -> np.ndarray:
        """``P+1`` offsets: partition p owns per-type IDs ``[off[p], off[p+1])`` of ``ntype``."""
        return type_offsets(self.ps, "node", ntype)

    def edge_offsets(self, ekey: str) -> np.ndarray:
        return type_offsets(self.ps, "edge", ekey)

    # -- features ------------------------------------------------------------------------
    @functools.cached_property
    def node_feature_names(self) -> dict[str, list[str]]:
        """``{ntype: [name, ...]}`` as stored (taken from partition 0, checked on read)."""
        return _names_by_type(self.part(0).node_feats, self.ntypes)

    @functools.cached_property
    def edge_feature_names(self) -> dict[str, list[str]]:
        return _names_by_type(self.part(0).edge_feats, self.ekeys)

    def _columns(self, kind: str, tname: str, name: str) -> FeatureColumns:
        cache = self.__dict__.setdefault("_columns_cache", {})
        key = (kind, tname, name)
        if key not in cache:
            cache[key] = feature_columns(self.ps, kind, tname, [name], self.part)
        return cache[key]

    def whole_feature(self, kind: str, tname: str, name: str) -> np.ndarray:
        """All rows of one feature, in gpf per-type ID order (partition blocks concatenated)."""
        return gather_features(self.ps, kind, tname, name, part=self.part, columns=self._columns(kind, tname, name))

    def feature_rows(self, kind: str, tname: str, name: str, ids: np.ndarray) -> np.ndarray:
        """Rows of one feature for gpf per-type IDs ``ids``, each read from its owner partition."""
        return gather_features(self.ps, kind, tname, name, ids, part=self.part,
                               columns=self._columns(kind, tname, name))

    # -- structure -----------------------------------------------------------------------
    def edge_ids_stored(self) -> bool:
        """False when some partition is a GraphBolt file written without edge IDs (``store_eids``): edges
        are known, not which edge ID (hence which edge-feature row and original edge) each one is."""
        if "_eids" not in self.__dict__:
            self.__dict__["_eids"] = all(self.part(p).has_edge_ids for p in range(self.ps.num_parts))
        return self.__dict__["_eids"]

    def _local_nodes(self, part, original: bool) -> tuple[np.ndarray | None, np.ndarray]:
        """``(type ID or None for a one-type set, per-type ID)`` of every local node of a partition;
        ``original``: original per-type IDs."""
        n_t, n_id = _per_type(self.book.nodes, part.global_nid)
        if original:
            if n_t is None:
                n_id = self.to_original(self.ntypes[0], n_id)
            else:
                for r, nt in enumerate(self.ntypes):
                    sel = np.flatnonzero(n_t == r)
                    n_id[sel] = self.to_original(nt, n_id[sel])
        return n_t, n_id

    def part_edges(self, part, original: bool = False) -> PartEdges:
        """The owned edges of one partition in gpf per-type IDs (``original``: original per-type node and
        edge IDs).  Without stored edge IDs the edges of a type take the partition's per-type ID range in
        local order (slots, not the edges' real IDs).

        Node IDs are mapped once per local node, then gathered per edge; when the inner edges come first
        in local order (as gpf writes them) they are read as slices of the mapped arrays, not gathered."""
        inner = np.flatnonzero(part.inner_edge)
        k = inner.shape[0]
        prefix = k == 0 or int(inner[-1]) == k - 1

        def pick(a: np.ndarray) -> np.ndarray:
            return a[:k] if prefix else a[inner]

        n_t, n_id = self._local_nodes(part, original)
        src, dst = pick(part.src), pick(part.dst)
        e_t: np.ndarray | None
        if part.has_edge_ids:
            e_t, e = _per_type(self.book.edges, pick(part.global_eid))
        else:
            e_t = pick(np.asarray(part.etype_ids, dtype=np.int64))
            e = np.empty(k, np.int64)
            for r, key in enumerate(self.ekeys):
                sel = np.flatnonzero(e_t == r)
                lo, hi = self.edge_offsets(key)[part.part_id:part.part_id + 2]
                if sel.shape[0] != hi - lo:
                    raise GpfError(f"{part.graph.source}: partition {part.part_id} has {sel.shape[0]} inner edges of "
                                   f"type {key!r}, its edge_map range {hi - lo}")
                e[sel] = np.arange(lo, hi)
            if len(self.ekeys) == 1 and not e_t.any():
                e_t = None
        out = PartEdges({}, {}, {})
        for r, key in enumerate(self.ekeys):
            if e_t is None:                 # one edge type: every inner edge, no selection
                ls, ld, ek = src, dst, e
            else:
                sel = np.flatnonzero(e_t == r)
                ls, ld, ek = src[sel], dst[sel], e[sel]
            st, _, dt = self.etypes[r]
            if n_t is not None and ls.size and (np.any(n_t[ls] != self.ntypes.index(st))
                                                or np.any(n_t[ld] != self.ntypes.index(dt))):
                raise GpfError(f"{self.ps.path}: partition {part.part_id}: an edge of type {key!r} joins nodes "
                               f"of other types than {st!r} -> {dt!r}")
            out.src[key], out.dst[key] = n_id[ls], n_id[ld]
            out.eid[key] = self.to_original(key, ek) if original else np.asarray(ek, dtype=np.int64)
        return out

    def edge_lists(self, original: bool = False) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """``{etype key: (src, dst)}`` indexed by edge ID: gpf per-type IDs, or (``original``) original
        per-type node IDs indexed by original edge ID.  Built partition by partition, not cached."""
        out = {k: (np.empty(self.num_edges(k), np.int64), np.empty(self.num_edges(k), np.int64))
               for k in self.ekeys}
        seen = {k: np.zeros(self.num_edges(k), np.bool_) for k in self.ekeys}
        for p in range(self.ps.num_parts):
            pe = self.part_edges(self.part(p), original)
            for k in self.ekeys:
                out[k][0][pe.eid[k]] = pe.src[k]
                out[k][1][pe.eid[k]] = pe.dst[k]
                seen[k][pe.eid[k]] = True
        for k, got in seen.items():
            missing = np.flatnonzero(~got)
            if missing.size:
                first = int(self.from_original(k, missing).min()) if original else int(missing[0])
                raise GpfError(f"{self.ps.path}: edge type {k!r}: edge {first} (gpf per-type ID) is "
                               f"owned by no partition ({missing.size} such edges)")
        return out

    @functools.cached_property
    def whole_edges(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """``{etype key: (src, dst)}`` in gpf per-type IDs, indexed by gpf per-type edge ID."""
        return self.edge_lists()

    # -- original IDs --------------------------------------------------------------------
    def has_original_ids(self) -> bool:
        """True when the set stores original-ID maps (``orig_nids``/``orig_eids``)."""
        if "_has_orig" not in self.__dict__:
            try:
                self.ps.to_original(self.ntypes[0], np.zeros(0, np.int64))
                self.ps.to_original(self.ekeys[0], np.zeros(0, np.int64))
                self.__dict__["_has_orig"] = True
            except GpfError:
                self.__dict__["_has_orig"] = False
        return self.__dict__["_has_orig"]

    def to_original(self, tname: str, ids: np.ndarray) -> np.ndarray:
        return self.ps.to_original(tname, ids)

    def from_original(self, tname: str, ids: np.ndarray) -> np.ndarray:
        return self.ps.from_original(tname, ids)


def _per_type(idmap, hids: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """``idmap.to_per_type(hids)``; ``(None, hids)`` for a one-type map whose per-type IDs are the hids
    (ranges contiguous from 0, as in every homogeneous set): then only the range is checked."""
    ranges = idmap.ranges
    if ranges.shape[0] == 1:
        sizes = ranges[0, :, 1] - ranges[0, :, 0]
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        ids = np.asarray(hids)
        if ids.dtype.kind in "iu" and np.array_equal(ranges[0, :, 0], starts) and \
                (ids.size == 0 or umax(ids.reshape(-1)) < idmap.total):
            return None, ids.astype(np.int64, copy=False)
    return idmap.to_per_type(hids)


_VIEWS: weakref.WeakKeyDictionary[Any, SetView] = weakref.WeakKeyDictionary()


def set_view(ps) -> SetView:
    """The cached :class:`SetView` of a partition set (one per set object)."""
    view = _VIEWS.get(ps)
    if view is None:
        view = _VIEWS[ps] = SetView(ps)
    return view


def in_original_order(values: np.ndarray, order: np.ndarray | None) -> np.ndarray:
    """Rows by gpf ID put at their original IDs (``order[i]``: the original ID of gpf ID ``i``);
    ``order=None`` keeps gpf order."""
    if order is None:
        return values
    out = np.empty_like(values)
    out[order] = values
    return out


def whole_graph(ps: Any, ids: str = "original", *, features: bool = True, who: str = "to_graph") -> Graph:
    """The whole set as one :class:`gpf.Graph`: every node and edge once, with its features.

    ``ids="original"`` (default): node and edge order of the graph given to the partitioner
    (needs the set's original-ID maps), so the result equals the input of :func:`gpf.partition`.
    ``ids="gpf"``: gpf per-type IDs (works for every set).  The framework converters'
    ``to_<x>_graph`` build their objects from it.
    """
    if ids not in ("original", "gpf"):
        raise ValueError(f"{who}: ids must be 'original' or 'gpf', got {ids!r}")
    view = set_view(ps)
    original = ids == "original"
    if original and not view.has_original_ids():
        raise GpfError(f"{ps.path}: the set stores no original-ID maps (orig_nids/orig_eids); "
                       f"use {who}(ps, ids='gpf')")

    ndata: dict[str, dict[str, np.ndarray]] = {}
    for nt in view.ntypes:
        order = ps.orig_nids(nt) if original else None
        ndata[nt] = {name: in_original_order(view.whole_feature("node", nt, name), order)
                     for name in (view.node_feature_names[nt] if features else ())}
    edges: dict[tuple[str, str, str], tuple[np.ndarray, np.ndarray]] = {}
    edata: dict[tuple[str, str, str], dict[str, np.ndarray]] = {}
    for key, et in zip(view.ekeys, view.etypes):
        src, dst = view.whole_edges[key]
        order = ps.orig_eids(key) if original else None
        if original:
            src, dst = view.to_original(et[0], src), view.to_original(et[2], dst)
        edges[et] = (in_original_order(src, order), in_original_order(dst, order))
        edata[et] = {name: in_original_order(view.whole_feature("edge", key, name), order)
                     for name in (view.edge_feature_names[key] if features else ())}
    return Graph({nt: view.num_nodes(nt) for nt in view.ntypes}, edges, ndata, edata)


def batch_partitions(parts: Any, who: str) -> list:
    """``parts`` (one :class:`gpf.Partition` or several of one set) as a checked, non-empty list."""
    plist = [parts] if hasattr(parts, "part_id") else list(parts)
    if not plist:
        raise ValueError(f"{who}: no partitions given")
    ps = plist[0].set
    for p in plist[1:]:
        if p.set is not ps:
            raise ValueError(f"{who}: partitions of different sets ({ps.path}, {p.set.path}) in one batch")
    if len({p.part_id for p in plist}) != len(plist):
        raise ValueError(f"{ps.path}: {who}: partition IDs repeat in the batch {[p.part_id for p in plist]}")
    return plist


@dataclass
class BatchNodes:
    """The union of the local graphs of one or more partitions.

    Node order: the inner nodes of every chosen partition (partition by partition, local
    order), then the other nodes once each, in first-seen order; the same for edges.  For
    one partition this is exactly the partition's local order.
    """

    nid: np.ndarray        # hid of each batch node
    inner_node: np.ndarray  # bool: owned by one of the chosen partitions
    eid: np.ndarray        # hid of each batch edge
    inner_edge: np.ndarray
    src: np.ndarray        # batch-local source of each batch edge
    dst: np.ndarray
    etype: np.ndarray | None = None  # edge type IDs, set when eid is unknown (-1: no stored edge IDs)


def local_union(parts) -> BatchNodes:
    """Merge the local graphs of ``parts`` (HALO copies deduplicated by hid).

    Partitions without stored edge IDs (GraphBolt files written without ``store_eids``) give
    ``eid`` -1; a HALO edge copy is then dropped when the partition owning it is in the batch, and
    HALO copies from several partitions of one edge owned outside the batch are told apart by
    (source, destination, edge type) only."""
    parts = list(parts)
    if not all(p.has_edge_ids for p in parts):
        return _union_without_eids(parts)
    if len(parts) == 1:
        p = parts[0]
        return BatchNodes(p.global_nid, np.asarray(p.inner_node), p.global_eid, np.asarray(p.inner_edge),
                          np.asarray(p.src, np.int64), np.asarray(p.dst, np.int64))
    nid_all = np.concatenate([p.global_nid for p in parts])
    ninner_all = np.concatenate([p.inner_node for p in parts])
    nid, ninner = _first_seen(nid_all, ninner_all)
    eid_all = np.concatenate([p.global_eid for p in parts])
    einner_all = np.concatenate([p.inner_edge for p in parts])
    src_h = np.concatenate([p.global_nid[p.src] for p in parts])
    dst_h = np.concatenate([p.global_nid[p.dst] for p in parts])
    order = np.lexsort((np.arange(eid_all.shape[0]), ~einner_all))
    _, first = np.unique(eid_all[order], return_index=True)
    keep = order[np.sort(first)]
    sorter = np.argsort(nid, kind="stable")
    to_local = lambda h: sorter[np.searchsorted(nid, h, sorter=sorter)]  # noqa: E731
    return BatchNodes(nid, ninner, eid_all[keep], einner_all[keep], to_local(src_h[keep]), to_local(dst_h[keep]))


def _union_without_eids(parts) -> BatchNodes:
    nid_all = np.concatenate([p.global_nid for p in parts])
    nid, ninner = _first_seen(nid_all, np.concatenate([p.inner_node for p in parts]))
    chosen = np.array(sorted(p.part_id for p in parts), np.int64)
    src_h, dst_h, et, inner = [], [], [], []
    for p in parts:
        e_in = np.asarray(p.inner_edge, bool)
        owner_dst = p.owner[np.asarray(p.dst)]
        keep = e_in | ~np.isin(owner_dst, chosen)  # a HALO copy whose owner is in the batch: the owner has it
        src_h.append(p.global_nid[p.src][keep])
        dst_h.append(p.global_nid[p.dst][keep])
        et.append(np.asarray(p.etype_ids, np.int64)[keep])
        inner.append(e_in[keep])
    s, d, t, i = (np.concatenate(x) for x in (src_h, dst_h, et, inner))
    halo = np.flatnonzero(~i)
    if len(parts) > 1 and halo.size:
        _, first = np.unique(np.stack([s[halo], d[halo], t[halo]]), axis=1, return_index=True)
        drop = np.setdiff1d(halo, halo[first])
        keep = np.setdiff1d(np.arange(s.shape[0]), drop)
        s, d, t, i = s[keep], d[keep], t[keep], i[keep]
    sorter = np.argsort(nid, kind="stable")
    to_local = lambda h: sorter[np.searchsorted(nid, h, sorter=sorter)]  # noqa: E731
    return BatchNodes(nid, ninner, np.full(s.shape[0], -1, np.int64), i, to_local(s), to_local(d), etype=t)


def _first_seen(ids: np.ndarray, inner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique ``ids``: inner occurrences first, then the rest, each in first-seen order."""
    order = np.lexsort((np.arange(ids.shape[0]), ~inner))
    _, first = np.unique(ids[order], return_index=True)
    keep = order[np.sort(first)]
    return ids[keep], inner[keep]


def _names_by_type(feats, tnames: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {t: [] for t in tnames}
    for key in feats:
        t, _, name = key.partition("/")
        if t in out and name:
            out[t].append(name)
    return out
