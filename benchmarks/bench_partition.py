"""Partitioning: ``gpf.partition`` vs DGL 1.1.3's ``partition_graph`` on the same R-MAT graph
(and, with ``--graphbolt``, gpf writing GraphBolt files vs DGL 2.1's ``partition_graph(use_graphbolt=True)``).

    python benchmarks/bench_partition.py [--scale 20] [--edge-factor 16] [--feat-dim 64]
                                         [--parts 8] [--methods random,metis] [--halo-hops 1]
                                         [--graphbolt | --graphbolt-only] [--no-dgl] [--keep DIR]

The graph (R-MAT, node IDs permuted, a float32 ``feat`` of ``--feat-dim`` columns and an
int64 ``label`` per node) is generated once and saved as an ``.npz``.  Every run is its
own process that loads the ``.npz``, builds the input graph (``gpf.Graph`` / ``dgl.graph``)
and partitions it into ``--parts`` with 1-hop HALO:

* time: wall time of the partition call (``gpf.partition`` / ``partition_graph``) alone;
* peak RSS: ``VmHWM`` of the worker process (its own high-water resident memory: input arrays and
  imports included; ``ru_maxrss`` would inherit the parent's peak across exec).

DGL runs in the oracle venv (.venv-dgl).  ``--graphbolt`` adds, per method, a GraphBolt row:
``gpf.partition(..., graphbolt=True)`` (graph.dgl plus ``fused_csc_sampling_graph.pt`` written
straight from the partition arrays) against real DGL 2.1.0 ``partition_graph(...,
use_graphbolt=True)`` (graph.dgl, then DGL's load-and-convert pass) in ``.venv-dgl2``, both with
DGL's default GraphBolt fields; ``--graphbolt-only`` runs only those rows.  Prints a table with
the gpf/DGL ratios; numbers go to benchmarks/RESULTS.md by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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
DGL2_PY = ROOT / ".venv-dgl2" / "bin" / "python"
sys.path.insert(0, str(HERE))

from rmat import rmat  # noqa: E402

GPF_WORKER = textwrap.dedent("""
    import json, resource, sys, time
    import numpy as np
    import gpf
    def peak_mb():  # VmHWM: this process's own high-water RSS (ru_maxrss would inherit the parent's across exec)
        with open("/proc/self/status") as fh:
            return next(int(l.split()[1]) for l in fh if l.startswith("VmHWM:")) / 1024
    npz, out, parts, method, hops = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
    graphbolt = sys.argv[6] == "1"
    t0 = time.perf_counter()
    z = np.load(npz)
    g = gpf.Graph.homogeneous(z["src"], z["dst"], int(z["num_nodes"]), ndata={"feat": z["feat"], "label": z["label"]})
    load = time.perf_counter() - t0
    t = time.perf_counter()
    gpf.partition(g, parts, out, "rmat", method=method, halo_hops=hops, verbose=False, graphbolt=graphbolt)
    dt = time.perf_counter() - t
    print(json.dumps({"seconds": dt, "load_seconds": load,
                      "rss_mb": peak_mb()}))
""")

DGL_WORKER = textwrap.dedent("""
    import contextlib, json, os, resource, sys, time
    import numpy as np, torch, dgl
    from dgl.distributed import partition_graph
    def peak_mb():  # VmHWM: this process's own high-water RSS (ru_maxrss would inherit the parent's across exec)
        with open("/proc/self/status") as fh:
            return next(int(l.split()[1]) for l in fh if l.startswith("VmHWM:")) / 1024
    npz, out, parts, method, hops = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
    kwargs = {"use_graphbolt": True} if sys.argv[6] == "1" else {}
    t0 = time.perf_counter()
    z = np.load(npz)
    g = dgl.graph((torch.from_numpy(z["src"]), torch.from_numpy(z["dst"])), num_nodes=int(z["num_nodes"]))
    g.ndata["feat"] = torch.from_numpy(z["feat"])
    g.ndata["label"] = torch.from_numpy(z["label"])
    load = time.perf_counter() - t0
    t = time.perf_counter()
    with contextlib.redirect_stdout(sys.stderr):
        partition_graph(g, "rmat", parts, out, part_method=method, num_hops=hops, **kwargs)
    dt = time.perf_counter() - t
    print(json.dumps({"seconds": dt, "load_seconds": load,
                      "rss_mb": peak_mb()}))
""")


def make_input(path: Path, scale: int, edge_factor: int, feat_dim: int, seed: int = 0) -> dict:
    src, dst = rmat(scale, edge_factor, seed=seed)
    n = 1 << scale
    rng = np.random.default_rng(seed + 1)
    feat = rng.standard_normal((n, feat_dim), dtype=np.float32)
    label = rng.integers(0, 47, n, dtype=np.int64)
    np.savez(path, src=src, dst=dst, num_nodes=np.int64(n), feat=feat, label=label)
    return {"nodes": n, "edges": int(src.shape[0]),
            "input_mb": (src.nbytes + dst.nbytes + feat.nbytes + label.nbytes) / 2**20}


def _runs(r: dict) -> str:
    return ", ".join(f"{x:.2f}" for x in r["all_seconds"])


def best_of(repeat: int, *args) -> dict:
    """The fastest of ``repeat`` runs of :func:`run_worker` (peak RSS: the largest)."""
    runs = [run_worker(*args) for _ in range(max(1, repeat))]
    best = min(runs, key=lambda r: r["seconds"])
    return {**best, "rss_mb": max(r["rss_mb"] for r in runs), "all_seconds": [r["seconds"] for r in runs]}


def run_worker(python: Path, code: str, npz: Path, out: Path, parts: int, method: str, hops: int,
               graphbolt: bool = False) -> dict:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    if code is GPF_WORKER:  # this checkout's gpf, whatever the venv's editable install points at
        env["PYTHONPATH"] = str(ROOT / "src")
    env["DGLBACKEND"] = "pytorch"
    shutil.rmtree(out, ignore_errors=True)
    proc = subprocess.run([str(python), "-c", code, str(npz), str(out), str(parts), method, str(hops),
                           "1" if graphbolt else "0"],
                          capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"worker failed ({python.parent.parent.name}, {method}):\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    shutil.rmtree(out, ignore_errors=True)
    return result


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=int, default=20)
    ap.add_argument("--edge-factor", type=int, default=16)
    ap.add_argument("--feat-dim", type=int, default=64)
    ap.add_argument("--parts", type=int, default=8)
    ap.add_argument("--methods", default="random,metis")
    ap.add_argument("--halo-hops", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=1, help="runs per tool and method; the fastest is reported "
                    "(peak RSS: the largest)")
    ap.add_argument("--graphbolt", action="store_true", help="also a GraphBolt row per method (DGL 2.1 in .venv-dgl2)")
    ap.add_argument("--graphbolt-only", action="store_true", help="only the GraphBolt rows")
    ap.add_argument("--no-dgl", action="store_true", help="run gpf only")
    ap.add_argument("--keep", metavar="DIR", help="work in DIR (kept) instead of a temp dir")
    args = ap.parse_args(argv)

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="gpf-bench-part-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        npz = work / "input.npz"
        t = time.perf_counter()
        info = make_input(npz, args.scale, args.edge_factor, args.feat_dim)
        print(f"R-MAT scale {args.scale}, edge factor {args.edge_factor}: {info['nodes']:,} nodes, "
              f"{info['edges']:,} edges, feat {args.feat_dim}-d float32 + int64 label; "
              f"input arrays {info['input_mb']:.0f} MiB (generated in {time.perf_counter() - t:.1f}s); "
              f"{args.parts} parts, halo {args.halo_hops}", flush=True)
        rows = []
        variants = [] if args.graphbolt_only else [(False, DGL_PY, "DGL 1.1.3")]
        if args.graphbolt or args.graphbolt_only:
            variants.append((True, DGL2_PY, "DGL 2.1.0"))
        for method in args.methods.split(","):
            for gb, dgl_py, dgl_name in variants:
                label = f"{method}+graphbolt" if gb else method
                res = {"gpf": best_of(args.repeat, Path(sys.executable), GPF_WORKER, npz, work / "out-gpf",
                                      args.parts, method, args.halo_hops, gb)}
                print(f"  gpf {label}: {res['gpf']['seconds']:.2f}s (runs {_runs(res['gpf'])}), "
                      f"{res['gpf']['rss_mb']:.0f} MiB", flush=True)
                if not args.no_dgl:
                    res["dgl"] = best_of(args.repeat, dgl_py, DGL_WORKER, npz, work / "out-dgl", args.parts, method,
                                         args.halo_hops, gb)
                    print(f"  {dgl_name} {label}: {res['dgl']['seconds']:.2f}s (runs {_runs(res['dgl'])}), "
                          f"{res['dgl']['rss_mb']:.0f} MiB", flush=True)
                rows.append((f"{label} (vs {dgl_name})", res))
        print()
        head = "| method | gpf time (s) | DGL time (s) | time gpf/DGL | gpf peak RSS (MiB) | DGL peak RSS (MiB) | RSS gpf/DGL |"
        print(head)
        print("|" + "---|" * 7)
        for method, res in rows:
            g = res["gpf"]
            d = res.get("dgl")
            if d:
                print(f"| {method} | {g['seconds']:.2f} | {d['seconds']:.2f} | {g['seconds'] / d['seconds']:.2f} | "
                      f"{g['rss_mb']:.0f} | {d['rss_mb']:.0f} | {g['rss_mb'] / d['rss_mb']:.2f} |")
            else:
                print(f"| {method} | {g['seconds']:.2f} | - | - | {g['rss_mb']:.0f} | - | - |")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
