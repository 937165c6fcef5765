"""Node assignment: which partition owns each node (random, METIS, or given).

Every function returns an :class:`Assignment`: one small-int array per node type,
indexed by per-type node ID.  The *homogeneous view* used by METIS numbers the
nodes type-major in type-ID order (``to_homogeneous`` order), like DGL.

METIS runs through ``pymetis`` (k-way, on the symmetrised homogeneous graph with
duplicate edges and self-loops removed) with DGL's balancing options:

* ``balance_ntypes``: one balance constraint per node label (vertex-weight column of
  0/1 indicators).  A heterogeneous graph is balanced per node type by default, as
  DGL does; a dict ``{ntype: labels}`` gives labels inside those types (dense
  ``0..k-1`` per type) and one constraint to each other type; an array gives a label
  per node of the homogeneous view.
* ``balance_edges``: an extra constraint column with each node's in-degree (one
  column per label when labels are given).

With ``num_trainers_per_machine = T > 1`` the nodes are first split into ``P*T``
trainer groups (``trainer_id``); the partition is ``trainer_id // T``.  METIS does
this with a ``P*T``-way partition, as DGL does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Union

import numpy as np

from gpf.errors import GpfError
from gpf.sdk.write.graph import Graph

__all__ = ["Assignment", "AssignmentError", "assign_nodes", "random_assignment", "metis_assignment",
           "given_assignment", "homogeneous_offsets", "part_dtype"]

AssignmentLike = Union[str, np.ndarray, "Mapping[str, Any]"]


class AssignmentError(GpfError):
    """A node assignment (given, or from METIS) is unusable; the message says where."""


@dataclass
class Assignment:
    """Owner partition of every node, per node type (``parts[ntype][per_type_id]``).

    ``trainers`` (only when ``num_trainers_per_machine > 1``) holds the int64 trainer
    group of every node, with ``parts == trainers // T``.
    """

    parts: dict[str, np.ndarray]
    num_parts: int
    method: str
    trainers: dict[str, np.ndarray] | None = None
    num_trainers: int = 1


def part_dtype(num_parts: int) -> np.dtype:
    """The smallest unsigned dtype holding partition IDs ``0..num_parts-1`` (radix-sortable)."""
    return np.dtype(np.uint8 if num_parts <= 256 else np.uint16 if num_parts <= 65536 else np.uint32)


def homogeneous_offsets(graph: Graph) -> dict[str, int]:
    """Start of each node type in the type-major homogeneous view."""
    out, off = {}, 0
    for nt in graph.ntypes:
        out[nt] = off
        off += graph.num_nodes(nt)
    return out


def _split(graph: Graph, homo: np.ndarray) -> dict[str, np.ndarray]:
    offs = homogeneous_offsets(graph)
    return {nt: homo[offs[nt]: offs[nt] + graph.num_nodes(nt)] for nt in graph.ntypes}


def _finish(graph: Graph, num_parts: int, method: str, trainers_homo: np.ndarray | None,
            parts_homo: np.ndarray, num_trainers: int) -> Assignment:
    parts = _split(graph, parts_homo.astype(part_dtype(num_parts), copy=False))
    trainers = _split(graph, trainers_homo.astype(np.int64, copy=False)) if trainers_homo is not None else None
    return Assignment(parts, num_parts, method, trainers, num_trainers)


def random_assignment(graph: Graph, num_parts: int, *, seed: int = 0, num_trainers_per_machine: int = 1) -> Assignment:
    """Uniformly random owner for every node (``numpy.random.default_rng(seed)``)."""
    t = num_trainers_per_machine
    rng = np.random.default_rng(seed)
    draw = rng.integers(0, num_parts * t, graph.num_nodes(), dtype=np.int64)
    if t == 1:
        return _finish(graph, num_parts, "random", None, draw, 1)
    return _finish(graph, num_parts, "random", draw, draw // t, t)


def given_assignment(graph: Graph, num_parts: int, given: "np.ndarray | Mapping[str, Any]", *,
                     seed: int = 0, num_trainers_per_machine: int = 1, source: str = "assignment") -> Assignment:
    """Validate a user assignment: one int per node of the homogeneous view, or ``{ntype: array}``.

    With ``num_trainers_per_machine = T > 1`` each partition's nodes are split among its
    ``T`` trainers at random (seeded).
    """
    if isinstance(given, Mapping):
        missing = [nt for nt in graph.ntypes if nt not in given]
        extra = [k for k in given if k not in graph.num_nodes_dict]
        if extra:
            raise AssignmentError(f"{source}: names node type(s) {extra} the graph does not have ({graph.ntypes})")
        if missing:
            raise AssignmentError(f"{source}: no array for node type(s) {missing}")
        chunks = [_check_parts(given[nt], graph.num_nodes(nt), num_parts, f"{source}[{nt!r}]") for nt in graph.ntypes]
        homo = np.concatenate(chunks) if chunks else np.zeros(0, np.int64)
    else:
        homo = _check_parts(given, graph.num_nodes(), num_parts, source,
                            hint="" if graph.is_homogeneous else
                            " (one entry per node, node types in sorted order: " + ", ".join(graph.ntypes) + ")")
    t = num_trainers_per_machine
    if t == 1:
        return _finish(graph, num_parts, "given", None, homo, 1)
    rng = np.random.default_rng(seed)
    trainers = homo.astype(np.int64) * t + rng.integers(0, t, homo.shape[0], dtype=np.int64)
    return _finish(graph, num_parts, "given", trainers, homo, t)


def _check_parts(arr: Any, n: int, num_parts: int, where: str, hint: str = "") -> np.ndarray:
    a = np.asarray(arr)
    if a.ndim != 1:
        raise AssignmentError(f"{where}: must be a 1-D array, got shape {a.shape}")
    if a.shape[0] != n:
        raise AssignmentError(f"{where}: has {a.shape[0]} entries but there are {n} nodes{hint}")
    if a.dtype.kind not in "iu":
        if a.size:
            raise AssignmentError(f"{where}: must hold integer partition IDs, got dtype {a.dtype}")
        a = a.astype(np.int64)
    if a.size:
        lo, hi = int(a.min()), int(a.max())
        if lo < 0 or hi >= num_parts:
            bad = lo if lo < 0 else hi
            pos = int(np.flatnonzero(a == bad)[0])
            raise AssignmentError(f"{where}[{pos}] = {bad} is not a partition ID in 0..{num_parts - 1}")
    return a


# -- METIS --------------------------------------------------------------------------------------
def symmetric_csr(graph: Graph) -> tuple[np.ndarray, np.ndarray]:
    """``(xadj, adjncy)`` of the homogeneous view made undirected, without duplicates or self-loops.

    Each undirected pair is a key ``u << 32 | v``; one SIMD sort, a dedup and bit masks
    (no division) give the CSR.
    """
    n = graph.num_nodes()
    if n >= 2**31:
        raise AssignmentError(f"METIS input too large: {n} nodes (at most 2**31 - 1)")
    offs = homogeneous_offsets(graph)
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
    if k.size:
        keep = np.empty(k.shape[0], dtype=bool)
        keep[0] = True
        np.not_equal(k[1:], k[:-1], out=keep[1:])  # no duplicates
        keep &= k >= 0  # no self-loops
        k = k[keep]
        del keep
    xadj = np.searchsorted(k, np.arange(n + 1, dtype=np.int64) << 32).astype(np.int64)
    k &= 0xFFFFFFFF  # adjncy, in place
    return xadj, k


def _vertex_weights(graph: Graph, balance_ntypes: Any, balance_edges: bool) -> np.ndarray | None:
    n = graph.num_nodes()
    offs = homogeneous_offsets(graph)
    labels: np.ndarray | None
    if isinstance(balance_ntypes, Mapping):
        labels = np.empty(n, dtype=np.int64)
        next_label = 0
        for nt in graph.ntypes:
            lo, cnt = offs[nt], graph.num_nodes(nt)
            if nt in balance_ntypes:
                lab = _check_parts(balance_ntypes[nt], cnt, 2**62, f"balance_ntypes[{nt!r}]")
                uniq = np.unique(lab)
                if not np.array_equal(uniq, np.arange(len(uniq))):
                    raise AssignmentError(f"balance_ntypes[{nt!r}]: labels must be 0..k-1 with none missing")
                labels[lo:lo + cnt] = lab + next_label
                next_label += len(uniq)
            else:
                labels[lo:lo + cnt] = next_label
                next_label += 1
        extra = [k for k in balance_ntypes if k not in graph.num_nodes_dict]
        if extra:
            raise AssignmentError(f"balance_ntypes: names node type(s) {extra} the graph does not have")
    elif balance_ntypes is not None:
        labels = _check_parts(balance_ntypes, n, 2**62, "balance_ntypes")
    elif not graph.is_homogeneous:
        labels = np.repeat(np.arange(len(graph.ntypes), dtype=np.int64), [graph.num_nodes(nt) for nt in graph.ntypes])
    else:
        labels = None
    cols: list[np.ndarray] = []
    if labels is not None:
        uniq, inv = np.unique(labels, return_inverse=True)
        for i in range(len(uniq)):
            cols.append((inv == i).astype(np.int64))
    if balance_edges:
        indeg = np.zeros(n, dtype=np.int64)
        for (_, _, d_t), (_, dst) in graph.edges_dict.items():
            indeg[offs[d_t]: offs[d_t] + graph.num_nodes(d_t)] += np.bincount(dst, minlength=graph.num_nodes(d_t))
        if labels is None:
            cols.append(indeg)
        else:
            for i in range(len(uniq)):
                cols.append(np.where(inv == i, indeg, 0))
    if not cols:
        return None
    return np.ascontiguousarray(np.stack(cols, axis=1)).reshape(-1)


def metis_assignment(graph: Graph, num_parts: int, *, balance_ntypes: Any = None, balance_edges: bool = False,
                     seed: int = 0, num_trainers_per_machine: int = 1, objtype: str = "cut") -> Assignment:
    """METIS k-way (pymetis) on the symmetrised homogeneous view, with DGL's balance options;
    ``objtype`` "cut" minimises the edge cut, "vol" the communication volume (METIS_OPTION_OBJTYPE)."""
    try:
        import pymetis
    except ImportError:  # pragma: no cover - pymetis is a declared extra
        raise AssignmentError("method 'metis' needs pymetis, which is not installed: pip install 'gpf[metis]' (or use method='random')") from None
    t = num_trainers_per_machine
    k = num_parts * t
    n = graph.num_nodes()
    vw = _vertex_weights(graph, balance_ntypes, balance_edges)
    if k == 1 or n == 0:
        homo = np.zeros(n, dtype=np.int64)
    else:
        xadj, adjncy = symmetric_csr(graph)
        opts = pymetis.Options(niter=1, seed=int(seed) & 0x7FFFFFFF,  # DGL sets NITER=1 too
                               objtype=OBJTYPES[objtype])
        res = pymetis.part_graph(k, pymetis.CSRAdjacency(xadj, adjncy), vweights=vw, recursive=False, options=opts)
        del xadj, adjncy
        homo = np.asarray(res.vertex_part, dtype=np.int64)
        if homo.shape[0] != n:  # pragma: no cover - defensive
            raise AssignmentError(f"METIS returned {homo.shape[0]} assignments for {n} nodes")
    if t == 1:
        return _finish(graph, num_parts, "metis", None, homo, 1)
    return _finish(graph, num_parts, "metis", homo, homo // t, t)


#: METIS objective (METIS_OBJTYPE_CUT, METIS_OBJTYPE_VOL), DGL's ``objtype``.
OBJTYPES = {"cut": 0, "vol": 1}


def assign_nodes(graph: Graph, num_parts: int, method: AssignmentLike = "metis", *, seed: int = 0,
                 balance_ntypes: Any = None, balance_edges: bool = False,
                 num_trainers_per_machine: int = 1, objtype: str = "cut") -> Assignment:
    """Dispatch on ``method``: ``"metis"``, ``"random"``, an int array or ``{ntype: array}``.
    ``objtype`` ("cut" or "vol") is METIS's objective; other methods ignore it, as DGL's do.

    With one partition every node goes to partition 0 (trainer groups still come from
    the method when ``num_trainers_per_machine > 1``).
    """
    if isinstance(num_parts, bool) or not isinstance(num_parts, (int, np.integer)) or num_parts < 1:
        raise AssignmentError(f"num_parts must be a positive integer, got {num_parts!r}")
    t = num_trainers_per_machine
    if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or t < 1:
        raise AssignmentError(f"num_trainers_per_machine must be a positive integer, got {t!r}")
    num_parts, t = int(num_parts), int(t)
    if objtype not in OBJTYPES:
        raise AssignmentError(f"objtype must be 'cut' or 'vol', got {objtype!r}")
    if isinstance(method, str):
        if method == "metis":
            return metis_assignment(graph, num_parts, balance_ntypes=balance_ntypes, balance_edges=balance_edges,
                                    seed=seed, num_trainers_per_machine=t, objtype=objtype)
        if method == "random":
            return random_assignment(graph, num_parts, seed=seed, num_trainers_per_machine=t)
        raise AssignmentError(f"unknown partition method {method!r}: use 'metis', 'random', an array or a dict")
    return given_assignment(graph, num_parts, method, seed=seed, num_trainers_per_machine=t)
