"""The ``dgl`` backend: DGL's own files (graph.dgl, node_feat.dgl, edge_feat.dgl, GraphBolt .pt).

Read in pure Python by :mod:`dgl_graph`, :mod:`dgl_tensors` and :mod:`graphbolt`;
DGL itself is never imported.  A part entry may name ``part_graph`` (DGL format),
``part_graph_graphbolt`` (GraphBolt ``fused_csc_sampling_graph.pt``) or both, in which
case ``prefer`` picks one ("dgl" by default).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

import numpy as np

from gpf.errors import ConfigError, FormatError
from gpf.sdk import paths
from gpf.sdk.storage.base import Backend, PartGraph, PartitionWriter, ReadOptions

__all__ = ["DglStore"]

_EMPTY: Mapping[str, np.ndarray] = {}


class DglStore:
    """Reads partitions stored in DGL's formats; ``owner_of`` maps global node IDs to partitions
    (needed only for GraphBolt files that do not store ``inner_node``)."""

    name = "dgl"

    def __init__(self, config, config_path: str, root: str, *, prefer: str = "dgl",
                 owner_of: Callable[[np.ndarray], np.ndarray] | None = None, use_mmap: bool = True,
                 check_indices: bool = True) -> None:
        if prefer not in ("dgl", "graphbolt"):
            raise ValueError("prefer must be 'dgl' or 'graphbolt'")
        self.config = config
        self.config_path = config_path
        self.root = root
        self.prefer = prefer
        self.owner_of = owner_of
        self.use_mmap = use_mmap
        self.check_indices = check_indices
        self._resolved: dict[tuple[int, str], str | None] = {}  # (part, role) -> checked path

    def _buffer(self, path: str):
        from gpf.sdk.codecs.buffer import open_buffer

        return open_buffer(path, use_mmap=self.use_mmap)

    # -- paths ---------------------------------------------------------------------------
    def _entry(self, part_id: int):
        parts = self.config.parts
        if not 0 <= part_id < len(parts):
            raise ConfigError(self.config_path, f"no entry for partition {part_id}", f"part-{part_id}")
        return parts[part_id]

    def _path(self, part_id: int, role: str) -> str | None:
        """The checked path of a partition's file (resolved once: each check stats the path's parts)."""
        key = (part_id, role)
        if key not in self._resolved:
            value = getattr(self._entry(part_id), role, None)
            if value is None:
                value = (getattr(self._entry(part_id), "model_extra", None) or {}).get(role)
            self._resolved[key] = None if value is None else \
                paths.resolve(self.root, value, config=self.config_path, key=f"part-{part_id}.{role}")
        return self._resolved[key]

    def _graph_path(self, part_id: int) -> str:
        """The checked path of a partition's graph file (the one :meth:`graph_role` picks, which the entry names)."""
        path = self._path(part_id, self.graph_role(part_id))
        assert path is not None
        return path

    def graph_role(self, part_id: int) -> str:
        entry = self._entry(part_id)
        have_dgl = entry.part_graph is not None
        have_gb = entry.part_graph_graphbolt is not None
        if have_dgl and (self.prefer == "dgl" or not have_gb):
            return "part_graph"
        if have_gb:
            return "part_graph_graphbolt"
        raise ConfigError(self.config_path, "names neither part_graph nor part_graph_graphbolt", f"part-{part_id}")

    def files(self, part_id: int) -> dict[str, str]:
        out = {}
        for role in ("part_graph", "part_graph_graphbolt", "node_feats", "edge_feats", "orig_nids", "orig_eids"):
            p = self._path(part_id, role)
            if p is not None:
                out[role] = p
        return out

    # -- reads ---------------------------------------------------------------------------
    def read_graph(self, part_id: int, *, check_indices: bool | None = None) -> PartGraph:
        """``check_indices=False`` (default: the store's, from ``ReadOptions.check_indices``): a
        ``graph.dgl``'s local IDs are left for the caller to range-check
        (:func:`~gpf.sdk.codecs.dgl_graph.read_graphs`; the validator's G1 does)."""
        if check_indices is None:
            check_indices = self.check_indices
        role = self.graph_role(part_id)
        path = self._graph_path(part_id)
        if role == "part_graph":
            from gpf.sdk.codecs.dgl_graph import read_partition_graph

            g = read_partition_graph(self._buffer(path), check_indices=check_indices)
            return PartGraph(int(g.num_nodes[0]), _int64(g.src[0]), _int64(g.dst[0]),
                             dict(g.ndata[0]), dict(g.edata[0]), path)
        return self._read_graphbolt(part_id, path)

    def read_node_feats(self, part_id: int) -> Mapping[str, np.ndarray]:
        return self._tensors(part_id, "node_feats")

    def read_edge_feats(self, part_id: int) -> Mapping[str, np.ndarray]:
        return self._tensors(part_id, "edge_feats")

    def read_orig_ids(self, part_id: int, kind: str) -> Mapping[str, np.ndarray] | None:
        role = {"nodes": "orig_nids", "edges": "orig_eids"}[kind]
        path = self._path(part_id, role)
        if path is None:  # DGL's pipeline writes them next to graph.dgl without naming them.
            graph = self._graph_path(part_id)
            guess = os.path.join(os.path.dirname(graph), f"{role}.dgl") if not paths.is_url(graph) else None
            if guess is None or not os.path.exists(guess):
                return None
            path = guess
        from gpf.sdk.codecs.dgl_tensors import read_tensors

        return read_tensors(self._buffer(path))

    def _tensors(self, part_id: int, role: str) -> Mapping[str, np.ndarray]:
        path = self._path(part_id, role)
        if path is None:
            return _EMPTY
        from gpf.sdk.codecs.dgl_tensors import read_tensors

        return read_tensors(self._buffer(path))

    def _read_graphbolt(self, part_id: int, path: str) -> PartGraph:
        """A GraphBolt CSC partition, brought back to DGL's local edge order."""
        from gpf.sdk.codecs.graphbolt import graphbolt_to_coo, read_graphbolt

        gb = read_graphbolt(self._buffer(path))
        src, dst, csc_order = graphbolt_to_coo(gb)  # edge i of (src, dst) is CSC position csc_order[i]
        src, dst = _int64(src), _int64(dst)
        num_nodes = int(len(gb.indptr) - 1)
        ndata = {k: np.asarray(v) for k, v in gb.node_attributes.items()}
        # find_edges helpers that only make sense in CSC order; the local order is rebuilt below.
        edata = {k: np.asarray(v)[csc_order] for k, v in gb.edge_attributes.items()
                 if k not in ("_dgl2gb_eid", "_gb_dst_id")}
        if "_ID" not in ndata:
            raise FormatError(path, None, "GraphBolt partition stores no node attribute '_ID'")
        if gb.type_per_edge is not None:
            edata.setdefault("_TYPE", np.asarray(gb.type_per_edge)[csc_order].astype(np.int32))
        if "inner_node" not in ndata:
            if self.owner_of is None:
                raise FormatError(path, None, "GraphBolt partition stores no 'inner_node' and no partition book was given")
            ndata["inner_node"] = (self.owner_of(ndata["_ID"]) == part_id).astype(np.uint8)
        inner = ndata["inner_node"].astype(bool)
        if "inner_edge" not in edata:
            edata["inner_edge"] = inner[dst].astype(np.uint8)
        # DGL's local edge order: inner edges first, each group by ascending global EID.
        if "_ID" in edata:
            key = np.asarray(edata["_ID"], dtype=np.int64)
            order = np.lexsort((key, ~edata["inner_edge"].astype(bool)))
        else:
            order = np.argsort(~edata["inner_edge"].astype(bool), kind="stable")
        src, dst = src[order], dst[order]
        edata = {k: np.asarray(v)[order] for k, v in edata.items()}
        return PartGraph(num_nodes, src, dst, ndata, edata, path)


def _int64(a: np.ndarray) -> np.ndarray:
    return a if a.dtype == np.int64 else a.astype(np.int64)


def _open_store(config, config_path: str, root: str, options: ReadOptions) -> DglStore:
    return DglStore(config, config_path, root, prefer=options.prefer, use_mmap=options.use_mmap,
                    owner_of=options.owner_of, check_indices=options.check_indices)


def _open_writer(out: str, graph_name: str, options: Mapping) -> PartitionWriter:
    from gpf.sdk.storage.dgl_writer import DglWriter

    return DglWriter(out, graph_name, options.get("dgl_options"))


#: DGL's own files (``graph.dgl``, ``node_feat.dgl``, ..., GraphBolt's ``.pt``), one path per role.
BACKEND = Backend("dgl", _open_store, _open_writer, writer_options=("dgl_options",), entry_files=True)
