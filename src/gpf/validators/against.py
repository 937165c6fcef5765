"""``gpf validate --against ORIGINAL``: the set is a faithful partitioning of the original graph.

Through the original-ID maps (SPEC 7.4), every edge of the set must be the original edge its
``orig_eids`` entry names, joining the original nodes its endpoints' ``orig_nids`` entries name,
and every feature row must equal the original row.  Vectorised per type.
"""

from __future__ import annotations

import numpy as np

from gpf.sdk.write.graph import Graph
from gpf.validators.part_data import SetFacts
from gpf.validators.report import Report
from gpf.validators.set_checks import SetEdges

__all__ = ["check_types_and_counts", "check_edges_against", "check_features_against", "IGNORED_FEATURES"]

#: Features partitioners add themselves (DGL's and gpf's ``num_trainers_per_machine > 1``).
IGNORED_FEATURES = frozenset({"trainer_id"})


def check_types_and_counts(rep: Report, f: SetFacts, g: Graph) -> bool:
    """Node and edge types and per-type counts equal the original's."""
    ok = True
    g_etypes = [":".join(e) for e in g.canonical_etypes]
    if sorted(f.ntypes) != sorted(g.ntypes) or sorted(f.etypes) != sorted(g_etypes):
        rep.error("against.types", f"types differ: set has node types {f.ntypes} and edge types {f.etypes}, the "
                  f"original {g.ntypes} and {g_etypes}", examples=sorted(set(f.ntypes) ^ set(g.ntypes))
                  + sorted(set(f.etypes) ^ set(g_etypes)))
        return False
    for t, name in enumerate(f.ntypes):
        if f.book.nodes.count(t) != g.num_nodes(name):
            rep.error("against.count", f"node type {name!r}: the set has {f.book.nodes.count(t):,} nodes, the "
                      f"original {g.num_nodes(name):,}", examples=[name])
            ok = False
    for r, key in enumerate(f.etypes):
        if f.book.edges.count(r) != g.num_edges(key):
            rep.error("against.count", f"edge type {key!r}: the set has {f.book.edges.count(r):,} edges, the "
                      f"original {g.num_edges(key):,}", examples=[key])
            ok = False
    return ok


def check_edges_against(rep: Report, f: SetFacts, g: Graph, ge: SetEdges, orig_n: dict[str, np.ndarray],
                        orig_e: dict[str, np.ndarray]) -> None:
    """Every edge of the set is the original edge its orig ID names (endpoints through orig node IDs)."""
    for r, key in enumerate(f.etypes):
        s_t, _rel, d_t = key.split(":")
        m = f.book.edges.count(r)
        if m == 0:
            continue
        hids = f.book.edges.to_homogeneous(r, np.arange(m, dtype=np.int64))
        g_src, g_dst = ge.gather(hids)
        new_s = f.book.nodes.to_per_type(g_src)[1]
        new_d = f.book.nodes.to_per_type(g_dst)[1]
        o_src, o_dst = g.edges(key)
        oe = orig_e[key]
        bad = np.flatnonzero((orig_n[s_t][new_s] != o_src[oe]) | (orig_n[d_t][new_d] != o_dst[oe]))
        if bad.size:
            rep.error("against.edge", f"edge type {key!r}: {bad.size:,} edge(s) do not join the original endpoints "
                      "of the original edge their orig_eids entry names (new per-type edge IDs in examples)",
                      examples=bad)


def _concat(f: SetFacts, per_part: dict[int, dict[tuple[str, str], np.ndarray]], k: tuple[str, str]):
    chunks = [per_part.get(p, {}).get(k) for p in range(f.num_parts)]
    present = [c for c in chunks if c is not None]
    if len(present) < len(chunks):
        return None
    return np.concatenate(present) if present else None


def _rows_differ(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row indices where ``a`` and ``b`` differ (NaN equals NaN)."""
    if a.dtype.kind == "V" or b.dtype.kind == "V":  # bfloat16 stand-in: compare raw bits
        a, b = a.view("<u2"), b.view("<u2")
    if b.dtype.kind == "b":
        b = b.astype(a.dtype)
    eq = a == b
    if a.dtype.kind == "f":
        eq |= np.isnan(a) & np.isnan(b)
    if eq.ndim > 1:
        eq = eq.reshape(eq.shape[0], -1).all(axis=1) if eq.size else np.ones(eq.shape[0], bool)
    return np.flatnonzero(~eq)


def check_features_against(rep: Report, f: SetFacts, g: Graph, kind: str,
                           per_part: dict[int, dict[tuple[str, str], np.ndarray]],
                           orig: dict[str, np.ndarray]) -> None:
    """Every original feature is in the set with equal rows (row i of the set = original row orig[i])."""
    frames = g.ndata if kind == "node" else {":".join(k): v for k, v in g.edata.items()}
    in_set = {k for feats in per_part.values() for k in feats}
    for t, frame in frames.items():
        for name, original in frame.items():
            key = f"{t}/{name}"
            if (t, name) not in in_set:
                rep.error("against.feature_missing", f"original {kind} feature {key!r} is not in the set",
                          examples=[key])
                continue
            mine = _concat(f, per_part, (t, name))
            if mine is None:
                continue  # missing in some partition: feature.missing already says so
            if mine.shape[1:] != original.shape[1:] or mine.shape[0] != original.shape[0]:
                rep.error("against.feature_value", f"{kind} feature {key!r} has shape {mine.shape}, the original "
                          f"{original.shape}", examples=[key])
                continue
            bad = _rows_differ(mine, original[orig[t]])
            if bad.size:
                rep.error("against.feature_value", f"{kind} feature {key!r}: {bad.size:,} row(s) differ from the "
                          "original rows their orig IDs name (new per-type IDs in examples)", examples=bad)
    for t, name in sorted(in_set):
        if name not in IGNORED_FEATURES and name not in frames.get(t, {}):
            rep.error("against.feature_missing", f"{kind} feature {t}/{name!r} is in the set but not in the original",
                      examples=[f"{t}/{name}"])
