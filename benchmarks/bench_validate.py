"""Validating a partition set: ``gpf.validate`` (every check, vectorised numpy) vs what DGL checks when loading.

    python benchmarks/bench_validate.py [--scale 20] [--edge-factor 16] [--parts 8] [--halo-hops 1] [--feat-dim 16]
                                        [--workdir DIR] [--rows full] [--repeat 3] [--hetero]

The set is R-MAT (``benchmarks/rmat.py``) written by ``gpf.partition`` (random, 8 parts, with
original-ID maps, so the M checks run).  Rows, each in its own process, page cache warm (one
untimed pass first, the second timed):

* ``gpf validate --quick``: the config-level checks only;
* ``gpf validate``: every check (G, F, M, HALO hops, warnings);
* ``gpf validate --against``: the same plus the comparison with the original graph (``.npz``;
  the time includes loading it; not with ``--hetero``, whose graph has no ``.npz`` form);
* DGL 1.1.3 ``load_partition`` for every partition (the only checking DGL does: it parses the
  files and asserts a few fields), in the oracle venv (.venv-dgl), when present.

``edges/s per core`` divides the set's edges by the process's CPU time (user + system), which for
single-threaded numpy equals the wall time; ``peak RSS`` is the process's VmHWM (it counts the
memory-mapped file pages it touched).  Prints a table; numbers go to benchmarks/RESULTS.md by hand.
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

MEASURE = textwrap.dedent("""
    import json, os, sys, time
    def peak_mb():
        with open("/proc/self/status") as fh:
            return next(int(l.split()[1]) for l in fh if l.startswith("VmHWM:")) / 1024
    def timed(run):
        run()
        t, c = time.perf_counter(), os.times()
        out = run()
        c2 = os.times()
        cpu = (c2.user - c.user) + (c2.system - c.system)
        print(json.dumps({"seconds": time.perf_counter() - t, "cpu": cpu, "rss_mb": peak_mb(), "out": out}))
""")

GPF_VALIDATE = MEASURE + textwrap.dedent("""
    import gpf
    cfg, mode, against = sys.argv[1], sys.argv[2], sys.argv[3]
    def run():
        rep = gpf.validate(cfg, quick=(mode == "quick"), against=(against if mode == "against" else None))
        assert rep.valid, rep.render()
        return rep.codes
    timed(run)
""")

DGL_LOAD = MEASURE + textwrap.dedent("""
    from dgl.distributed import load_partition
    cfg = sys.argv[1]; parts = json.load(open(cfg))["num_parts"]
    def run():
        for p in range(parts):
            load_partition(cfg, p)
        return []
    timed(run)
""")


def _run(python: Path, code: str, *args: str) -> dict:
    env = dict(os.environ, DGLBACKEND="pytorch", OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
    out = subprocess.run([str(python), "-c", code, *args], capture_output=True, text=True, env=env)
    if out.returncode:
        raise SystemExit(f"benchmark step failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def hetero_graph(src: np.ndarray, dst: np.ndarray, n: int, feat: np.ndarray, label: np.ndarray):
    """The same edges over two node types ("user": 3/4 of the nodes, "item": the rest, after a random
    relabelling) and the four edge types their endpoint types make."""
    import gpf

    perm = np.random.default_rng(1).permutation(n)
    src, dst = perm[src], perm[dst]
    nu = 3 * n // 4
    edges = {}
    for s_t, d_t in (("user", "user"), ("user", "item"), ("item", "user"), ("item", "item")):
        mask = ((src < nu) == (s_t == "user")) & ((dst < nu) == (d_t == "user"))
        s, d = src[mask], dst[mask]
        edges[(s_t, f"{s_t}_{d_t}", d_t)] = (s - nu if s_t == "item" else s, d - nu if d_t == "item" else d)
    ndata = {"user": {"feat": feat[:nu], "label": label[:nu]}, "item": {"feat": feat[nu:], "label": label[nu:]}}
    return gpf.Graph({"user": nu, "item": n - nu}, edges, ndata, {})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", type=int, default=20)
    ap.add_argument("--edge-factor", type=int, default=16)
    ap.add_argument("--parts", type=int, default=8)
    ap.add_argument("--halo-hops", type=int, default=1)
    ap.add_argument("--feat-dim", type=int, default=16)
    ap.add_argument("--workdir", default=None, help="keep the generated set here (default: a temp dir)")
    ap.add_argument("--no-dgl", action="store_true", help="skip the DGL row")
    ap.add_argument("--rows", default="quick,full,against,dgl",
                    help="comma-separated rows to run: quick, full, against, dgl (default: all)")
    ap.add_argument("--hetero", action="store_true",
                    help="the same edges over two node types and four edge types (no --against row)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="run each row this many times, each in a fresh process (a shared machine's times vary)")
    args = ap.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="gpf-bench-validate-"))
    work.mkdir(parents=True, exist_ok=True)
    cfg = work / ("set-hetero" if args.hetero else "set") / "rmat.json"
    npz = work / "graph.npz"
    if not cfg.exists():
        import gpf

        t = time.perf_counter()
        src, dst = rmat(args.scale, args.edge_factor, seed=0)
        n = 1 << args.scale
        rng = np.random.default_rng(0)
        feat = rng.standard_normal((n, args.feat_dim), dtype=np.float32)
        label = rng.integers(0, 47, n)
        if args.hetero:
            g = hetero_graph(src, dst, n, feat, label)
        else:
            np.savez(npz, src=src, dst=dst, num_nodes=np.int64(n), **{"node:feat": feat, "node:label": label})
            g = gpf.Graph.homogeneous(src, dst, n, {"feat": feat, "label": label})
        del src, dst, feat, label
        gpf.partition(g, args.parts, cfg.parent, "rmat", method="random", halo_hops=args.halo_hops, verbose=False)
        del g
        print(f"generated and partitioned R-MAT scale {args.scale} in {time.perf_counter() - t:.1f} s")
    meta = json.loads(cfg.read_text())
    py = Path(sys.executable)
    want = set(args.rows.split(",")) - ({"against"} if args.hetero else set())
    steps = [("quick", "gpf validate --quick", py, GPF_VALIDATE, (str(cfg), "quick", str(npz))),
             ("full", "gpf validate", py, GPF_VALIDATE, (str(cfg), "full", str(npz))),
             ("against", "gpf validate --against graph.npz", py, GPF_VALIDATE, (str(cfg), "against", str(npz)))]
    if DGL_PY.exists() and not args.no_dgl:
        steps.append(("dgl", "DGL 1.1.3 load_partition (all parts)", DGL_PY, DGL_LOAD, (str(cfg),)))
    rows = []
    for key, name, python, code, run_args in steps:
        if key in want:
            for i in range(args.repeat):
                rows.append((name if args.repeat == 1 else f"{name} (run {i + 1})", _run(python, code, *run_args)))
    m = meta["num_edges"]
    kind = f"{len(meta['ntypes'])} node types, {len(meta['etypes'])} edge types, " if args.hetero else ""
    print(f"\nvalidate R-MAT scale {args.scale} ({kind}{meta['num_nodes']:,} nodes, {m:,} edges, {args.parts} parts, "
          f"halo_hops {args.halo_hops}, {args.feat_dim}-d float32 features), warm cache")
    print("| what | wall s | CPU s | edges/s per core | peak RSS MB |")
    print("|---|---:|---:|---:|---:|")
    for name, r in rows:
        rate = f"{m / r['cpu'] / 1e6:.1f} M" if r["cpu"] >= 0.05 else "-"  # os.times() ticks are 10 ms
        print(f"| {name} | {r['seconds']:.3f} | {r['cpu']:.2f} | {rate} | {r['rss_mb']:.0f} |")
    full = [r for name, r in rows if name.startswith("gpf validate") and "--" not in name]
    if full:
        print("warnings reported by gpf validate:", ", ".join(full[0]["out"]) or "none")
    if len(full) > 1:
        cpu, wall = sorted(r["cpu"] for r in full), sorted(r["seconds"] for r in full)
        print(f"gpf validate over {len(full)} runs: wall best {wall[0]:.3f} s (spread {wall[-1] - wall[0]:.3f}), "
              f"CPU best {cpu[0]:.2f} s (spread {cpu[-1] - cpu[0]:.2f}), best {m / cpu[0] / 1e6:.1f} M edges/s per core")


if __name__ == "__main__":
    main()
