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
        self.tables: dict[int, torch.Tensor] = {}
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
            packed = np.zeros((n, off), np.uint8)
            for fl in layout:
                col = local[nt].get(fl.name)
                if n:
                    assert col is not None, (nt, fl.name)  # the layout lists the partition's own fields
                    packed[:, fl.offset:fl.offset + fl.nbytes] = np.ascontiguousarray(
                        col.astype(fl.dtype, copy=False)).reshape(n, -1).view(np.uint8)
            self.layouts[t] = layout
            self.tables[t] = torch.from_numpy(packed.view(np.int64)).to(device)
        self.types = sorted(self.layouts)
        self._type_end = {t: torch.from_numpy(own.type_end[t].copy()).to(device) for t in self.types}
        self.halo_ids: dict[int, torch.Tensor] = {}
        self.halo_rows: dict[int, torch.Tensor] = {}
        self._build_halo(ps, halo_cache)

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

    def _build_halo(self, ps, enabled: bool) -> None:
        halo = []
        if enabled:
            for p in self.own.parts.tolist():
                part = ps.partition(p)
                gnid = part.global_nid
                halo.append(gnid[~np.asarray(part.inner_node)])
        hids = np.unique(np.concatenate(halo)) if halo else np.zeros(0, np.int64)
        hids = hids[(hids < self.own.lo) | (hids >= self.own.hi)]
        types, per_type = self.own.split(torch.from_numpy(hids).to(self.device))
        for t in self.types:                       # collective: every rank, every type, same order
            ids = per_type[types == t]             # sorted: hids of one type ascend with their per-type IDs
            self.halo_ids[t] = ids
            self.halo_rows[t] = self._remote(t, ids)

    # -- fetching ---------------------------------------------------------------------------
    def gather(self, t: int, ids: torch.Tensor, exchange: Exchange | None = None) -> torch.Tensor:
        """Packed rows of the type-``t`` nodes ``ids`` (per-type IDs); collective (on ``exchange``, default
        the one the rows were built with)."""
        exchange = exchange or self.exchange
        table = self.tables[t]
        lo, hi = int(self.own.type_lo[t]), int(self.own.type_hi[t])
        mine = (ids >= lo) & (ids < hi)
        if bool(mine.all()):
            out = table.index_select(0, ids - lo)
            self._remote(t, ids[:0], exchange)      # collective even with nothing to ask for
            return out
        out = torch.empty((ids.numel(), table.shape[1]), dtype=table.dtype, device=self.device)
        at = torch.nonzero(mine).view(-1)
        out.index_copy_(0, at, table.index_select(0, ids[at] - lo))
        rest = torch.nonzero(~mine).view(-1)
        cached = self.halo_ids[t]
        if cached.numel() and rest.numel():
            want = ids[rest]
            slot = torch.searchsorted(cached, want).clamp_(max=cached.numel() - 1)
            hit = cached[slot] == want
            out.index_copy_(0, rest[hit], self.halo_rows[t].index_select(0, slot[hit]))
            rest = rest[~hit]
        out.index_copy_(0, rest, self._remote(t, ids[rest], exchange))
        return out

    def _remote(self, t: int, ids: torch.Tensor, exchange: Exchange | None = None) -> torch.Tensor:
        """Rows of ``ids`` from their owners: one size, one request and one reply exchange."""
        W = self.own.world_size
        owner = torch.searchsorted(self._type_end[t], ids, right=True)
        order = torch.argsort(owner, stable=True)
        counts = torch.bincount(owner, minlength=W).tolist()
        exchange = exchange or self.exchange
        req, req_counts = exchange.all_to_all(ids[order], counts)
        lo, hi = int(self.own.type_lo[t]), int(self.own.type_hi[t])
        if req.numel() and (int(req.min()) < lo or int(req.max()) >= hi):
            raise GpfError(f"rank {self.own.rank}: asked for node rows outside its range [{lo}, {hi}) of node type {t}")
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
        return sum(int(t.numel() * t.element_size()) for d in (self.tables, self.halo_rows) for t in d.values())
