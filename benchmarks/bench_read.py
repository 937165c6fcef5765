"""Reading a partition set: gpf (pure Python, memory-mapped) vs DGL's own load_partition.

    python benchmarks/bench_read.py [--scale 20] [--edge-factor 16] [--parts 8] [--feat-dim 64]

The set is written by real DGL 1.1.3 (``partition_graph``, random) in the oracle venv
(.venv-dgl), then every partition is loaded:

* DGL: ``dgl.distributed.load_partition(config, p)`` for every p (graph + features), in
  the DGL venv, in its own process;
* gpf, memory-mapped: ``gpf.open`` + src/dst/_ID/inner flags/features as zero-copy views
  (pages are read on first touch, so this is the cost of opening, not of reading);
* gpf, memory-mapped, every byte read: the same plus one pass over every byte;
* gpf, ``mmap=False``: every file read into private memory with one ``readinto`` (what
  DGL does, so the like-for-like row).

Each reader runs in its own process; the page cache is warm for all of them (one
untimed pass first).  Prints a table; numbers go to benchmarks/RESULTS.md by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DGL_PY = ROOT / ".venv-dgl" / "bin" / "python"
sys.path.insert(0, str(HERE))

from rmat import rmat  # noqa: E402

DGL_PARTITION = textwrap.dedent("""
    import sys, numpy as np, torch, dgl
    from dgl.distributed import partition_graph
    z = np.load(sys.argv[1])
    g = dgl.graph((torch.from_numpy(z["src"]), torch.from_numpy(z["dst"])), num_nodes=int(z["num_nodes"]))
    g.ndata["feat"] = torch.from_numpy(z["feat"])
    g.ndata["label"] = torch.from_numpy(z["label"])
    partition_graph(g, "rmat", int(sys.argv[3]), sys.argv[2], part_method="random")
""")

DGL_LOAD = textwrap.dedent("""
    import sys, time, json, resource
    from dgl.distributed import load_partition
    def peak_mb():  # VmHWM: this process's own high-water RSS (ru_maxrss would inherit the parent's across exec)
        with open("/proc/self/status") as fh:
            return next(int(l.split()[1]) for l in fh if l.startswith("VmHWM:")) / 1024
    cfg = sys.argv[1]; parts = json.load(open(cfg))["num_parts"]
    def run():
        for p in range(parts):
            g, nf, ef, *_ = load_partition(cfg, p)
    run()
    t = time.perf_counter(); run(); dt = time.perf_counter() - t
    print(json.dumps({"seconds": dt, "rss_mb": peak_mb()}))
""")

GPF_LOAD = textwrap.dedent("""
    import sys, time, json, resource
    import numpy as np, gpf
    def peak_mb():  # VmHWM: this process's own high-water RSS (ru_maxrss would inherit the parent's across exec)
        with open("/proc/self/status") as fh:
            return next(int(l.split()[1]) for l in fh if l.startswith("VmHWM:")) / 1024
    cfg, mode = sys.argv[1], sys.argv[2]
    def run():
        ps = gpf.open(cfg, mmap=(mode != "private"))
        keep = []
        for part in ps:
            arrays = [part.src, part.dst, part.global_nid, part.global_eid, part.inner_node, part.inner_edge,
                      *part.node_feats.values(), *part.edge_feats.values()]
            if mode == "touch":
                for a in arrays:
                    np.bitwise_or.reduce(a.reshape(-1).view(np.uint8)) if a.size else None
            keep.append(arrays)
        return keep
    run()
    t = time.perf_counter(); run(); dt = time.perf_counter() - t
    print(json.dumps({"seconds": dt, "rss_mb": peak_mb()}))
""")


def _run(python: Path, code: str, *args: str) -> dict:
    env = dict(os.environ, DGLBACKEND="pytorch")
    out = subprocess.run([str(python), "-c", code, *args], capture_output=True, text=True, env=env)
    if out.returncode:
        raise SystemExit(f"benchmark step failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", type=int, default=20)
    ap.add_argument("--edge-factor", type=int, default=16)
    ap.add_argument("--parts", type=int, default=8)
    ap.add_argument("--feat-dim", type=int, default=64)
    ap.add_argument("--workdir", default=None, help="keep the generated set here (default: a temp dir)")
    args = ap.parse_args()
    if not DGL_PY.exists():
        raise SystemExit("the DGL venv (.venv-dgl) is missing: run `make dgl-venv`")
    work = Path(args.workdir or tempfile.mkdtemp(prefix="gpf-bench-read-"))
    work.mkdir(parents=True, exist_ok=True)
    cfg = work / "set" / "rmat.json"
    if not cfg.exists():
        t = time.perf_counter()
        src, dst = rmat(args.scale, args.edge_factor, seed=0)
        n = 1 << args.scale
        rng = np.random.default_rng(0)
        np.savez(work / "graph.npz", src=src, dst=dst, num_nodes=n,
                 feat=rng.standard_normal((n, args.feat_dim), dtype=np.float32),
                 label=rng.integers(0, 47, n))
        del src, dst
        print(f"generated R-MAT scale {args.scale} in {time.perf_counter() - t:.1f} s; partitioning with DGL ...")
        out = subprocess.run([str(DGL_PY), "-c", DGL_PARTITION, str(work / "graph.npz"), str(cfg.parent),
                              str(args.parts)], capture_output=True, text=True, env=dict(os.environ, DGLBACKEND="pytorch"))
        if out.returncode:
            raise SystemExit(out.stderr[-3000:])
    meta = json.loads(cfg.read_text())
    rows = [("DGL 1.1.3 load_partition", _run(DGL_PY, DGL_LOAD, str(cfg))),
            ("gpf, mmap, views", _run(Path(sys.executable), GPF_LOAD, str(cfg), "lazy")),
            ("gpf, mmap, every byte read", _run(Path(sys.executable), GPF_LOAD, str(cfg), "touch")),
            ("gpf, mmap=False (readinto)", _run(Path(sys.executable), GPF_LOAD, str(cfg), "private"))]
    base = rows[0][1]["seconds"]
    print(f"\nread all {meta['num_parts']} partitions of R-MAT scale {args.scale} "
          f"({meta['num_nodes']:,} nodes, {meta['num_edges']:,} edges, {args.feat_dim}-d float32 features), warm cache")
    print(f"{'reader':28} {'seconds':>9} {'vs DGL':>8} {'peak RSS MB':>12}")
    for name, r in rows:
        print(f"{name:28} {r['seconds']:9.3f} {r['seconds'] / base:7.2f}x {r['rss_mb']:12.0f}")


if __name__ == "__main__":
    main()
