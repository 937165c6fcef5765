"""``ClusterLoader``: Cluster-GCN mini-batches of a partition set, read once from disk.

Cluster-GCN's stochastic multiple-partition scheme (Chiang et al. 2019): each epoch
shuffles the partitions and cuts them into groups of ``batch_size``; a batch is the union
of one group's inner nodes with every edge between them.  Every node is in exactly one
batch per epoch.

Nothing global is built: node tables are the partitions' feature rows concatenated in
per-type ID order (a batch's rows are ``batch_size`` contiguous slices), and edges come
from the partitions' inner edges grouped by source owner (:mod:`gpf.loader.edges`), so a
batch's edges are ``batch_size**2`` contiguous slices, relabelled by one add per slice.

Where work happens (see :mod:`gpf.loader.transfer` for the CUDA rules):

* ``cache="host"`` (default): tables live in host memory, pinned once when ``device`` is
  CUDA and ``pin_memory``; a batch is gathered on the host into pinned buffers and copied
  ``non_blocking`` on a side stream; ``n_id`` and the edge relabelling are computed on the
  device from a few per-slice numbers;
* ``cache="device"``: tables are moved to the device once; gathers run there.

With ``prefetch > 0`` a background thread builds the next batches while the training step
runs.  ``device="cpu"`` runs the same code without pinning or streams.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

import numpy as np
import torch

from gpf.errors import GpfError
from gpf.loader.batch import Batch
from gpf.loader.edges import etype_endpoints, group_inner_edges
from gpf.loader.ranges import exclusive_cumsum, expand_ranges
from gpf.loader.tables import DEFAULT_FEATURES, DEFAULT_LABELS, DEFAULT_MASKS, available, load_table, resolve_fields
from gpf.loader.transfer import Prefetcher, Transfer

__all__ = ["ClusterLoader", "open_partition_set", "node_field_request", "feature_names", "describe_fields"]


def open_partition_set(config):
    """A :class:`gpf.PartitionSet` from a config path/URL, or the set itself."""
    from gpf.sdk.read.reader import PartitionSet, open_set

    return config if isinstance(config, PartitionSet) else open_set(os.fspath(config))


def feature_names(arg, what: str) -> list[str]:
    """A loader's feature argument -- a name, a list of names, or a per-type dict ``{type: name or
    names}`` (edge types as ``(src, rel, dst)`` or ``"src:rel:dst"``) -- as ``name`` / ``type/name`` strings."""
    if arg is None or arg is False:
        return []
    if isinstance(arg, str):
        return [arg] if arg else []
    if isinstance(arg, Mapping):
        out = []
        for t, names in arg.items():
            key = ":".join(t) if isinstance(t, tuple) else t
            if not isinstance(key, str) or not key:
                raise GpfError(f"{what}: a per-type dict needs type names as keys, got {t!r}")
            for n in feature_names(names, f"{what}[{key!r}]"):
                out.append(n if "/" in n else f"{key}/{n}")
        return out
    if isinstance(arg, (list, tuple, set, frozenset)):
        out = []
        for n in arg:
            if not isinstance(n, str):
                raise GpfError(f"{what}: feature names must be strings, got {n!r}")
            out.append(n)
        return out
    raise GpfError(f"{what} must be a feature name, a list of names or a {{type: names}} dict, got {type(arg).__name__}")


def _conventional(stored: dict, candidates: tuple[str, ...]) -> list[str]:
    """The first of ``candidates`` that some node type stores (``[]`` if none)."""
    names = set().union(*stored.values()) if stored else set()
    return [next(n for n in candidates if n in names)] if names & set(candidates) else []


def node_field_request(ps, node_feats, label, masks):
    """Resolve ``node_feats``/``label``/``masks`` to stored keys per node type.

    ``None`` (not given) picks the conventional names where stored: ``x`` else ``feat`` for
    ``node_feats``, ``y`` else ``label`` for ``label``, and each of ``train_mask``/``val_mask``/
    ``test_mask`` for ``masks``.  ``[]``/``()``/``False`` asks for nothing."""
    stored = available(ps, "node") if node_feats is None or label is None else {}
    x = _conventional(stored, DEFAULT_FEATURES) if node_feats is None else feature_names(node_feats, "node_feats")
    y = _conventional(stored, DEFAULT_LABELS) if label is None else feature_names(label, "label")
    auto_masks = masks is None
    masks = list(DEFAULT_MASKS if auto_masks else feature_names(masks, "masks"))
    wanted = {"x": x, "y": y, **{m.split("/", 1)[-1]: [m] for m in masks}}
    return resolve_fields(ps, "node", wanted, optional=masks if auto_masks else ())


def describe_fields(node_req) -> str:
    """``x=['feat'], y=['label'], masks=[...]``: the stored features a loader's batch fields come from."""
    fields: dict[str, list[str]] = {}
    for per_type in node_req.values():
        for field, keys in per_type.items():
            for k in keys:
                name = k.split("/", 1)[1]
                bucket = fields.setdefault("masks" if field not in ("x", "y") else field, [])
                if name not in bucket:
                    bucket.append(name)
    return ", ".join(f"{f}={fields[f]}" for f in ("x", "y", "masks") if f in fields)


@dataclass
class _Plan:
    """Host-side description of one batch: which slices, where they land."""

    parts: np.ndarray
    node_starts: list[np.ndarray]      # per ntype: per-type ID of each partition's first row
    node_lens: list[np.ndarray]
    node_base: list[np.ndarray]        # per ntype: (P,) batch position of each partition's block
    edge_starts: list[np.ndarray]      # per etype: start of each non-empty group in the flat arrays
    edge_lens: list[np.ndarray]
    edge_base: list[np.ndarray]        # per etype: (2, S) batch positions of the groups' src / dst blocks


class ClusterLoader:
    """Cluster-GCN batches: ``batch_size`` random partitions and every edge between them.

    ``config``: a set's config path (or URL, directory, Zarr store) or an open :class:`gpf.PartitionSet`.
    ``node_feats``: feature names concatenated into ``x`` (a name, a list, or a per-type dict
    ``{"paper": ["feat"], ...}``); ``label`` -> ``y``; ``masks``: node features returned as bool
    fields; ``edge_feats`` -> ``edge_attr``; ``with_edge_ids`` adds ``e_id``.  Not given
    (``None``), each picks the conventional names where stored: ``x`` else ``feat`` for
    ``node_feats`` (PyG's, then DGL's name), ``y`` else ``label`` for ``label``, and
    ``train_mask``/``val_mask``/``test_mask``; ``[]`` asks for nothing.  ``repr(loader)`` shows
    which stored features fill each field.  A field that is not filled is absent from the batches
    (``batch.y`` raises an ``AttributeError`` listing the fields there are).  ``seed`` makes the epoch order reproducible (epoch ``e`` uses
    ``(seed, e)``); ``set_epoch`` sets the next epoch.  See the module docstring for
    ``device``, ``cache``, ``pin_memory`` and ``prefetch``.
    """

    def __init__(self, config, batch_size: int = 1, shuffle: bool = False, device="cpu", *,
                 node_feats=None, label=None, masks=None, edge_feats=(),
                 with_edge_ids: bool = False, drop_last: bool = False, pin_memory: bool = True,
                 prefetch: int = 2, seed: int | None = None, cache: str = "host") -> None:
        self.set = ps = open_partition_set(config)
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        if cache not in ("host", "device"):
            raise ValueError(f"cache must be 'host' or 'device', got {cache!r}")
        if prefetch < 0:
            raise ValueError(f"prefetch must be >= 0, got {prefetch}")
        self.batch_size = min(int(batch_size), ps.num_parts)
        self.shuffle, self.drop_last, self.prefetch = shuffle, drop_last, int(prefetch)
        # a fresh SeedSequence draws its entropy: an int (a sequence or None only when given one)
        self.seed = int(cast(int, np.random.SeedSequence().entropy) % (2 ** 63)) if seed is None else int(seed)
        self._epoch = 0
        self.transfer = tr = Transfer(device, pin_memory and cache == "host")
        self.device = tr.device
        self.ntypes, self.etypes = list(ps.ntypes), [tuple(e) for e in ps.etypes]
        self.is_homogeneous = ps.is_homogeneous
        self._ends = etype_endpoints(ps)

        ranges = ps.book.nodes.ranges
        self._counts = ranges[:, :, 1] - ranges[:, :, 0]                       # (T, P)
        self._typed_starts = np.cumsum(self._counts, axis=1) - self._counts   # (T, P) per-type ID offsets

        node_req = node_field_request(ps, node_feats, label, masks)
        self.fields = describe_fields(node_req)
        self._mask_fields = {f for t in node_req.values() for f in t if f not in ("x", "y")}
        edge_req = resolve_fields(ps, "edge", {"edge_attr": feature_names(edge_feats, "edge_feats")})
        self._node_tables = {ps.ntypes.index(t): {f: load_table(ps, "node", ps.ntypes.index(t), keys, tr)
                                                  for f, keys in fields.items()}
                             for t, fields in node_req.items()}
        etype_keys = [":".join(e) for e in self.etypes]
        self._edge_tables = {etype_keys.index(t): {f: load_table(ps, "edge", etype_keys.index(t), keys, tr)
                                                   for f, keys in fields.items()}
                             for t, fields in edge_req.items()}
        self.with_edge_ids = with_edge_ids
        self._edges = group_inner_edges(ps, tr, with_eid=with_edge_ids or bool(self._edge_tables))
        if cache == "device":
            self._move_tables_to(tr.device)
        self._data_device = tr.device if cache == "device" else torch.device("cpu")

    # -- epochs -------------------------------------------------------------------------------
    def __len__(self) -> int:
        P = self.set.num_parts
        return P // self.batch_size if self.drop_last else math.ceil(P / self.batch_size)

    def set_epoch(self, epoch: int) -> None:
        """The epoch the next ``iter(loader)`` runs (it then counts on from there)."""
        self._epoch = int(epoch)

    def epoch_batches(self, epoch: int) -> list[np.ndarray]:
        """The partition IDs of each batch of ``epoch``."""
        P = self.set.num_parts
        order = np.random.default_rng([self.seed, epoch]).permutation(P) if self.shuffle else np.arange(P)
        stop = len(self) * self.batch_size if self.drop_last else P
        return [order[i:min(i + self.batch_size, stop)] for i in range(0, stop, self.batch_size)]

    def __iter__(self):
        batches = self.epoch_batches(self._epoch)
        self._epoch += 1
        it = Prefetcher(batches, self.build, self.prefetch) if self.prefetch else map(self.build, batches)
        try:
            for batch, event in it:
                self.transfer.hand_over(event, batch.tensors())
                yield batch
        finally:
            if isinstance(it, Prefetcher):
                it.close()

    def batch(self, parts) -> Batch:
        """The batch of the given partitions, built now (outside any epoch)."""
        batch, event = self.build(np.asarray(parts, dtype=np.int64))
        self.transfer.hand_over(event, batch.tensors())
        return batch

    # -- building one batch ---------------------------------------------------------------------
    def plan(self, parts: np.ndarray) -> _Plan:
        P = self.set.num_parts
        parts = np.asarray(parts, dtype=np.int64)
        if parts.size == 0 or parts.min() < 0 or parts.max() >= P or np.unique(parts).size != parts.size:
            raise ValueError(f"{self.set.path}: a batch needs distinct partition IDs in [0, {P}), got {parts.tolist()}")
        node_starts, node_lens, node_base = [], [], []
        for t in range(len(self.ntypes)):
            lens = self._counts[t, parts]
            base = np.zeros(P, np.int64)
            base[parts] = exclusive_cumsum(lens)
            node_starts.append(self._typed_starts[t, parts])
            node_lens.append(lens)
            node_base.append(base)
        edge_starts, edge_lens, edge_base = [], [], []
        b = parts.size
        for r, (ts, td) in enumerate(self._ends):
            starts, lens = self._edges.segments(parts, r)
            src_base = np.broadcast_to(node_base[ts][parts][None, :], (b, b)).reshape(-1)
            dst_base = np.broadcast_to(node_base[td][parts][:, None], (b, b)).reshape(-1)
            keep = lens > 0
            edge_starts.append(starts[keep])
            edge_lens.append(lens[keep])
            edge_base.append(np.stack([src_base[keep], dst_base[keep]]))
        return _Plan(parts, node_starts, node_lens, node_base, edge_starts, edge_lens, edge_base)

    def build(self, parts: np.ndarray) -> tuple[Batch, torch.cuda.Event | None]:
        """Build one batch (called in the prefetch thread); returns it with its ready-event."""
        plan = self.plan(parts)
        tr = self.transfer
        nodes, edges, num_nodes = {}, {}, {}
        with tr.stream_context():
            for t, nt in enumerate(self.ntypes):
                total = int(plan.node_lens[t].sum())
                num_nodes[nt] = total
                fields = {f: tr.to_device(self._gather_rows(table, plan.node_starts[t], plan.node_lens[t], total))
                          for f, table in self._node_tables.get(t, {}).items()}
                for f in self._mask_fields & fields.keys():
                    fields[f] = fields[f].bool()
                fields["n_id"] = expand_ranges(self._small(plan.node_starts[t]), self._small(plan.node_lens[t]), total)
                nodes[nt] = fields
            for r, et in enumerate(self.etypes):
                edges[et] = self._build_edges(r, plan)
            event = tr.record()
        return Batch(nodes, edges, num_nodes, torch.from_numpy(plan.parts), self.is_homogeneous), event

    def _build_edges(self, r: int, plan: _Plan) -> dict[str, torch.Tensor]:
        tr, starts, lens = self.transfer, plan.edge_starts[r], plan.edge_lens[r]
        total = int(lens.sum())
        on_host = self._data_device.type == "cpu"
        idx = expand_ranges(self._small(starts, self._data_device), self._small(lens, self._data_device), total)
        rel = self._edges.rel
        rel_b = torch.index_select(rel, 1, idx, out=tr.empty((2, total), rel.dtype)) if on_host \
            else rel.index_select(1, idx)
        base = torch.repeat_interleave(self._small(plan.edge_base[r]), self._small(lens), dim=1, output_size=total)
        fields = {"edge_index": base.add_(tr.to_device(rel_b))}  # int64 += int32 offsets, in place
        if self._edges.eid is not None:
            eid = self._edges.eid
            eid_b = torch.index_select(eid, 0, idx, out=tr.empty((total,), eid.dtype)) if on_host \
                else eid.index_select(0, idx)
            if self.with_edge_ids:
                fields["e_id"] = tr.to_device(eid_b)
            for f, table in self._edge_tables.get(r, {}).items():
                out = tr.empty((total, *table.shape[1:]), table.dtype) if on_host else None
                fields[f] = tr.to_device(torch.index_select(table, 0, eid_b, out=out) if on_host
                                         else table.index_select(0, eid_b))
        return fields

    def _gather_rows(self, table: torch.Tensor, starts: np.ndarray, lens: np.ndarray, total: int) -> torch.Tensor:
        """Rows ``[s, s + l)`` for each slice, concatenated, where the table lives."""
        slices = [table[s:s + n] for s, n in zip(starts.tolist(), lens.tolist()) if n]
        if self._data_device.type == "cpu":
            out = self.transfer.empty((total, *table.shape[1:]), table.dtype)
            return torch.cat(slices, out=out) if slices else out
        return torch.cat(slices) if slices else table[:0].clone()

    def _small(self, a: np.ndarray, device=None) -> torch.Tensor:
        """A per-slice array (a few hundred numbers) on ``device`` (the target by default)."""
        t = torch.from_numpy(np.ascontiguousarray(a, dtype=np.int64))
        return t.to(device or self.transfer.device, non_blocking=True)

    def _move_tables_to(self, device: torch.device) -> None:
        for tables in (*self._node_tables.values(), *self._edge_tables.values()):
            for f in tables:
                tables[f] = tables[f].to(device)
        self._edges.rel = self._edges.rel.to(device)
        if self._edges.eid is not None:
            self._edges.eid = self._edges.eid.to(device)
        self.transfer.synchronize()

    def __repr__(self) -> str:
        return (f"ClusterLoader({self.set.graph_name!r}, parts={self.set.num_parts}, batch_size={self.batch_size}, "
                f"batches={len(self)}, device={self.device}, {self.fields or 'no node features'})")
