"""Saving a :class:`gpf.Graph`: the ``.npz`` convention and DGL's chunked graph format.

* :func:`save_npz` writes the ``.npz`` that ``gpf partition graph.npz`` and
  :meth:`gpf.Graph.from_npz` read: ``src``, ``dst``, ``num_nodes``, ``node:<name>``,
  ``edge:<name>`` (one node type and one edge type);
* :func:`write_chunked` writes DGL's chunked graph format (``metadata.json`` + per-type edge
  chunks and feature chunks), the input of DGL's distributed partition pipeline and of
  ``gpf partition DIR --out-of-core`` / ``--workers``; any number of node and edge types.

Both write to a temporary name first and rename, so an interrupted save leaves no file that looks
complete (for the chunked format, ``metadata.json`` is written last).
"""

from __future__ import annotations

import json
import os
import shutil
from typing import TYPE_CHECKING, Any

import numpy as np

from gpf.errors import GraphError
from gpf.files import atomic_writer

if TYPE_CHECKING:
    from gpf.sdk.write.graph import Graph


def etype_key(etype: tuple[str, str, str]) -> str:
    return ":".join(etype)

__all__ = ["save_npz", "write_chunked", "EDGE_FORMATS"]

#: Edge chunk formats DGL's pipeline reads (``numpy`` edge chunks are read by gpf only).
EDGE_FORMATS = ("csv", "parquet", "numpy")


def save_npz(graph: Graph, path: str | os.PathLike[str], *, compressed: bool = False) -> str:
    """Write ``graph`` (one node type, one edge type) as the ``.npz`` convention; returns the path."""
    path = os.fspath(path)
    if not path.endswith(".npz"):
        raise GraphError(f"{path}: the file name must end in .npz")
    if not graph.is_homogeneous:
        raise GraphError(f"{path}: the .npz convention holds one node type and one edge type; this graph has "
                         f"{len(graph.ntypes)} node types and {len(graph.canonical_etypes)} edge types: "
                         "use Graph.save_chunked(DIR) (DGL's chunked graph format) instead")
    (nt,) = graph.ntypes
    (et,) = graph.canonical_etypes
    src, dst = graph.edges_dict[et]
    arrays: dict[str, Any] = {"src": src, "dst": dst, "num_nodes": np.int64(graph.num_nodes(nt))}
    arrays.update({f"node:{k}": v for k, v in graph.ndata[nt].items()})
    arrays.update({f"edge:{k}": v for k, v in graph.edata[et].items()})
    with atomic_writer(path, fsync=False) as fh:
        (np.savez_compressed if compressed else np.savez)(fh, **arrays)
    return path


def write_chunked(graph: Graph, out_dir: str | os.PathLike[str], *, num_chunks: int = 1, edge_format: str = "csv",
                  graph_name: str = "graph", overwrite: bool = False) -> str:
    """Write ``graph`` in DGL's chunked graph format under ``out_dir``; returns the ``metadata.json`` path.

    Every type is cut into ``num_chunks`` chunks of nearly equal rows (``num_nodes_per_chunk`` /
    ``num_edges_per_chunk``); edges as ``edge_format`` chunks of ``src dst`` rows (per-type IDs;
    ``csv`` space-delimited, as DGL's pipeline reads them, or ``parquet`` / ``numpy``), node and edge
    data as ``.npy`` chunks cut at the same rows.  Types are listed in gpf's (and DGL's) type-ID
    order.  ``out_dir`` must not hold a ``metadata.json`` unless ``overwrite``.
    """
    out = os.fspath(out_dir)
    if isinstance(num_chunks, bool) or not isinstance(num_chunks, (int, np.integer)) or num_chunks < 1:
        raise GraphError(f"{out}: num_chunks must be a positive integer, got {num_chunks!r}")
    if edge_format not in EDGE_FORMATS:
        raise GraphError(f"{out}: edge_format must be one of {list(EDGE_FORMATS)}, got {edge_format!r}")
    if not isinstance(graph_name, str) or not graph_name or "/" in graph_name:
        raise GraphError(f"{out}: graph_name must be a non-empty name without '/', got {graph_name!r}")
    meta_path = os.path.join(out, "metadata.json")
    if os.path.lexists(meta_path) and not overwrite:
        raise GraphError(f"{meta_path}: already exists (pass overwrite=True to replace it)")
    if os.path.lexists(out) and not os.path.isdir(out):
        raise GraphError(f"{out}: exists and is not a directory")
    os.makedirs(out, exist_ok=True)
    if edge_format == "parquet":
        from gpf.extras import require

        require("pyarrow", "writing parquet edge chunks")

    def cuts(n: int) -> list[int]:
        bounds = np.linspace(0, n, num_chunks + 1).round().astype(np.int64)
        return [int(b) for b in bounds]

    data_dir = os.path.join(out, "chunks")
    if os.path.isdir(data_dir):
        if not overwrite:
            raise GraphError(f"{data_dir}: already exists (pass overwrite=True to replace it)")
        shutil.rmtree(data_dir)
    meta: dict = {"graph_name": graph_name, "node_type": list(graph.ntypes), "num_nodes_per_chunk": [],
                  "edge_type": [etype_key(et) for et in graph.canonical_etypes], "num_edges_per_chunk": [],
                  "edges": {}, "node_data": {}, "edge_data": {}}
    for t, nt in enumerate(graph.ntypes):
        b = cuts(graph.num_nodes(nt))
        meta["num_nodes_per_chunk"].append([b[c + 1] - b[c] for c in range(num_chunks)])
        for name, arr in graph.ndata[nt].items():
            files = _save_rows(out, f"chunks/node_data/{t}-{nt}/{name}", arr, b)
            meta["node_data"].setdefault(nt, {})[name] = {"format": {"name": "numpy"}, "data": files}
    for r, et in enumerate(graph.canonical_etypes):
        key = etype_key(et)
        src, dst = graph.edges_dict[et]
        b = cuts(int(src.shape[0]))
        meta["num_edges_per_chunk"].append([b[c + 1] - b[c] for c in range(num_chunks)])
        files = []
        for c in range(num_chunks):
            pairs = np.stack([src[b[c]:b[c + 1]], dst[b[c]:b[c + 1]]], axis=1)
            files.append(_save_edges(out, f"chunks/edges/{r}-{'-'.join(et)}/{c}", pairs, edge_format))
        fmt = {"name": edge_format, "delimiter": " "} if edge_format == "csv" else {"name": edge_format}
        meta["edges"][key] = {"format": fmt, "data": files}
        for name, arr in graph.edata[et].items():
            files = _save_rows(out, f"chunks/edge_data/{r}-{'-'.join(et)}/{name}", arr, b)
            meta["edge_data"].setdefault(key, {})[name] = {"format": {"name": "numpy"}, "data": files}
    from gpf.spec.io import atomic_write_text

    atomic_write_text(meta_path, json.dumps(meta, indent=4) + "\n")
    return meta_path


def _save_rows(out: str, stem: str, arr: np.ndarray, bounds: list[int]) -> list[str]:
    files = []
    for c in range(len(bounds) - 1):
        rel = f"{stem}-{c}.npy"
        full = os.path.join(out, rel)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        np.save(full, np.ascontiguousarray(arr[bounds[c]:bounds[c + 1]]))
        files.append(rel)
    return files


def _save_edges(out: str, stem: str, pairs: np.ndarray, fmt: str) -> str:
    ext = {"csv": "csv", "parquet": "parquet", "numpy": "npy"}[fmt]
    rel = f"{stem}.{ext}"
    full = os.path.join(out, rel)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    if fmt == "csv":
        np.savetxt(full, pairs, fmt="%d", delimiter=" ")
    elif fmt == "numpy":
        np.save(full, pairs)
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.table([pa.array(pairs[:, 0]), pa.array(pairs[:, 1])], names=["src", "dst"]), full)
    return rel
