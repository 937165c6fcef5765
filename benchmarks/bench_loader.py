"""Cluster-GCN loading: gpf ``ClusterLoader`` vs PyG ``torch_geometric.loader.ClusterLoader``.

    python benchmarks/bench_loader.py [--scale 18] [--edge-factor 16] [--feat-dim 64]
                                      [--parts 128] [--batch-size 32] [--seconds 5] [--threads N]

One R-MAT graph (node IDs permuted, a float32 ``feat`` of ``--feat-dim`` columns, an int64
``label``), one METIS assignment (computed once), used by both loaders:

* gpf: ``gpf.partition(graph, P, dir, method=assignment)`` writes the set (not timed), then
  ``ClusterLoader(config, batch_size, shuffle=True, node_feats="feat", label="label")``;
* PyG: ``ClusterData(Data(x, y, edge_index), num_parts=P)`` with only its METIS call
  (``ClusterData._metis``) patched to return the same assignment -- PyG's METIS backends
  (pyg-lib, torch-sparse) do not install here -- then ``ClusterLoader(cluster_data,
  batch_size, shuffle=True)``.

Same process, same torch thread count (``--threads``, default 1), CPU.  "time to first batch" = building the loader (gpf:
from the files on disk, warm page cache; PyG: from the in-memory ``Data``) + the first
batch.  "batches/s" = full epochs, in ``--rounds`` interleaved rounds (gpf, gpf, PyG, gpf, ...)
of ``--seconds / --rounds`` each, the median round reported (the load of a shared machine drifts).  The nodes/s column
counts batch nodes.

When ``torch.cuda.is_available()``, a CUDA section also runs: end-to-end epoch time of gpf
batches on the GPU (host tables pinned + side-stream copies; tables on the device) and of
PyG batches moved with ``.to("cuda")``, and the host->device rate of gpf's batch copies vs a
plain pinned ``copy_`` of the same number of bytes.  Numbers go to RESULTS.md by hand.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from rmat import rmat  # noqa: E402

import gpf  # noqa: E402
from gpf.loader import ClusterLoader  # noqa: E402
from gpf.sdk.write.partitioners import metis_assignment  # noqa: E402


def make_graph(scale: int, edge_factor: int, feat_dim: int) -> gpf.Graph:
    src, dst = rmat(scale, edge_factor, seed=0)
    n = 1 << scale
    rng = np.random.default_rng(1)
    feat = rng.standard_normal((n, feat_dim), dtype=np.float32)
    label = rng.integers(0, 16, n)
    return gpf.Graph.homogeneous(src, dst, n, ndata={"feat": feat, "label": label})


def run_epochs(loader, seconds: float) -> tuple[float, float]:
    """Full epochs until ``seconds`` have passed: (batches/s, batch nodes/s)."""
    batches = nodes = 0
    t = time.perf_counter()
    while True:
        for b in loader:
            batches += 1
            nodes += int(b.num_nodes)
        elapsed = time.perf_counter() - t
        if elapsed >= seconds:
            return batches / elapsed, nodes / elapsed


def make_gpf(config: Path, args, **kw):
    t = time.perf_counter()
    loader = ClusterLoader(config, batch_size=args.batch_size, shuffle=True, node_feats="feat", label="label",
                           seed=0, **kw)
    first = next(iter(loader))
    assert first.x.shape[1] == args.feat_dim
    return loader, time.perf_counter() - t


def pyg_cluster_data(graph: gpf.Graph, assignment: np.ndarray, num_parts: int):
    from torch_geometric.data import Data
    from torch_geometric.loader import ClusterData

    src, dst = graph.edges()
    nd = graph.ndata["_N"]
    data = Data(x=torch.from_numpy(nd["feat"]), y=torch.from_numpy(nd["label"]),
                edge_index=torch.from_numpy(np.stack([src, dst])), num_nodes=graph.num_nodes())
    cluster = torch.from_numpy(assignment)
    original = ClusterData._metis
    ClusterData._metis = lambda self, edge_index, num_nodes: cluster  # only METIS is replaced
    try:
        return ClusterData(data, num_parts=num_parts, log=False)
    finally:
        ClusterData._metis = original


def make_pyg(graph: gpf.Graph, assignment: np.ndarray, args):
    from torch_geometric.loader import ClusterLoader as PygClusterLoader

    torch.manual_seed(0)
    t = time.perf_counter()
    cd = pyg_cluster_data(graph, assignment, args.parts)
    loader = PygClusterLoader(cd, batch_size=args.batch_size, shuffle=True)
    first = next(iter(loader))
    assert first.x.shape[1] == args.feat_dim
    return loader, time.perf_counter() - t


def check_same_batches(gpf_loader: ClusterLoader, pyg_loader, parts: list[int]) -> int:
    """One batch of the same partitions from both loaders: same nodes (as sets) and same edge count."""
    from torch_geometric.loader import ClusterLoader as PygClusterLoader

    b = gpf_loader.batch(parts)
    cd = pyg_loader.cluster_data
    p = PygClusterLoader(cd, batch_size=len(parts))._collate(parts)
    orig = gpf_loader.set.orig_nids("_N")[b.n_id.numpy()]
    pyg_nodes = torch.cat([cd.partition.node_perm[cd.partition.partptr[c]:cd.partition.partptr[c + 1]]
                           for c in parts]).numpy()
    assert np.array_equal(np.sort(orig), np.sort(pyg_nodes)), "the two loaders' batches hold different nodes"
    assert b.edge_index.shape[1] == p.edge_index.shape[1], (b.edge_index.shape, p.edge_index.shape)
    return int(b.edge_index.shape[1])


def bench_cuda(config: Path, pyg_loader, args) -> None:
    dev = torch.device("cuda")
    print("\nCUDA (" + torch.cuda.get_device_name(dev) + ")")
    rows = []
    for label, kw in (("gpf, host tables pinned, side-stream copies", {"cache": "host"}),
                      ("gpf, tables on the device", {"cache": "device"})):
        loader = ClusterLoader(config, batch_size=args.batch_size, shuffle=True, node_feats="feat", label="label",
                               seed=0, device=dev, **kw)
        for _ in loader:  # warm-up epoch
            pass
        torch.cuda.synchronize()
        t = time.perf_counter()
        epochs = 5
        for _ in range(epochs):
            for b in loader:
                b.x.sum()  # a consumer on the current stream
        torch.cuda.synchronize()
        rows.append((label, (time.perf_counter() - t) / epochs))
    if pyg_loader is not None:
        t = time.perf_counter()
        for _ in range(5):
            for b in pyg_loader:
                b.to(dev).x.sum()
        torch.cuda.synchronize()
        rows.append(("PyG ClusterLoader + .to('cuda')", (time.perf_counter() - t) / 5))
    for label, dt in rows:
        print(f"  {label:<48} epoch {dt * 1e3:8.1f} ms")

    # H2D rate: gpf's per-batch copies vs one plain pinned copy_ of the same bytes
    loader = ClusterLoader(config, batch_size=args.batch_size, shuffle=False, node_feats="feat", label="label",
                           device=dev, prefetch=0)
    parts = np.arange(args.batch_size)
    b = loader.batch(parts)
    nbytes = b.x.numel() * b.x.element_size() + b.y.numel() * 8 + b.edge_index.shape[1] * 2 * 4
    torch.cuda.synchronize()
    t = time.perf_counter()
    reps = 20
    for _ in range(reps):
        loader.batch(parts)
    torch.cuda.synchronize()
    gpf_rate = nbytes * reps / (time.perf_counter() - t) / 1e9
    host = torch.empty(nbytes, dtype=torch.uint8, pin_memory=True)
    devbuf = torch.empty(nbytes, dtype=torch.uint8, device=dev)
    devbuf.copy_(host, non_blocking=True)
    torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(reps):
        devbuf.copy_(host, non_blocking=True)
    torch.cuda.synchronize()
    plain = nbytes * reps / (time.perf_counter() - t) / 1e9
    print(f"  H2D: gpf batch (gather + copy + relabel, {nbytes / 1e6:.1f} MB) {gpf_rate:.2f} GB/s; "
          f"plain pinned copy_ of the same bytes {plain:.2f} GB/s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", type=int, default=18)
    ap.add_argument("--edge-factor", type=int, default=16)
    ap.add_argument("--feat-dim", type=int, default=64)
    ap.add_argument("--parts", type=int, default=128)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=9.0, help="measuring time per loader, over all rounds")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1,
                    help="torch intra-op threads for both loaders (default 1: on a busy 2-core box OpenMP barriers "
                         "make 2 threads several times slower for both; 0 = torch's default)")
    ap.add_argument("--no-pyg", action="store_true")
    args = ap.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)

    t = time.perf_counter()
    graph = make_graph(args.scale, args.edge_factor, args.feat_dim)
    assignment = metis_assignment(graph, args.parts).parts["_N"]
    print(f"R-MAT scale {args.scale}: {graph.num_nodes():,} nodes, {graph.num_edges():,} edges, "
          f"{args.feat_dim}-d features; METIS {args.parts} parts ({time.perf_counter() - t:.1f} s); "
          f"batch_size {args.batch_size}; torch threads {torch.get_num_threads()}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        gpf.partition(graph, args.parts, tmp, "rmat", method=assignment, seed=0, verbose=False)
        config = Path(tmp) / "rmat.json"
        loaders = {"gpf ClusterLoader (prefetch thread, 2 ahead)": make_gpf(config, args, prefetch=2),
                   "gpf ClusterLoader (prefetch=0, synchronous)": make_gpf(config, args, prefetch=0)}
        gpf_loader = loaders["gpf ClusterLoader (prefetch=0, synchronous)"][0]
        pyg_loader = None
        if not args.no_pyg:
            loaders["PyG ClusterLoader (num_workers=0)"] = make_pyg(graph, assignment, args)
            pyg_loader = loaders["PyG ClusterLoader (num_workers=0)"][0]
            parts = list(range(min(args.batch_size, args.parts)))
            edges = check_same_batches(gpf_loader, pyg_loader, parts)
            print(f"checked: both loaders give the same nodes and the same {edges:,} edges for partitions "
                  f"0..{parts[-1]}", flush=True)
        # interleaved rounds (the machine's load drifts): the median round of each loader
        rates = {k: [] for k in loaders}
        for _ in range(args.rounds):
            for k, (loader, _) in loaders.items():
                rates[k].append(run_epochs(loader, args.seconds / args.rounds))
        print("\n| loader | time to first batch (s) | batches/s | nodes/s | batches/s vs PyG |")
        print("|---|---:|---:|---:|---:|")
        med = {k: (float(np.median([r[0] for r in v])), float(np.median([r[1] for r in v]))) for k, v in rates.items()}
        ref = med["PyG ClusterLoader (num_workers=0)"][0] if pyg_loader is not None else None
        for k, (bps, nps) in med.items():
            ratio = f"{bps / ref:.2f}x" if ref else "-"
            print(f"| {k} | {loaders[k][1]:.2f} | {bps:.1f} | {nps / 1e6:.2f} M | {ratio} |")
        print(f"(median of {args.rounds} interleaved rounds of {args.seconds / args.rounds:.1f} s; "
              "per-round batches/s: " + "; ".join(f"{k}: {[round(r[0], 1) for r in v]}"
                                                  for k, v in rates.items()) + ")")
        if torch.cuda.is_available():
            bench_cuda(config, pyg_loader, args)
        else:
            print("\n(no CUDA device: the CUDA section was not run)")


if __name__ == "__main__":
    main()
