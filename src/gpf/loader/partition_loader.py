"""``PartitionLoader``: the partitions one rank owns, as full halo-aware batches (DistDGL-style).

Rank ``r`` of ``world_size`` owns the partitions ``rank_partitions(P, r, world_size)``
(more partitions than ranks: a contiguous block each).  Each owned partition is one
batch holding, in the partition's local order, its inner nodes and HALO nodes (with
their features, read from the owning partitions' files), all its inner edges (every
in-edge of an inner node), and ``inner_mask`` (False on HALO nodes): compute the loss on
``inner_mask & train_mask`` so each node's loss is counted by exactly one rank.

The batches are built once and moved to ``device`` once; an epoch yields them (in a
seeded shuffled order with ``shuffle``).  With ``even_batches`` (default) every rank
yields ``ceil(P / world_size)`` batches per epoch, cycling its own partitions when it
owns fewer, so ranks that all-reduce once per step stay in lockstep.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from gpf.errors import GpfError
from gpf.loader.batch import Batch
from gpf.loader.cluster import describe_fields, feature_names, node_field_request, open_partition_set
from gpf.loader.distributed import rank_and_world_size, rank_partitions
from gpf.loader.tables import resolve_fields
from gpf.loader.transfer import Transfer

__all__ = ["PartitionLoader", "rank_partitions"]


class PartitionLoader:
    """Full-partition batches of the partitions owned by ``rank`` (see the module docstring).

    ``rank``/``world_size`` default to the initialised ``torch.distributed`` group (else
    0 / 1).  Field arguments are those of :class:`gpf.loader.ClusterLoader`.
    """

    def __init__(self, config, rank: int | None = None, world_size: int | None = None, device="cpu", *,
                 node_feats=None, label=None, masks=None, edge_feats=(),
                 with_edge_ids: bool = False, shuffle: bool = False, seed: int = 0,
                 even_batches: bool = True, pin_memory: bool = True) -> None:
        self.set = ps = open_partition_set(config)
        self.rank, self.world_size = rank_and_world_size(rank, world_size)
        self.parts = rank_partitions(ps.num_parts, self.rank, self.world_size)
        self.shuffle, self.seed, self._epoch = shuffle, int(seed), 0
        self.steps_per_epoch = math.ceil(ps.num_parts / self.world_size) if even_batches else len(self.parts)
        self.transfer = Transfer(device, pin_memory)
        self.device = self.transfer.device
        self.is_homogeneous = ps.is_homogeneous
        node_req = node_field_request(ps, node_feats, label, masks)
        self.fields = describe_fields(node_req)
        self._mask_fields = {f for t in node_req.values() for f in t if f not in ("x", "y")}
        edge_req = resolve_fields(ps, "edge", {"edge_attr": feature_names(edge_feats, "edge_feats")})
        self._feature_cache: dict = {}
        self.batches = {int(p): self._to_device(self._build(int(p), node_req, edge_req, with_edge_ids))
                        for p in self.parts}
        self._feature_cache.clear()
        self.transfer.synchronize()

    # -- epochs ---------------------------------------------------------------------------------
    def __len__(self) -> int:
        return self.steps_per_epoch

    def set_epoch(self, epoch: int) -> None:
        self._epoch = int(epoch)

    def epoch_parts(self, epoch: int) -> np.ndarray:
        """The partition of each step of ``epoch`` on this rank."""
        order = self.parts.copy()
        if self.shuffle:
            order = np.random.default_rng([self.seed, self.rank, epoch]).permutation(order)
        return np.resize(order, self.steps_per_epoch)

    def __iter__(self):
        parts = self.epoch_parts(self._epoch)
        self._epoch += 1
        return (self.batches[int(p)] for p in parts)

    # -- building -------------------------------------------------------------------------------
    def _build(self, p: int, node_req, edge_req, with_edge_ids: bool) -> Batch:
        ps, part = self.set, self.set.partition(p)
        gnid = part.global_nid
        ntype_of = np.asarray(part.ntype_ids, dtype=np.int64)
        per_type = ps.book.map_to_per_ntype(gnid)[1]
        inner = np.asarray(part.inner_node)
        pos = np.empty(part.num_nodes, np.int64)        # position of each local node within its type
        nodes, num_nodes = {}, {}
        for t, nt in enumerate(ps.ntypes):
            sel = np.flatnonzero(ntype_of == t)
            pos[sel] = np.arange(sel.size)
            fields = {f: torch.from_numpy(self._node_rows(t, keys, per_type[sel], part))
                      for f, keys in node_req.get(nt, {}).items()}
            for f in self._mask_fields & fields.keys():
                fields[f] = fields[f].bool()
            fields["n_id"] = torch.from_numpy(per_type[sel])
            fields["inner_mask"] = torch.from_numpy(inner[sel].copy())
            nodes[nt], num_nodes[nt] = fields, int(sel.size)
        ie = np.asarray(part.inner_edge)
        src, dst = np.asarray(part.src)[ie], np.asarray(part.dst)[ie]
        etype_of = np.asarray(part.etype_ids, dtype=np.int64)[ie]
        need_eids = with_edge_ids or any(edge_req.get(":".join(et)) for et in ps.etypes)
        # edge IDs only when asked for (a GraphBolt partition written without store_eids has none)
        eid = ps.book.map_to_per_etype(part.global_eid[ie])[1] if need_eids else None
        edges = {}
        for r, et in enumerate(ps.etypes):
            sel = np.flatnonzero(etype_of == r)
            fields = {"edge_index": torch.from_numpy(np.stack([pos[src[sel]], pos[dst[sel]]]))}
            if with_edge_ids:
                assert eid is not None  # need_eids
                fields["e_id"] = torch.from_numpy(eid[sel])
            for f, keys in edge_req.get(":".join(et), {}).items():
                assert eid is not None  # need_eids
                fields[f] = torch.from_numpy(self._edge_rows(r, keys, eid[sel], part))
            edges[tuple(et)] = fields
        return Batch(nodes, edges, num_nodes, torch.tensor([p]), self.is_homogeneous)

    def _node_rows(self, t: int, keys: list[str], ids: np.ndarray, part) -> np.ndarray:
        """Rows of per-type node IDs ``ids`` (inner or HALO), read from each owner's features."""
        idmap = self.set.book.nodes
        counts = idmap.ranges[t, :, 1] - idmap.ranges[t, :, 0]
        offsets = np.cumsum(counts) - counts                     # per-type ID of each partition's first row
        owner = idmap.to_partition(idmap.to_homogeneous(t, ids))
        cols = []
        for key in keys:
            out = self._empty_rows("node", key, ids.size)
            for q in np.unique(owner).tolist():
                at = np.flatnonzero(owner == q)
                out[at] = self._features(q, "node", key, part)[ids[at] - offsets[q]]
            cols.append(out)
        return _concat_columns(cols)

    def _edge_rows(self, r: int, keys: list[str], ids: np.ndarray, part) -> np.ndarray:
        """Rows of the per-type IDs ``ids`` of this partition's inner edges of type ``r``."""
        idmap = self.set.book.edges
        p = part.part_id
        offset = int((idmap.ranges[r, :p, 1] - idmap.ranges[r, :p, 0]).sum())
        cols = [self._features(p, "edge", key, part)[ids - offset] if ids.size else self._empty_rows("edge", key, 0)
                for key in keys]
        return _concat_columns(cols)

    def _empty_rows(self, kind: str, key: str, n: int) -> np.ndarray:
        """An uninitialised array of ``n`` rows with the stored trailing shape and dtype of ``key``."""
        for part in self.set:
            feats = part.node_feats if kind == "node" else part.edge_feats
            if key in feats:
                a = feats[key]
                return np.empty((n, *a.shape[1:]), np.asarray(a[:0]).dtype)
        raise GpfError(f"{self.set.path}: no partition stores the {kind} feature {key!r}")

    def _features(self, q: int, kind: str, key: str, part) -> np.ndarray:
        """Partition ``q``'s stored ``key`` (read once while the batches are built)."""
        cache_key = (q, kind, key)
        if cache_key not in self._feature_cache:
            owner = self.set.partition(q)
            feats = owner.node_feats if kind == "node" else owner.edge_feats
            if key not in feats:
                raise GpfError(f"{self.set.path}: partition {q}: {kind} feature {key!r} is missing (have "
                               f"{sorted(feats)}; needed for partition {part.part_id}'s batch)")
            self._feature_cache[cache_key] = np.asarray(feats[key])
        return self._feature_cache[cache_key]

    def _to_device(self, batch: Batch) -> Batch:
        if not self.transfer.is_cuda:
            return batch
        move = lambda t: (t.pin_memory() if self.transfer.pin else t).to(self.device, non_blocking=True)  # noqa: E731
        batch.nodes = {t: {k: move(v) for k, v in f.items()} for t, f in batch.nodes.items()}
        batch.edges = {t: {k: move(v) for k, v in f.items()} for t, f in batch.edges.items()}
        return batch

    def __repr__(self) -> str:
        return (f"PartitionLoader({self.set.graph_name!r}, rank={self.rank}/{self.world_size}, "
                f"parts={self.parts.tolist()}, device={self.device}, {self.fields or 'no node features'})")


def _concat_columns(cols: list[np.ndarray]) -> np.ndarray:
    """One field from one or several features (several: flattened, concatenated, promoted dtype)."""
    if len(cols) == 1:
        a = cols[0]
        return a.astype(np.uint8) if a.dtype == np.bool_ else a
    dtype = np.result_type(*cols)  # promoted as in ClusterLoader's tables
    return np.concatenate([c.reshape(c.shape[0], -1).astype(dtype, copy=False) for c in cols], axis=1)
