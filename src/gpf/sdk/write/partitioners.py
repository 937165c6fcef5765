"""Node assignment: which partition owns each node (random, METIS, or given).

Every function returns an :class:`Assignment`: one small-int array per node type,
indexed by per-type node ID.  The *homogeneous view* used by METIS numbers the
nodes type-major in type-ID order (``to_homogeneous`` order), like DGL.

METIS (k-way, on the symmetrised homogeneous graph with duplicate edges and self-loops
removed) runs through :mod:`gpf.native.metis` with DGL's balance constraints
(:mod:`gpf.sdk.write.balance`): every node type of a heterogeneous graph, the labels of
``balance_ntypes`` (an array, or ``{ntype: labels}``), in-degrees with ``balance_edges``;
``objtype`` picks the objective (``"cut"`` or ``"vol"``).

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
from gpf.sdk.write.balance import symmetric_csr  # noqa: F401  (re-exported: METIS's input graph)
from gpf.sdk.write.graph import Graph
from gpf.sdk.write.node_arrays import per_node_array

__all__ = ["Assignment", "AssignmentError", "assign_nodes", "random_assignment", "metis_assignment",
           "given_assignment", "homogeneous_offsets", "part_dtype"]

AssignmentLike = Union[str, np.ndarray, "Mapping[str, Any]"]


class AssignmentError(GpfError):
    """A node assignment (given, or from METIS) is unusable; the message says where."""


@dataclass
class Assignment:
    """Owner partition of every node, per node type (``parts[ntype][per_type_id]``).

    ``trainers`` (only when ``num_trainers_per_machine > 1``) holds the int64 trainer
    group of every node, with ``parts == trainers // T``.  ``balance`` (METIS only):
    the objective and the balance constraints used, as recorded in the config.
    """

    parts: dict[str, np.ndarray]
    num_parts: int
    method: str
    trainers: dict[str, np.ndarray] | None = None
    num_trainers: int = 1
    balance: dict[str, Any] | None = None


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


def given_assignment(graph: Graph, num_parts: int, given: np.ndarray | Mapping[str, Any], *,
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
    a = per_node_array(arr, n, where, AssignmentError, kinds="iu", holds="integer partition IDs", hint=hint)
    if a.size:
        lo, hi = int(a.min()), int(a.max())
        if lo < 0 or hi >= num_parts:
            bad = lo if lo < 0 else hi
            pos = int(np.flatnonzero(a == bad)[0])
            raise AssignmentError(f"{where}[{pos}] = {bad} is not a partition ID in 0..{num_parts - 1}")
    return a


# -- METIS --------------------------------------------------------------------------------------
#: Below this many adjacency entries METIS's work memory is small (~70 bytes an entry), so it
#: runs with its defaults and keeps the best of 3 tries.  Above, with one initial partitioning
#: (as DGL) and one of DGL's two memory savers: METIS's ONDISK (coarsening levels kept on disk
#: while it works on the coarser ones, in a private temporary directory) where the graph is big
#: enough for it to act (METIS writes only levels over 128 MB), else dropping edges while
#: coarsening.  Measured at R-MAT scale 20, on disk beats dropping edges on both peak memory
#: (1.36 against 1.66 GB) and cut (1-2% fewer); at scale 18 (60 MB) only dropping edges saves
#: anything (0.45 against 0.69 GB).
SMALL_METIS_INPUT = 2**21
ONDISK_BYTES = 128 * 2**20


def metis_options(num_nodes: int, num_adjacency: int, ncon: int = 1) -> dict[str, int]:
    """METIS options by input size (see :data:`SMALL_METIS_INPUT`)."""
    if num_adjacency < SMALL_METIS_INPUT:
        return {"NCUTS": 3}
    graph_bytes = 4 * (num_nodes * (ncon + 1) + 2 * num_adjacency)  # METIS's own test, 32-bit indices
    return {"NIPARTS": 1, "ONDISK": 1} if graph_bytes >= ONDISK_BYTES else {"NIPARTS": 1, "DROPEDGES": 1}


def metis_assignment(graph: Graph, num_parts: int, *, balance_ntypes: Any = None, balance_edges: bool = False,
                     objtype: str = "cut", seed: int = 0, num_trainers_per_machine: int = 1) -> Assignment:
    """METIS k-way on the symmetrised homogeneous view, with DGL's balance constraints
    (:mod:`gpf.sdk.write.balance`) and objective (``objtype``: ``"cut"`` or ``"vol"``)."""
    from gpf.native import metis
    from gpf.sdk.write.balance import BalanceError, balance_plan

    if objtype not in metis.OBJTYPES:
        raise AssignmentError(f"objtype must be 'cut' or 'vol', got {objtype!r}")
    t = num_trainers_per_machine
    k = num_parts * t
    n = graph.num_nodes()
    try:
        plan = balance_plan(graph, balance_ntypes, balance_edges, k)  # checks the labels before the heavy work
        if k == 1 or n == 0:
            homo = np.zeros(n, dtype=np.int64)
        else:
            xadj, adjncy = symmetric_csr(graph)
            vw = plan.weights(graph, np.int32 if graph.num_edges() <= metis.IDX32_MAX else np.int64)
            homo, _ = metis.part_graph(xadj, adjncy, k, vwgt=vw, ncon=plan.ncon, ubvec=plan.tolerances(vw, k),
                                       objtype=objtype,  # type: ignore[arg-type]  # checked above
                                       seed=seed, options=metis_options(n, int(adjncy.shape[0]), plan.ncon),
                                       check=False)
            del xadj, adjncy, vw
    except (BalanceError, metis.MetisError) as e:
        raise AssignmentError(str(e)) from None
    balance = {"objtype": objtype, "constraints": plan.columns}
    if t == 1:
        asg = _finish(graph, num_parts, "metis", None, homo, 1)
    else:
        asg = _finish(graph, num_parts, "metis", homo, homo // t, t)
    asg.balance = balance
    return asg


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
    if objtype not in ("cut", "vol"):  # METIS's objective; other methods ignore it, as DGL's do
        raise AssignmentError(f"objtype must be 'cut' or 'vol', got {objtype!r}")
    if isinstance(method, str):
        if method == "metis":
            return metis_assignment(graph, num_parts, balance_ntypes=balance_ntypes, balance_edges=balance_edges,
                                    objtype=objtype, seed=seed, num_trainers_per_machine=t)
        if method == "random":
            return random_assignment(graph, num_parts, seed=seed, num_trainers_per_machine=t)
        raise AssignmentError(f"unknown partition method {method!r}: use 'metis', 'random', an array or a dict")
    return given_assignment(graph, num_parts, method, seed=seed, num_trainers_per_machine=t)
