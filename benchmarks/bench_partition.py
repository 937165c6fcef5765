"""Partitioning: ``gpf.partition`` vs DGL 1.1.3's ``partition_graph`` on the same R-MAT graph
(and, with ``--graphbolt``, gpf writing GraphBolt files vs DGL 2.1's ``partition_graph(use_graphbolt=True)``).

    python benchmarks/bench_partition.py [--scale 20] [--edge-factor 16] [--feat-dim 64]
                                         [--parts 8] [--methods random,metis,metis-hetero]
                                         [--halo-hops 1] [--no-dgl] [--keep DIR]

The graph (R-MAT, node IDs permuted, a float32 ``feat`` of ``--feat-dim`` columns and an
int64 ``label`` per node) is generated once and saved as an ``.npz``.  ``metis-hetero``
partitions the same R-MAT edges as a heterogeneous graph: the nodes split into three
types ``a`` / ``b`` / ``c`` (50% / 30% / 20% of them, by ID), the edges into the 9 edge
types between them, every node type a METIS balance constraint (DGL's default for a
heterogeneous graph).  Every run is its own process that loads the ``.npz``, builds the
input graph (``gpf.Graph`` / ``dgl.graph`` / ``dgl.heterograph``) and partitions it into
``--parts`` with 1-hop HALO:

* time: wall time of the partition call (``gpf.partition`` / ``partition_graph``) alone;
* peak RSS: ``VmHWM`` of the worker process (its own high-water resident memory: input arrays and
  imports included; ``ru_maxrss`` would inherit the parent's peak across exec), read right
  after the partition call;
* edge cut: input edges whose two ends have different owners (from the written node map and
  the original-ID mapping), and per-type balance: the largest partition's inner nodes of a
  type over the mean, the worst type (homogeneous: the one type).

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

COMMON = textwrap.dedent("""
    import json, sys, time
    import numpy as np
    def peak_mb():  # VmHWM: this process's own high-water RSS (ru_maxrss would inherit the parent's across exec)
        with open("/proc/self/status") as fh:
            return next(int(l.split()[1]) for l in fh if l.startswith("VmHWM:")) / 1024
    def load(npz):
        z = np.load(npz)
        if "num_nodes" in z:  # homogeneous
            return None, None, z
        counts = {k[6:]: int(z[k]) for k in z.files if k.startswith("count:")}
        edges = {tuple(k[4:].split(":")): (z[k], z["dst:" + k[4:]]) for k in z.files if k.startswith("src:")}
        return counts, edges, z
    def quality(counts, edges, node_map, orig_nids, parts):
        # owner of every original node from the node map (new-ID ranges) and the new -> original IDs
        owner = {}
        for nt, c in counts.items():
            ranges = np.asarray(node_map[nt])
            own_new = np.repeat(np.arange(parts), ranges[:, 1] - ranges[:, 0])
            owner[nt] = np.empty(c, np.int64)
            owner[nt][np.asarray(orig_nids[nt])] = own_new
        cut = sum(int(np.count_nonzero(owner[s][src] != owner[d][dst])) for (s, _, d), (src, dst) in edges.items())
        bal = {}
        for nt, c in counts.items():
            sizes = np.bincount(owner[nt], minlength=parts)
            bal[nt] = float(sizes.max() / sizes.mean()) if c else 1.0
        return cut, bal
    npz, out, parts, method, hops = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
""")

GPF_WORKER = COMMON + textwrap.dedent("""
    import gpf
    from gpf.sdk.writer import write_partitions
    t0 = time.perf_counter()
    counts, edges, z = load(npz)
    if counts is None:
        n = int(z["num_nodes"])
        g = gpf.Graph.homogeneous(z["src"], z["dst"], n, ndata={"feat": z["feat"], "label": z["label"]})
        counts, edges = {"_N": n}, {("_N", "_E", "_N"): (g.edges_dict[("_N", "_E", "_N")])}
    else:
        g = gpf.Graph(counts, edges, ndata={nt: {"feat": z["feat:" + nt], "label": z["label:" + nt]} for nt in counts})
    load_s = time.perf_counter() - t0
    t = time.perf_counter()
    ps, report = write_partitions(g, parts, out, "rmat", method=method, halo_hops=hops, progress=False)
    dt = time.perf_counter() - t
    rss = peak_mb()
    orig = {nt: ps.orig_nids(nt) for nt in counts}
    cut, bal = quality(counts, edges, ps.config.node_map, orig, parts)
    assert cut == report.edge_cut, (cut, report.edge_cut)
    print(json.dumps({"seconds": dt, "load_seconds": load_s, "rss_mb": rss, "edge_cut": cut, "balance": bal}))
""")

DGL_WORKER = COMMON + textwrap.dedent("""
    import contextlib
    import torch, dgl
    from dgl.distributed import partition_graph
    t0 = time.perf_counter()
    counts, edges, z = load(npz)
    if counts is None:
        n = int(z["num_nodes"])
        g = dgl.graph((torch.from_numpy(z["src"]), torch.from_numpy(z["dst"])), num_nodes=n)
        g.ndata["feat"] = torch.from_numpy(z["feat"])
        g.ndata["label"] = torch.from_numpy(z["label"])
        counts, edges = {"_N": n}, {("_N", "_E", "_N"): (z["src"], z["dst"])}
    else:
        g = dgl.heterograph({k: (torch.from_numpy(s), torch.from_numpy(d)) for k, (s, d) in edges.items()},
                            num_nodes_dict=counts)
        for nt in counts:
            g.nodes[nt].data["feat"] = torch.from_numpy(z["feat:" + nt])
            g.nodes[nt].data["label"] = torch.from_numpy(z["label:" + nt])
    load_s = time.perf_counter() - t0
    t = time.perf_counter()
    with contextlib.redirect_stdout(sys.stderr):
        orig_nids, _ = partition_graph(g, "rmat", parts, out, part_method=method, num_hops=hops,
                                       return_mapping=True)
    dt = time.perf_counter() - t
    rss = peak_mb()
    if not isinstance(orig_nids, dict):
        orig_nids = {"_N": orig_nids}
    with open(out + "/rmat.json") as fh:
        node_map = json.load(fh)["node_map"]
    cut, bal = quality(counts, edges, node_map, {k: v.numpy() for k, v in orig_nids.items()}, parts)
    print(json.dumps({"seconds": dt, "load_seconds": load_s, "rss_mb": rss, "edge_cut": cut, "balance": bal}))
""")

#: metis-hetero: node types by node-ID range (IDs are already a random permutation) and their share.
HETERO_TYPES = (("a", 0.5), ("b", 0.3), ("c", 0.2))


def make_input(path: Path, scale: int, edge_factor: int, feat_dim: int, seed: int = 0) -> dict:
    src, dst = rmat(scale, edge_factor, seed=seed)
    n = 1 << scale
    rng = np.random.default_rng(seed + 1)
    feat = rng.standard_normal((n, feat_dim), dtype=np.float32)
    label = rng.integers(0, 47, n, dtype=np.int64)
    np.savez(path, src=src, dst=dst, num_nodes=np.int64(n), feat=feat, label=label)
    return {"nodes": n, "edges": int(src.shape[0]),
            "input_mb": (src.nbytes + dst.nbytes + feat.nbytes + label.nbytes) / 2**20}


def make_hetero_input(homo: Path, path: Path) -> dict:
    """The same R-MAT graph as three node types and the 9 edge types between them."""
    z = np.load(homo)
    n = int(z["num_nodes"])
    bounds, acc = [0], 0.0
    for _, share in HETERO_TYPES:
        acc += share
        bounds.append(int(round(acc * n)))
    bounds[-1] = n
    names = [nt for nt, _ in HETERO_TYPES]
    arrays: dict[str, np.ndarray] = {}
    for t, nt in enumerate(names):
        lo, hi = bounds[t], bounds[t + 1]
        arrays[f"count:{nt}"] = np.int64(hi - lo)
        arrays[f"feat:{nt}"] = z["feat"][lo:hi]
        arrays[f"label:{nt}"] = z["label"][lo:hi]
    src, dst = z["src"], z["dst"]
    ts = np.searchsorted(bounds, src, side="right") - 1
    td = np.searchsorted(bounds, dst, side="right") - 1
    for a, sa in enumerate(names):
        for b, sb in enumerate(names):
            sel = (ts == a) & (td == b)
            arrays[f"src:{sa}:{sa}_{sb}:{sb}"] = src[sel] - bounds[a]
            arrays[f"dst:{sa}:{sa}_{sb}:{sb}"] = dst[sel] - bounds[b]
    np.savez(path, **arrays)
    return {"types": {nt: int(arrays[f"count:{nt}"]) for nt in names}}


def _runs(r: dict) -> str:
    return ", ".join(f"{x:.2f}" for x in r["all_seconds"])


def _balance(r: dict) -> str:
    """Worst per-type balance (max/mean inner nodes), with every type's when there are several."""
    bal = r["balance"]
    worst = max(bal.values())
    return f"{worst:.3f}" if len(bal) == 1 else f"{worst:.3f} (" + ", ".join(f"{k} {v:.3f}" for k, v in bal.items()) + ")"


def _line(r: dict) -> str:
    return (f"{r['seconds']:.2f}s (runs {_runs(r)}), {r['rss_mb']:.0f} MiB, edge cut {r['edge_cut']:,}, "
            f"type balance {_balance(r)}")


def best_of(repeat: int, *args) -> dict:
    """The fastest of ``repeat`` runs of :func:`run_worker` (peak RSS: the largest)."""
    runs = [run_worker(*args) for _ in range(max(1, repeat))]
    best = min(runs, key=lambda r: r["seconds"])
    return {**best, "rss_mb": max(r["rss_mb"] for r in runs), "all_seconds": [r["seconds"] for r in runs]}


def run_worker(python: Path, code: str, npz: Path, out: Path, parts: int, method: str, hops: int,
               graphbolt: bool = False) -> dict:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    if python == Path(sys.executable):  # gpf from this checkout, whatever the venv's install points at
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
    ap.add_argument("--methods", default="random,metis,metis-hetero",
                    help="random, metis (homogeneous graph), metis-hetero (the graph as 3 node types)")
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
            src = npz
            if method == "metis-hetero":
                src = work / "input-hetero.npz"
                if not src.exists():
                    types = make_hetero_input(npz, src)["types"]
                    print("  metis-hetero: node types " + ", ".join(f"{k} {v:,}" for k, v in types.items())
                          + ", 9 edge types", flush=True)
            real = "metis" if method == "metis-hetero" else method
            res = {"gpf": best_of(args.repeat, Path(sys.executable), GPF_WORKER, src, work / "out-gpf", args.parts,
                                  real, args.halo_hops)}
            print(f"  gpf {method}: {_line(res['gpf'])}", flush=True)
            if not args.no_dgl:
                res["dgl"] = best_of(args.repeat, DGL_PY, DGL_WORKER, src, work / "out-dgl", args.parts, real,
                                     args.halo_hops)
                print(f"  DGL {method}: {_line(res['dgl'])}", flush=True)
            rows.append((method, res))
        print()
        print("| method | gpf time (s) | DGL time (s) | time gpf/DGL | gpf peak RSS (MiB) | DGL peak RSS (MiB) "
              "| RSS gpf/DGL | gpf edge cut | DGL edge cut | cut gpf/DGL | gpf type balance | DGL type balance |")
        print("|" + "---|" * 12)
        for method, res in rows:
            g = res["gpf"]
            d = res.get("dgl")
            if d:
                print(f"| {method} | {g['seconds']:.2f} | {d['seconds']:.2f} | {g['seconds'] / d['seconds']:.2f} | "
                      f"{g['rss_mb']:.0f} | {d['rss_mb']:.0f} | {g['rss_mb'] / d['rss_mb']:.2f} | "
                      f"{g['edge_cut']:,} | {d['edge_cut']:,} | {g['edge_cut'] / max(d['edge_cut'], 1):.3f} | "
                      f"{_balance(g)} | {_balance(d)} |")
            else:
                print(f"| {method} | {g['seconds']:.2f} | - | - | {g['rss_mb']:.0f} | - | - | {g['edge_cut']:,} | - | - "
                      f"| {_balance(g)} | - |")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
