"""Neighbour sampling on CPU: gpf ``GpfNeighborSampler`` vs DGL 1.1.3's C++ ``NeighborSampler``.

    python benchmarks/bench_sampler.py [--graphs uniform,rmat] [--scale 20] [--edge-factor 16]
                                       [--fanouts 15,10,5 --fanouts 10,5] [--batch-size 1024]
                                       [--seconds 4] [--threads 1]

Graphs: ``uniform`` = 100 k nodes, 1 M uniformly random directed edges; ``rmat`` = R-MAT
(``benchmarks/rmat.py``) with ``2**scale`` nodes and ``edge_factor * 2**scale`` edges.
The same edges go to every sampler:

* gpf over gpf stores: the graph is written as a 4-partition gpf set (not timed, in a
  separate process, as a set is written once and trained from many times), opened
  with ``gpf.open`` and ``to_pyg_stores``; ``GpfNeighborSampler((fs, gs), fanouts)``;
* gpf over in-memory data: ``GpfNeighborSampler(Data(edge_index=...), fanouts)``;
* DGL: ``dgl.dataloading.NeighborSampler(fanouts reversed)`` (DGL lists fan-outs from the
  input layer; PyG/gpf from the seeds) and ``sample_blocks(g, seeds)``, in the oracle
  venv (.venv-dgl) as a subprocess on the same edges.

Sampling only (no features), uniform without replacement, shuffled seed batches drawn
from all nodes with one seed, ``--threads`` torch/OpenMP threads in every process.
The samplers take turns (gpf stores, gpf Data, DGL, gpf stores, ...) for ``--rounds``
rounds of ``--seconds / --rounds`` CPU seconds each; rates are per CPU second of the
sampling process (``time.process_time``, so a loaded machine's waits do not count) and
the median round is reported.  "nodes/s" = sampled nodes (all hops, seeds included).  Build time = building
the sampler's CSC from the graph (gpf: from the stores / the Data; DGL: creating the
in-edge CSC with ``g.create_formats_()``).  Numbers go to RESULTS.md by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DGL_PY = ROOT / ".venv-dgl" / "bin" / "python"
sys.path.insert(0, str(HERE))

from rmat import rmat  # noqa: E402

DGL_WORKER = r"""
import json, sys, time
import numpy as np, torch, dgl
edges, fanouts, batch, threads = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(threads)
z = np.load(edges)
src, dst, n = torch.from_numpy(z["src"]), torch.from_numpy(z["dst"]), int(z["n"])
t0 = time.perf_counter()
g = dgl.graph((src, dst), num_nodes=n)
g.create_formats_()
build = time.perf_counter() - t0
sampler = dgl.dataloading.NeighborSampler(list(reversed(fanouts)))
perm = torch.from_numpy(np.random.default_rng(0).permutation(n))
batches = [perm[i:i + batch] for i in range(0, n - batch + 1, batch)]
sampler.sample_blocks(g, batches[0])
print(json.dumps({"build": build}), flush=True)
i = 0
for line in sys.stdin:                      # one line per round: its length in CPU seconds
    seconds = float(line)
    done = nodes = 0
    t0 = time.process_time()
    while time.process_time() - t0 < seconds:
        inp, out, blocks = sampler.sample_blocks(g, batches[i % len(batches)])
        nodes += int(inp.numel()); done += 1; i += 1
    dt = time.process_time() - t0
    print(json.dumps({"bps": done / dt, "nps": nodes / dt}), flush=True)
"""


WRITE_SET = r"""
import sys
import numpy as np
import gpf
z = np.load(sys.argv[1])
gpf.partition(gpf.Graph.homogeneous(z["src"], z["dst"], int(z["n"])), 4, sys.argv[2], sys.argv[3], method="random",
              verbose=False)
"""


def uniform_graph(num_nodes: int, num_edges: int) -> tuple[np.ndarray, np.ndarray, int]:
    rng = np.random.default_rng(0)
    return rng.integers(0, num_nodes, num_edges), rng.integers(0, num_nodes, num_edges), num_nodes


class GpfRounds:
    """Rounds of sampling with one gpf sampler, on the same seed batches as DGL's."""

    def __init__(self, sampler, n: int, batch: int) -> None:
        import torch
        from torch_geometric.sampler import NodeSamplerInput

        self.input = NodeSamplerInput
        self.sampler = sampler
        perm = torch.from_numpy(np.random.default_rng(0).permutation(n))
        self.batches = [perm[i:i + batch] for i in range(0, n - batch + 1, batch)]
        self.i = 0
        sampler.sample_from_nodes(NodeSamplerInput(None, self.batches[0]))

    def round(self, seconds: float) -> tuple[float, float]:
        done = nodes = 0
        t0 = time.process_time()
        while time.process_time() - t0 < seconds:
            out = self.sampler.sample_from_nodes(self.input(None, self.batches[self.i % len(self.batches)]))
            nodes += int(out.node.numel())
            done += 1
            self.i += 1
        dt = time.process_time() - t0
        return done / dt, nodes / dt


class DglRounds:
    """DGL's sampler in the oracle venv, kept alive between rounds (stdin: a round's seconds)."""

    def __init__(self, npz: Path, fanouts: list[int], args) -> None:
        env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), DGLBACKEND="pytorch")
        self.proc = subprocess.Popen([str(DGL_PY), "-c", DGL_WORKER, str(npz), json.dumps(fanouts),
                                      str(args.batch_size), str(args.threads)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        self.build = self._read()["build"]

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit("the DGL worker died (see its stderr above)")
        return json.loads(line)

    def round(self, seconds: float) -> tuple[float, float]:
        self.proc.stdin.write(f"{seconds}\n")
        self.proc.stdin.flush()
        r = self._read()
        return r["bps"], r["nps"]

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait()


def interleaved(runners: list, seconds: float, rounds: int) -> list[tuple[float, float]]:
    """Median (batches/s, nodes/s) of each runner over ``rounds`` rounds taken in turn."""
    got: list[list[tuple[float, float]]] = [[] for _ in runners]
    for _ in range(rounds):
        for r, out in zip(runners, got):
            out.append(r.round(seconds / rounds))
    return [(statistics.median(b for b, _ in g), statistics.median(v for _, v in g)) for g in got]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--graphs", default="uniform,rmat")
    ap.add_argument("--scale", type=int, default=20)
    ap.add_argument("--edge-factor", type=int, default=16)
    ap.add_argument("--fanouts", action="append", default=None)
    ap.add_argument("--batch-size", type=int, default=1024)
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    fanout_sets = [[int(k) for k in f.split(",")] for f in (args.fanouts or ["15,10,5", "10,5"])]
    if not DGL_PY.exists():
        raise SystemExit("the DGL venv (.venv-dgl) is missing: run `make dgl-venv`")

    import torch
    from torch_geometric.data import Data

    import gpf
    from gpf.converters.pyg import to_pyg_stores
    from gpf.converters.pyg_sampler import GpfNeighborSampler

    torch.set_num_threads(args.threads)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name in args.graphs.split(","):
            if name == "uniform":
                src, dst, n = uniform_graph(100_000, 1_000_000)
                label = "uniform 100 k nodes / 1 M edges"
            else:
                src, dst = rmat(args.scale, args.edge_factor, seed=0)
                n = 1 << args.scale
                label = f"R-MAT scale {args.scale} ({n / 1e6:.2f} M nodes / {src.size / 1e6:.1f} M edges)"
            npz = work / f"{name}.npz"
            np.savez(npz, src=src, dst=dst, n=n)
            set_dir = work / f"{name}-set"
            # written by another process, as a set is written once and trained from many times (and
            # partitioning here would leave this process's heap in a state that slows every later
            # allocation: ~500 page faults per mini-batch instead of ~1, measured with getrusage)
            subprocess.run([sys.executable, "-c", WRITE_SET, str(npz), str(set_dir), name], check=True,
                           env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
            ps = gpf.open(set_dir / f"{name}.json")
            fs, gs = to_pyg_stores(ps)
            data = Data(edge_index=torch.stack([torch.from_numpy(src), torch.from_numpy(dst)]), num_nodes=n)
            for fan in fanout_sets:
                t0 = time.perf_counter()
                s_store = GpfNeighborSampler((fs, gs), fan, seed=0)
                b_store = time.perf_counter() - t0
                t0 = time.perf_counter()
                s_mem = GpfNeighborSampler(data, fan, seed=0)
                b_mem = time.perf_counter() - t0
                dgl = DglRounds(npz, fan, args)
                try:
                    store, mem, dgl_rate = interleaved([GpfRounds(s_store, n, args.batch_size),
                                                        GpfRounds(s_mem, n, args.batch_size), dgl],
                                                       args.seconds, args.rounds)
                finally:
                    dgl.close()
                dgl_row = {"build": dgl.build, "bps": dgl_rate[0], "nps": dgl_rate[1]}
                for who, build, (bps, nps) in (("gpf, gpf stores", b_store, store), ("gpf, in-memory Data", b_mem, mem),
                                               ("DGL 1.1.3 C++", dgl_row["build"], dgl_rate)):
                    rows.append((label, str(fan), who, build, bps, nps, bps / dgl_row["bps"]))
                print(f"done: {label} {fan}", file=sys.stderr)
    print(f"\nCPU, {args.threads} thread(s), batch {args.batch_size}, sampling only\n")
    print("| graph | fan-outs | sampler | build s | mini-batches/s | nodes/s | vs DGL |")
    print("|---|---|---|---:|---:|---:|---:|")
    for label, fan, who, build, bps, nps, ratio in rows:
        print(f"| {label} | {fan} | {who} | {build:.2f} | {bps:.1f} | {nps / 1e6:.2f} M | {ratio:.2f}x |")


if __name__ == "__main__":
    main()
