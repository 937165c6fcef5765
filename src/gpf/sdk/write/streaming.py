"""Out-of-core partitioning of a chunked graph (DGL's pipeline input), in-process or on Dask.

``partition_chunked(metadata.json, P, out_dir)`` writes the same files, byte for byte, as
``gpf.partition(load_graph(metadata.json), P, out_dir)`` for ``halo_hops=1``, without
ever holding the edge list or a feature in one process.  The only global arrays are per
node: the owner partition (1-4 bytes) and the new ID (8 bytes).  Work runs as
independent tasks (:mod:`gpf.parallel`): in this process, on a local Dask cluster
(``workers=N``) or on an existing one (``scheduler=`` / ``client=``); tasks exchange only
paths and small arrays, and spill their outputs as ``.npy`` files under
``<out_dir>/.gpf-spill-*`` (removed at the end), so workers must share that file system.

Phases (docs/memory-model.md gives the bytes each one holds):

1. assign (driver): owners by random / given / METIS (METIS needs the structure in one
   process); new IDs: partition-major, type-minor, stable (as :mod:`gpf.sdk.write.reshuffle`).
2. stage edges, one task per edge chunk: parse (csv / numpy / parquet), check IDs, save
   as ``.npy``, count edges per destination owner.
3. route edges, one task per edge chunk: new edge IDs; each edge to its destination's
   partition, a cut edge also to its source's partition (the 1-hop HALO out-edges).
4. route features, one task per feature chunk: each row to its owner's partition.
5. build, one task per partition: the local graph with its HALO (as
   :class:`gpf.sdk.write.halo.HaloBuilder`), written in DGL's layout.
6. driver: checks every partition's counts against the ranges, writes the config last.

HALO depth is 1, as in DGL's distributed pipeline; ``num_trainers_per_machine`` is 1.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from gpf.errors import GpfError, UnsupportedError
from gpf.sdk.write.graph import CanonicalEtype, Graph, GraphError, etype_key
from gpf.sdk.write.inputs import ChunkedMeta, data_chunk_rows, load_assignment, parse_chunked, read_data_chunk
from gpf.sdk.write.options import PartitionOptions, WriteOptions
from gpf.sdk.write.partitioners import assign_nodes, part_dtype
from gpf.sdk.write.reshuffle import _layout
from gpf.sdk.write.set_writer import open_set_writer, write_set
from gpf.spec.models import is_homogeneous

__all__ = ["partition_chunked"]


@dataclass(frozen=True)
class Job:
    """What every task needs to find its inputs: small and picklable."""

    meta_path: str
    spill: str
    out: str
    graph_name: str
    num_parts: int
    ntypes: tuple[str, ...]
    etypes: tuple[CanonicalEtype, ...]
    write: WriteOptions = WriteOptions()

    def writer(self):
        """The set's writer, opened in this process (tasks on Dask workers open their own)."""
        from gpf.sdk.storage.registry import open_writer

        return open_writer(self.write.backend, self.out, self.graph_name, **self.write.writer_options())

    def meta(self) -> ChunkedMeta:
        return parse_chunked(self.meta_path)

    def file(self, name: str, part: int | None = None) -> str:
        return os.path.join(self.spill, name if part is None else os.path.join(f"p{part}", name))

    def load(self, name: str, part: int | None = None, mmap: bool = True) -> np.ndarray:
        return np.load(self.file(name, part), mmap_mode="r" if mmap else None, allow_pickle=False)

    def save(self, name: str, arr: np.ndarray, part: int | None = None) -> None:
        np.save(self.file(name, part), arr, allow_pickle=False)


def partition_chunked(metadata: str | os.PathLike[str], num_parts: int, out_dir: str | os.PathLike[str],
                      graph_name: str | None = None, *, method: Any = "random", halo_hops: int = 1, seed: int = 0,
                      balance_edges: bool = False, balance_ntypes: Any = None, overwrite: bool = False,
                      backend: str = "dgl", compressor: str | None = None, chunk_rows: int | None = None,
                      workers: int | None = None, scheduler: str | None = None, client: Any = None,
                      spill_dir: str | os.PathLike[str] | None = None, progress: bool = False):
    """Partition the chunked graph at ``metadata`` (its ``metadata.json`` or folder) out of core.

    ``method``: ``"random"``, ``"metis"``, an assignment array / ``{ntype: array}``, or the
    path of one (``.npy`` / ``.npz``, as ``gpf partition --assignment``).  ``backend``,
    ``compressor``, ``chunk_rows``: as :func:`gpf.partition`.  ``spill_dir``: where the
    intermediate ``.npy`` files go (default: inside ``out_dir`` for a local directory
    backend, beside a local Zarr store, the system temp dir for URLs); on a multi-machine
    cluster it must be a shared file system.  Returns ``(PartitionSet, PartitionReport)``
    like :func:`gpf.sdk.write.writer.write_partitions`.
    """

    options = PartitionOptions.from_keywords(method=method, halo_hops=halo_hops, seed=seed, balance_edges=balance_edges,
                                             balance_ntypes=balance_ntypes, overwrite=overwrite, backend=backend,
                                             compressor=compressor, chunk_rows=chunk_rows, progress=progress)
    return _partition_chunked(metadata, num_parts, out_dir, graph_name, options, workers=workers,
                              scheduler=scheduler, client=client, spill_dir=spill_dir)


def _check_streamable(options: PartitionOptions) -> None:
    """The out-of-core writer minimises METIS's edge cut and writes DGL's default files only:
    refuse ``objtype``/DGL file options rather than ignore them (``gpf convert`` adds GraphBolt files)."""
    unset = PartitionOptions()
    given = [name for name in ("objtype",) if getattr(options, name) != getattr(unset, name)]
    given += [name for name in ("graph_formats", "graphbolt", "store_eids", "store_inner_node", "store_inner_edge",
                                "dgl_graph") if getattr(options.write, name) != getattr(unset.write, name)]
    if given:
        raise UnsupportedError(f"{', '.join(given)}: not supported by the out-of-core writer; partition in memory, "
                               "or write the set, then `gpf convert SRC DST --graphbolt [--store-...] "
                               "[--graph-formats ...]`")


def _partition_chunked(metadata: str | os.PathLike[str], num_parts: int, out_dir: str | os.PathLike[str],
                       graph_name: str | None, options: PartitionOptions, *, workers: int | None,
                       scheduler: str | None, client: Any, spill_dir: str | os.PathLike[str] | None):
    from gpf.sdk import paths
    from gpf.sdk.read.reader import open_set
    from gpf.sdk.write.writer import PartitionReport, _balance

    _check_streamable(options)
    o, backend, progress = options, options.write.backend, options.write.progress
    method, halo_hops = o.method, o.halo_hops
    t0 = time.perf_counter()
    meta_path = os.fspath(metadata)
    if os.path.isdir(meta_path):
        meta_path = os.path.join(meta_path, "metadata.json")
    if int(halo_hops) != 1:
        raise UnsupportedError(f"out-of-core partitioning builds 1-hop HALO only (as DGL's distributed pipeline); "
                               f"got halo_hops={halo_hops}: partition in memory for deeper HALO")
    cm = parse_chunked(meta_path)
    graph_name = graph_name or cm.graph_name or "graph"
    out = os.fspath(out_dir)
    if not paths.is_url(out):
        out = os.path.abspath(out)
    job = Job(os.path.abspath(meta_path), "", out, graph_name, int(num_parts), tuple(cm.counts), tuple(cm.etypes),
              o.write)
    store = open_set_writer(out, graph_name, o.write)
    config_path = store.config_path
    if spill_dir is None and not paths.is_url(out):
        spill_dir = out if backend != "zarr" else os.path.dirname(out)
    if spill_dir is not None:
        os.makedirs(spill_dir, exist_ok=True)
    spill = tempfile.mkdtemp(prefix=".gpf-spill-", dir=None if spill_dir is None else os.fspath(spill_dir))
    job = dataclasses.replace(job, spill=spill)
    phases: dict[str, float] = {}
    try:
        tick = time.perf_counter()
        asg = _assign(cm, job, method, o.seed, o.balance_edges, o.balance_ntypes)
        node_ranges = _save_node_ids(job, asg.parts, cm.counts)
        phases["assign"] = time.perf_counter() - tick
        done: dict[str, Any] = {}
        # write_set: begin (the old config goes first), the tasks below write the partitions, commit
        write_set(store, lambda _writer: _write_parts(cm, job, node_ranges, workers, scheduler, client, progress,
                                                      phases, done),
                  lambda entries: _config(graph_name, asg.method, node_ranges, done["edge_ranges"], job, entries,
                                          asg.balance))
    finally:
        shutil.rmtree(spill, ignore_errors=True)
    edge_ranges, cuts = done["edge_ranges"], done["cuts"]
    node_sizes = node_ranges[:, :, 1].max(axis=0) - node_ranges[:, :, 0].min(axis=0)
    edge_sizes = (edge_ranges[:, :, 1] - edge_ranges[:, :, 0]).sum(axis=0)
    report = PartitionReport(
        config_path=config_path, graph_name=graph_name, num_parts=job.num_parts, method=asg.method,
        num_nodes=int(sum(cm.counts.values())), num_edges=int(edge_sizes.sum()), edge_cut=int(sum(cuts)),
        node_balance=_balance(node_sizes), edge_balance=_balance(edge_sizes),
        seconds=time.perf_counter() - t0, phase_seconds=phases)
    return open_set(config_path), report


def _write_parts(cm: ChunkedMeta, job: Job, node_ranges: np.ndarray, workers: int | None, scheduler: str | None,
                 client: Any, progress: bool, phases: dict[str, float], done: dict[str, Any]) -> list[dict[str, Any]]:
    """Stage and route edges and features, then build and write every partition (tasks); the
    ``part-N`` entries, in partition order.  ``done`` gets the edge ranges and the cut per chunk."""
    from gpf.parallel import runner

    with runner(workers, scheduler, client) as run:
        tick = time.perf_counter()
        chunks = [(r, c) for r, et in enumerate(cm.etypes) for c in range(len(cm.edge_files[et]))]
        staged = run.map(_stage_edges, [(job, r, c) for r, c in chunks], description="staging edges",
                         progress=progress)
        edge_ranges, starts, bases = _edge_layout(cm, job, chunks, staged)
        cuts = run.map(_route_edges, [(job, r, c, starts[r, c], bases[r, c]) for r, c in chunks],
                       description="routing edges", progress=progress)
        feats = _feature_tasks(cm, job)
        rows = run.map(_chunk_rows, [(job, *f) for f in feats], description="sizing features")
        _check_feature_rows(cm, job, feats, rows, edge_ranges)
        offsets = _offsets(feats, rows)
        run.map(_route_feature, [(job, *f, off) for f, off in zip(feats, offsets)],
                description="routing features", progress=progress)
        phases["route"] = time.perf_counter() - tick
        tick = time.perf_counter()
        built = run.map(_build_partition, [(job, p, node_ranges, edge_ranges) for p in range(job.num_parts)],
                        description="writing partitions", progress=progress)
        phases["write"] = time.perf_counter() - tick
    _check_built(built, node_ranges, edge_ranges)
    done["edge_ranges"], done["cuts"] = edge_ranges, cuts
    return [b["entry"] for b in built]


# -- 1. assignment and node IDs (driver) ---------------------------------------------------------------
def _assign(cm: ChunkedMeta, job: Job, method: Any, seed: int, balance_edges: bool, balance_ntypes: Any):
    if isinstance(method, (str, os.PathLike)) and os.fspath(method) not in ("random", "metis"):
        method = load_assignment(method)
    if isinstance(method, str) and method == "metis":  # METIS needs the whole structure, in this process
        edges = {}
        for et in cm.etypes:
            pairs = [cm.read_edge_chunk(et, c) for c in range(len(cm.edge_files[et]))]
            both = np.concatenate(pairs) if pairs else np.zeros((0, 2), np.int64)
            edges[et] = (both[:, 0], both[:, 1])
        structure = Graph(cm.counts, edges)
    else:  # random / given need only the node counts
        empty = np.zeros(0, dtype=np.int64)
        structure = Graph(cm.counts, {et: (empty, empty) for et in cm.etypes})
    asg = assign_nodes(structure, job.num_parts, method, seed=seed, balance_ntypes=balance_ntypes,
                       balance_edges=balance_edges)
    del structure
    sizes = sum(np.bincount(a, minlength=job.num_parts)[: job.num_parts] for a in asg.parts.values())
    empty = np.flatnonzero(np.asarray(sizes) == 0)
    if empty.size:
        raise GpfError(f"partition {int(empty[0])} would own no nodes ({len(empty)} empty partition(s) of "
                       f"{job.num_parts}); DGL cannot load an empty partition: use fewer partitions or another "
                       "assignment")
    return asg


def _save_node_ids(job: Job, parts: dict[str, np.ndarray], counts: dict[str, int]) -> np.ndarray:
    """Owners and new IDs of every node (spilled for the tasks); returns ``node_ranges`` (T, P, 2)."""
    P = job.num_parts
    for p in range(P):
        os.makedirs(job.file(f"p{p}"), exist_ok=True)
    node_counts = np.zeros((len(job.ntypes), P), dtype=np.int64)
    for t, nt in enumerate(job.ntypes):
        node_counts[t] = np.bincount(parts[nt], minlength=P)[:P] if counts[nt] else 0
    node_ranges, typed = _layout(node_counts)
    for t, nt in enumerate(job.ntypes):
        order = np.argsort(parts[nt], kind="stable")
        hid = np.empty(counts[nt], dtype=np.int64)
        hid[order] = np.concatenate([np.arange(s, e, dtype=np.int64) for s, e in node_ranges[t]] or
                                    [np.zeros(0, np.int64)])
        job.save(f"parts-{t}.npy", parts[nt])
        job.save(f"hid-{t}.npy", hid)
        for p in range(P):
            job.save(f"orig-nids-{t}.npy", order[typed[t, p]: typed[t, p + 1]], part=p)
    return node_ranges


# -- 2./3. edges (one task per chunk) ---------------------------------------------------------------
def _stage_edges(job: Job, r: int, c: int) -> tuple[int, np.ndarray]:
    """Parse one edge chunk, save it as ``.npy``; ``(rows, edges per destination owner)``."""
    et = job.etypes[r]
    pairs = job.meta().read_edge_chunk(et, c)
    job.save(f"edges-{r}-{c}.npy", pairs)
    dst_parts = job.load(f"parts-{job.ntypes.index(et[2])}.npy")
    owner = np.asarray(dst_parts[pairs[:, 1]])
    return int(pairs.shape[0]), np.bincount(owner, minlength=job.num_parts)[: job.num_parts]


def _edge_layout(cm: ChunkedMeta, job: Job, chunks: list[tuple[int, int]], staged: list):
    """Edge ranges (R, P, 2), and per chunk its first per-type row and first new EID per partition."""
    R, P = len(job.etypes), job.num_parts
    per_chunk: dict[int, list] = {r: [] for r in range(R)}
    for (r, _c), res in zip(chunks, staged):
        per_chunk[r].append(res)
    counts = np.zeros((R, P), dtype=np.int64)
    for r, et in enumerate(job.etypes):
        rows = [n for n, _ in per_chunk[r]]
        want = cm.edge_chunk_counts[et]
        if want is not None and sum(want) != sum(rows):
            raise GraphError(f"{cm.edge_where(et)}: {sum(rows)} edges read but num_edges_per_chunk says {sum(want)}")
        if per_chunk[r]:
            counts[r] = np.sum([k for _, k in per_chunk[r]], axis=0)
    edge_ranges, _typed = _layout(counts)
    starts, bases = {}, {}
    for r in range(R):
        row, seen = 0, np.zeros(P, dtype=np.int64)
        for c, (n, k) in enumerate(per_chunk[r]):
            starts[r, c], bases[r, c] = row, edge_ranges[r, :, 0] + seen
            row += n
            seen = seen + k
        np.lib.format.open_memmap(job.file(f"edge-owner-{r}.npy"), mode="w+", dtype=part_dtype(P), shape=(row,))
    return edge_ranges, starts, bases


def _groups(keys: np.ndarray, num: int) -> tuple[np.ndarray, np.ndarray]:
    """``(order, ptr)``: ``order[ptr[k]:ptr[k+1]]`` are the positions holding key ``k``, ascending."""
    order = np.argsort(keys, kind="stable")
    ptr = np.zeros(num + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys, minlength=num)[:num], out=ptr[1:])
    return order, ptr


#: Edges routed per step of a route task: bounds its memory (~90 bytes per edge) whatever the chunk size.
ROUTE_BLOCK = 1 << 21


def _route_edges(job: Job, r: int, c: int, start: int, base: np.ndarray) -> int:
    """New EIDs of one chunk; inner edges to their destination's partition, cut edges also to their
    source's.  Works in blocks of :data:`ROUTE_BLOCK` edges.  Returns the number of cut edges."""
    et = job.etypes[r]
    s_t, d_t = job.ntypes.index(et[0]), job.ntypes.index(et[2])
    pairs = job.load(f"edges-{r}-{c}.npy")
    maps = {name: job.load(name) for name in (f"parts-{s_t}.npy", f"parts-{d_t}.npy", f"hid-{s_t}.npy",
                                               f"hid-{d_t}.npy")}
    owner_file = np.load(job.file(f"edge-owner-{r}.npy"), mmap_mode="r+")
    seen = np.zeros(job.num_parts, dtype=np.int64)
    cuts = 0
    for b, lo in enumerate(range(0, pairs.shape[0], ROUTE_BLOCK)):
        block = np.asarray(pairs[lo: lo + ROUTE_BLOCK])
        src, dst = block[:, 0], block[:, 1]
        sp, dp = np.asarray(maps[f"parts-{s_t}.npy"][src]), np.asarray(maps[f"parts-{d_t}.npy"][dst])
        hs, hd = np.asarray(maps[f"hid-{s_t}.npy"][src]), np.asarray(maps[f"hid-{d_t}.npy"][dst])
        del block, src, dst
        owner_file[start + lo: start + lo + dp.shape[0]] = dp
        order, ptr = _groups(dp, job.num_parts)
        eid = np.empty(dp.shape[0], dtype=np.int64)
        for p in range(job.num_parts):
            rows = order[ptr[p]: ptr[p + 1]]
            if rows.size:
                eid[rows] = base[p] + seen[p] + np.arange(rows.size, dtype=np.int64)
                job.save(f"in-{r}-{c}-{b}.npy", np.stack([eid[rows], hs[rows], hd[rows], start + lo + rows]), part=p)
        seen += ptr[1:] - ptr[:-1]
        cut = np.flatnonzero(sp != dp)
        order, ptr = _groups(sp[cut], job.num_parts)
        for p in range(job.num_parts):
            rows = cut[order[ptr[p]: ptr[p + 1]]]
            if rows.size:
                job.save(f"out-{r}-{c}-{b}.npy", np.stack([eid[rows], hs[rows], hd[rows]]), part=p)
        cuts += int(cut.size)
    owner_file.flush()
    del owner_file, pairs
    os.unlink(job.file(f"edges-{r}-{c}.npy"))
    return cuts


# -- 4. features (one task per chunk) ----------------------------------------------------------------
def _feature_tasks(cm: ChunkedMeta, job: Job) -> list[tuple[str, int, int, int]]:
    """``(kind, type index, feature index, chunk)`` for every feature chunk, in file order."""
    out = []
    for t, nt in enumerate(job.ntypes):
        for f, spec in enumerate(cm.node_data.get(nt, [])):
            out += [("node", t, f, c) for c in range(len(spec.files))]
    for r, et in enumerate(job.etypes):
        for f, spec in enumerate(cm.edge_data.get(et, [])):
            out += [("edge", r, f, c) for c in range(len(spec.files))]
    return out


def _spec(cm: ChunkedMeta, job: Job, kind: str, t: int, f: int):
    return cm.node_data[job.ntypes[t]][f] if kind == "node" else cm.edge_data[job.etypes[t]][f]


def _chunk_rows(job: Job, kind: str, t: int, f: int, c: int) -> int:
    return data_chunk_rows(_spec(job.meta(), job, kind, t, f), c)


def _check_feature_rows(cm: ChunkedMeta, job: Job, feats: list, rows: list[int], edge_ranges: np.ndarray) -> None:
    """Every feature has exactly one row per node / edge of its type."""
    total: dict[tuple[str, int, int], int] = {}
    for (kind, t, f, _c), n in zip(feats, rows):
        total[kind, t, f] = total.get((kind, t, f), 0) + n
    for (kind, t, f), n in total.items():
        if kind == "node":
            want = cm.counts[job.ntypes[t]]
        else:
            want = int((edge_ranges[t, :, 1] - edge_ranges[t, :, 0]).sum())
        if n != want:
            raise GraphError(f"{_spec(cm, job, kind, t, f).where}: {n} rows in its chunks, expected {want} "
                             f"(one per {kind})")


def _offsets(feats: list, rows: list[int]) -> list[int]:
    out, run, last = [], 0, None
    for key, n in zip(feats, rows):
        if key[:3] != last:
            run, last = 0, key[:3]
        out.append(run)
        run += n
    return out


def _route_feature(job: Job, kind: str, t: int, f: int, c: int, start: int) -> None:
    """Rows of one feature chunk to their owners' partitions (a file for every partition)."""
    arr = read_data_chunk(_spec(job.meta(), job, kind, t, f), c)
    owners = job.load(f"parts-{t}.npy" if kind == "node" else f"edge-owner-{t}.npy")
    if start + arr.shape[0] > owners.shape[0]:
        raise GraphError(f"{_spec(job.meta(), job, kind, t, f).where}: chunk {c} ends at row "
                         f"{start + arr.shape[0]}, past the {owners.shape[0]} {kind}s of its type")
    order, ptr = _groups(np.asarray(owners[start: start + arr.shape[0]]), job.num_parts)
    for p in range(job.num_parts):
        job.save(f"{kind}-{t}-{f}-{c}.npy", arr[order[ptr[p]: ptr[p + 1]]], part=p)


# -- 5. one partition --------------------------------------------------------------------------------
def _build_partition(job: Job, p: int, node_ranges: np.ndarray, edge_ranges: np.ndarray) -> dict:
    from gpf.sdk.read.book import IdMap
    from gpf.sdk.write.halo import LocalGraph

    cm = job.meta()
    P = job.num_parts
    ns, ne = int(node_ranges[0, p, 0]), int(node_ranges[-1, p, 1])
    es, ee = (int(edge_ranges[0, p, 0]), int(edge_ranges[-1, p, 1])) if len(job.etypes) else (0, 0)
    inner = _concat_parts(job, p, "in", 4)
    if not np.array_equal(inner[0], np.arange(es, ee, dtype=np.int64)):
        raise GpfError(f"partition {p}: routed inner edges do not cover its edge range [{es}, {ee})")
    out = _concat_parts(job, p, "out", 3)
    out = out[:, np.argsort(out[0], kind="stable")]
    halo, inner_src_local, out_dst_local = _halo_layout(ns, ne, inner[1], out[2])
    nodes = np.concatenate([np.arange(ns, ne, dtype=np.int64), halo])
    eids = np.concatenate([inner[0], out[0]])
    src = np.concatenate([inner_src_local, out[1] - ns])  # out-edges start at inner nodes
    dst = np.concatenate([inner[2] - ns, out_dst_local])  # inner edges end at inner nodes
    n_inner, m_inner = ne - ns, ee - es
    inner_node = np.zeros(nodes.shape[0], dtype=np.uint8)
    inner_node[:n_inner] = 1
    inner_edge = np.zeros(eids.shape[0], dtype=np.uint8)
    inner_edge[:m_inner] = 1
    ndata = {"_ID": nodes, "inner_node": inner_node}
    edata = {"_ID": eids, "inner_edge": inner_edge}
    if P > 1:
        ends = node_ranges[-1, :, 1]
        ndata["part_id"] = np.searchsorted(ends, nodes, side="right").astype(np.int64)
    if not is_homogeneous(job.ntypes, job.etypes) or P == 1:
        ndata["_TYPE"] = IdMap(node_ranges, job.ntypes, "node").to_per_type(nodes)[0].astype(np.int32)
        edata["_TYPE"] = IdMap(edge_ranges, tuple(map(etype_key, job.etypes)), "edge").to_per_type(eids)[0].astype(np.int32)
    lg = LocalGraph(int(nodes.shape[0]), src, dst, ndata, edata, n_inner, m_inner)

    # Features are made when the writer asks for them: one feature of this partition in memory at a time.
    # Features in name order within each type, as gpf.Graph keeps them (the files do not depend
    # on the order metadata.json lists them in).
    nfeat = {f"{nt}/{spec.name}": _feature_maker(job, p, "node", t, f, len(spec.files))
             for t, nt in enumerate(job.ntypes)
             for f, spec in sorted(enumerate(cm.node_data.get(nt, [])), key=lambda x: x[1].name)}
    efeat = {f"{etype_key(et)}/{spec.name}": _feature_maker(job, p, "edge", r, f, len(spec.files))
             for r, et in enumerate(job.etypes)
             for f, spec in sorted(enumerate(cm.edge_data.get(et, [])), key=lambda x: x[1].name)}
    nids = {nt: job.load(f"orig-nids-{t}.npy", part=p, mmap=False) for t, nt in enumerate(job.ntypes)}
    bounds = edge_ranges[:, p, :] - es
    eids_orig = {etype_key(et): inner[3][bounds[r, 0]: bounds[r, 1]] for r, et in enumerate(job.etypes)}
    from gpf.sdk.storage.base import PartGraph

    entry = job.writer().write_part(p, PartGraph(lg.num_nodes, lg.src, lg.dst, lg.ndata, lg.edata),
                                    {"node_feats": nfeat, "edge_feats": efeat, "orig_nids": nids,
                                     "orig_eids": eids_orig})
    return {"entry": entry, "inner_nodes": n_inner, "inner_edges": m_inner, "nodes": lg.num_nodes,
            "edges": int(eids.shape[0])}


def _concat_parts(job: Job, p: int, prefix: str, rows: int) -> np.ndarray:
    names = sorted((n for n in os.listdir(job.file(f"p{p}")) if n.startswith(prefix + "-")),
                   key=lambda n: tuple(int(x) for x in n[len(prefix) + 1: -4].split("-")))
    arrays = [job.load(n, part=p, mmap=False) for n in names]
    return np.concatenate(arrays, axis=1) if arrays else np.zeros((rows, 0), dtype=np.int64)


def _feature_maker(job: Job, p: int, kind: str, t: int, f: int, chunks: int):
    """A function returning partition ``p``'s rows of one feature (its routed chunks, concatenated)."""
    def make() -> np.ndarray:
        arrays = [job.load(f"{kind}-{t}-{f}-{c}.npy", part=p) for c in range(chunks)]
        return np.concatenate(arrays) if len(arrays) > 1 else np.array(arrays[0]) if arrays else np.zeros(0)

    return make


def _halo_layout(ns: int, ne: int, inner_src: np.ndarray, out_dst: np.ndarray):
    """HALO nodes of a partition owning hids ``[ns, ne)`` and local IDs of the endpoints that may be HALO.

    HALO order as :class:`gpf.sdk.write.halo.HaloBuilder` (1 hop): the sources of inner edges
    outside the partition, ascending, then the other destinations of cut out-edges,
    ascending.  One sort of the candidates gives both the order and every local ID (no
    searches).  Returns ``(halo hids, local IDs of inner_src, local IDs of out_dst)``.
    """
    base = ne - ns
    src_out = (inner_src < ns) | (inner_src >= ne)
    cand = np.concatenate([inner_src[src_out], out_dst])
    from_src = np.zeros(cand.shape[0], dtype=bool)
    from_src[: int(src_out.sum())] = True
    order = np.argsort(cand)  # any order inside a group will do
    ordered = cand[order]
    first = np.ones(ordered.shape[0], dtype=bool)
    first[1:] = ordered[1:] != ordered[:-1]
    group = np.cumsum(first) - 1  # group (distinct hid) of each sorted candidate
    hop0 = np.zeros(int(first.sum()), dtype=bool)
    hop0[group[from_src[order]]] = True  # a group is hop 0 when an inner edge's source is in it
    rank_hop0 = np.cumsum(hop0) - 1
    rank_rest = np.cumsum(~hop0) - 1 + int(hop0.sum())
    local_of_group = base + np.where(hop0, rank_hop0, rank_rest)
    local = np.empty(cand.shape[0], dtype=np.int64)
    local[order] = local_of_group[group]
    distinct = ordered[first]
    halo = np.concatenate([distinct[hop0], distinct[~hop0]])
    inner_src_local = inner_src - ns
    n_src = int(src_out.sum())
    inner_src_local[src_out] = local[:n_src]
    return halo, inner_src_local, local[n_src:]


# -- 6. check and config (driver) --------------------------------------------------------------------
def _check_built(built: list[dict], node_ranges: np.ndarray, edge_ranges: np.ndarray) -> None:
    for p, b in enumerate(built):
        want_n = int((node_ranges[:, p, 1] - node_ranges[:, p, 0]).sum())
        want_e = int((edge_ranges[:, p, 1] - edge_ranges[:, p, 0]).sum())
        if b["inner_nodes"] != want_n or b["inner_edges"] != want_e:
            raise GpfError(f"partition {p}: wrote {b['inner_nodes']} inner nodes / {b['inner_edges']} inner edges, "
                           f"its ranges hold {want_n} / {want_e}; no config written")


def _config(graph_name: str, method: str, node_ranges: np.ndarray, edge_ranges: np.ndarray, job: Job,
            parts: list[dict[str, str]], balance: dict[str, Any] | None = None):
    from gpf.spec import PartFiles, PartitionConfig

    return PartitionConfig(
        graph_name=graph_name,
        num_nodes=int((node_ranges[:, :, 1] - node_ranges[:, :, 0]).sum()),
        num_edges=int((edge_ranges[:, :, 1] - edge_ranges[:, :, 0]).sum()),
        part_method=method, num_parts=job.num_parts, halo_hops=1,
        node_map={nt: [(int(s), int(e)) for s, e in node_ranges[t]] for t, nt in enumerate(job.ntypes)},
        edge_map={etype_key(et): [(int(s), int(e)) for s, e in edge_ranges[r]] for r, et in enumerate(job.etypes)},
        ntypes={nt: t for t, nt in enumerate(job.ntypes)},
        etypes={etype_key(et): r for r, et in enumerate(job.etypes)},
        parts=[PartFiles(**files) for files in parts],
        balance_constraints=balance,
    )
