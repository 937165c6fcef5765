"""Storage backends side by side: bytes on disk, open, read a partition, gather feature rows.

    python benchmarks/bench_storage.py [--scale 20] [--edge-factor 16] [--parts 8] [--feat-dim 64]

An R-MAT graph (64-d float32 node features + labels) is partitioned once by
``gpf.partition`` (random, 1 HALO hop, ``dgl`` backend) and converted with ``gpf.convert``
into every backend variant (Zarr: local stores are unsharded by default; the sharded
variant uses the object-store default of 256 chunks per shard).  Then, for each variant, in its own fresh process:

* **open**: ``gpf.open`` with the set's files evicted from the page cache (the config only
  for every backend; the Zarr store's root metadata), libraries already imported; best of 3;
* **read part, cold / warm**: every array of partition 0 (structure, fields, features)
  materialised and every byte read, first with the set's files evicted from the page
  cache (``posix_fadvise(DONTNEED)`` on each file: only this set's pages, nothing else
  on the machine), then again (warm);
* **gather 10k, cold / warm**: 10,000 random rows of partition 0's ``_N/feat``
  (``feat[rows]``; for Zarr only the chunks holding them are read): cold is right after
  opening with evicted files, warm is a different 10k rows once the whole feature has
  been read once (page cache warm; Zarr still decompresses every chunk it touches).
  Warm numbers are the best of 3 (the machine is shared).
  The hdf5 backend returns numpy arrays: its first touch of a feature reads it whole
  (so the cold gather reads the whole feature; the warm one indexes memory).

Prints one table; numbers go to benchmarks/RESULTS.md by hand.
"""

from __future__ import annotations

import argparse
import json
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

# name: (backend, convert options)
VARIANTS = {
    "dgl": ("dgl", {}),
    "npy": ("npy", {}),
    "hdf5": ("hdf5", {}),
    "hdf5 gzip:1": ("hdf5", {"compressor": "gzip:1"}),
    "zarr zstd": ("zarr", {}),
    "zarr none": ("zarr", {"compressor": "none"}),
    "zarr zstd, sharded": ("zarr", {"shard_rows": 256 * 256}),
}

MEASURE = textwrap.dedent("""
    import json, os, sys, time
    import numpy as np, gpf
    import h5py, zarr  # imported up front: "open" times the set, not the first import of a library
    target, root = sys.argv[1], sys.argv[2]

    def evict():
        for d, _, files in os.walk(root):
            for f in files:
                fd = os.open(os.path.join(d, f), os.O_RDONLY)
                try:
                    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                finally:
                    os.close(fd)

    def touch(a):
        a = np.asarray(a)
        if a.size:
            np.bitwise_or.reduce(np.ascontiguousarray(a).reshape(-1).view(np.uint8))

    def read_part(ps):
        part = ps.partition(0)
        for a in (part.src, part.dst, part.global_nid, part.global_eid, part.inner_node, part.inner_edge,
                  *part.ndata.values(), *part.edata.values(), *part.node_feats.values(), *part.edge_feats.values()):
            touch(a)

    out = {}
    gpf.open(target).partition(0).node_feats  # first-use imports and code paths, untimed
    rng = np.random.default_rng(0)
    opens = []
    for _ in range(3):
        evict()
        t = time.perf_counter(); ps = gpf.open(target); opens.append(time.perf_counter() - t)
    out["open"] = min(opens)
    t = time.perf_counter()
    feat = ps.partition(0).node_feats["_N/feat"]
    rows = rng.integers(0, feat.shape[0], 10_000)
    touch(feat[rows])
    out["gather_cold"] = time.perf_counter() - t
    evict()
    ps = gpf.open(target)
    t = time.perf_counter(); read_part(ps); out["read_cold"] = time.perf_counter() - t
    warm = []
    for _ in range(3):
        ps = gpf.open(target)
        t = time.perf_counter(); read_part(ps); warm.append(time.perf_counter() - t)
    out["read_warm"] = min(warm)
    feat = ps.partition(0).node_feats["_N/feat"]
    touch(feat)
    warm = []
    for _ in range(3):
        rows = rng.integers(0, feat.shape[0], 10_000)
        t = time.perf_counter(); touch(feat[rows]); warm.append(time.perf_counter() - t)
    out["gather_warm"] = min(warm)
    print(json.dumps(out))
""")


def _bytes(root: Path) -> int:
    return sum(f.stat().st_size for f in root.rglob("*") if f.is_file())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", type=int, default=20)
    ap.add_argument("--edge-factor", type=int, default=16)
    ap.add_argument("--parts", type=int, default=8)
    ap.add_argument("--feat-dim", type=int, default=64)
    ap.add_argument("--workdir", default=None, help="keep the generated sets here (default: a temp dir)")
    ap.add_argument("--only", nargs="*", help="variants to run (default: all)")
    args = ap.parse_args()
    import gpf

    work = Path(args.workdir or tempfile.mkdtemp(prefix="gpf-bench-storage-"))
    work.mkdir(parents=True, exist_ok=True)
    base = work / "dgl" / "rmat.json"
    if not base.exists():
        t = time.perf_counter()
        src, dst = rmat(args.scale, args.edge_factor, seed=0)
        n = 1 << args.scale
        rng = np.random.default_rng(0)
        g = gpf.Graph.homogeneous(src, dst, n, ndata={
            "feat": rng.standard_normal((n, args.feat_dim), dtype=np.float32), "label": rng.integers(0, 47, n)})
        gpf.partition(g, args.parts, work / "dgl", "rmat", method="random", verbose=False)
        del g, src, dst
        print(f"R-MAT scale {args.scale} partitioned in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    ps = gpf.open(base)
    rows = []
    for name, (backend, opts) in VARIANTS.items():
        if args.only and name not in args.only:
            continue
        folder = work / name.replace(" ", "_").replace(":", "").replace("(", "").replace(")", "")
        if backend == "dgl":
            folder = work / "dgl"
        elif not folder.exists():
            t = time.perf_counter()
            gpf.convert(ps, folder, to=backend, progress=False, **opts)
            print(f"{name}: converted in {time.perf_counter() - t:.1f} s", file=sys.stderr)
        target = folder if backend == "zarr" else folder / "rmat.json"
        out = subprocess.run([sys.executable, "-c", MEASURE, str(target), str(folder)], capture_output=True, text=True)
        if out.returncode:
            raise SystemExit(f"{name}: measurement failed:\n{out.stderr[-3000:]}")
        rows.append((name, _bytes(folder), json.loads(out.stdout.strip().splitlines()[-1])))
    p0 = ps.partition(0)
    print(f"\nR-MAT scale {args.scale}: {ps.num_nodes:,} nodes, {ps.num_edges:,} edges, {args.parts} parts, "
          f"{args.feat_dim}-d float32 features; partition 0: {p0.num_nodes:,} nodes, {p0.num_edges:,} edges")
    head = ["backend", "MiB on disk", "open ms", "read part cold s", "read part warm s",
            "gather 10k cold ms", "gather 10k warm ms"]
    print("| " + " | ".join(head) + " |")
    print("|---|" + "---:|" * (len(head) - 1))
    for name, size, r in rows:
        print(f"| {name} | {size / 2**20:,.0f} | {1e3 * r['open']:.1f} | {r['read_cold']:.2f} | "
              f"{r['read_warm']:.2f} | {1e3 * r['gather_cold']:.1f} | {1e3 * r['gather_warm']:.1f} |")


if __name__ == "__main__":
    main()
