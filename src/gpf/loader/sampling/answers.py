"""Answers to a hop's sampling requests, with the rows the asker will need attached.

A rank that samples in-edges for another rank (the *asker*) knows the rows of every
neighbour it finds: each is the source of an inner edge of one of its partitions, so it
owns it or caches it as a HALO node.  It sends those rows with the edges, so the asker
never asks again.  It leaves out the rows the asker already has:

* nodes the asker owns;
* nodes the answerer owns that the asker cached when it was built (the answerer
  recorded which of its rows each rank asked for, :meth:`NodeRows.cached_by`).

One answer chunk (``int64`` words) is ``[E, n_0, n_1..., edges (E x C), ids_0, rows_0, ids_1,
rows_1...]``: ``E`` sampled edges of ``C`` words each (position * R + etype, neighbour hid, edge
ID when kept; two int32 to a word where every value fits), then per node type with fields (in
type order) ``n_t`` per-type IDs and their packed rows.
"""

from __future__ import annotations

import torch

from gpf.errors import GpfError
from gpf.loader.sampling.features import NodeRows
from gpf.loader.sampling.ownership import Ownership

__all__ = ["AttachedRows", "pack_answers", "unpack_answers"]


class AttachedRows:
    """The rule above, for one rank."""

    def __init__(self, own: Ownership, rows: NodeRows) -> None:
        self.own, self.rows = own, rows

    def to_send(self, nbr: torch.Tensor, asker: int) -> dict[int, torch.Tensor]:
        """Answering ``asker``: sorted per-type IDs (per type with fields) of the neighbours ``nbr`` (hids)
        found for it whose rows go with the answer."""
        owner = self.own.owner_rank(nbr)
        types, ids = self.own.split(nbr) if self.own.num_types > 1 else (None, nbr)
        out = {}
        for t in self.rows.types:
            sel = owner != asker if types is None else (owner != asker) & (types == t)
            mine = torch.nonzero(sel & (owner == self.own.rank)).view(-1)
            drop = torch.zeros_like(sel)
            drop[mine] = self.rows.cached_by(t, asker, ids[mine])
            out[t] = torch.unique(ids[sel & ~drop])
        return out


def pack_answers(edges: torch.Tensor, nbr: torch.Tensor, asker: torch.Tensor, world_size: int,
                 attach: AttachedRows | None) -> tuple[torch.Tensor, list[int]]:
    """One chunk of words per asker (module docstring); ``edges`` (E, C) words and ``nbr`` (E,) the
    neighbour of each edge, both sorted by ``asker``."""
    per = torch.bincount(asker, minlength=world_size).tolist()
    types = attach.rows.types if attach is not None else []
    chunks, counts, at = [], [], 0
    for j, n in enumerate(per):
        e = edges[at:at + n]
        found = nbr[at:at + n]
        at += n
        sending = attach.to_send(found, j) if attach is not None and j != attach.own.rank else \
            {t: e.new_zeros(0) for t in types}
        head = [n] + [int(sending[t].numel()) for t in types]
        parts = [torch.tensor(head, dtype=torch.int64, device=edges.device), e.reshape(-1)]
        for t in types:
            parts += [sending[t], attach.rows.lookup(t, sending[t]).reshape(-1)]  # type: ignore[union-attr]
        chunk = torch.cat(parts)
        chunks.append(chunk)
        counts.append(int(chunk.numel()))
    return torch.cat(chunks), counts


def unpack_answers(words: torch.Tensor, counts: list[int], columns: int, attach: AttachedRows | None,
                   received: dict[int, list[tuple[torch.Tensor, torch.Tensor]]]) -> tuple[torch.Tensor, list[int]]:
    """``(edges, per rank)``: the edges of every answer (rank 0's first), as (E, C), and how many came from
    each rank; appends the attached rows to ``received[t]`` as ``(ids, rows)``."""
    types = attach.rows.types if attach is not None else []
    edges, at = [], 0
    for i, n in enumerate(counts):
        chunk = words[at:at + n]
        at += n
        head = chunk[:1 + len(types)].tolist()
        e = head[0]
        off = 1 + len(types) + e * columns
        if n < off:
            raise GpfError(f"rank {attach.own.rank if attach else 0}: rank {i}'s answer is cut short "
                           f"({n} words, its header announces {e} edges)")
        edges.append(chunk[1 + len(types):off].view(e, columns))
        for t, m in zip(types, head[1:]):
            width = attach.rows.words[t]  # type: ignore[union-attr]
            end = off + m * (1 + width)
            if end > n:
                raise GpfError(f"rank {attach.own.rank}: rank {i}'s answer is cut short "  # type: ignore[union-attr]
                               f"({n} words, its header announces {m} rows of node type {t})")
            if m:
                received[t].append((chunk[off:off + m], chunk[off + m:end].view(m, width)))
            off = end
        if off != n:
            raise GpfError(f"rank {attach.own.rank if attach else 0}: rank {i}'s answer has {n - off} words "
                           "more than its header announces")
    return torch.cat(edges), [int(e.shape[0]) for e in edges]
