"""Scale-out: wall time and peak RSS per process for out-of-core partition, validate and convert.

    python benchmarks/bench_scale.py [--scales 18,20,22] [--parts 8] [--workers 1,2]
                                     [--extra-parts 32] [--plot benchmarks/scale.png] [--keep DIR]

For each R-MAT scale (edge factor 16, 64-d float32 ``feat`` + int64 ``label`` per node) the
graph is written once in DGL's chunked format (8 edge chunks, 8 feature chunks, ``.npy``).
Then, each in its own process, on a fresh local Dask cluster of ``W`` single-threaded
workers (and once in-process, ``W = 0``):

* partition: ``gpf.sdk.write.streaming.partition_chunked`` (random, ``--parts``, 1-hop HALO);
* validate:  ``gpf.validate(set, workers=W)``;
* convert:   ``gpf.convert(set, dst, to="npy", workers=W)``.

Peak RSS is ``VmHWM`` (own high-water resident memory) of the driver process and of
every Dask worker process (``client.run``); "largest part" is the biggest partition's bytes on disk.  The claim
checked: worker RSS follows the largest partition (it drops when the same graph is cut
into ``--extra-parts`` partitions), not the whole graph.  Prints a markdown table and
writes a PNG plot.
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
sys.path.insert(0, str(HERE))

from rmat import rmat  # noqa: E402

WORKER = textwrap.dedent("""
    import json, os, sys, time
    def rss_mb():  # VmHWM: own high-water RSS (ru_maxrss would inherit the parent's across exec)
        with open("/proc/self/status") as fh:
            return next(int(l.split()[1]) for l in fh if l.startswith("VmHWM:")) / 1024
    def main():
        import gpf
        from gpf.sdk.write.streaming import partition_chunked
        op, src, dst, parts, workers = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
        client = cluster = None
        if workers:
            from dask.distributed import Client, LocalCluster
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=50)
            client = Client(cluster)
        t = time.perf_counter()
        if op == "partition":
            partition_chunked(src, parts, dst, "rmat", method="random", client=client)
        elif op == "validate":
            report = gpf.validate(src, client=client) if client else gpf.validate(src)
            assert report.valid, report
        elif op == "convert":
            gpf.convert(src, dst, to="npy", client=client) if client else gpf.convert(src, dst, to="npy")
        dt = time.perf_counter() - t
        worker_rss = sorted(client.run(rss_mb).values()) if client else []
        if client:
            client.close(); cluster.close()
        print(json.dumps({"seconds": dt, "driver_mb": rss_mb(), "worker_mb": worker_rss}))
    if __name__ == "__main__":
        main()
""")


def make_chunked(root: Path, scale: int, edge_factor: int = 16, feat_dim: int = 64, chunks: int = 8) -> dict:
    """An R-MAT graph in DGL's chunked format (numpy chunks)."""
    root.mkdir(parents=True, exist_ok=True)
    src, dst = rmat(scale, edge_factor, seed=0)
    n, m = 1 << scale, int(src.shape[0])
    edge_files, edge_counts = [], []
    for c, rows in enumerate(np.array_split(np.arange(m), chunks)):
        f = f"edges-{c}.npy"
        np.save(root / f, np.stack([src[rows], dst[rows]], axis=1))
        edge_files.append(f)
        edge_counts.append(int(rows.size))
    del src, dst
    rng = np.random.default_rng(1)
    node_counts, feat_files, label_files = [], [], []
    for c, rows in enumerate(np.array_split(np.arange(n), chunks)):
        np.save(root / f"feat-{c}.npy", rng.standard_normal((rows.size, feat_dim), dtype=np.float32))
        np.save(root / f"label-{c}.npy", rng.integers(0, 47, rows.size, dtype=np.int64))
        feat_files.append(f"feat-{c}.npy")
        label_files.append(f"label-{c}.npy")
        node_counts.append(int(rows.size))
    meta = {"graph_name": "rmat", "node_type": ["_N"], "num_nodes_per_chunk": [node_counts],
            "edge_type": ["_N:_E:_N"], "num_edges_per_chunk": [edge_counts],
            "edges": {"_N:_E:_N": {"format": {"name": "numpy"}, "data": edge_files}},
            "node_data": {"_N": {"feat": {"format": {"name": "numpy"}, "data": feat_files},
                                 "label": {"format": {"name": "numpy"}, "data": label_files}}}}
    (root / "metadata.json").write_text(json.dumps(meta))
    return {"nodes": n, "edges": m, "bytes": sum(f.stat().st_size for f in root.iterdir())}


def run(op: str, src: Path, dst: Path, parts: int, workers: int) -> dict:
    shutil.rmtree(dst, ignore_errors=True)
    proc = subprocess.run([sys.executable, "-c", WORKER, op, str(src), str(dst), str(parts), str(workers)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"rc {proc.returncode}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def largest_part_mb(config: Path) -> float:
    sizes = [sum(f.stat().st_size for f in d.rglob("*") if f.is_file())
             for d in config.parent.iterdir() if d.is_dir() and d.name.startswith("part")]
    return max(sizes) / 2**20


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scales", default="18,20,22")
    ap.add_argument("--parts", type=int, default=8)
    ap.add_argument("--extra-parts", type=int, default=32, help="also cut the largest scale into this many parts")
    ap.add_argument("--workers", default="0,1,2", help="0 = in-process (no Dask)")
    ap.add_argument("--ops", default="partition,validate,convert")
    ap.add_argument("--plot", default=str(HERE / "scale.png"))
    ap.add_argument("--keep", metavar="DIR")
    args = ap.parse_args(argv)
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="gpf-bench-scale-"))
    scales = [int(s) for s in args.scales.split(",")]
    workers = [int(w) for w in args.workers.split(",")]
    ops = args.ops.split(",")
    rows = []
    try:
        runs = [(s, args.parts) for s in scales] + ([(scales[-1], args.extra_parts)] if args.extra_parts else [])
        for scale, parts in runs:
            inp = work / f"in-{scale}"
            if not (inp / "metadata.json").exists():
                t = time.perf_counter()
                info = make_chunked(inp, scale)
                print(f"scale {scale}: {info['nodes']:,} nodes, {info['edges']:,} edges, chunked input "
                      f"{info['bytes'] / 2**20:.0f} MiB (made in {time.perf_counter() - t:.0f}s)", flush=True)
            for w in workers:
                out = work / f"set-{scale}-{parts}"
                res = {}
                if "partition" in ops:
                    res["partition"] = run("partition", inp, out, parts, w)
                config = out / "rmat.json"
                big = largest_part_mb(config) if config.exists() else float("nan")
                if "validate" in ops and config.exists():
                    res["validate"] = run("validate", config, work / "unused", parts, w)
                if "convert" in ops and config.exists():
                    res["convert"] = run("convert", config, work / f"npy-{scale}-{parts}", parts, w)
                for op, r in res.items():
                    rows.append({"scale": scale, "parts": parts, "workers": w, "op": op, "largest_mb": big, **r})
                    print("  " + _line(rows[-1]), flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print()
    print("| scale | parts | workers | op | time (s) | driver peak RSS (MiB) | max worker peak RSS (MiB) | largest part (MiB) |")
    print("|---:|---:|---:|---|---:|---:|---:|---:|")
    for r in rows:
        if "error" in r:
            print(f"| {r['scale']} | {r['parts']} | {r['workers']} | {r['op']} | error: {r['error']} | | | |")
            continue
        wmax = max(r["worker_mb"]) if r["worker_mb"] else float("nan")
        print(f"| {r['scale']} | {r['parts']} | {r['workers'] or 'in-process'} | {r['op']} | {r['seconds']:.1f} | "
              f"{r['driver_mb']:.0f} | {wmax:.0f} | {r['largest_mb']:.0f} |")
    if args.plot:
        plot(rows, args.plot)
        print(f"\nplot: {args.plot}")


def _line(r: dict) -> str:
    if "error" in r:
        return f"{r['op']} W={r['workers']}: error {r['error']}"
    return (f"{r['op']} W={r['workers']}: {r['seconds']:.1f}s, driver {r['driver_mb']:.0f} MiB, "
            f"workers {[round(x) for x in r['worker_mb']]} MiB")


def plot(rows: list[dict], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = [r for r in rows if "error" not in r and r["worker_mb"]]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for op in sorted({r["op"] for r in ok}):
        pts = sorted((r["largest_mb"], max(r["worker_mb"]), r["scale"], r["parts"]) for r in ok if r["op"] == op)
        ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", label=op)
        for x, y, s, p in pts:
            ax.annotate(f"s{s}/{p}p", (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.set_xlabel("largest partition on disk (MiB)")
    ax.set_ylabel("peak RSS of a Dask worker (MiB)")
    ax.set_title("gpf scale-out: worker memory follows the largest partition")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    main()
