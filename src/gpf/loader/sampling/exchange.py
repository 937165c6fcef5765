"""All-to-all exchanges between the ranks of a process group (gloo on CPU, nccl on GPU).

Every exchange is *collective*: all ranks of the group call it the same number of times,
in the same order, even with nothing to send.  :meth:`Exchange.all_to_all` sends one
contiguous chunk of a tensor to each rank (chunk ``j`` -> rank ``j``, the rank's own chunk
included) in a single ``all_to_all_single``, after one small ``all_to_all_single`` of
the chunk sizes when the receiver cannot compute them.  With one process (no group) an
exchange is the identity.
"""

from __future__ import annotations

import torch

__all__ = ["Exchange"]


class Exchange:
    def __init__(self, group, rank: int, world_size: int, device: torch.device) -> None:
        self.group, self.rank, self.world_size, self.device = group, rank, world_size, device

    def counts(self, send_counts: torch.Tensor) -> torch.Tensor:
        """Each rank tells each rank one number: ``out[j]`` = what rank ``j`` put at ``send_counts[rank]``."""
        if self.world_size == 1:
            return send_counts.clone()
        import torch.distributed as dist

        send = send_counts.to(device=self.device, dtype=torch.int64)
        out = torch.empty_like(send)
        dist.all_to_all_single(out, send, group=self.group)
        return out

    def all_to_all(self, send: torch.Tensor, send_counts: list[int],
                   recv_counts: list[int] | None = None) -> tuple[torch.Tensor, list[int]]:
        """Send ``send[off_j : off_j + send_counts[j]]`` (along dim 0) to rank ``j``.

        Returns the received rows (rank 0's chunk first) and the row count from each rank.
        ``recv_counts``: pass them when known (saves the size exchange).
        """
        if self.world_size == 1:
            return send, list(send_counts)
        import torch.distributed as dist

        if recv_counts is None:
            recv_counts = self.counts(torch.tensor(send_counts, dtype=torch.int64)).tolist()
        send = send.to(self.device).contiguous()
        out = torch.empty((sum(recv_counts), *send.shape[1:]), dtype=send.dtype, device=self.device)
        dist.all_to_all_single(out, send, recv_counts, list(send_counts), group=self.group)
        return out, recv_counts

    def all_reduce_max(self, value: int) -> int:
        if self.world_size == 1:
            return int(value)
        import torch.distributed as dist

        t = torch.tensor([int(value)], dtype=torch.int64, device=self.device)
        dist.all_reduce(t, op=dist.ReduceOp.MAX, group=self.group)
        return int(t.item())

    def all_gather_object(self, obj) -> list:
        if self.world_size == 1:
            return [obj]
        import torch.distributed as dist

        out: list = [None] * self.world_size
        dist.all_gather_object(out, obj, group=self.group)
        return out
