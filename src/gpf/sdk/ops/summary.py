"""What ``gpf info`` reports: a JSON-able summary of a partition set.

Per partition it reads only the structure (memory-mapped) and the feature
headers, one partition at a time.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from gpf.sdk import paths

__all__ = ["summarize"]


def summarize(ps, *, progress=None) -> dict[str, Any]:
    """Summarise ``ps`` (a :class:`gpf.PartitionSet`).  ``progress(i)`` is called per partition."""
    cfg = ps.config
    book = ps.book
    node_sizes = book.nodes.ranges[:, :, 1] - book.nodes.ranges[:, :, 0]  # (T, P)
    edge_sizes = book.edges.ranges[:, :, 1] - book.edges.ranges[:, :, 0]
    parts = []
    for p in range(ps.num_parts):
        part = ps.partition(p)
        inner = part.inner_node
        inner_e = part.inner_edge
        n_inner = int(inner.sum())
        cut = int((inner_e & ~inner[part.src]).sum()) if part.num_edges else 0
        files = {}
        for role, f in part.files().items():
            files[role] = {"path": _rel(f, ps.root), "bytes": _size(f)}
        parts.append({
            "part_id": p,
            "inner_nodes": n_inner,
            "halo_nodes": int(part.num_nodes - n_inner),
            "inner_edges": int(inner_e.sum()),
            "edges": part.num_edges,
            "cut_in_edges": cut,
            "node_range": list(part.node_range),
            "edge_range": list(part.edge_range),
            "inner_nodes_per_type": {t: int(node_sizes[i, p]) for i, t in enumerate(ps.ntypes)},
            "inner_edges_per_type": {":".join(e): int(edge_sizes[i, p]) for i, e in enumerate(ps.etypes)},
            "node_feats": _feat_info(part.node_feats),
            "edge_feats": _feat_info(part.edge_feats),
            "files": files,
        })
        if progress is not None:
            progress(p)
    warnings = consistency_warnings(ps, parts)
    type_balance = {t: _balance(node_sizes[i].astype(np.float64)) for i, t in enumerate(ps.ntypes)}
    constraints = cfg.balance_constraints.model_dump(mode="json", exclude_none=True) \
        if cfg.balance_constraints is not None else None
    inner_counts = np.array([x["inner_nodes"] for x in parts], dtype=np.float64)
    edge_counts = np.array([x["inner_edges"] for x in parts], dtype=np.float64)
    total_cut = sum(x["cut_in_edges"] for x in parts)
    return {
        "graph_name": cfg.graph_name,
        "config": ps.path,
        "gpf_version": cfg.gpf_version,
        "num_nodes": cfg.num_nodes,
        "num_edges": cfg.num_edges,
        "num_parts": cfg.num_parts,
        "part_method": cfg.part_method,
        "halo_hops": cfg.halo_hops,
        "ntypes": {t: book.nodes.count(i) for i, t in enumerate(ps.ntypes)},
        "etypes": {":".join(e): book.edges.count(i) for i, e in enumerate(ps.etypes)},
        "edge_cut": total_cut,
        "edge_cut_ratio": total_cut / cfg.num_edges if cfg.num_edges else 0.0,
        "node_balance": _balance(inner_counts),
        "edge_balance": _balance(edge_counts),
        "ntype_balance": type_balance,
        "balance_constraints": constraints,
        "partitions": parts,
        "warnings": warnings,
    }


def consistency_warnings(ps, parts: list[dict[str, Any]]) -> list[str]:
    """Disagreements ``gpf info`` can see while it reads (``gpf validate`` checks every rule)."""
    cfg, book = ps.config, ps.book
    out = []
    for what, stated, idmap in (("nodes", cfg.num_nodes, book.nodes), ("edges", cfg.num_edges, book.edges)):
        covered = int(sum(idmap.count(i) for i in range(idmap.ranges.shape[0])))
        if stated != covered:
            out.append(f"num_{what} is {stated:,} in the config but its {what[:-1]} map covers {covered:,} {what}; "
                       "run `gpf validate`")
    for x in parts:
        lo, hi = x["node_range"]
        if x["inner_nodes"] != hi - lo:
            out.append(f"partition {x['part_id']}: its graph file has {x['inner_nodes']:,} inner nodes but the node map "
                       f"gives it {hi - lo:,}; run `gpf validate`")
    return out


def _balance(counts: np.ndarray) -> float:
    """max / mean of per-partition counts (1.0 is perfect balance)."""
    mean = counts.mean() if counts.size else 0.0
    return float(counts.max() / mean) if mean > 0 else 1.0


def _feat_info(feats) -> dict[str, dict[str, Any]]:
    # shape/dtype from the handle itself: a lazy (Zarr) feature must not be read to describe it
    return {k: {"shape": list(np.shape(v)), "dtype": str(v.dtype if hasattr(v, "dtype") else np.asarray(v).dtype)}
            for k, v in feats.items()}


def _size(path: str) -> int | None:
    if paths.is_url(path):
        try:
            import fsspec

            fs, p = fsspec.core.url_to_fs(path)
            return int(fs.du(p)) if fs.isdir(p) else int(fs.size(p))
        except Exception:  # noqa: BLE001 - size is informational
            return None
    try:
        if os.path.isdir(path):  # npy / zarr partitions are folders: their contents
            return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(path) for f in files)
        return os.path.getsize(path)
    except OSError:
        return None


def _rel(path: str, root: str) -> str:
    if paths.is_url(path):
        return path[len(root) + 1:] if path.startswith(root + "/") else path
    return os.path.relpath(path, root)
