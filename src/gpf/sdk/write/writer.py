"""``gpf.partition``: partition a :class:`gpf.Graph` and write a DGL-loadable partition set.

Phases: assign nodes (:mod:`partitioners`) -> new IDs (:mod:`reshuffle`) -> per
partition, the local graph (:mod:`halo`) and its arrays, handed to the backend's
:class:`~gpf.sdk.storage.base.PartitionWriter` (:mod:`gpf.sdk.storage.registry`).  Per
partition ``p`` the writer stores:

* the local graph (``src``/``dst`` and the fields as DGL writes them);
* ``node_feats`` / ``edge_feats``: ``"ntype/name"`` / ``"src:rel:dst/name"`` ->
  the rows of the nodes / edges ``p`` owns, in new-ID order;
* ``orig_nids`` / ``orig_eids``: ``{ntype: original per-type IDs}`` /
  ``{"src:rel:dst": original per-type edge IDs}`` of the owned items in new-ID order
  (DGL's pipeline convention).

With the default ``dgl`` backend these are DGL's files in ``OUT/part{p}/`` (``graph.dgl``,
``node_feat.dgl``...; see :mod:`gpf.sdk.storage.dgl_writer`).  Every file is written
atomically, data files first; the config (``OUT/<graph_name>.json``, or the root
attributes of a Zarr store) is written last, so an interrupted run never leaves a
config that points at partial data.  Features are gathered one feature of one partition at a time, straight from
the input arrays (no homogeneous copy of heterogeneous features).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from gpf.errors import GpfError, UnsupportedError
from gpf.sdk.storage.base import PartGraph, PartitionWriter
from gpf.sdk.storage.registry import BACKENDS
from gpf.sdk.write.graph import Graph, GraphError, etype_key
from gpf.sdk.write.halo import HaloBuilder, LocalGraph
from gpf.sdk.write.options import PartitionOptions
from gpf.sdk.write.partitioners import Assignment, AssignmentLike, assign_nodes
from gpf.sdk.write.reshuffle import Reshuffle, reshuffle
from gpf.sdk.write.set_writer import open_set_writer, write_set

__all__ = ["partition", "PartitionReport", "PartitionOptions", "write_partitions", "BACKENDS"]


@dataclass
class PartitionReport:
    """What a :func:`partition` run did (also printed as one line)."""

    config_path: str
    graph_name: str
    num_parts: int
    method: str
    num_nodes: int
    num_edges: int
    edge_cut: int
    node_balance: float
    edge_balance: float
    seconds: float
    phase_seconds: dict[str, float]

    def line(self) -> str:
        cut = 100.0 * self.edge_cut / self.num_edges if self.num_edges else 0.0
        return (f"partitioned {self.graph_name!r} ({self.num_nodes:,} nodes, {self.num_edges:,} edges) into "
                f"{self.num_parts} parts ({self.method}) in {self.seconds:.1f}s: edge cut {self.edge_cut:,} "
                f"({cut:.1f}%), balance nodes {self.node_balance:.3f} edges {self.edge_balance:.3f} (max/mean) "
                f"-> {self.config_path}")


def partition(
    graph: Graph,
    num_parts: int,
    out_dir: str | os.PathLike[str],
    graph_name: str,
    method: AssignmentLike = "metis",
    halo_hops: int = 1,
    backend: str = "dgl",
    balance_edges: bool = False,
    balance_ntypes: Any = None,
    num_trainers_per_machine: int = 1,
    seed: int = 0,
    *,
    overwrite: bool = False,
    verbose: bool = True,
    compressor: str | None = None,
    chunk_rows: int | None = None,
    objtype: str = "cut",
    graph_formats: str | Sequence[str] | None = None,
    graphbolt: bool = False,
    store_eids: bool = False,
    store_inner_node: bool = False,
    store_inner_edge: bool = False,
    dgl_graph: bool = True,
):
    """Partition ``graph`` into ``num_parts`` and write the set to ``out_dir``; return it opened.

    ``method``: ``"metis"``, ``"random"`` (seeded), an int array with one partition ID per
    node (node types in sorted order) or ``{ntype: array}``.  METIS balances DGL's
    constraints (:mod:`gpf.sdk.write.balance`): every node type of a heterogeneous graph;
    ``balance_ntypes`` (an array of labels, or ``{ntype: labels}`` such as a train mask) adds
    one per label; ``balance_edges`` balances in-edges too.  ``halo_hops`` >= 1.
    ``backend``: ``"dgl"`` (files DGL loads), ``"npy"``,
    ``"hdf5"`` or ``"zarr"`` (then ``out_dir`` is the Zarr store: a path or an fsspec URL);
    ``compressor`` and ``chunk_rows`` tune hdf5 and zarr (see ``gpf.sdk.storage``).
    ``num_trainers_per_machine > 1`` adds ``trainer_id`` node and edge features as DGL
    does.  An existing ``<graph_name>.json`` in ``out_dir`` is an error unless
    ``overwrite``.  With ``verbose``, progress bars (on a terminal) and a one-line
    summary on stderr.

    DGL ``partition_graph`` options (same meanings and defaults; ``dgl`` backend only where noted):
    ``objtype`` ("cut"/"vol", METIS's objective); ``graph_formats`` (sparse formats saved in
    ``graph.dgl``: None = COO, or any of "coo", "csr", "csc"); ``graphbolt`` (DGL's
    ``use_graphbolt``: also write ``partN/fused_csc_sampling_graph.pt``, directly from the
    partition arrays) with ``store_eids``, ``store_inner_node``, ``store_inner_edge`` (optional
    GraphBolt fields; every field when ``DGL_DIST_DEBUG`` is set, as DGL).  ``dgl_graph=False``
    with ``graphbolt=True`` leaves ``graph.dgl`` out (a GraphBolt-only set).
    """
    options = PartitionOptions.from_keywords(
        method=method, halo_hops=halo_hops, backend=backend, balance_edges=balance_edges,
        balance_ntypes=balance_ntypes, num_trainers_per_machine=num_trainers_per_machine, seed=seed,
        overwrite=overwrite, progress=verbose, compressor=compressor, chunk_rows=chunk_rows, objtype=objtype,
        graph_formats=graph_formats, graphbolt=graphbolt, store_eids=store_eids, store_inner_node=store_inner_node,
        store_inner_edge=store_inner_edge, dgl_graph=dgl_graph)
    ps, report = write_partitions(graph, num_parts, out_dir, graph_name, options)
    if verbose:
        print(report.line(), file=sys.stderr)
    return ps


def _check_args(graph: Any, graph_name: Any, halo_hops: Any, backend: Any) -> None:
    if not isinstance(graph, Graph):
        raise GraphError(f"graph must be a gpf.Graph, got {type(graph).__name__} "
                         "(build one with gpf.Graph(...) or gpf.Graph.homogeneous(src, dst, ...))")
    if not isinstance(graph_name, str) or not graph_name or graph_name in (".", "..") \
            or any(c in graph_name for c in "/\\\x00") or graph_name.startswith("."):
        raise GpfError(f"graph_name {graph_name!r} must be a non-empty file-name-safe string "
                       "(no '/', '\\', leading '.')")
    if isinstance(halo_hops, bool) or not isinstance(halo_hops, (int, np.integer)) or halo_hops < 1:
        raise GpfError(f"halo_hops must be an integer >= 1, got {halo_hops!r} "
                       "(with 0, DGL's partition graphs lose the cut edges)")
    if backend not in BACKENDS:
        raise UnsupportedError(f"backend {backend!r} is not supported by the writer (use one of {list(BACKENDS)})")


def write_partitions(graph: Graph, num_parts: int, out_dir: str | os.PathLike[str], graph_name: str,
                     options: PartitionOptions | None = None, **keywords: Any) -> tuple[Any, PartitionReport]:
    """:func:`partition` without printing; returns ``(PartitionSet, PartitionReport)``.

    ``options`` (a :class:`~gpf.sdk.write.options.PartitionOptions`) says how; keywords (``method``,
    ``backend``, ``progress``, ... as :func:`partition` names them) replace its fields."""
    from gpf.sdk.memory import reuse_freed_memory, without_hugepage_advice

    options = options or PartitionOptions()
    if keywords:
        options = options.replace(**keywords)
    with reuse_freed_memory(), without_hugepage_advice():
        return _write_partitions(graph, num_parts, out_dir, graph_name, options)


def _write_partitions(graph: Graph, num_parts: int, out_dir: str | os.PathLike[str], graph_name: str,
                      options: PartitionOptions) -> tuple[Any, PartitionReport]:
    from gpf.progress import track
    from gpf.sdk.read.reader import open_set

    t0 = time.perf_counter()
    o, progress = options, options.write.progress
    _check_args(graph, graph_name, o.halo_hops, o.write.backend)
    store = open_set_writer(out_dir, graph_name, o.write)
    phases: dict[str, float] = {}

    from gpf.progress import enabled as _tty

    say = (lambda msg: print(msg, file=sys.stderr, flush=True)) if progress and _tty() else (lambda _m: None)
    tick = time.perf_counter()
    say(f"assigning nodes ({o.method if isinstance(o.method, str) else 'given'})...")
    asg = assign_nodes(graph, num_parts, o.method, seed=o.seed, balance_ntypes=o.balance_ntypes,
                       balance_edges=o.balance_edges, num_trainers_per_machine=o.num_trainers_per_machine,
                       objtype=o.objtype)
    if asg.trainers is not None:
        _check_trainer_name(graph)
    phases["assign"] = time.perf_counter() - tick

    tick = time.perf_counter()
    say("reshuffling IDs...")
    rs = reshuffle(graph, asg)
    _check_nonempty(rs)
    with_types = (not graph.is_homogeneous) or asg.num_parts == 1
    builder = HaloBuilder(rs, int(o.halo_hops), with_types=with_types)
    phases["reshuffle"] = time.perf_counter() - tick

    # Past this point only I/O can fail: write_set removes a config being replaced *first*,
    # so no config ever points at a mix of old and new files.
    P = asg.num_parts

    def write_parts(writer: PartitionWriter) -> list[dict[str, Any]]:
        if hasattr(writer, "set_shape"):  # the dgl backend's GraphBolt files depend on the whole set's shape
            from gpf.sdk.storage.dgl_writer import SetShape

            writer.set_shape(SetShape(ntypes=list(rs.ntypes), etypes=[etype_key(et) for et in rs.etypes],
                                      num_nodes=rs.num_nodes, num_edges=rs.num_edges, num_parts=asg.num_parts))
        parts: list[dict[str, Any]] = []
        # The main thread builds partition p+1 while one writer thread writes partition p
        # (file writes and numpy gathers release the GIL); at most two partitions in memory.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="gpf-writer") as pool:
            pending: Future[dict[str, Any]] | None = None
            for p in track(range(P), total=P, description="writing partitions") if progress else range(P):
                local = builder.build(p)
                if pending is not None:
                    parts.append(pending.result())
                pending = pool.submit(_write_partition, graph, asg, rs, local, p, writer)
                del local
            if pending is not None:
                parts.append(pending.result())
        return parts

    tick = time.perf_counter()
    config_path = write_set(store, write_parts,
                            lambda parts: _config(graph, graph_name, asg, rs, int(o.halo_hops), parts))
    phases["write"] = time.perf_counter() - tick
    node_sizes = rs.node_ranges[:, :, 1].max(axis=0) - rs.node_ranges[:, :, 0].min(axis=0)
    edge_sizes = (rs.edge_ranges[:, :, 1] - rs.edge_ranges[:, :, 0]).sum(axis=0)
    report = PartitionReport(
        config_path=config_path, graph_name=graph_name, num_parts=P,
        method=asg.method, num_nodes=rs.num_nodes, num_edges=rs.num_edges, edge_cut=builder.edge_cut,
        node_balance=_balance(node_sizes), edge_balance=_balance(edge_sizes),
        seconds=time.perf_counter() - t0, phase_seconds=phases)
    return open_set(config_path), report


def _balance(sizes: np.ndarray) -> float:
    mean = float(sizes.mean()) if sizes.size else 0.0
    return float(sizes.max()) / mean if mean else 1.0


def _check_trainer_name(graph: Graph) -> None:
    for nt, frame in graph.ndata.items():
        if "trainer_id" in frame:
            raise GraphError(f"graph: node type {nt!r} has a feature 'trainer_id', which "
                             "num_trainers_per_machine > 1 writes itself")
    for et, frame in graph.edata.items():
        if "trainer_id" in frame:
            raise GraphError(f"graph: edge type {etype_key(et)!r} has a feature 'trainer_id', which "
                             "num_trainers_per_machine > 1 writes itself")


def _check_nonempty(rs: Reshuffle) -> None:
    sizes = rs.node_ranges[:, :, 1].max(axis=0) - rs.node_ranges[:, :, 0].min(axis=0) \
        if rs.node_ranges.shape[0] else np.zeros(rs.num_parts, np.int64)
    empty = np.flatnonzero(sizes == 0)
    if empty.size:
        raise GpfError(f"partition {int(empty[0])} would own no nodes ({len(empty)} empty partition(s) of "
                       f"{rs.num_parts}); DGL cannot load an empty partition: use fewer partitions or "
                       "another assignment")


def _take(arr: np.ndarray, idx: np.ndarray) -> Callable[[], np.ndarray]:
    return lambda: np.take(arr, idx, axis=0)


def _given(a: np.ndarray) -> Callable[[], np.ndarray]:
    """An array the partition writer asks for when it writes it: here already."""
    return lambda: a


def _trainer_of_edges(trainers: np.ndarray, dst: np.ndarray, eids: np.ndarray) -> Callable[[], np.ndarray]:
    """The trainer of each edge ``eids`` (its destination's), computed when written."""
    return lambda: trainers[dst[eids]]


def _write_partition(graph: Graph, asg: Assignment, rs: Reshuffle, lg: LocalGraph, p: int,
                     store: PartitionWriter) -> dict[str, Any]:

    nfeat: dict[str, Callable[[], np.ndarray]] = {}
    nids: dict[str, Callable[[], np.ndarray]] = {}
    for nt in rs.ntypes:
        idx = rs.owned_orig_nids(nt, p)
        nids[nt] = _given(idx)
        for name, arr in graph.ndata[nt].items():
            nfeat[f"{nt}/{name}"] = _take(arr, idx)
        if asg.trainers is not None:
            nfeat[f"{nt}/trainer_id"] = _take(asg.trainers[nt], idx)
    efeat: dict[str, Callable[[], np.ndarray]] = {}
    eids: dict[str, Callable[[], np.ndarray]] = {}
    for et in rs.etypes:
        idx = rs.owned_orig_eids(et, p)
        key = etype_key(et)
        eids[key] = _given(idx)
        for name, arr in graph.edata[et].items():
            efeat[f"{key}/{name}"] = _take(arr, idx)
        if asg.trainers is not None:
            dst = graph.edges_dict[et][1]
            tr = asg.trainers[et[2]]
            efeat[f"{key}/trainer_id"] = _trainer_of_edges(tr, dst, idx)
    part = PartGraph(lg.num_nodes, lg.src, lg.dst, lg.ndata, lg.edata)
    return store.write_part(p, part, {"node_feats": nfeat, "edge_feats": efeat, "orig_nids": nids,
                                      "orig_eids": eids})


def _config(graph: Graph, graph_name: str, asg: Assignment, rs: Reshuffle, halo_hops: int,
            parts: list[dict[str, Any]]):
    from gpf.spec import PartFiles, PartitionConfig

    return PartitionConfig(
        graph_name=graph_name,
        num_nodes=rs.num_nodes,
        num_edges=rs.num_edges,
        part_method=asg.method,
        num_parts=asg.num_parts,
        halo_hops=halo_hops,
        node_map={nt: [(int(s), int(e)) for s, e in rs.node_ranges[t]] for t, nt in enumerate(rs.ntypes)},
        edge_map={etype_key(et): [(int(s), int(e)) for s, e in rs.edge_ranges[r]] for r, et in enumerate(rs.etypes)},
        ntypes={nt: t for t, nt in enumerate(rs.ntypes)},
        etypes={etype_key(et): r for r, et in enumerate(rs.etypes)},
        parts=[PartFiles(**files) for files in parts],
        balance_constraints=asg.balance,
    )
