"""``gpf.Graph``: an input graph for :func:`gpf.partition`, as plain numpy arrays.

A graph has node types (each with a node count), canonical edge types
``(src ntype, relation, dst ntype)`` (each with ``src``/``dst`` arrays of per-type
node IDs, in edge-ID order) and optional feature arrays per node / edge type whose
first dimension is the node / edge count.

Type IDs follow DGL: node types and canonical edge types are numbered in sorted
order (``dgl.heterograph`` sorts them), so a set written from a ``gpf.Graph`` has
the same ``ntypes``/``etypes`` IDs as one written by DGL from the same graph.  A
graph with one node type and one edge type is *homogeneous* (like DGL's
``g.is_homogeneous``), whatever the names; :meth:`Graph.homogeneous` names them
``_N`` and ``("_N", "_E", "_N")`` as DGL does.

Arrays are kept as given (no copy) when they already have the stored dtype
(int64 for IDs); every check is vectorised.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from gpf.errors import GraphError
from gpf.spec.models import is_homogeneous

__all__ = ["Graph", "GraphError", "CanonicalEtype", "etype_key", "parse_etype"]

CanonicalEtype = tuple[str, str, str]
EtypeLike = CanonicalEtype | str

#: Data names DGL's partition_graph does not copy as features (they are structure fields).
RESERVED_NODE_NAMES = ("_ID", "inner_node")
RESERVED_EDGE_NAMES = ("_ID", "inner_edge")


def etype_key(etype: CanonicalEtype) -> str:
    """``("user", "follows", "user")`` -> ``"user:follows:user"``."""
    return ":".join(etype)


def parse_etype(etype: EtypeLike, where: str = "graph") -> CanonicalEtype:
    """Accept ``("s", "r", "d")`` or ``"s:r:d"``; GraphError for anything else."""
    if isinstance(etype, str):
        parts = tuple(etype.split(":"))
    elif isinstance(etype, (tuple, list)):
        parts = tuple(etype)
    else:
        raise GraphError(f"{where}: edge type {etype!r} must be a (src, rel, dst) tuple or 'src:rel:dst'")
    if len(parts) != 3 or not all(isinstance(p, str) for p in parts):
        raise GraphError(f"{where}: edge type {etype!r} must have three names (src, rel, dst)")
    for p in parts:
        _check_name(p, f"{where}: edge type {etype!r}")
    return parts  # type: ignore[return-value]


def _check_name(name: Any, where: str, what: str = "type name") -> None:
    if not isinstance(name, str) or not name:
        raise GraphError(f"{where}: {what} {name!r} must be a non-empty string")
    bad = [c for c in "/:" if c in name]
    if bad:
        raise GraphError(f"{where}: {what} {name!r} must not contain {' or '.join(map(repr, bad))}")


def _ids(arr: Any, where: str) -> np.ndarray:
    a = np.asarray(arr)
    if a.ndim != 1:
        raise GraphError(f"{where}: must be a 1-D array, got shape {a.shape}")
    if a.dtype.kind not in "iu":
        if a.size == 0:
            return np.zeros(0, np.int64)
        raise GraphError(f"{where}: must hold integers, got dtype {a.dtype}")
    if a.dtype != np.int64:
        if a.dtype == np.uint64 and a.size and int(a.max()) > np.iinfo(np.int64).max:
            raise GraphError(f"{where}: ID {int(a.max())} does not fit int64")
        a = a.astype(np.int64)
    return a


def _check_range(ids: np.ndarray, bound: int, where: str, ntype: str) -> None:
    if not ids.size:
        return
    lo = int(ids.min())
    hi = int(ids.max())
    if lo < 0 or hi >= bound:
        bad = lo if lo < 0 else hi
        pos = int(np.flatnonzero(ids == bad)[0])
        raise GraphError(f"{where}[{pos}] = {bad} is out of range: node type {ntype!r} has {bound} nodes")


def load_numpy(path: str | os.PathLike[str], kind: str):
    """``np.load`` without pickles; a missing or unreadable file is a one-line :class:`GraphError`."""
    from gpf.errors import FormatError
    from gpf.files import open_regular

    path = os.fspath(path)
    try:
        fh = open_regular(path)
    except FormatError as exc:
        raise GraphError(f"{path}: {'no such file' if exc.message == 'file not found' else exc.message}") from None
    try:
        obj = np.load(fh, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        fh.close()
        raise GraphError(f"{path}: not a readable {kind} file ({exc})") from None
    if isinstance(obj, np.ndarray):
        fh.close()
    return obj


def npz_array(z, key: str, path: str | os.PathLike[str]) -> np.ndarray:
    """Array ``key`` of an open ``.npz`` (loaded without pickles): one that holds Python objects is refused
    with a :class:`GraphError` naming the file and the key."""
    try:
        return z[key]
    except ValueError as exc:
        if "allow_pickle" in str(exc) or "Object arrays" in str(exc):
            raise GraphError(f"{os.fspath(path)}: array {key!r} holds Python objects (a pickle); gpf never "
                             "unpickles input files") from None
        raise GraphError(f"{os.fspath(path)}: array {key!r} cannot be read ({exc})") from None
    except (OSError, EOFError, KeyError) as exc:
        raise GraphError(f"{os.fspath(path)}: array {key!r} cannot be read ({exc})") from None


class Graph:
    """A (heterogeneous) graph as numpy arrays.

    ``Graph(num_nodes, edges, ndata=None, edata=None)`` where

    * ``num_nodes``: ``{ntype: count}``;
    * ``edges``: ``{(src, rel, dst) or "src:rel:dst": (src_ids, dst_ids)}`` with per-type node IDs;
    * ``ndata``: ``{ntype: {name: array}}``, first dimension = that type's node count;
    * ``edata``: ``{(src, rel, dst) or "src:rel:dst": {name: array}}``, first dimension = edge count.

    Types and feature names are kept sorted, so what is written from a graph does not depend
    on the order they were given in.  Raises :class:`GraphError` (a :class:`~gpf.errors.GpfError`) naming the type, array
    and offending position when anything does not fit.
    """

    def __init__(
        self,
        num_nodes: Mapping[str, int],
        edges: Mapping[CanonicalEtype, tuple[Any, Any]] | Mapping[str, tuple[Any, Any]],
        ndata: Mapping[str, Mapping[str, Any]] | None = None,
        edata: Mapping[CanonicalEtype, Mapping[str, Any]] | Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        counts: dict[str, int] = {}
        if not isinstance(num_nodes, Mapping) or not num_nodes:
            raise GraphError("graph: num_nodes must be a non-empty {ntype: count} mapping")
        for nt, n in num_nodes.items():
            _check_name(nt, "graph: num_nodes", "node type")
            if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or int(n) < 0:
                raise GraphError(f"graph: num_nodes[{nt!r}] = {n!r} must be a non-negative integer")
            counts[nt] = int(n)
        self.num_nodes_dict: dict[str, int] = {nt: counts[nt] for nt in sorted(counts)}

        if not isinstance(edges, Mapping) or not edges:
            raise GraphError("graph: edges must be a non-empty {(src, rel, dst): (src_ids, dst_ids)} mapping")
        parsed: dict[CanonicalEtype, tuple[np.ndarray, np.ndarray]] = {}
        for key, pair in edges.items():
            et = parse_etype(key, "graph: edges")
            if et in parsed:
                raise GraphError(f"graph: edge type {etype_key(et)!r} is given twice")
            for role, nt in (("source", et[0]), ("destination", et[2])):
                if nt not in counts:
                    raise GraphError(f"graph: edge type {etype_key(et)!r}: {role} node type {nt!r} "
                                     f"is not in num_nodes {sorted(counts)}")
            try:
                s_raw, d_raw = pair
            except (TypeError, ValueError):
                raise GraphError(f"graph: edges[{etype_key(et)!r}] must be a (src_ids, dst_ids) pair") from None
            where = f"graph: edge type {etype_key(et)!r}"
            s = _ids(s_raw, f"{where}: src")
            d = _ids(d_raw, f"{where}: dst")
            if s.shape[0] != d.shape[0]:
                raise GraphError(f"{where}: src has {s.shape[0]} IDs but dst has {d.shape[0]}")
            _check_range(s, counts[et[0]], f"{where}: src", et[0])
            _check_range(d, counts[et[2]], f"{where}: dst", et[2])
            parsed[et] = (s, d)
        self.edges_dict: dict[CanonicalEtype, tuple[np.ndarray, np.ndarray]] = {et: parsed[et] for et in sorted(parsed)}

        self.ndata: dict[str, dict[str, np.ndarray]] = {nt: {} for nt in self.num_nodes_dict}
        for nt, frame in (ndata or {}).items():
            if nt not in counts:
                raise GraphError(f"graph: ndata names node type {nt!r}, which is not in num_nodes {sorted(counts)}")
            self.ndata[nt] = self._frame(frame, counts[nt], f"graph: node type {nt!r}", RESERVED_NODE_NAMES, "nodes")
        self.edata: dict[CanonicalEtype, dict[str, np.ndarray]] = {et: {} for et in self.edges_dict}
        for key, frame in (edata or {}).items():
            et = parse_etype(key, "graph: edata")
            if et not in self.edges_dict:
                raise GraphError(f"graph: edata names edge type {etype_key(et)!r}, which has no edges entry")
            rows = self.edges_dict[et][0].shape[0]
            self.edata[et] = self._frame(frame, rows, f"graph: edge type {etype_key(et)!r}", RESERVED_EDGE_NAMES, "edges")

    @staticmethod
    def _frame(frame: Mapping[str, Any], rows: int, where: str, reserved: Iterable[str], what: str) -> dict[str, np.ndarray]:
        if not isinstance(frame, Mapping):
            raise GraphError(f"{where}: data must be a {{name: array}} mapping")
        out: dict[str, np.ndarray] = {}
        for name, arr in frame.items():
            _check_name(name, where, "feature name")
            if name in reserved:
                raise GraphError(f"{where}: feature name {name!r} is reserved for partition structure")
            a = np.asarray(arr)
            if a.ndim == 0 or a.shape[0] != rows:
                raise GraphError(f"{where}: feature {name!r} has shape {a.shape}, expected {rows} rows (one per {what[:-1]})")
            if a.dtype.kind not in "biuf":
                raise GraphError(f"{where}: feature {name!r} has dtype {a.dtype}; only bool, int, uint and float are storable")
            out[name] = a
        # Features in name order: the files written never depend on the order the caller (or a
        # PyG Data, whose keys() come from a set) happened to list them in.
        return dict(sorted(out.items()))

    # -- constructors ---------------------------------------------------------------------
    @classmethod
    def homogeneous(cls, src: Any, dst: Any, num_nodes: int | None = None,
                    ndata: Mapping[str, Any] | None = None, edata: Mapping[str, Any] | None = None) -> Graph:
        """One node type ``_N`` and one edge type ``("_N", "_E", "_N")``.

        ``num_nodes`` defaults to the largest of (max ID + 1) and the node-feature row count.
        """
        s = _ids(src, "graph: src")
        d = _ids(dst, "graph: dst")
        if num_nodes is None:
            num_nodes = max(int(s.max()) + 1 if s.size else 0, int(d.max()) + 1 if d.size else 0)
            for arr in (ndata or {}).values():
                shape = np.shape(arr)
                if shape:
                    num_nodes = max(num_nodes, int(shape[0]))
        return cls({"_N": num_nodes}, {("_N", "_E", "_N"): (s, d)},
                   {"_N": dict(ndata or {})}, {("_N", "_E", "_N"): dict(edata or {})})

    @classmethod
    def from_npz(cls, path: str | os.PathLike[str]) -> Graph:
        """A homogeneous graph from a ``.npz``: ``src``, ``dst``, optional ``num_nodes``,
        node arrays ``node:<name>`` and edge arrays ``edge:<name>``."""
        path = os.fspath(path)
        z = load_numpy(path, ".npz")
        with z:
            if not hasattr(z, "files"):
                raise GraphError(f"{path}: not an .npz archive (a single .npy array?)")
            keys = list(z.files)
            for need in ("src", "dst"):
                if need not in keys:
                    raise GraphError(f"{path}: missing array {need!r} (have {keys})")
            ndata: dict[str, np.ndarray] = {}
            edata: dict[str, np.ndarray] = {}
            num_nodes = None
            for k in keys:
                if k in ("src", "dst"):
                    continue
                if k == "num_nodes":
                    v = npz_array(z, k, path)
                    if v.ndim != 0 or v.dtype.kind not in "iu":
                        raise GraphError(f"{path}: 'num_nodes' must be a scalar integer, got {v.dtype} {v.shape}")
                    num_nodes = int(v)
                elif k.startswith("node:"):
                    ndata[k[5:]] = npz_array(z, k, path)
                elif k.startswith("edge:"):
                    edata[k[5:]] = npz_array(z, k, path)
                else:
                    raise GraphError(f"{path}: unexpected array {k!r}: use src, dst, num_nodes, node:<name>, edge:<name>")
            try:
                return cls.homogeneous(npz_array(z, "src", path), npz_array(z, "dst", path), num_nodes, ndata, edata)
            except GraphError as exc:
                raise GraphError(f"{path}: {exc}") from None

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Graph:
        """Read a graph saved by :meth:`save`: the ``.npz`` convention (same as :meth:`from_npz`).
        Every input ``gpf partition`` takes (a chunked graph, a partition set too):
        :func:`gpf.sdk.write.inputs.load_graph`."""
        return cls.from_npz(path)

    # -- saving -----------------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str], *, compressed: bool = False) -> str:
        """Write this graph as the ``.npz`` convention (``src``, ``dst``, ``num_nodes``,
        ``node:<name>``, ``edge:<name>``) that ``gpf partition graph.npz`` and :meth:`load` read.
        One node type and one edge type (the names are not kept: they load as ``_N``/``_E``); for
        heterogeneous graphs use :meth:`save_chunked`."""
        from gpf.sdk.write.graph_io import save_npz

        return save_npz(self, path, compressed=compressed)

    def save_chunked(self, out_dir: str | os.PathLike[str], *, num_chunks: int = 1, edge_format: str = "csv",
                     graph_name: str = "graph", overwrite: bool = False) -> str:
        """Write this graph in DGL's chunked graph format (``out_dir/metadata.json`` + chunks), the
        input of DGL's distributed partition pipeline and of ``gpf partition DIR --out-of-core`` /
        ``--workers N``; returns the ``metadata.json`` path (:func:`gpf.sdk.graph_io.write_chunked`)."""
        from gpf.sdk.write.graph_io import write_chunked

        return write_chunked(self, out_dir, num_chunks=num_chunks, edge_format=edge_format,
                             graph_name=graph_name, overwrite=overwrite)

    # -- shape ----------------------------------------------------------------------------
    @property
    def ntypes(self) -> list[str]:
        """Node types in type-ID order (sorted)."""
        return list(self.num_nodes_dict)

    @property
    def canonical_etypes(self) -> list[CanonicalEtype]:
        """Canonical edge types in type-ID order (sorted)."""
        return list(self.edges_dict)

    @property
    def is_homogeneous(self) -> bool:
        """One node type and one edge type (:func:`gpf.spec.is_homogeneous`, DGL's ``g.is_homogeneous``)."""
        return is_homogeneous(self.num_nodes_dict, self.edges_dict)

    def num_nodes(self, ntype: str | None = None) -> int:
        if ntype is None:
            return sum(self.num_nodes_dict.values())
        return self.num_nodes_dict[ntype]

    def num_edges(self, etype: EtypeLike | None = None) -> int:
        if etype is None:
            return sum(int(s.shape[0]) for s, _ in self.edges_dict.values())
        return int(self.edges_dict[parse_etype(etype)][0].shape[0])

    def edges(self, etype: EtypeLike | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(src, dst)`` int64 per-type node IDs of one edge type (the only one if omitted)."""
        if etype is None:
            if len(self.edges_dict) != 1:
                raise ValueError(f"this graph has several edge types {self.canonical_etypes}: name one")
            return next(iter(self.edges_dict.values()))
        return self.edges_dict[parse_etype(etype)]

    def __repr__(self) -> str:
        return (f"Graph(nodes={self.num_nodes_dict}, edges="
                f"{ {etype_key(k): int(v[0].shape[0]) for k, v in self.edges_dict.items()} })")
