"""Data-parallel GCN training over a gpf partition set with ``torch.distributed`` (DistDGL-style).

Cora is cut into ``--parts`` METIS partitions; ``--world-size`` processes (spawned, CPU,
gloo backend, no torchrun) each load the partitions they own with
``gpf.loader.PartitionLoader`` -- full partitions with their HALO nodes -- train the same
2-layer GCN with the loss on their inner training nodes, and all-reduce (average) the
gradients after every step, so every rank holds the same model.  At the end the ranks
sum their test-set hits over their inner nodes, and check that their parameters are
identical.

    python examples/train_distributed.py [--world-size 2] [--parts 4] [--epochs 30]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))

import gpf  # noqa: E402
from cluster_gcn import GCN  # noqa: E402  (the plain-torch GCN of the Cluster-GCN example)
from gpf.datasets import cora  # noqa: E402
from gpf.loader import PartitionLoader  # noqa: E402
from gpf.loader.distributed import all_reduce_gradients  # noqa: E402


def worker(rank: int, world_size: int, config: str, init_file: str, epochs: int) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world_size)
    try:
        loader = PartitionLoader(config, device="cpu", node_feats="feat", label="label")  # rank/world from dist
        torch.manual_seed(0)
        model = GCN(loader.batches[int(loader.parts[0])].x.shape[1], 16, 7)
        for p in model.parameters():  # same start everywhere
            dist.broadcast(p.data, src=0)
        opt = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
        for epoch in range(epochs):
            model.train()
            for batch in loader:
                opt.zero_grad()
                out = model(batch.x, batch.edge_index)
                mask = batch.inner_mask & batch.train_mask       # each node's loss on exactly one rank
                loss = F.cross_entropy(out[mask], batch.y[mask]) if mask.any() else out.sum() * 0
                loss.backward()
                all_reduce_gradients(model)
                opt.step()

        model.eval()
        hits = torch.zeros(2)
        with torch.no_grad():
            for p in loader.parts.tolist():
                b = loader.batches[p]
                mask = b.inner_mask & b.test_mask
                pred = model(b.x, b.edge_index).argmax(1)
                hits += torch.tensor([float((pred[mask] == b.y[mask]).sum()), float(mask.sum())])
        dist.all_reduce(hits)
        flat = torch.cat([p.detach().reshape(-1) for p in model.parameters()])
        gathered = [torch.zeros_like(flat) for _ in range(world_size)]
        dist.all_gather(gathered, flat)
        same = all(torch.equal(gathered[0], g) for g in gathered)
        print(f"rank {rank}: partitions {loader.parts.tolist()}, {len(loader)} steps per epoch", flush=True)
        dist.barrier()
        if rank == 0:
            print(f"after {epochs} epochs: test accuracy {100 * hits[0] / hits[1]:.1f}% over {int(hits[1])} "
                  f"test nodes (inner nodes of all ranks); parameters identical on all {world_size} ranks: {same}",
                  flush=True)
        if not same:
            raise SystemExit(f"rank {rank}: parameters differ between ranks")
    finally:
        dist.destroy_process_group()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--world-size", type=int, default=2)
    ap.add_argument("--parts", type=int, default=4)
    ap.add_argument("--epochs", type=int, default=30)
    args = ap.parse_args()
    c = cora()
    graph = gpf.Graph.homogeneous(c["src"], c["dst"], c["num_nodes"],
                                  ndata={k: c[k] for k in ("feat", "label", "train_mask", "val_mask", "test_mask")})
    with tempfile.TemporaryDirectory() as tmp:
        gpf.partition(graph, args.parts, tmp, "cora", method="metis", seed=0, verbose=False)
        init_file = os.path.join(tmp, "dist-init")
        print(f"Cora in {args.parts} METIS partitions; {args.world_size} processes (gloo, CPU)", flush=True)
        mp.spawn(worker, args=(args.world_size, os.path.join(tmp, "cora.json"), init_file, args.epochs),
                 nprocs=args.world_size, join=True)


if __name__ == "__main__":
    main()
