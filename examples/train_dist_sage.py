"""GraphSAGE with neighbour sampling on 2 CPU processes, each holding only its own partitions.

A Planetoid graph (Cora, bundled; or CiteSeer) is cut into ``--parts`` METIS partitions;
``--world-size`` processes (spawned, gloo, no torchrun) each build a
``gpf.loader.DistNeighborLoader`` over the partitions they own: per step every rank samples
a mini-batch of its own training nodes (neighbours of remote nodes come from their owners
in one all-to-all per hop), trains the same GraphSAGE and averages the gradients.  Test
accuracy: every rank scores its own test nodes on their full 2-hop neighbourhoods
(fan-outs ``-1``), and the hits are summed.

``--baseline`` also trains the same model in one process with PyG's ``NeighborLoader``
(``GpfNeighborSampler``, pure torch) on the whole graph, with the same fan-outs, epochs
and global batch size, and prints both accuracies.

    python examples/train_dist_sage.py [--dataset cora|citeseer] [--epochs 30] [--seeds 0 1 2] [--baseline]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F

import gpf
from gpf.loader import DistNeighborLoader
from gpf.loader.distributed import all_reduce_gradients

ROOT = Path(__file__).resolve().parent.parent
SPLITS = ("train_mask", "val_mask", "test_mask")


def planetoid(name: str) -> dict:
    """``src``, ``dst``, ``num_nodes``, ``feat``, ``label`` and the standard masks of a Planetoid graph.

    Cora is bundled with gpf; other names come from ``gpf.datasets`` when bundled there,
    else from the Planetoid raw files under ``../shared/data/planetoid/<Name>/raw`` (beside
    the repository), read by PyG's ``Planetoid`` in a temporary copy.
    """
    import gpf.datasets

    bundled = getattr(gpf.datasets, name.lower(), None)
    if bundled is not None:
        return bundled()
    proper = {"citeseer": "CiteSeer", "pubmed": "PubMed", "cora": "Cora"}.get(name.lower(), name)
    raw = ROOT.parent / "shared" / "data" / "planetoid" / proper / "raw"
    if not raw.is_dir():
        raise SystemExit(f"{name}: not bundled with gpf and no Planetoid raw files at {raw}")
    from torch_geometric.datasets import Planetoid

    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(raw, Path(tmp) / proper / "raw")
        data = Planetoid(tmp, proper)[0]
    out = {"src": data.edge_index[0].numpy(), "dst": data.edge_index[1].numpy(), "num_nodes": int(data.num_nodes),
           "feat": data.x.numpy(), "label": data.y.numpy()}
    out.update({m: getattr(data, m).numpy() for m in SPLITS})
    return out


def make_model(in_dim: int, classes: int, seed: int):
    from torch_geometric.nn import GraphSAGE

    torch.manual_seed(seed)
    return GraphSAGE(in_dim, 64, num_layers=2, out_channels=classes, dropout=0.5)


# -- distributed -----------------------------------------------------------------------------------
def worker(rank: int, world_size: int, config: str, init_file: str, args, out_file: str) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world_size)
    try:
        accs = []
        for seed in args.seeds:
            accs.append(train_and_test(rank, world_size, config, args, seed))
            if rank == 0:
                print(f"  distributed, seed {seed}: test accuracy {100 * accs[-1]:.1f}%", flush=True)
        if rank == 0:
            np.save(out_file, np.array(accs))
    finally:
        dist.destroy_process_group()


def train_and_test(rank: int, world_size: int, config: str, args, seed: int) -> float:
    loader = DistNeighborLoader(config, args.fanouts, args.batch_size, seeds="train_mask", node_feats="feat",
                                label="label", seed=seed)
    num_classes = int(dist_max(int(loader.set.partition(int(loader.parts[0])).node_feats["_N/label"].max()))) + 1
    dim = loader.set.partition(int(loader.parts[0])).node_feats["_N/feat"].shape[1]
    model = make_model(dim, num_classes, seed)          # same seed, same start on every rank
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=5e-4)
    for epoch in range(args.epochs):
        model.train()
        loader.set_epoch(epoch)
        for batch in loader:
            opt.zero_grad()
            if batch.batch_size:
                out = model(batch.x, batch.edge_index)[:batch.batch_size]
                loss = F.cross_entropy(out, batch.y[:batch.batch_size])
            else:                                   # a filler step: no seeds here, still all-reduce
                loss = sum(p.sum() for p in model.parameters()) * 0.0
            loss.backward()
            all_reduce_gradients(model)
            opt.step()
    model.eval()
    test = DistNeighborLoader(config, [-1] * len(args.fanouts), 256, seeds="test_mask", shuffle=False,
                              node_feats="feat", label="label")
    hits = torch.zeros(2)
    with torch.no_grad():
        for batch in test:
            if batch.batch_size:
                pred = model(batch.x, batch.edge_index)[:batch.batch_size].argmax(-1)
                hits += torch.tensor([float((pred == batch.y[:batch.batch_size]).sum()), float(batch.batch_size)])
    dist.all_reduce(hits)
    return float(hits[0] / hits[1])


def dist_max(value: int) -> int:
    t = torch.tensor([value])
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return int(t)


def run_distributed(config: str, args, tmp: str) -> np.ndarray:
    out_file = os.path.join(tmp, "dist-acc.npy")
    mp.spawn(worker, args=(args.world_size, config, os.path.join(tmp, "dist-init"), args, out_file),
             nprocs=args.world_size, join=True)
    return np.load(out_file)


# -- one process, PyG's NeighborLoader on the whole graph --------------------------------------------
def run_baseline(d: dict, args) -> np.ndarray:
    """The same model, fan-outs, epochs and global batch size in one process: PyG's ``NeighborLoader``
    over the whole graph (a ``Data``), sampling with gpf's pure-torch ``GpfNeighborSampler``; tested
    on the whole graph at once (exact, like the distributed run's full-neighbourhood test batches)."""
    from torch_geometric.data import Data
    from torch_geometric.loader import NeighborLoader

    from gpf.converters.pyg import GpfNeighborSampler

    data = Data(x=torch.from_numpy(d["feat"]), y=torch.from_numpy(d["label"]).long(), num_nodes=d["num_nodes"],
                edge_index=torch.stack([torch.from_numpy(d["src"]), torch.from_numpy(d["dst"])]).long())
    test = torch.from_numpy(d["test_mask"])
    accs = []
    for seed in args.seeds:
        torch.manual_seed(seed)
        train = NeighborLoader(data, args.fanouts, input_nodes=torch.from_numpy(d["train_mask"]),
                               batch_size=args.batch_size * args.world_size, shuffle=True,
                               neighbor_sampler=GpfNeighborSampler(data, args.fanouts, seed=seed))
        model = make_model(data.x.shape[1], int(data.y.max()) + 1, seed)
        opt = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=5e-4)
        for _ in range(args.epochs):
            model.train()
            for batch in train:
                opt.zero_grad()
                out = model(batch.x, batch.edge_index)[:batch.batch_size]
                F.cross_entropy(out, batch.y[:batch.batch_size]).backward()
                opt.step()
        model.eval()
        with torch.no_grad():
            pred = model(data.x, data.edge_index).argmax(-1)
        accs.append(float((pred[test] == data.y[test]).float().mean()))
        print(f"  one process (PyG NeighborLoader), seed {seed}: test accuracy {100 * accs[-1]:.1f}%", flush=True)
    return np.array(accs)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dataset", default="cora")
    ap.add_argument("--world-size", type=int, default=2)
    ap.add_argument("--parts", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--fanouts", type=lambda s: [int(x) for x in s.split(",")], default=[5, 5])
    ap.add_argument("--batch-size", type=int, default=128, help="seeds per rank and step")
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--baseline", action="store_true", help="also train in one process with PyG's NeighborLoader")
    return ap.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    d = planetoid(args.dataset)
    graph = gpf.Graph.homogeneous(d["src"], d["dst"], d["num_nodes"],
                                  ndata={k: d[k] for k in ("feat", "label", *SPLITS)})
    with tempfile.TemporaryDirectory() as tmp:
        # balance_ntypes: METIS also balances the training nodes (DistDGL's --balance_train), so the
        # ranks have about as many seeds each and take the same steps as one process would
        gpf.partition(graph, args.parts, os.path.join(tmp, "set"), args.dataset, method="metis", seed=0,
                      balance_ntypes=d["train_mask"].astype(np.int64), verbose=False)
        config = os.path.join(tmp, "set", f"{args.dataset}.json")
        print(f"{args.dataset}: {d['num_nodes']} nodes, {len(d['src'])} edges, {args.parts} METIS partitions; "
              f"{args.world_size} processes (gloo, CPU), fan-outs {args.fanouts}, {args.epochs} epochs", flush=True)
        result = {"distributed": run_distributed(config, args, tmp)}
        if args.baseline:
            result["baseline"] = run_baseline(d, args)
    line = f"{args.dataset}: distributed test accuracy {100 * result['distributed'].mean():.1f}%"
    if args.baseline:
        gap = 100 * (result["distributed"].mean() - result["baseline"].mean())
        line += f", one process {100 * result['baseline'].mean():.1f}% (difference {gap:+.1f} points)"
    print(line + f" (mean over seeds {args.seeds})", flush=True)
    return result


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
