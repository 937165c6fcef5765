"""Train GraphSAGE with PyG's own NeighborLoader straight from a gpf partition set.

Cora (bundled) -> ``gpf.partition`` (METIS, 4 parts) -> ``to_pyg_stores`` (a PyG
FeatureStore/GraphStore over the set, nothing converted) -> ``NeighborLoader`` with
``GpfNeighborSampler`` (pure torch: pyg-lib / torch-sparse are not needed).

    .venv/bin/python examples/pyg_neighbor_loader.py [--epochs 5]
"""

from __future__ import annotations

import argparse
import tempfile

import torch
import torch.nn.functional as F
from torch_geometric.loader import NeighborLoader
from torch_geometric.nn import GraphSAGE

import gpf
from gpf.converters import pyg
from gpf.datasets import cora


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=5)
    args = ap.parse_args()
    torch.manual_seed(0)

    c = cora()
    g = gpf.Graph.homogeneous(c["src"], c["dst"], c["num_nodes"],
                              ndata={k: c[k] for k in ("feat", "label", "train_mask", "val_mask", "test_mask")})
    with tempfile.TemporaryDirectory() as out:
        ps = gpf.partition(g, 4, out, "cora", method="metis", verbose=False)
        fs, gs = pyg.to_pyg_stores(ps)              # original Cora IDs; masks come back as bool

        def loader(mask: str, shuffle: bool) -> NeighborLoader:
            seeds = torch.nonzero(fs[None, mask, None]).view(-1)
            return NeighborLoader((fs, gs), [10, 5], input_nodes=seeds, batch_size=128, shuffle=shuffle,
                                  neighbor_sampler=pyg.GpfNeighborSampler(gs, [10, 5]))

        model = GraphSAGE(1433, 64, num_layers=2, out_channels=7)
        opt = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
        for epoch in range(args.epochs):
            model.train()
            for batch in loader("train_mask", True):
                opt.zero_grad()
                out = model(batch.feat, batch.edge_index)[:batch.batch_size]
                loss = F.cross_entropy(out, batch.label[:batch.batch_size])
                loss.backward()
                opt.step()
            model.eval()
            right = total = 0
            with torch.no_grad():
                for batch in loader("test_mask", False):
                    pred = model(batch.feat, batch.edge_index)[:batch.batch_size].argmax(-1)
                    right += int((pred == batch.label[:batch.batch_size]).sum())
                    total += batch.batch_size
            print(f"epoch {epoch}: loss {loss.item():.3f}, test accuracy {right / total:.3f} ({total} nodes)")


if __name__ == "__main__":
    main()
