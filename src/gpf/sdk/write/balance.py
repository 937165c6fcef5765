"""METIS's view of a :class:`gpf.Graph`: the symmetric CSR and the balance constraints.

The graph METIS sees is the *homogeneous view* (nodes numbered type-major, node types in
sorted order, as ``dgl.to_homogeneous``), made undirected, without duplicate edges or
self-loops (:func:`symmetric_csr`).

Balance constraints follow DGL's ``partition_graph`` (one METIS vertex-weight column each):

* a heterogeneous graph: one constraint per node type (its nodes weigh 1 in it);
* ``balance_ntypes`` adds constraints: a dict ``{ntype: labels}`` splits those types by label
  (e.g. a train mask: training and other nodes of the type balanced separately); an array
  gives a label per node of the homogeneous view (on a heterogeneous graph each
  (node type, label) pair is a constraint, so the types stay balanced);
* ``balance_edges``: each constraint gets a twin weighted by in-degree (with no other
  constraint, as on a plain homogeneous graph, in-degree is the only weight, as in DGL).

Unlike DGL, a group with fewer nodes than parts (a tiny node type) is counted with the
largest group rather than made a constraint of its own (:func:`balance_plan`), and each
constraint's tolerance is METIS's 1.03 loosened to what its granularity allows
(:meth:`BalancePlan.tolerances`): with DGL, one such type leaves every type as unbalanced
as it is (2.7x max/mean with 6 nodes in 16 parts).

Without any of these (homogeneous graph) METIS balances the node count.
:attr:`BalancePlan.columns` describes every column; it is recorded in the config
(``balance_constraints``) by the writer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from gpf.errors import GpfError
from gpf.sdk.write.graph import Graph
from gpf.sdk.write.node_arrays import per_node_array

__all__ = ["BalanceError", "BalancePlan", "balance_plan", "symmetric_csr", "in_degrees"]

_IDX32_MAX = 2**31 - 1
_ADJ32_MAX = 2**31 - 1  # adjacency entries an int32 CSR holds


class BalanceError(GpfError):
    """``balance_ntypes`` (or the graph METIS would see) is unusable; the message says where."""


@dataclass
class BalancePlan:
    """The constraint group of every node of the homogeneous view and what each column weighs.

    ``group`` is None when there is no node constraint (homogeneous graph, no labels).
    ``columns[c]``: ``{"weight": "nodes" | "in_edges"}`` plus ``"ntype"`` / ``"label"`` where
    the column is limited to a node type / a label, and ``"merged"``: the groups too small to
    balance that are counted with it.
    """

    group: np.ndarray | None
    groups: list[dict[str, Any]]
    balance_edges: bool

    @property
    def columns(self) -> list[dict[str, Any]]:
        if not self.groups:
            return [{"weight": "in_edges" if self.balance_edges else "nodes"}]
        cols = [{"weight": "nodes", **g} for g in self.groups]
        if self.balance_edges:
            cols += [{"weight": "in_edges", **g} for g in self.groups]
        return cols

    @property
    def ncon(self) -> int:
        return len(self.columns)

    def weights(self, graph: Graph, dtype: np.dtype | type = np.int64) -> np.ndarray | None:
        """The ``n * ncon`` vertex weights, vertex-major (METIS's layout), or None for unit weights."""
        n = graph.num_nodes()
        if not self.groups:
            return in_degrees(graph).astype(dtype, copy=False) if self.balance_edges else None
        assert self.group is not None
        ncon, ng = self.ncon, len(self.groups)
        w = np.zeros(n * ncon, dtype=dtype)
        base = np.arange(n, dtype=np.int64) * ncon
        base += self.group
        w[base] = 1
        if self.balance_edges:
            base += ng
            w[base] = in_degrees(graph)
        return w

    def tolerances(self, weights: np.ndarray | None, nparts: int) -> list[float] | None:
        """Allowed imbalance per constraint (METIS's ``ubvec``): METIS's 1.03, loosened for a
        constraint too coarse to meet it: ``1 + w / mean part weight`` where ``w`` is the weight of
        a typical (average non-zero) vertex, and above the heaviest vertex over the mean.

        Without this, a constraint that cannot be balanced (a node type with a few nodes per
        part) lets every other constraint drift to the same imbalance: METIS minimises the
        largest imbalance over all constraints.
        """
        if weights is None:
            return None
        w = weights.reshape(-1, self.ncon)
        total = w.sum(axis=0, dtype=np.int64).astype(np.float64)
        heaviest = w.max(axis=0).astype(np.float64) if w.size else np.zeros(self.ncon)
        typical = total / np.maximum(np.count_nonzero(w, axis=0), 1)
        mean = np.maximum(total / nparts, 1e-9)
        ub = np.maximum.reduce([np.full(self.ncon, 1.03), 1.0 + typical / mean, heaviest / mean + 0.03])
        return [float(x) for x in ub]


def in_degrees(graph: Graph) -> np.ndarray:
    """In-degree of every node of the homogeneous view (all edge types; duplicates and self-loops count)."""
    n = graph.num_nodes()
    offs, off = {}, 0
    for nt in graph.ntypes:
        offs[nt] = off
        off += graph.num_nodes(nt)
    deg = np.zeros(n, dtype=np.int64)
    for (_, _, d_t), (_, dst) in graph.edges_dict.items():
        lo, cnt = offs[d_t], graph.num_nodes(d_t)
        deg[lo: lo + cnt] += np.bincount(dst, minlength=cnt)
    return deg


def _labels(arr: Any, n: int, where: str) -> np.ndarray:
    return per_node_array(arr, n, where, BalanceError, kinds="biu", holds="integer or boolean labels",
                          array_of=" of labels")


def balance_plan(graph: Graph, balance_ntypes: Any = None, balance_edges: bool = False,
                 nparts: int = 1) -> BalancePlan:
    """Check ``balance_ntypes`` against ``graph`` and group the nodes into constraints (see module doc).

    A group with fewer nodes than ``nparts`` cannot be balanced (some partition gets none);
    as its own constraint it would only force its nodes apart and, since METIS minimises the
    worst imbalance over all constraints, let every other constraint drift as far.  It is
    counted with the largest group instead (``"merged"`` in that group's record).
    """
    n = graph.num_nodes()
    counts = [graph.num_nodes(nt) for nt in graph.ntypes]
    hetero = not graph.is_homogeneous
    per_type: list[np.ndarray | None]
    if isinstance(balance_ntypes, Mapping):
        extra = [k for k in balance_ntypes if k not in graph.num_nodes_dict]
        if extra:
            raise BalanceError(f"balance_ntypes: names node type(s) {extra} the graph does not have "
                               f"({graph.ntypes})")
        per_type = [_labels(balance_ntypes[nt], c, f"balance_ntypes[{nt!r}]") if nt in balance_ntypes else None
                    for nt, c in zip(graph.ntypes, counts)]
    elif balance_ntypes is not None:
        hint = "" if not hetero else " (one per node, node types in sorted order: " + ", ".join(graph.ntypes) + ")"
        try:
            lab = _labels(balance_ntypes, n, "balance_ntypes")
        except BalanceError as e:
            raise BalanceError(f"{e}{hint}") from None
        per_type, lo = [], 0
        for c in counts:
            per_type.append(lab[lo: lo + c])
            lo += c
    elif hetero:
        per_type = [None] * len(counts)
    else:
        return BalancePlan(None, [], bool(balance_edges))
    group = np.empty(n, dtype=np.int64)
    groups: list[dict[str, Any]] = []
    lo = 0
    for nt, c, type_labels in zip(graph.ntypes, counts, per_type):
        named = {"ntype": nt} if hetero else {}
        if type_labels is None:
            if c:
                group[lo: lo + c] = len(groups)
                groups.append(dict(named))
        elif c:
            uniq, inv = np.unique(type_labels, return_inverse=True)
            group[lo: lo + c] = inv.reshape(-1) + len(groups)
            groups.extend({**named, "label": int(u)} for u in uniq)
        lo += c
    return _merge_tiny(BalancePlan(group, groups, bool(balance_edges)), nparts)


def _merge_tiny(plan: BalancePlan, nparts: int) -> BalancePlan:
    assert plan.group is not None
    sizes = np.bincount(plan.group, minlength=len(plan.groups))
    tiny = sizes < nparts
    if not tiny.any() or tiny.all():
        return plan
    largest = int(np.argmax(sizes))
    new_id = np.cumsum(~tiny) - 1  # kept groups renumbered in order
    new_id[tiny] = new_id[largest]
    groups = [dict(g) for g, t in zip(plan.groups, tiny) if not t]
    groups[int(new_id[largest])]["merged"] = [plan.groups[i] for i in np.flatnonzero(tiny)]
    return BalancePlan(new_id[plan.group], groups, plan.balance_edges)


def symmetric_csr(graph: Graph) -> tuple[np.ndarray, np.ndarray]:
    """``(xadj, adjncy)`` of the homogeneous view made undirected, without duplicates or self-loops.

    int32 arrays when the adjacency fits (half the memory, and METIS's 32-bit build takes
    them without a copy), else int64.  Each undirected pair is a key ``u << 32 | v``; one
    in-place sort, a dedup mask, then the low halves (the neighbours) are gathered
    straight into the output.
    """
    n = graph.num_nodes()
    if n > _IDX32_MAX:
        raise BalanceError(f"METIS input too large: {n:,} nodes (at most 2**31 - 1)")
    offs, off = {}, 0
    for nt in graph.ntypes:
        offs[nt] = off
        off += graph.num_nodes(nt)
    m = sum(int(src.shape[0]) for src, _ in graph.edges_dict.values())
    k = np.empty(2 * m, dtype=np.int64)  # filled in place: no per-etype temporaries
    pos = 0
    for (s_t, _, d_t), (src, dst) in graph.edges_dict.items():
        e = int(src.shape[0])
        fwd, bwd = k[pos: pos + e], k[m + pos: m + pos + e]
        np.add(src, offs[s_t], out=fwd)
        np.add(dst, offs[d_t], out=bwd)
        loops = fwd == bwd
        np.left_shift(fwd, 32, out=fwd)
        fwd |= bwd  # (u << 32) | v
        np.left_shift(bwd, 32, out=bwd)
        np.add(bwd, src, out=bwd)
        if offs[s_t]:
            bwd += offs[s_t]  # (v << 32) | u
        if loops.any():  # self-loops: mark both directions for removal (-1 sorts first)
            fwd[loops] = -1
            bwd[loops] = -1
        pos += e
    k.sort()
    keep = np.empty(k.shape[0], dtype=bool)
    if k.size:
        keep[0] = True
        np.not_equal(k[1:], k[:-1], out=keep[1:])  # no duplicates
        keep &= k >= 0  # no self-loops
    nnz = int(np.count_nonzero(keep))
    if nnz <= _ADJ32_MAX:
        halves = k.view(np.int32)
        low, high = (halves[0::2], halves[1::2]) if np.little_endian else (halves[1::2], halves[0::2])
        adjncy = low[keep]
        counts = np.bincount(high[keep], minlength=n)
        del k, keep, halves, low, high
        xadj = np.empty(n + 1, dtype=np.int32)
        xadj[0] = 0
        np.cumsum(counts, out=xadj[1:])
        return xadj, adjncy
    k = k[keep]
    del keep
    xadj = np.searchsorted(k, np.arange(n + 1, dtype=np.int64) << 32).astype(np.int64)
    k &= 0xFFFFFFFF  # adjncy, in place
    return xadj, k
