"""Reading a partition set: ``gpf.open(path) -> PartitionSet``.

Opening reads only the JSON config.  A :class:`Partition`'s structure is read on
first touch of a structural attribute, its features on first touch of
``node_feats``/``edge_feats``; local files are memory-mapped, so arrays are
zero-copy views where the stored dtype is already the one returned.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from gpf.errors import ConfigError, GpfError
from gpf.sdk import paths
from gpf.sdk.read.book import PartitionBook
from gpf.sdk.storage.base import PartGraph, PartitionStore
from gpf.spec.models import is_homogeneous

if TYPE_CHECKING:
    from gpf.spec.models import PartitionConfig

__all__ = ["open_set", "PartitionSet", "Partition"]


def open_set(path: str | os.PathLike[str], *, prefer: str = "dgl", mmap: bool = True) -> PartitionSet:
    """Open the partition set named by ``path``: its config JSON, a directory holding exactly one
    config, a Zarr store (its root, or its ``zarr.json``), or an fsspec URL of any of these
    (:func:`gpf.sdk.read.locate.locate_set`, the rule every command uses).

    Each partition is read by the storage backend its config entry names
    (the table in :mod:`gpf.sdk.storage.registry`: ``dgl``, ``npy``, ``hdf5``, ``zarr``, ...).  ``prefer`` chooses the graph file when a part names both a DGL ``part_graph``
    and a GraphBolt ``part_graph_graphbolt``.  ``mmap=True`` (default) memory-maps
    local files (arrays are zero-copy read-only views, pages read on first touch);
    ``mmap=False`` reads each file into private memory with one ``readinto``.
    """
    from gpf.sdk.read.locate import locate_set
    from gpf.spec import load_config, loads_config

    loc = locate_set(path)
    path = loc.config
    if loc.backend is not None:  # a backend that keeps the config inside its store (Zarr: root attributes)
        from gpf.sdk.storage.registry import get_backend
        from gpf.spec import parse_config

        reader = get_backend(loc.backend).read_config
        assert reader is not None
        return PartitionSet(parse_config(reader(path), source=path), path, prefer=prefer, mmap=mmap)
    resolver = PlainEtypeResolver(path)
    if paths.is_url(path):
        from gpf.sdk.codecs.buffer import open_buffer

        config = loads_config(bytes(open_buffer(path).data), source=path, etype_resolver=resolver)
    else:
        config = load_config(path, etype_resolver=resolver)
    return PartitionSet(config, path, prefer=prefer, mmap=mmap)


class PartitionSet:
    """A partition set: its config, partition book and lazily read partitions."""

    def __init__(self, config: PartitionConfig, path: str, *, prefer: str = "dgl", store: PartitionStore | None = None,
                 mmap: bool = True, check_indices: bool = True) -> None:
        """``check_indices=False`` lets a backend leave the range check of local IDs to the caller
        (the validator, which checks them itself)."""
        self.config = config
        self.path = path
        self.root = paths.dataset_root(path)
        if store is None:
            from gpf.sdk.storage.registry import ReadOptions, open_store

            store = open_store(config, path, self.root, ReadOptions(prefer=prefer, use_mmap=mmap, check_indices=check_indices,
                                                                    owner_of=lambda ids: self.book.nid2partid(ids)))
        self.store = store

    # -- shape of the set ------------------------------------------------------------------
    @property
    def graph_name(self) -> str:
        return self.config.graph_name

    @property
    def num_parts(self) -> int:
        return self.config.num_parts

    @property
    def num_nodes(self) -> int:
        return self.config.num_nodes

    @property
    def num_edges(self) -> int:
        return self.config.num_edges

    @property
    def ntypes(self) -> list[str]:
        """Node type names, ordered by type ID."""
        return list(self.config.ntype_names)

    @property
    def etypes(self) -> list[tuple[str, str, str]]:
        """Canonical edge types ``(src, rel, dst)``, ordered by type ID."""
        return [(c[0], c[1], c[2]) for c in self.config.canonical_etypes]

    @property
    def is_homogeneous(self) -> bool:
        """One node type and one edge type, whatever their names (:func:`gpf.spec.is_homogeneous`)."""
        return is_homogeneous(self.ntypes, self.etypes)

    @functools.cached_property
    def book(self) -> PartitionBook:
        return PartitionBook.from_config(self.config)

    # -- partitions ------------------------------------------------------------------------
    def partition(self, part_id: int) -> Partition:
        """Partition ``part_id``; negative IDs count from the end (``-1``: the last), as for a list."""
        if isinstance(part_id, (bool, np.bool_)) or not isinstance(part_id, (int, np.integer)) \
                or not -self.num_parts <= part_id < self.num_parts:
            raise IndexError(f"{self.path}: partition {part_id!r} does not exist (num_parts={self.num_parts})")
        from gpf.sdk.codecs.mapped import check_unchanged

        check_unchanged()  # a file mapped earlier was truncated under us: say so before reading more
        return Partition(self, int(part_id) % self.num_parts)

    def __len__(self) -> int:
        return self.num_parts

    def __getitem__(self, part_id: int | slice) -> Partition | list[Partition]:
        """``ps[i]`` (negative ``i`` from the end) or ``ps[a:b]`` (a list), as for a list of partitions."""
        if isinstance(part_id, slice):
            return [Partition(self, i) for i in range(*part_id.indices(self.num_parts))]
        return self.partition(part_id)

    def __iter__(self) -> Iterator[Partition]:
        return (self.partition(i) for i in range(self.num_parts))

    def files(self, part_id: int) -> dict[str, str]:
        return self.store.files(part_id)

    # -- original IDs ----------------------------------------------------------------------
    def orig_nids(self, ntype: str | None = None) -> np.ndarray:
        """Original per-type ID of each (new) per-type node ID of ``ntype``."""
        return self._orig_ids("nodes", ntype or self._only(self.ntypes, "ntype"))

    def orig_eids(self, etype: str | tuple[str, str, str] | None = None) -> np.ndarray:
        """Original per-type ID of each (new) per-type edge ID of ``etype``."""
        key = etype if etype is not None else self._only([":".join(e) for e in self.etypes], "etype")
        return self._orig_ids("edges", ":".join(key) if isinstance(key, tuple) else key)

    def _orig_ids(self, kind: str, key: str) -> np.ndarray:
        chunks = []
        for p in range(self.num_parts):
            maps = self.store.read_orig_ids(p, kind)
            if maps is None:
                raise GpfError(f"{self.path}: partition {p} stores no original {kind[:-1]} IDs "
                               f"(orig_{'nids' if kind == 'nodes' else 'eids'})")
            if key not in maps:
                raise GpfError(f"{self.path}: partition {p}: original-ID map has no entry for type {key!r}")
            chunks.append(np.asarray(maps[key], dtype=np.int64))
        return np.concatenate(chunks) if chunks else np.zeros(0, np.int64)

    def to_original(self, type_name: str | tuple[str, str, str], new_ids: ArrayLike) -> np.ndarray:
        """Original per-type IDs of new per-type IDs; ``type_name`` is a node type, or an edge
        type (``(src, rel, dst)`` / ``"src:rel:dst"``: the ``:`` tells them apart)."""
        kind, key = self._id_kind(type_name)
        table = self._orig_table(kind, key)
        ids = np.asarray(new_ids)
        if ids.dtype.kind not in "iu" and ids.size:
            raise TypeError(f"IDs must be integers, got dtype {ids.dtype}")
        ids = ids.astype(np.int64, copy=False)
        if ids.size and (int(ids.min()) < 0 or int(ids.max()) >= table.shape[0]):
            raise IndexError(f"{key} ID out of range [0, {table.shape[0]})")
        return np.asarray(table[ids])

    def from_original(self, type_name: str | tuple[str, str, str], orig_ids: ArrayLike) -> np.ndarray:
        """New per-type IDs of original per-type IDs (inverse of :meth:`to_original`)."""
        kind, key = self._id_kind(type_name)
        cache = self.__dict__.setdefault("_inverse_orig", {})
        if (kind, key) not in cache:
            table = self._orig_table(kind, key)
            inv = np.empty_like(table)
            inv[table] = np.arange(table.shape[0], dtype=np.int64)
            cache[(kind, key)] = inv
        inv = cache[(kind, key)]
        ids = np.asarray(orig_ids)
        if ids.dtype.kind not in "iu" and ids.size:
            raise TypeError(f"IDs must be integers, got dtype {ids.dtype}")
        ids = ids.astype(np.int64, copy=False)
        if ids.size and (int(ids.min()) < 0 or int(ids.max()) >= inv.shape[0]):
            raise IndexError(f"original {key} ID out of range [0, {inv.shape[0]})")
        return np.asarray(inv[ids])

    def _id_kind(self, type_name: str | tuple[str, str, str]) -> tuple[str, str]:
        key = ":".join(type_name) if isinstance(type_name, tuple) else str(type_name)
        if ":" in key:
            if key not in [":".join(e) for e in self.etypes]:
                raise KeyError(f"unknown edge type {key!r}; known: {[':'.join(e) for e in self.etypes]}")
            return "edges", key
        if key not in self.ntypes:
            raise KeyError(f"unknown node type {key!r}; known: {self.ntypes}")
        return "nodes", key

    def _orig_table(self, kind: str, key: str) -> np.ndarray:
        cache: dict[tuple[str, str], np.ndarray] = self.__dict__.setdefault("_orig_tables", {})
        if (kind, key) not in cache:
            cache[(kind, key)] = self._orig_ids(kind, key)
        return cache[(kind, key)]

    @staticmethod
    def _only(names: list[str], what: str) -> str:
        if len(names) != 1:
            raise ValueError(f"this set has several {what}s {names}: name one")
        return names[0]

    def __repr__(self) -> str:
        return (f"PartitionSet({self.graph_name!r}, parts={self.num_parts}, nodes={self.num_nodes}, "
                f"edges={self.num_edges}, ntypes={self.ntypes})")


class Partition:
    """One partition: local structure, global IDs, inner flags, types and features.

    Local node IDs: inner nodes first (ascending global ID), then HALO nodes.
    Local edge IDs: inner edges first (ascending global ID), then the others.
    """

    def __init__(self, pset: PartitionSet, part_id: int) -> None:
        self.set = pset
        self.part_id = part_id

    # -- raw arrays ------------------------------------------------------------------------
    @functools.cached_property
    def graph(self) -> PartGraph:
        from gpf.sdk.codecs.mapped import check_unchanged

        g = self.set.store.read_graph(self.part_id)
        check_unchanged()
        return g

    @property
    def ndata(self) -> dict[str, np.ndarray]:
        """Stored per-node fields (``_ID``, ``inner_node``, ``_TYPE``, ``part_id``...)."""
        return self.graph.ndata

    @property
    def edata(self) -> dict[str, np.ndarray]:
        return self.graph.edata

    # -- structure ---------------------------------------------------------------------------
    @property
    def num_nodes(self) -> int:
        return self.graph.num_nodes

    @property
    def num_edges(self) -> int:
        return int(self.graph.src.shape[0])

    @property
    def src(self) -> np.ndarray:
        """Local source node ID of each local edge (int64)."""
        return self.graph.src

    @property
    def dst(self) -> np.ndarray:
        return self.graph.dst

    @functools.cached_property
    def global_nid(self) -> np.ndarray:
        """Homogeneous global ID (hid) of each local node (int64)."""
        return _int64(self._field(self.ndata, "_ID", "node"))

    @functools.cached_property
    def global_eid(self) -> np.ndarray:
        """Homogeneous global ID of each local edge (int64).  A GraphBolt file stores it only when
        written with ``store_eids``; without it this raises (see :attr:`has_edge_ids`)."""
        return _int64(self._field(self.edata, "_ID", "edge"))

    @property
    def has_edge_ids(self) -> bool:
        """False for a GraphBolt partition written without ``store_eids``: its edges (structure, types,
        inner flags) are known, but not which global edge each one is, so edge IDs, edge features per
        local edge and original edge IDs of local edges are not available."""
        return "_ID" in self.edata

    @functools.cached_property
    def inner_node(self) -> np.ndarray:
        """True for nodes owned by this partition, False for HALO nodes."""
        return np.asarray(self._field(self.ndata, "inner_node", "node") != 0)

    @functools.cached_property
    def inner_edge(self) -> np.ndarray:
        return np.asarray(self._field(self.edata, "inner_edge", "edge") != 0)

    @functools.cached_property
    def ntype_ids(self) -> np.ndarray:
        """Node type ID of each local node (int32; zeros for homogeneous sets)."""
        if "_TYPE" in self.ndata:
            return _int32(self.ndata["_TYPE"])
        if self.set.is_homogeneous:
            return np.zeros(self.num_nodes, dtype=np.int32)
        return self.set.book.map_to_per_ntype(self.global_nid)[0].astype(np.int32)

    @functools.cached_property
    def etype_ids(self) -> np.ndarray:
        if "_TYPE" in self.edata:
            return _int32(self.edata["_TYPE"])
        if self.set.is_homogeneous:
            return np.zeros(self.num_edges, dtype=np.int32)
        return self.set.book.map_to_per_etype(self.global_eid)[0].astype(np.int32)

    @functools.cached_property
    def owner(self) -> np.ndarray:
        """Owner partition of each local node (from ``part_id`` when stored, else the book)."""
        if "part_id" in self.ndata:
            return _int64(self.ndata["part_id"])
        return self.set.book.nid2partid(self.global_nid)

    @property
    def node_range(self) -> tuple[int, int]:
        """The global node ID range ``[start, end)`` this partition owns."""
        return self.set.book.nodes.part_range(self.part_id)

    @property
    def edge_range(self) -> tuple[int, int]:
        return self.set.book.edges.part_range(self.part_id)

    @property
    def num_inner_nodes(self) -> int:
        s, e = self.node_range
        return e - s

    @property
    def num_inner_edges(self) -> int:
        s, e = self.edge_range
        return e - s

    # -- features -----------------------------------------------------------------------------
    @functools.cached_property
    def node_feats(self) -> Mapping[str, np.ndarray]:
        """``"ntype/name" -> array`` with one row per inner node of that type, in global-ID order.

        numpy arrays (memory-mapped where the backend allows), except for the ``zarr``
        backend: lazy :class:`~gpf.sdk.storage.zarr_store.ZarrFeature` handles (``.shape``,
        ``.dtype``, ``feat[rows]`` reads only the chunks it needs, ``np.asarray(feat)``)."""
        return _canonical_feature_keys(self.set.store.read_node_feats(self.part_id), self.set, "node")

    @functools.cached_property
    def edge_feats(self) -> Mapping[str, np.ndarray]:
        """``"src:rel:dst/name" -> array`` with one row per inner edge of that type."""
        return _canonical_feature_keys(self.set.store.read_edge_feats(self.part_id), self.set, "edge")

    def files(self) -> dict[str, str]:
        return self.set.files(self.part_id)

    def _field(self, data: Mapping[str, np.ndarray], name: str, what: str) -> np.ndarray:
        try:
            return data[name]
        except KeyError:
            hint = _NOT_STORED.get((what, name)) if self.graph.source.endswith(".pt") else None
            if hint:
                raise GpfError(f"{self.graph.source}: partition {self.part_id}: {what} field {name!r} is missing: "
                               f"{hint}") from None
            raise GpfError(f"{self.graph.source}: partition {self.part_id}: {what} field {name!r} "
                           f"is missing (have {sorted(data)})") from None

    def __repr__(self) -> str:
        return f"Partition({self.set.graph_name!r}, part_id={self.part_id})"


#: What a GraphBolt file lacks when written without a flag, and what needs it.
_NOT_STORED = {
    ("edge", "_ID"): "this GraphBolt file stores no edge IDs (written without store_eids; rewrite it with "
                     "`gpf convert SRC DST --graphbolt --store-eids`, gpf.partition(..., store_eids=True) or DGL's "
                     "dgl_partition_to_graphbolt(store_eids=True)); edge IDs are needed by global_eid, edge features "
                     "per local edge (e.g. to_pyg edge_attr, loaders' edge_feats / with_edge_ids) and original edge "
                     "IDs of local edges; structure, edge types, inner flags, node data and per-type edge feature "
                     "tables work without them",
}


def _canonical_feature_keys(feats: Mapping[str, np.ndarray], pset: PartitionSet, kind: str) -> dict[str, np.ndarray]:
    """Rename legacy feature keys to ``type/name`` with canonical edge types.

    DGL <0.6 wrote bare names (homogeneous sets); DGL 0.6-0.9 wrote ``etype/name`` with
    a plain relation name, which is canonicalised when the relation name is unique.
    """
    if kind == "node":
        default = pset.ntypes[0] if pset.is_homogeneous else None
        plain: dict[str, str] = {}
    else:
        canon = [":".join(e) for e in pset.etypes]
        default = canon[0] if pset.is_homogeneous else None
        rels: dict[str, list[str]] = {}
        for c in canon:
            rels.setdefault(c.split(":")[1], []).append(c)
        plain = {r: cs[0] for r, cs in rels.items() if len(cs) == 1}
    out: dict[str, np.ndarray] = {}
    for key, arr in feats.items():
        if "/" not in key and default is not None:
            key = f"{default}/{key}"
        elif "/" in key:
            t, name = key.split("/", 1)
            if kind == "edge" and ":" not in t and t in plain:
                key = f"{plain[t]}/{name}"
        out[key] = arr
    return out


class PlainEtypeResolver:
    """Canonicalises pre-1.0 plain edge-type keys by looking at the partitions' edges.

    A pre-1.0 heterogeneous partition graph stores each node's and edge's type ID
    (``_TYPE``); the node types of the endpoints of an edge of type ``rel`` name its
    canonical ``(src, rel, dst)``.  Used by ``gpf.open`` and ``gpf upgrade``.
    """

    def __init__(self, config_path: str) -> None:
        self.config_path = config_path

    def __call__(self, names: list[str]) -> dict[str, tuple[str, str, str]]:
        from gpf.sdk.codecs.dgl_graph import read_partition_graph
        from gpf.spec import read_config_json

        if paths.is_url(self.config_path):
            raise ConfigError(self.config_path, "pre-1.0 config with plain edge-type keys; "
                              "run `gpf upgrade OLD.json NEW.json` on a local copy first")
        raw = read_config_json(self.config_path)
        root = paths.dataset_root(self.config_path)
        ntypes = raw.get("ntypes") or {}

        def is_id(v: object) -> bool:  # malformed maps: no hit
            return isinstance(v, int) and not isinstance(v, bool)

        ntype_by_id = {v: k for k, v in ntypes.items() if is_id(v)} if isinstance(ntypes, dict) else {}
        etype_ids = raw.get("etypes") if isinstance(raw.get("etypes"), dict) else {}
        wanted = {etype_ids[n]: n for n in names if n in etype_ids and is_id(etype_ids[n])}
        found: dict[str, tuple[str, str, str]] = {}
        p = 0
        while wanted and isinstance(raw.get(f"part-{p}"), dict):
            entry = raw[f"part-{p}"]
            if "part_graph" in entry:
                g = read_partition_graph(paths.resolve(root, entry["part_graph"], config=self.config_path,
                                                      key=f"part-{p}.part_graph"))
                nt, et = g.ndata[0].get("_TYPE"), g.edata[0].get("_TYPE")
                if nt is not None and et is not None:
                    for tid in list(wanted):
                        hit = np.flatnonzero(et == tid)
                        if hit.size:
                            e = hit[0]
                            s_t, d_t = int(nt[g.src[0][e]]), int(nt[g.dst[0][e]])
                            if s_t in ntype_by_id and d_t in ntype_by_id:
                                name = wanted.pop(tid)
                                found[name] = (ntype_by_id[s_t], name, ntype_by_id[d_t])
            p += 1
        missing = [n for n in names if n not in found]
        if missing:
            raise ConfigError(self.config_path, f"pre-1.0 config with plain edge-type keys: cannot tell the "
                              f"source/destination node types of {missing} from the partition files", "etypes")
        return found


def _int64(a: np.ndarray) -> np.ndarray:
    return a if a.dtype == np.int64 else a.astype(np.int64)


def _int32(a: np.ndarray) -> np.ndarray:
    return a if a.dtype == np.int32 else a.astype(np.int32)
