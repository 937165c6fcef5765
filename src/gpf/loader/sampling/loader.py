"""``DistNeighborLoader``: neighbour-sampled mini-batches from a partition set, one rank per process.

    dist.init_process_group("gloo")          # or "nccl"
    loader = DistNeighborLoader("parts/products.json", fanouts=[15, 10], batch_size=1024,
                                seeds="train_mask", node_feats="feat", label="label", seed=0)
    for batch in loader:                      # batch.x, batch.y, batch.edge_index, batch.n_id, batch.batch_size
        ...

Data path (DistDGL's, without servers):

* rank ``r`` reads only its own partitions (``rank_partitions``) through the reader: the
  in-edges of every node it owns (:class:`LocalGraph`), its nodes' feature rows and, once,
  its HALO nodes' rows from their owners (:class:`NodeRows`);
* the first hop samples the seeds, which the rank owns: no exchange;
* every later hop sends the frontier nodes other ranks own to their owners in one
  ``all_to_all`` (after one of the counts); each rank samples its own share and every node
  it was asked for in one call and sends the sampled edges back in a second one (after its
  counts).  Each answer carries the rows of the neighbours it found that the asker neither
  owns nor caches (the answerer has them: every in-neighbour of an owned node is owned or
  HALO), so no rows are fetched afterwards (:mod:`gpf.loader.sampling.answers`): 4
  collectives per 2 hops, 4 more per further hop;
* consecutive steps are sampled together, :data:`GROUP_STEPS` at a time (fewer where the dense
  batch map would not fit, :func:`~gpf.loader.sampling.dense.group_steps`), each batch with its
  own nodes (a node of batch ``b`` of the group is the key ``b * N + hid``): the collectives and
  the fixed cost of each tensor operation are paid once per group, and the group is cut into
  its batches at the end.

Without HALO caches (``halo_cache=False``) the rows come from their owners instead, one
more exchange per node type and batch.
Every step is collective, so every rank runs the same number of steps per epoch (see
:mod:`gpf.loader.sampling.seeds` for ``drop_last``/``fill``).  Sampling and exchanges run
on the CPU with ``gloo`` and on the GPU with ``nccl`` (the tables then live on the
device); batches are moved to ``device``.  The loader uses its own process group (a
copy of ``group``, default the world), so collectives of the training step never
interleave with its own.
"""

from __future__ import annotations

import functools
import itertools
import queue
import threading
from dataclasses import dataclass

import numpy as np
import torch

from gpf.loader.cluster import node_field_request, open_partition_set
from gpf.loader.distributed import rank_and_world_size
from gpf.loader.sampling.answers import AttachedRows, pack_answers, unpack_answers
from gpf.loader.sampling.batch import SampledBatch
from gpf.loader.sampling.dense import BatchIndex, group_steps
from gpf.loader.sampling.exchange import Exchange
from gpf.loader.sampling.features import NodeRows, ReceivedRows
from gpf.loader.sampling.local_graph import LocalGraph
from gpf.loader.sampling.ownership import Ownership
from gpf.loader.sampling.seeds import EpochPlan, owned_seeds, resolve_seed_type
from gpf.loader.sampling.uniform import sample_slots
from gpf.native.heap import trim_heap

__all__ = ["DistNeighborLoader", "GROUP_STEPS"]

#: consecutive steps of an epoch sampled together (one exchange per hop for all of them), so the fixed
#: cost of a step (collectives, tensor operations on small arrays) is paid once per group
GROUP_STEPS = 8


class DistNeighborLoader:
    """Neighbour-sampled batches of this rank's seeds (see the module docstring).

    ``fanouts``: in-neighbours per hop (``-1``: all), for every edge type, or
    ``{etype: [per hop]}`` (etype as ``(src, rel, dst)``, ``"src:rel:dst"`` or a unique
    relation name).  ``seeds``/``seed_type``: see :mod:`gpf.loader.sampling.seeds`.
    ``replace``: sample with replacement.  ``node_feats`` -> ``x``, ``label`` -> ``y``,
    ``masks`` -> bool fields, as in :class:`gpf.loader.ClusterLoader`.
    ``with_edge_ids`` adds ``e_id`` (per-type edge IDs).  ``halo_cache``: keep the HALO
    nodes' rows.  ``seed``: shuffles and sampling are reproducible per ``(seed, rank, epoch)``
    (whatever ``workers``: a group of steps draws from a generator seeded by ``(seed, rank, epoch,
    its first step)``); :meth:`set_epoch` picks the epoch.
    ``workers``: groups of ``group_steps`` batches built at once, each by a thread with its own
    process group (the group starting at step ``i`` by worker ``(i // group_steps) % workers``), so one
    group's computation overlaps another's waits on the other ranks (default 1: each worker costs CPU
    time and memory, and where the sampler is CPU-bound one is as fast).  With ``gloo`` the batches are
    built in a background thread (the next group while the caller trains on this one); with ``nccl``
    in the caller's thread, and one worker by default (NCCL may deadlock when several communicators
    of one rank run collectives from different threads; ask for more at that risk).  Consume whole
    epochs: a rank that stops early leaves the others waiting in a collective.  ``group``:
    the process group to copy (default: the world; ``rank``/``world_size`` without one, for
    a single process).
    """

    def __init__(self, config, fanouts, batch_size: int = 1024, *, seeds="train_mask", seed_type: str | None = None,
                 shuffle: bool = True, drop_last: bool = False, fill: str = "empty", replace: bool = False,
                 device="cpu", node_feats=(), label: str | None = None, masks=(), with_edge_ids: bool = False,
                 halo_cache: bool = True, seed: int = 0, workers: int | None = None, group=None,
                 rank: int | None = None, world_size: int | None = None) -> None:
        import torch.distributed as dist

        self.set = ps = open_partition_set(config)
        if group is not None:                    # ranks within the group
            rank, world_size = dist.get_rank(group), dist.get_world_size(group)
        self.rank, self.world_size = rank_and_world_size(rank, world_size)
        self.device = torch.device(device)
        if workers is not None and int(workers) < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        groups: list = [None] * int(workers or 1)
        work = torch.device("cpu")
        nccl = False
        if self.world_size > 1:
            if not (dist.is_available() and dist.is_initialized()):
                raise RuntimeError("DistNeighborLoader with world_size > 1 needs torch.distributed initialised")
            ranks = list(range(self.world_size)) if group is None else dist.get_process_group_ranks(group)
            nccl = dist.get_backend(group) == "nccl"
            groups = [dist.new_group(ranks) for _ in range(int(workers or 1))]
            if nccl:
                work = self.device if self.device.type == "cuda" else torch.device("cuda", torch.cuda.current_device())
        self.work_device = work
        self._background = not nccl      # build batches in a thread (see ``workers``)
        #: steps sampled together (:data:`GROUP_STEPS`, fewer where their dense batch map would not fit)
        self.group_steps = group_steps(ps.num_nodes, GROUP_STEPS)
        self._lanes = [_Lane(Exchange(pg, self.rank, self.world_size, work), torch.Generator(device=work),
                             BatchIndex(ps.num_nodes, work, self.group_steps)) for pg in groups]
        self.exchange = self._lanes[0].exchange
        self.own = own = Ownership(ps, self.rank, self.world_size, work)
        self.parts = own.parts
        self.is_homogeneous = len(ps.ntypes) == 1 and len(ps.etypes) == 1
        self.etypes = [tuple(e) for e in ps.etypes]
        self.fanouts = _resolve_fanouts(ps, fanouts)
        self.num_hops = len(self.fanouts[0])
        self.replace = bool(replace)
        self._dst_type = [ps.ntypes.index(d) for _, _, d in self.etypes]
        # answers travel as int32 pairs where positions * R, node and edge IDs all fit
        self._narrow = ps.num_nodes * len(self.etypes) < 2 ** 31 and ps.num_edges < 2 ** 31

        self.graph = LocalGraph(ps, own.parts, own.lo, own.hi, work, with_edge_ids)
        trim_heap()                              # the build's temporaries: back to the OS before the rows
        names = _OwnedFeatureNames(ps, own.parts, self.exchange)
        node_req = node_field_request(names, node_feats, label, list(masks) if masks else [])
        mask_fields = {f for t in node_req.values() for f in t if f not in ("x", "y")}
        self.rows = NodeRows(ps, own, node_req, mask_fields, self.exchange, work, halo_cache)
        trim_heap()
        # answers carry the rows the asker lacks when every rank caches its HALO rows (answers.py)
        self._attach = AttachedRows(own, self.rows) if not self.exchange.all_reduce_max(not halo_cache) else None

        self.seed_type, seeds = resolve_seed_type(ps, seeds, seed_type)
        self._seed_t = ps.ntypes.index(self.seed_type)
        self.plan = EpochPlan(owned_seeds(ps, own, self._seed_t, seeds), batch_size, shuffle, drop_last, fill,
                              seed, self.rank)
        self.plan.steps = self.exchange.all_reduce_max(self.plan.own_steps)
        self.seed = int(seed)
        self._epoch = 0

    # -- epochs ---------------------------------------------------------------------------------
    @property
    def seeds(self) -> np.ndarray:
        """This rank's seeds (per-type IDs of ``seed_type``)."""
        return self.plan.seeds

    @property
    def batch_size(self) -> int:
        return self.plan.batch_size

    def __len__(self) -> int:
        return self.plan.steps

    def set_epoch(self, epoch: int) -> None:
        self._epoch = int(epoch)

    def __iter__(self):
        epoch = self._epoch
        self._epoch += 1
        batches = self.plan.batches(epoch)
        G = self.group_steps
        groups = [(i, batches[i:i + G]) for i in range(0, len(batches), G)]
        if len(self._lanes) == 1 and not self._background:
            return (b() for i, g in groups for b in self._sample_group([torch.from_numpy(s) for s in g], epoch, i))
        return _Lanes(self, epoch, groups)

    # -- batches --------------------------------------------------------------------------------
    def sample(self, seeds: torch.Tensor, epoch: int = 0, step: int = 0) -> SampledBatch:
        """The batch of ``seeds`` (per-type IDs of the seed type, owned by this rank) at ``step`` of ``epoch``;
        collective (see :meth:`sample_steps`)."""
        return self.sample_steps([seeds], epoch, step)[0]

    def sample_steps(self, seeds: list[torch.Tensor], epoch: int = 0, step: int = 0) -> list[SampledBatch]:
        """The batches of ``seeds[i]`` (per-type IDs of the seed type, owned by this rank) at steps ``step + i``
        of ``epoch``, sampled together: one exchange per hop for all of them (epochs are sampled
        :attr:`group_steps` steps at a time).  Collective: every rank calls it with the same ``step`` and
        as many batches (which picks the worker's process group and seeds this rank's sampler, including
        its answers to the others' requests, per ``(seed, rank, epoch, step)``)."""
        return [b() for b in self._sample_group(seeds, epoch, step)]

    def _sample_group(self, seeds: list[torch.Tensor], epoch: int, step: int) -> list[functools.partial]:
        """:meth:`sample_steps`, each batch left to build (its rows gathered) when called: the rows of a
        group's batches need not all be in memory at once."""
        if not 1 <= len(seeds) <= self.group_steps:
            raise ValueError(f"sample_steps takes 1 to {self.group_steps} batches, got {len(seeds)}")
        lane = self._lanes[(step // self.group_steps) % len(self._lanes)]
        lane.generator.manual_seed(
            int(np.random.SeedSequence([self.seed, self.rank, int(epoch), int(step)]).generate_state(1)[0]))
        own, work = self.own, self.work_device
        seeds = [s.to(device=work, dtype=torch.int64) for s in seeds]
        n_id = torch.cat([own.to_hid(self._seed_t, s) if s.numel() else s for s in seeds])
        if n_id.numel() and bool((own.owner_rank(n_id) != self.rank).any()):
            per_type = torch.cat(seeds)
            bad = int(per_type[own.owner_rank(n_id) != self.rank][0])
            raise ValueError(f"rank {self.rank}: seed {bad} ({self.seed_type}) is not owned by this rank")
        sizes = [int(s.numel()) for s in seeds]
        G, N = len(seeds), self.set.num_nodes
        # a node of batch b is the key b * N + hid: each batch keeps its own node set.  Every segment of the
        # group's nodes (the seeds, then the nodes each hop found) and each hop's edges are kept batch-major
        # (batch 0's first), so each batch is a slice of every segment at the end.
        batch = torch.repeat_interleave(torch.arange(G, device=work), torch.tensor(sizes, device=work),
                                        output_size=n_id.numel())
        received: dict[int, list] = {t: [] for t in self.rows.types}
        frontier, f_batch, f_counts, start = n_id, batch, sizes, 0   # the frontier: the nodes the last hop found
        hids, seg_counts, hops = [n_id], [sizes], []
        index = lane.index
        index.start(n_id + batch * N)
        try:
            for hop in range(self.num_hops):
                src, at, et, eid, runs = self._hop(frontier, hop, lane, received)
                e_counts = [int(src.numel())]
                if G > 1:
                    (src, at, et, eid), e_counts = _batch_major([src, at, et, eid], at, runs, f_counts)
                fresh, src_pos = index.add(src + f_batch.index_select(0, at) * N)
                hops.append(([src_pos, at + start, et, eid], e_counts))
                start += frontier.numel()
                f_batch = torch.div(fresh, N, rounding_mode="floor")
                frontier = fresh - f_batch * N
                f_counts = torch.bincount(f_batch, minlength=G).tolist() if G > 1 else [int(fresh.numel())]
                hids.append(frontier)
                seg_counts.append(f_counts)
        finally:
            index.reset()
        n_id = torch.cat(hids)
        rows = {t: ReceivedRows(r) for t, r in received.items()}
        with_eid = self.graph.eid is not None
        if G == 1:
            src, dst, et, eid = (torch.cat([cols[c] for cols, _ in hops]) if c < 3 or with_eid else None
                                 for c in range(4))
            return [functools.partial(self._assemble, n_id, src, dst, et, eid, sizes[0], lane, rows)]
        # batch b's nodes: its slice of every segment; its edges: its slice of every hop
        seg_start = list(itertools.accumulate((sum(c) for c in seg_counts), initial=0))
        node_pieces = _pieces(seg_counts)
        in_group = sorted(node_pieces, key=lambda p: seg_start[p[1]] + p[2])     # (segment, batch) order
        local = torch.arange(n_id.numel(), device=work) + torch.repeat_interleave(   # group position -> in batch
            torch.tensor([o - seg_start[s] - at for _, s, at, o in in_group], device=work),
            torch.tensor([n for n, _, _, _ in in_group], device=work), output_size=n_id.numel())
        edge_pieces = _pieces([c for _, c in hops])
        edges = [torch.cat([hops[h][0][c][at:at + n] for n, h, at, _ in edge_pieces])  # type: ignore[index]
                 for c in range(4 if with_eid else 3)]
        src, dst, et = local.index_select(0, edges[0]), local.index_select(0, edges[1]), edges[2]
        eid = edges[3] if with_eid else None
        out, e_at, S, H = [], 0, len(seg_counts), len(hops)
        for b, size in enumerate(sizes):
            ids = torch.cat([n_id[seg_start[s] + at:seg_start[s] + at + n] for n, s, at, _ in
                             node_pieces[b * S:(b + 1) * S]])
            sl = slice(e_at, e_at + sum(n for n, _, _, _ in edge_pieces[b * H:(b + 1) * H]))
            e_at = sl.stop
            out.append(functools.partial(self._assemble, ids, src[sl], dst[sl], et[sl],
                                         eid[sl] if eid is not None else None, size, lane, rows))
        return out

    def _hop(self, frontier: torch.Tensor, hop: int, lane: _Lane, received: dict):
        """Sampled in-edges ``(src hid, dst position in frontier, etype, eid, runs)`` of every frontier node, from
        their owners (the first hop's frontier, the seeds, is this rank's own: no exchange); ``runs``: the
        lengths of the stretches (this rank's own share, then each rank's answer) in which the positions
        ascend.  The rows that come with the answers go to ``received``."""
        if hop == 0:
            pos, nbr, et, eid = self._serve(frontier, hop, lane.generator)
            return nbr, pos, et, eid, [int(pos.numel())]
        W, R = self.world_size, self.graph.num_etypes
        owner = self.own.owner_rank(frontier)
        mine = torch.nonzero(owner == self.rank).view(-1)       # this rank's share never leaves it
        owner = owner.masked_fill(owner == self.rank, W)        # ... and sorts last, out of the exchange
        counts = torch.bincount(owner, minlength=W + 1)[:W]
        order = torch.argsort(owner, stable=True)[:frontier.numel() - mine.numel()]
        sent = frontier.index_select(0, order)
        req, req_counts = lane.exchange.all_to_all(sent, counts.tolist())
        n_own = mine.numel()                                     # one sampling call for both
        pos, nbr, et, eid = self._serve(torch.cat([frontier.index_select(0, mine), req]), hop, lane.generator)
        cut = int(torch.searchsorted(pos, n_own))                # pos ascends: own requests' edges first
        own_at, own_nbr, own_et = mine.index_select(0, pos[:cut]), nbr[:cut], et[:cut]
        own_eid = eid[:cut] if eid is not None else None
        pos, nbr, et = pos[cut:] - n_own, nbr[cut:], et[cut:]
        eid = eid[cut:] if eid is not None else None
        # group the answers by the rank that asked (pos is sorted): position within its request
        req_ends = torch.tensor(np.cumsum(req_counts), dtype=torch.int64, device=pos.device)
        asker = torch.searchsorted(req_ends, pos, right=True)
        req_starts = req_ends - torch.tensor(req_counts, device=pos.device)
        cols = [(pos - req_starts.index_select(0, asker)) * R + et, nbr]
        if eid is not None:
            cols.append(eid)
        edges = _edge_words(torch.stack(cols, 1), self._narrow)
        words, word_counts = pack_answers(edges, nbr, asker, W, self._attach)
        back_words, back_counts = lane.exchange.all_to_all(words, word_counts)
        back, answers = unpack_answers(back_words, back_counts, edges.shape[1], self._attach, received)
        if self._narrow:
            back = back.view(torch.int32)[:, :len(cols)].to(torch.int64)
        peer = torch.repeat_interleave(torch.arange(W, device=back.device), torch.tensor(answers, device=back.device))
        sent_off = torch.cumsum(counts, 0) - counts
        at = order.index_select(0, sent_off.to(back.device).index_select(0, peer)
                                + torch.div(back[:, 0], R, rounding_mode="floor"))
        return (torch.cat([own_nbr, back[:, 1]]), torch.cat([own_at, at]), torch.cat([own_et, back[:, 0] % R]),
                torch.cat([own_eid, back[:, 2]]) if own_eid is not None else None, [int(own_at.numel())] + answers)

    def _serve(self, req: torch.Tensor, hop: int, generator: torch.Generator):
        """Sample the in-edges of the requested nodes (all owned here); sorted by request position."""
        g, R = self.graph, self.graph.num_etypes
        local = req - self.own.lo
        if req.numel() and (int(local.min()) < 0 or int(req.max()) >= self.own.hi):
            raise RuntimeError(f"rank {self.rank}: asked to sample nodes outside its range "
                               f"[{self.own.lo}, {self.own.hi})")
        if R == 1:                     # one edge type: every requested node, in request order
            start = g.colptr.index_select(0, local)
            pos, slot = sample_slots(start, g.colptr.index_select(0, local + 1) - start, self.fanouts[0][hop],
                                     self.replace, generator)
            eid = g.eid.index_select(0, slot) if g.eid is not None else None
            return pos, g.src.index_select(0, slot).to(torch.int64), torch.zeros_like(pos), eid
        ntype = self.own.split(req)[0] if self.own.num_types > 1 else None
        pos_l, slot_l, et_l = [], [], []
        for r in range(R):
            k = self.fanouts[r][hop]
            sel = torch.nonzero(ntype == self._dst_type[r]).view(-1) if ntype is not None else \
                torch.arange(req.numel(), device=req.device)
            key = local[sel] * R + r
            start = g.colptr.index_select(0, key)
            which, slot = sample_slots(start, g.colptr.index_select(0, key + 1) - start, k, self.replace, generator)
            pos_l.append(sel.index_select(0, which))
            slot_l.append(slot)
            et_l.append(torch.full_like(slot, r))
        pos, slot, et = torch.cat(pos_l), torch.cat(slot_l), torch.cat(et_l)
        order = torch.argsort(pos, stable=True)
        pos, slot, et = pos[order], slot[order], et[order]
        eid = g.eid.index_select(0, slot) if g.eid is not None else None
        return pos, g.src.index_select(0, slot).to(torch.int64), et, eid

    def _assemble(self, n_id, src, dst, et, eid, batch_size: int, lane: _Lane, received: dict) -> SampledBatch:
        """Relabel (positions in ``n_id``) to per-type positions, fetch rows, build the batch."""
        ps, own = self.set, self.own
        if own.num_types > 1:
            ntype, per_type = own.split(n_id)
        else:
            ntype, per_type = None, n_id
        type_pos = torch.empty_like(n_id) if ntype is not None else None
        nodes, num_nodes = {}, {}
        for t, nt in enumerate(ps.ntypes):
            if ntype is None:
                idx = torch.arange(n_id.numel(), device=n_id.device)
            else:
                idx = torch.nonzero(ntype == t).view(-1)
                assert type_pos is not None
                type_pos[idx] = torch.arange(idx.numel(), device=idx.device)
            ids = per_type[idx]
            fields = {}
            if t in self.rows.layouts:  # with rows attached to the answers, all here; else collective per type
                fields = self.rows.rows_of(t, ids, received[t]) if self._attach is not None else \
                    self.rows.gather(t, ids, lane.exchange)
            fields["n_id"] = ids
            nodes[nt], num_nodes[nt] = fields, int(idx.numel())
        s, d = (src, dst) if type_pos is None else (type_pos[src], type_pos[dst])
        edges = {}
        for r, etype in enumerate(self.etypes):
            sel = torch.nonzero(et == r).view(-1) if len(self.etypes) > 1 else None
            fields = {"edge_index": torch.stack([s, d]) if sel is None else torch.stack([s[sel], d[sel]])}
            if eid is not None:
                fields["e_id"] = eid if sel is None else eid[sel]
            edges[etype] = fields
        if self.device != self.work_device:
            nodes = {t: {k: v.to(self.device) for k, v in f.items()} for t, f in nodes.items()}
            edges = {t: {k: v.to(self.device) for k, v in f.items()} for t, f in edges.items()}
        return SampledBatch(nodes, edges, num_nodes, torch.from_numpy(self.parts), self.is_homogeneous,
                            batch_size, self.seed_type)

    def __repr__(self) -> str:
        return (f"DistNeighborLoader({self.set.graph_name!r}, rank={self.rank}/{self.world_size}, "
                f"parts={self.parts.tolist()}, fanouts={self.fanouts}, seeds={self.seeds.size}, "
                f"steps={len(self)}, device={self.device})")


@dataclass
class _Lane:
    """What one worker needs of its own: a process group (in an Exchange), a generator, a batch index."""

    exchange: Exchange
    generator: torch.Generator
    index: BatchIndex


class _Lanes:
    """Iterate an epoch's batches in order while ``workers`` threads build them, a group of steps at a time
    (group ``g`` by worker ``g % workers``, each on its own process group, so collectives never interleave)."""

    def __init__(self, loader: DistNeighborLoader, epoch: int, groups: list) -> None:
        n = len(loader._lanes)
        self._queues: list[queue.Queue] = [queue.Queue(maxsize=1) for _ in range(n)]
        self._stop = threading.Event()
        self._groups, self._next = len(groups), 0
        self._ready: list = []              # the batches of the group being consumed, each to build
        self._taken = [threading.Event() for _ in range(n)]
        self._threads = [threading.Thread(target=self._run, args=(loader, epoch, groups, j), daemon=True,
                                          name=f"gpf-dist-sampler-{j}") for j in range(n)]
        for t in self._threads:
            t.start()

    def _run(self, loader, epoch: int, groups: list, j: int) -> None:
        for g in range(j, len(groups), len(self._queues)):
            step, seeds = groups[g]
            try:
                batches = loader._sample_group([torch.from_numpy(s) for s in seeds], epoch, step)
                if loader._attach is None:        # rows come by collectives on this worker's group: here
                    batches = [_built(b()) for b in batches]
                item = (True, batches)
            except BaseException as exc:  # handed to the consumer
                item = (False, exc)
            while not self._stop.is_set():
                try:
                    self._queues[j].put(item, timeout=0.1)
                    break
                except queue.Full:
                    continue
            failed = not item[0]
            del item
            # build the next group only once the consumer took this one: at most two groups per worker alive
            while not self._stop.is_set() and not self._queues[j].empty():
                self._taken[j].wait(0.1)
            self._taken[j].clear()
            if failed or self._stop.is_set():
                return

    def __iter__(self):
        return self

    def __next__(self) -> SampledBatch:
        if not self._ready:
            if self._next >= self._groups:
                raise StopIteration
            j = self._next % len(self._queues)
            ok, value = self._queues[j].get()
            self._taken[j].set()
            self._next += 1
            if not ok:
                self._stop.set()
                raise value
            self._ready = list(reversed(value))
        try:
            return self._ready.pop()()            # its rows gathered now (see DistNeighborLoader._sample_group)
        except BaseException:
            self._stop.set()
            raise

    def __del__(self) -> None:
        self._stop.set()


def _built(batch: SampledBatch):
    """A batch already built, in the place of one to build."""
    return lambda: batch


def _pieces(counts: list[list[int]]) -> list[tuple[int, int, int, int]]:
    """Cut segments that are batch-major (``counts[s][b]`` items of batch ``b`` in segment ``s``) into their
    batches: ``(n, s, at, out)`` per piece, batch by batch and, within a batch, segment by segment: ``n`` items
    at ``at`` in segment ``s``, which are at ``out`` in their batch's concatenation."""
    offs = [list(itertools.accumulate(c, initial=0)) for c in counts]
    out = []
    for b in range(len(counts[0])):
        pos = 0
        for s, c in enumerate(counts):
            out.append((c[b], s, offs[s][b], pos))
            pos += c[b]
    return out


def _batch_major(cols: list, at: torch.Tensor, runs: list[int], counts: list[int]) -> tuple[list, list[int]]:
    """A hop's edge columns (``None`` stays ``None``) reordered batch by batch, and the edge count of each batch.

    ``at`` (each edge's position in the frontier, whose batches hold ``counts`` nodes one after the other)
    ascends within each run of ``runs`` (lengths; a run's edges keep their order), so each run is cut at the
    batches' first positions by one search."""
    device = at.device
    R, G = len(runs), len(counts)
    stride = sum(counts) + 1
    key = at + torch.repeat_interleave(torch.arange(R, device=device) * stride,
                                       torch.tensor(runs, device=device), output_size=at.numel())
    bounds = torch.tensor(list(itertools.accumulate(counts, initial=0)), device=device)
    firsts = (torch.arange(R, device=device)[:, None] * stride + bounds[None, :]).view(-1)
    cut = torch.searchsorted(key, firsts).view(R, G + 1).tolist()
    pieces = [(cut[r][b], cut[r][b + 1]) for b in range(G) for r in range(R) if cut[r][b + 1] > cut[r][b]]
    per_batch = [sum(cut[r][b + 1] - cut[r][b] for r in range(R)) for b in range(G)]
    return [torch.cat([c[a:e] for a, e in pieces]) if c is not None and pieces else
            (c[:0] if c is not None else None) for c in cols], per_batch


def _edge_words(edges: torch.Tensor, narrow: bool) -> torch.Tensor:
    """(E, C) int64 columns as (E, words): unchanged, or (``narrow``) two int32 values to a word."""
    if not narrow:
        return edges
    e32 = edges.to(torch.int32)
    if e32.shape[1] % 2:
        e32 = torch.cat([e32, e32.new_zeros((e32.shape[0], 1))], 1)
    return e32.view(torch.int64)


def _resolve_fanouts(ps, fanouts) -> list[list[int]]:
    """Fan-outs per edge type ID, per hop."""
    etypes = [tuple(e) for e in ps.etypes]
    if not isinstance(fanouts, dict):
        f = [int(k) for k in fanouts]
        if not f:
            raise ValueError("fanouts must name at least one hop")
        return [list(f) for _ in etypes]
    out: list = [None] * len(etypes)
    for key, f in fanouts.items():
        if isinstance(key, str) and ":" in key:
            key = tuple(key.split(":"))
        if isinstance(key, tuple):
            hits = [i for i, e in enumerate(etypes) if e == key]
        else:
            hits = [i for i, e in enumerate(etypes) if e[1] == key]
            if len(hits) > 1:
                raise ValueError(f"fanouts: relation {key!r} is ambiguous ({[etypes[i] for i in hits]}); "
                                 "use (src, rel, dst)")
        if not hits:
            raise ValueError(f"fanouts: unknown edge type {key!r} (edge types: {etypes})")
        out[hits[0]] = [int(k) for k in f]
    missing = [etypes[i] for i, f in enumerate(out) if f is None]
    if missing:
        raise ValueError(f"fanouts: no fan-outs for edge types {missing}")
    if len({len(f) for f in out}) != 1:
        raise ValueError(f"fanouts: every edge type needs the same number of hops, got {out}")
    return out


class _OwnedFeatureNames:
    """What :func:`resolve_fields` needs of a set, with feature names from this rank's partitions
    and the other ranks' (gathered), so no rank opens a partition it does not own."""

    def __init__(self, ps, parts: np.ndarray, exchange: Exchange) -> None:
        self.path, self.ntypes, self.etypes = ps.path, ps.ntypes, ps.etypes
        mine = sorted({k for p in parts.tolist() for k in ps.partition(p).node_feats})
        self._names = sorted({k for names in exchange.all_gather_object(mine) for k in names})

    def __iter__(self):
        class _Names:
            node_feats = dict.fromkeys(self._names)
            edge_feats: dict = {}
        return iter([_Names()])
