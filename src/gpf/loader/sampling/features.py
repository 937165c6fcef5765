"""Node rows of a rank: its own nodes' stored features, a HALO cache, and remote fetches.

Per node type, every field a batch asks for (``x``, ``y``, masks) is one tensor
(*column*) holding

* the rows of the nodes this rank owns (read once from its own partitions' feature files),
  in per-type ID order;
* then the rows of its partitions' HALO nodes owned by other ranks, fetched once from
  their owners when the loader is built (the *HALO cache*: every in-neighbour of an
  owned node is owned or HALO), in ``halo_ids`` order;

so a batch's rows are one ``index_select`` per field.  Rows travel between ranks
*packed*: the fields of a row side by side, each padded to whole 8-byte words, as
``int64`` words (:meth:`NodeRows.pack` / :meth:`NodeRows.unpack`).  Rows a rank has
not got come with the sampler's answers (:mod:`gpf.loader.sampling.answers`) or, without
HALO caches, from :meth:`NodeRows.gather`, a collective call: every rank calls it for
every node type with fields, once per batch, in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from gpf.errors import GpfError
from gpf.loader.sampling.dense import fits_dense, hugepage_empty
from gpf.loader.sampling.exchange import Exchange
from gpf.loader.sampling.ownership import Ownership, owned_columns, owned_rows

__all__ = ["NodeRows", "FieldLayout", "ReceivedRows"]

#: HALO rows fetched per exchange while a loader is built (bounds its buffers)
HALO_CHUNK_ROWS = 1 << 16


@dataclass(frozen=True)
class FieldLayout:
    name: str
    offset: int            # word offset in the packed row
    words: int             # words it takes there
    dtype: str             # numpy dtype string
    shape: tuple[int, ...]  # trailing shape
    is_mask: bool

    @property
    def nbytes(self) -> int:
        return int(np.dtype(self.dtype).itemsize * int(np.prod(self.shape)))


class ReceivedRows:
    """The packed rows of one node type that other ranks attached to their answers (``(ids, rows)`` chunks),
    sorted by ID once so that every batch of a group finds its rows by search."""

    def __init__(self, chunks: list[tuple[torch.Tensor, torch.Tensor]]) -> None:
        self.ids: torch.Tensor | None = None
        if chunks:
            ids = torch.cat([i for i, _ in chunks])
            order = torch.argsort(ids)
            self.ids, self.order, self.rows = ids.index_select(0, order), order, torch.cat([r for _, r in chunks])

    def find(self, want: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(found, rows)``: which of ``want`` came, and their packed rows (in ``want`` order)."""
        if self.ids is None or want.numel() == 0:
            return torch.zeros_like(want, dtype=torch.bool), want.new_zeros((0, 0))
        at = torch.searchsorted(self.ids, want).clamp_(max=self.ids.numel() - 1)
        found = self.ids.index_select(0, at) == want
        return found, self.rows.index_select(0, self.order.index_select(0, at[found]))


class NodeRows:
    def __init__(self, ps, own: Ownership, request: dict[str, dict[str, list[str]]], mask_fields: set[str],
                 exchange: Exchange, device: torch.device, halo_cache: bool = True) -> None:
        self.own, self.exchange, self.device = own, exchange, device
        ntypes = list(ps.ntypes)
        # per type and field: where its stored features lie in this rank's partitions (checked there)
        where = {nt: {f: owned_columns(ps, own, ntypes.index(nt), [k.split("/", 1)[1] for k in keys])
                      for f, keys in fields.items()} for nt, fields in request.items()}
        # Every rank must agree on each field's dtype and shape (a rank may own no row of a type).
        metas = exchange.all_gather_object(
            {nt: [(f, _stored_dtype(c, f in mask_fields), c.shape(0)[1:]) for f, c in cols.items()]
             for nt, cols in where.items() if own.type_hi[ntypes.index(nt)] > own.type_lo[ntypes.index(nt)]})
        self.layouts: dict[int, list[FieldLayout]] = {}
        self.words: dict[int, int] = {}          # words per packed row
        #: ``columns[t][field]``: the owned nodes' rows, then the HALO cache's (module docstring)
        self.columns: dict[int, dict[str, torch.Tensor]] = {}
        self.num_owned: dict[int, int] = {}
        self.halo_ids = self._halo_ids(ps, halo_cache)
        for nt in sorted(request, key=ntypes.index):
            t = ntypes.index(nt)
            seen = {tuple((f, d, tuple(s)) for f, d, s in m[nt]) for m in metas if nt in m}
            if len(seen) > 1:
                raise GpfError(f"{ps.path}: node type {nt!r}: the stored features differ between partitions "
                               f"(fields, dtypes, shapes: {sorted(seen)})")
            if not seen:                                     # no rank owns a row of this type
                seen = {tuple((f, _stored_dtype(c, f in mask_fields), c.shape(0)[1:])
                              for f, c in where[nt].items())}
            layout, off = [], 0
            for f, d, shape in next(iter(seen)):
                words = -(-int(np.dtype(d).itemsize * int(np.prod(shape))) // 8)
                layout.append(FieldLayout(f, off, words, d, tuple(shape), f in mask_fields))
                off += words
            n = int(own.type_hi[t] - own.type_lo[t])
            total = n + int(self.halo_ids[t].numel())
            cols = {}
            for fl in layout:
                col = hugepage_empty((total, *fl.shape), _torch_dtype(fl.dtype), device)
                if n:                                        # the set-level gather, straight into the column
                    names = [k.split("/", 1)[1] for k in request[nt][fl.name]]
                    host = col[:n].numpy() if device.type == "cpu" else np.empty((n, *fl.shape), fl.dtype)
                    owned_rows(ps, own, t, names, out=host, columns=where[nt][fl.name])
                    if device.type != "cpu":
                        col[:n] = torch.from_numpy(host)
                cols[fl.name] = col
            self.layouts[t], self.words[t], self.columns[t], self.num_owned[t] = layout, off, cols, n
        self.types = sorted(self.layouts)
        self._type_end = {t: torch.from_numpy(own.type_end[t].copy()).to(device) for t in self.types}
        #: which of this rank's rows each rank caches: per type, per rank, sorted IDs or (dense) a mask
        self._peer_cached = self._fetch_halo_rows(exchange)
        #: ``slot_of[t][id]``: where a type-``t`` node's row is in the columns (-1: not here), where it fits
        self._slot_of = {t: self._slot_map(t) for t in self.types}

    # -- building ---------------------------------------------------------------------------
    def _fetch_halo_rows(self, exchange: Exchange) -> dict[int, list[torch.Tensor]]:
        """Fill the HALO part of every column from the owners, in bounded rounds; returns, per type and
        rank, which of this rank's rows that rank asked for (it caches them)."""
        own, device = self.own, self.device
        peer_cached: dict[int, list[torch.Tensor]] = {}
        for t in self.types:                       # collective: every rank, every type, same order
            n, h = self.num_owned[t], int(self.halo_ids[t].numel())
            rounds = exchange.all_reduce_max(-(-h // HALO_CHUNK_ROWS))  # bounded buffers, same count everywhere
            per_round: list[list[torch.Tensor]] = []
            for i in range(rounds):
                ids = self.halo_ids[t][i * HALO_CHUNK_ROWS:(i + 1) * HALO_CHUNK_ROWS]
                asked_now: list[torch.Tensor] = []
                rows = self.unpack(t, self._remote(t, ids, asked=asked_now), as_bool=False)
                for name, col in self.columns[t].items():
                    col[n + i * HALO_CHUNK_ROWS:n + i * HALO_CHUNK_ROWS + ids.numel()] = rows[name]
                per_round.append(asked_now)
            asked = [torch.sort(torch.cat([r[j] for r in per_round])).values if per_round
                     else torch.zeros(0, dtype=torch.int64, device=device) for j in range(own.world_size)]
            if fits_dense(n * own.world_size // 4):
                masks = []
                for ids in asked:
                    mask = torch.zeros(n, dtype=torch.bool, device=device)
                    mask[ids - int(own.type_lo[t])] = True
                    masks.append(mask)
                asked = masks
            peer_cached[t] = asked
        return peer_cached

    def _slot_map(self, t: int) -> torch.Tensor | None:
        """Dense ``int32`` slot of every type-``t`` node's row (-1: not here), or None where it does not fit."""
        size = int(self.own.type_end[t, -1])
        if not fits_dense(size):
            return None
        n, lo, device = self.num_owned[t], int(self.own.type_lo[t]), self.device
        slot = hugepage_empty((size,), torch.int32, device).fill_(-1)
        slot[lo:lo + n] = torch.arange(n, dtype=torch.int32, device=device)
        slot[self.halo_ids[t]] = torch.arange(n, n + self.halo_ids[t].numel(), dtype=torch.int32, device=device)
        return slot

    def cached_by(self, t: int, rank: int, ids: torch.Tensor) -> torch.Tensor:
        """Which of ``ids`` (type ``t``, owned by this rank) ``rank`` caches."""
        have = self._peer_cached[t][rank]
        if have.dtype == torch.bool:
            return have.index_select(0, ids - int(self.own.type_lo[t]))
        if have.numel() == 0 or ids.numel() == 0:
            return torch.zeros_like(ids, dtype=torch.bool)
        return have[torch.searchsorted(have, ids).clamp_(max=have.numel() - 1)] == ids

    def _halo_ids(self, ps, enabled: bool) -> dict[int, torch.Tensor]:
        """Per node type, the sorted per-type IDs of this rank's partitions' HALO nodes owned by other ranks."""
        halo = []
        if enabled:
            for p in self.own.parts.tolist():
                part = ps.partition(p)
                halo.append(part.global_nid[~np.asarray(part.inner_node)])
        hids = np.unique(np.concatenate(halo)) if halo else np.zeros(0, np.int64)
        hids = hids[(hids < self.own.lo) | (hids >= self.own.hi)]
        types, per_type = self.own.split(torch.from_numpy(hids).to(self.device))
        # sorted: hids of one type ascend with their per-type IDs
        return {t: per_type[types == t] for t in range(self.own.num_types)}

    # -- rows of a batch ----------------------------------------------------------------------
    def gather(self, t: int, ids: torch.Tensor, exchange: Exchange | None = None) -> dict[str, torch.Tensor]:
        """The fields of the type-``t`` nodes ``ids`` (per-type IDs); collective (on ``exchange``, default
        the one the rows were built with): rows neither owned nor cached come from their owners."""
        out, rest = self._fill(t, ids)
        remote = self.unpack(t, self._remote(t, ids[rest], exchange or self.exchange), as_bool=False)  # even if none
        for name, col in out.items():
            col.index_copy_(0, rest, remote[name])
        return self._as_fields(t, out)

    def rows_of(self, t: int, ids: torch.Tensor, received: ReceivedRows) -> dict[str, torch.Tensor]:
        """The fields of ``ids`` (type ``t``) from this rank's columns or ``received`` (rows other ranks
        attached to their answers); not collective."""
        out, rest = self._fill(t, ids, received)
        if rest.numel():
            raise GpfError(f"rank {self.own.rank}: no row of node {int(ids[rest[0]])} (type {t}) here: not owned, "
                           "not cached and not sent by its sampler (a partition lacks a HALO node of an inner edge?)")
        return self._as_fields(t, out)

    def lookup(self, t: int, ids: torch.Tensor) -> torch.Tensor:
        """Packed rows of type-``t`` nodes this rank owns or caches (``ids``: per-type IDs); not collective."""
        out, rest = self._fill(t, ids)
        if rest.numel():
            raise GpfError(f"rank {self.own.rank}: asked for the row of node {int(ids[rest[0]])} (type {t}), "
                           "which it neither owns nor caches")
        return self.pack(t, out)

    def _fill(self, t: int, ids: torch.Tensor, received: ReceivedRows | None = None
              ) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """``(fields, missing)``: the rows of ``ids`` found here (owned, cached, received) and the positions
        of the others (their rows left unset)."""
        n, lo = self.num_owned[t], int(self.own.type_lo[t])
        dense = self._slot_of[t]
        if dense is not None:
            slot = dense.index_select(0, ids).to(torch.int64)
            other = torch.nonzero(slot < 0).view(-1)
            slot[other] = 0
        else:
            slot = ids - lo
            other = torch.nonzero((slot < 0) | (slot >= n)).view(-1)
        if other.numel() and dense is None:
            want = ids[other]
            cached = self.halo_ids[t]
            hit = torch.zeros_like(other, dtype=torch.bool)
            if cached.numel():
                at = torch.searchsorted(cached, want).clamp_(max=cached.numel() - 1)
                hit = cached[at] == want
                slot[other] = torch.where(hit, at + n, 0)
            else:
                slot[other] = 0
            other = other[~hit]
        if n + int(self.halo_ids[t].numel()) == 0:          # no row here at all
            out = {name: col.new_zeros((ids.numel(), *col.shape[1:])) for name, col in self.columns[t].items()}
        else:
            out = {name: col.index_select(0, slot) for name, col in self.columns[t].items()}
        if received is not None and other.numel():
            found, packed = received.find(ids.index_select(0, other))
            if packed.numel():
                rows = self.unpack(t, packed, as_bool=False)
                for name, col in out.items():
                    col.index_copy_(0, other[found], rows[name])
                other = other[~found]
        return out, other

    def _as_fields(self, t: int, cols: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        for fl in self.layouts[t]:
            if fl.is_mask:
                cols[fl.name] = cols[fl.name].bool()
        return cols

    # -- rows between ranks ---------------------------------------------------------------------
    def pack(self, t: int, fields: dict[str, torch.Tensor]) -> torch.Tensor:
        """``(m, words)`` int64: the rows ``fields`` (as stored), packed."""
        layout = self.layouts[t]
        m = next(iter(fields.values())).shape[0] if fields else 0
        out = torch.zeros((m, self.words[t]), dtype=torch.int64, device=self.device)
        raw = out.view(torch.uint8)
        for fl in layout:
            flat = fields[fl.name].reshape(m, int(np.prod(fl.shape)))
            raw[:, fl.offset * 8:fl.offset * 8 + fl.nbytes] = flat.view(torch.uint8)
        return out

    def unpack(self, t: int, rows: torch.Tensor, as_bool: bool = True) -> dict[str, torch.Tensor]:
        """The fields of packed rows (masks as bool unless ``as_bool=False``: as stored)."""
        out = {}
        m = rows.shape[0]
        raw = rows.contiguous().view(torch.uint8)
        for fl in self.layouts[t]:
            col = raw[:, fl.offset * 8:fl.offset * 8 + fl.nbytes].contiguous()
            val = col.view(_torch_dtype(fl.dtype)).reshape(m, *fl.shape)
            out[fl.name] = val.bool() if (fl.is_mask and as_bool) else val
        return out

    def _remote(self, t: int, ids: torch.Tensor, exchange: Exchange | None = None,
                asked: list[torch.Tensor] | None = None) -> torch.Tensor:
        """Packed rows of ``ids`` from their owners: one size, one request and one reply exchange.  ``asked``:
        filled with the sorted IDs each rank asked this one for."""
        W = self.own.world_size
        owner = torch.searchsorted(self._type_end[t], ids, right=True)
        order = torch.argsort(owner, stable=True)
        counts = torch.bincount(owner, minlength=W).tolist()
        exchange = exchange or self.exchange
        req, req_counts = exchange.all_to_all(ids[order], counts)
        lo, hi = int(self.own.type_lo[t]), int(self.own.type_hi[t])
        if req.numel() and (int(req.min()) < lo or int(req.max()) >= hi):
            raise GpfError(f"rank {self.own.rank}: asked for node rows outside its range [{lo}, {hi}) of node type {t}")
        if asked is not None:
            asked.extend(torch.sort(c).values for c in torch.split(req, req_counts))
        mine = {name: col.index_select(0, req - lo) for name, col in self.columns[t].items()}
        rows, _ = exchange.all_to_all(self.pack(t, mine), req_counts, recv_counts=counts)
        out = torch.empty_like(rows)
        out.index_copy_(0, order, rows)
        return out

    def nbytes(self) -> int:
        return sum(int(c.numel() * c.element_size()) for cols in self.columns.values() for c in cols.values())


def _torch_dtype(dtype: str) -> torch.dtype:
    return torch.from_numpy(np.zeros(0, dtype)).dtype


def _stored_dtype(columns, is_mask: bool) -> str:
    """How a field is kept: its promoted dtype; masks and bools as uint8."""
    return "|u1" if is_mask or columns.dtype == np.bool_ else columns.dtype.str
