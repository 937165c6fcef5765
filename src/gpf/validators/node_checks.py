"""Per-partition node checks (SPEC.md section 10: G1, G3, G4, G7 for nodes, G8), each one rule on a
:class:`~gpf.validators.part_data.PartData`, recording what it established for the checks after it."""

from __future__ import annotations

import numpy as np

from gpf.sdk.aligned import ascending
from gpf.sdk.arrays import unique
from gpf.validators.id_coverage import duplicates, inner_coverage, is_range, outside, owned_here
from gpf.validators.part_data import IndexExtremes, PartData, SetFacts
from gpf.validators.report import Report

__all__ = ["check_local_ids", "check_node_ids", "check_inner_nodes", "check_halo_nodes", "check_node_types",
           "check_part_ids"]


def check_local_ids(rep: Report, f: SetFacts, d: PartData) -> None:
    """G1: edge endpoints are local node IDs (0 <= id < stored node count).  One pass per array half
    (inner edges, the rest), whose extremes later checks reuse (:class:`IndexExtremes`)."""
    lo, hi = f.edge_range(d.p)
    d.ends = IndexExtremes.of(d.src, d.dst, min(hi - lo, d.num_edges))
    if d.ends.in_range(d.num_nodes):
        d.local_ok = True
        return
    bad = np.concatenate([outside(d.src, 0, d.num_nodes), outside(d.dst, 0, d.num_nodes)])
    if bad.size:
        rep.error("graph.local_id", f"{bad.size} edge endpoint(s) outside the {d.num_nodes} local nodes "
                  "(local edge IDs in examples)", partition=d.p, path=d.path, examples=unique(bad))
        return
    d.local_ok = True


def check_node_ids(rep: Report, f: SetFacts, d: PartData) -> None:
    """G4 (part): every node _ID is a hid of the set."""
    bad = outside(d.nid, 0, f.num_nodes)
    if bad.size:
        rep.error("node_id.range", f"{bad.size} node _ID(s) outside [0, {f.num_nodes})", partition=d.p,
                  path=d.path, examples=d.nid[bad])
        return
    d.nodes_ok = True
    if f.num_nodes <= np.iinfo(np.int32).max:
        d.hid_dtype = np.int32
    if len(f.ntypes) > 1:
        d.node_types = f.book.nodes.to_per_type(d.nid)[0].astype(np.int8 if len(f.ntypes) <= 127 else np.int64)


def check_inner_nodes(rep: Report, f: SetFacts, d: PartData) -> None:
    """G3: the inner nodes are exactly local IDs 0..n_inner-1 with _ID = S_p + local."""
    if not d.nodes_ok:
        return
    lo, hi = f.node_range(d.p)
    n_in = hi - lo
    if n_in <= d.num_nodes and d.inner[:n_in].all() and not d.inner[n_in:].any() and is_range(d.nid[:n_in], lo, hi):
        d.inner_nodes_ok = True
        return
    if inner_coverage(rep, d.nid[d.inner], lo, hi, d.p, d.path, "node", owner_note=" (owned elsewhere)"):
        first_halo = np.flatnonzero(~d.inner)
        rep.error("inner_node.order", "inner nodes are not local IDs 0..n_inner-1 in ascending _ID (local = _ID - "
                  f"{lo}); first HALO node at local ID {int(first_halo[0]) if first_halo.size else '-'}",
                  partition=d.p, path=d.path, examples=first_halo)


def check_halo_nodes(rep: Report, f: SetFacts, d: PartData) -> None:
    """G4: HALO nodes are owned by other partitions, and no HALO _ID repeats."""
    if not d.nodes_ok:
        return
    lo, hi = f.node_range(d.p)
    halo = d.nid[hi - lo:] if d.inner_nodes_ok else d.nid[~d.inner]
    up = ascending(halo, strict=True)  # as the pipeline writes them: one binary search, no repeats
    own = owned_here(f, halo, d.p, "node", up)
    if own.size:
        rep.error("halo_node.owner", f"{own.size} HALO node(s) have an _ID owned by this partition itself",
                  partition=d.p, path=d.path, examples=own)
    dup = duplicates(halo, f.num_nodes, up)
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
