"""Node rows of a rank: its own nodes' stored features, a HALO cache, and remote fetches.

Per node type, every field a batch asks for (``x``, ``y``, masks) is packed into one
row of bytes (fields side by side, padded to whole 8-byte words and stored as ``int64``),
so one ``index_select`` and one exchange move all of them.  A rank keeps

* the rows of the nodes it owns (read once from its own partitions' feature files);
* the rows of its partitions' HALO nodes owned by other ranks, fetched once from their
  owners when the loader is built (the *HALO cache*: the first hop of a seed's
  neighbourhood is always local or HALO);

and fetches any other row from its owner with :meth:`NodeRows.gather`, a collective
call: every rank calls it for every node type with fields, once per batch, in the same
order (one size exchange, one request exchange, one reply exchange per type).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from gpf.errors import GpfError
from gpf.loader.sampling.exchange import Exchange
from gpf.loader.sampling.ownership import Ownership, owned_feature_chunks

__all__ = ["NodeRows", "FieldLayout"]


@dataclass(frozen=True)
class FieldLayout:
    name: str
    offset: int            # byte offset in the packed row
    nbytes: int
    dtype: str             # numpy dtype string
    shape: tuple[int, ...]  # trailing shape
    is_mask: bool


class NodeRows:
    def __init__(self, ps, own: Ownership, request: dict[str, dict[str, list[str]]], mask_fields: set[str],
                 exchange: Exchange, device: torch.device, halo_cache: bool = True) -> None:
        self.own, self.exchange, self.device = own, exchange, device
        ntypes = list(ps.ntypes)
        local = {nt: self._read_owned(ps, own, ntypes.index(nt), fields, mask_fields)
                 for nt, fields in request.items()}
        # Every rank must agree on each field's dtype and shape (a rank may own no row of a type).
        metas = exchange.all_gather_object({nt: [(f, a.dtype.str, a.shape[1:]) for f, a in cols.items()]
                                            for nt, cols in local.items() if cols and next(iter(cols.values())).shape[0]})
        self.layouts: dict[int, list[FieldLayout]] = {}
        #: per node type: the owned nodes' rows (per-type ID order), then the HALO cache's (``halo_ids`` order)
        self.tables: dict[int, torch.Tensor] = {}
        self.num_owned: dict[int, int] = {}
        self.halo_ids = self._halo_ids(ps, halo_cache)
        for nt in sorted(request, key=ntypes.index):
            t = ntypes.index(nt)
            seen = {tuple((f, d, tuple(s)) for f, d, s in m[nt]) for m in metas if nt in m}
            if len(seen) > 1:
                raise GpfError(f"{ps.path}: node type {nt!r}: the stored features differ between partitions "
                               f"(fields, dtypes, shapes: {sorted(seen)})")
            if not seen:                                     # no rank owns a row of this type
                seen = {tuple((f, a.dtype.str, a.shape[1:]) for f, a in local[nt].items())}
            layout, off = [], 0
            for f, d, s in next(iter(seen)):
                nb = int(np.dtype(d).itemsize * int(np.prod(s)))
                layout.append(FieldLayout(f, off, nb, d, tuple(s), f in mask_fields))
                off += -(-nb // 8) * 8                       # every field starts on a word: views stay aligned
            n = int(own.type_hi[t] - own.type_lo[t])
            off = -(-off // 8) * 8                           # whole int64 words
            packed = np.zeros((n + int(self.halo_ids[t].numel()), off), np.uint8)
            for fl in layout:
                col = local[nt].get(fl.name)
                if n:
                    assert col is not None, (nt, fl.name)  # the layout lists the partition's own fields
                    packed[:n, fl.offset:fl.offset + fl.nbytes] = np.ascontiguousarray(
                        col.astype(fl.dtype, copy=False)).reshape(n, -1).view(np.uint8)
            self.layouts[t] = layout
            self.num_owned[t] = n
            self.tables[t] = torch.from_numpy(packed.view(np.int64)).to(device)
            del packed
        self.types = sorted(self.layouts)
        self._type_end = {t: torch.from_numpy(own.type_end[t].copy()).to(device) for t in self.types}
        #: ``peer_cached[t][j]``: the sorted type-``t`` IDs of this rank's nodes that rank ``j`` caches
        self.peer_cached: dict[int, list[torch.Tensor]] = {}
        for t in self.types:                       # collective: every rank, every type, same order
            n = self.num_owned[t]
            self.tables[t][n:] = self._remote(t, self.halo_ids[t], asked=self.peer_cached.setdefault(t, []))

    # -- building ---------------------------------------------------------------------------
    @staticmethod
    def _read_owned(ps, own: Ownership, t: int, fields: dict[str, list[str]], mask_fields: set[str]) -> dict:
        """``{field: array}`` with the rows of the type-``t`` nodes this rank owns, in per-type ID order."""
        out = {}
        for field, keys in fields.items():
            cols = []
            for key in keys:
                chunks = owned_feature_chunks(ps, own, t, key, "node feature")
                if chunks:
                    cols.append(np.concatenate(chunks) if len(chunks) > 1 else chunks[0])
            if not cols:
                cols = [np.zeros(0, np.uint8 if field in mask_fields else np.float32)]
            if len(cols) == 1:
                a = cols[0]
            else:
                dtype = np.result_type(*cols)
                a = np.concatenate([c.reshape(c.shape[0], -1).astype(dtype, copy=False) for c in cols], axis=1)
            out[field] = a.astype(np.uint8) if a.dtype == np.bool_ else a
        return out

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

    # -- fetching ---------------------------------------------------------------------------
    def gather(self, t: int, ids: torch.Tensor, exchange: Exchange | None = None) -> torch.Tensor:
        """Packed rows of the type-``t`` nodes ``ids`` (per-type IDs); collective (on ``exchange``, default
        the one the rows were built with): rows neither owned nor cached come from their owners."""
        out, rest = self._fill(t, ids, [])
        out.index_copy_(0, rest, self._remote(t, ids[rest], exchange or self.exchange))  # even with none missing
        return out

    def lookup(self, t: int, ids: torch.Tensor) -> torch.Tensor:
        """Packed rows of type-``t`` nodes this rank owns or caches (``ids``: per-type IDs); not collective."""
        return self.rows_of(t, ids, [])

    def rows_of(self, t: int, ids: torch.Tensor, received: list[tuple[torch.Tensor, torch.Tensor]]) -> torch.Tensor:
        """Packed rows of ``ids`` (type ``t``) from this rank's table, ``received`` ``(ids, rows)`` pairs (rows
        other ranks attached to their answers) or the HALO cache; not collective."""
        out, rest = self._fill(t, ids, received)
        if rest.numel():
            raise GpfError(f"rank {self.own.rank}: no row of node {int(ids[rest[0]])} (type {t}) here: not owned, "
                           "not cached and not sent by its sampler (a partition lacks a HALO node of an inner edge?)")
        return out

    def _fill(self, t: int, ids: torch.Tensor, received: list[tuple[torch.Tensor, torch.Tensor]]
              ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(rows, missing)``: the rows of ``ids`` found here (owned, cached, received) and the positions
        of the others (their rows left unset)."""
        table, n = self.tables[t], self.num_owned[t]
        lo = int(self.own.type_lo[t])
        slot = ids - lo
        other = torch.nonzero((slot < 0) | (slot >= n)).view(-1)
        if other.numel() == 0:
            return table.index_select(0, slot), other
        want = ids[other]
        cached = self.halo_ids[t]
        hit = torch.zeros_like(other, dtype=torch.bool)
        if cached.numel():
            at = torch.searchsorted(cached, want).clamp_(max=cached.numel() - 1)
            hit = cached[at] == want
            slot[other] = torch.where(hit, at + n, 0)
        else:
            slot[other] = 0
        out = table.index_select(0, slot)
        rest = other[~hit]
        if received and rest.numel():
            got = torch.cat([i for i, _ in received])
            order = torch.argsort(got)
            got = got[order]
            want = ids[rest]
            at = torch.searchsorted(got, want).clamp_(max=got.numel() - 1)
            found = got[at] == want
            rows = torch.cat([r for _, r in received])
            out.index_copy_(0, rest[found], rows.index_select(0, order[at[found]]))
            rest = rest[~found]
        return out, rest

    def _remote(self, t: int, ids: torch.Tensor, exchange: Exchange | None = None,
                asked: list[torch.Tensor] | None = None) -> torch.Tensor:
        """Rows of ``ids`` from their owners: one size, one request and one reply exchange.  ``asked``: filled
        with the sorted IDs each rank asked this one for."""
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
        rows, _ = exchange.all_to_all(self.tables[t].index_select(0, req - lo), req_counts, recv_counts=counts)
        out = torch.empty_like(rows)
        out.index_copy_(0, order, rows)
        return out

    def unpack(self, t: int, rows: torch.Tensor) -> dict[str, torch.Tensor]:
        out = {}
        n = rows.shape[0]
        rows = rows.view(torch.uint8)
        for fl in self.layouts[t]:
            col = rows[:, fl.offset:fl.offset + fl.nbytes].contiguous()
            dtype = torch.from_numpy(np.zeros(0, fl.dtype)).dtype
            val = col.view(dtype).reshape(n, *fl.shape)
            out[fl.name] = val.bool() if fl.is_mask else val
        return out

    def nbytes(self) -> int:
        return sum(int(t.numel() * t.element_size()) for t in self.tables.values())
