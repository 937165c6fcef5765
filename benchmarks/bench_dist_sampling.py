"""Distributed neighbour sampling: gpf ``DistNeighborLoader`` vs DistDGL 1.1.3, same partition set.

    python benchmarks/bench_dist_sampling.py [--scales 18 20] [--parts 2 4] [--trainers 2]
                                             [--fanouts 15,10] [--batch-size 1024] [--epochs 10] [--repeat 3]

Per scale: one R-MAT graph (``rmat.py``; a float32 ``feat`` of ``--feat-dim`` columns, an
int64 ``label``, ``train_mask`` on ``--train-frac`` of the nodes), written once per
partition count by ``gpf.partition`` (``--method``, DGL's on-disk format).  Then, on
127.0.0.1, ``--trainers`` processes (gloo, one torch thread each):

* gpf: each trainer ``DistNeighborLoader(config, fanouts, batch_size, seeds="train_mask",
  node_feats="feat", label="label")``: it reads its own partitions; batches carry the
  features and labels of every sampled node;
* DistDGL (``.venv-dgl``, ``distdgl_sampling_worker.py``): one ``DistGraphServer`` per
  partition, then per trainer ``DistGraph`` + ``node_split`` + ``DistNodeDataLoader`` with
  ``NeighborSampler`` (the same fan-outs, hop 1 first), plus per batch the features of
  every sampled node and the labels of the seeds.

Both run ``--epochs`` timed epochs after one warm-up epoch, ``--repeat`` times, alternating (the
table shows the median run; memory is the largest of the runs).  "batches/s" = the trainers'
batches per second, summed; "s/epoch" = the slowest trainer's mean epoch time; memory =
peak RSS (``VmHWM``) per trainer (gpf's trainer holds its partitions; DistDGL's servers
hold them, so their RSS is listed too).  Numbers go to RESULTS.md by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
DGL_PYTHON = ROOT / ".venv-dgl" / "bin" / "python"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_rss_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def make_set(scale: int, parts_list: list[int], args, out: Path) -> dict[int, Path]:
    import gpf
    from rmat import rmat

    src, dst = rmat(scale, args.edge_factor, seed=0)
    n = 1 << scale
    rng = np.random.default_rng(1)
    feat = rng.standard_normal((n, args.feat_dim), dtype=np.float32)
    feat[:, 0] = np.arange(n)          # each node's original ID: the trainers check the rows they get
    ndata = {"feat": feat,
             "label": rng.integers(0, 16, n), "train_mask": rng.random(n) < args.train_frac}
    graph = gpf.Graph.homogeneous(src, dst, n, ndata=ndata)
    configs = {}
    for P in parts_list:
        t0 = time.perf_counter()
        gpf.partition(graph, P, out / f"s{scale}-p{P}", "rmat", method=args.method, seed=0, verbose=False)
        print(f"  scale {scale}: {P} partitions ({args.method}) written in {time.perf_counter() - t0:.1f} s",
              flush=True)
        configs[P] = out / f"s{scale}-p{P}" / "rmat.json"
    return configs


# -- gpf -------------------------------------------------------------------------------------------
def gpf_trainer(rank: int, world: int, config: str, port: int, fanouts: list[int], batch_size: int,
                epochs: int, workers: int) -> None:
    import torch
    import torch.distributed as dist

    from gpf.loader import DistNeighborLoader

    torch.set_num_threads(1)
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    t0 = time.perf_counter()
    loader = DistNeighborLoader(config, fanouts, batch_size, seeds="train_mask", node_feats="feat", label="label",
                                seed=0, workers=workers or None)
    load_s = time.perf_counter() - t0
    orig = torch.from_numpy(loader.set.orig_nids())
    times, nodes, edges, wrong = [], 0, 0, 0
    for _ in range(epochs + 1):
        dist.barrier()
        t0 = time.perf_counter()
        for i, batch in enumerate(loader):
            if i == 0:   # column 0 of feat holds each node's original ID: are these the right rows?
                wrong += int((batch.x[:, 0].long() != orig[batch.n_id]).sum())
            nodes += int(batch.num_nodes)
            edges += int(batch.num_edges)
        times.append(time.perf_counter() - t0)
    dist.barrier()
    steps = len(loader) * (epochs + 1)
    print(json.dumps({"role": "trainer", "rank": rank, "seeds": int(loader.seeds.size),
                      "batches_per_epoch": len(loader), "epoch_s": times[1:], "load_s": load_s, "wrong_rows": wrong,
                      "peak_rss_mib": peak_rss_mib(), "mean_nodes": nodes / max(1, steps),
                      "mean_edges": edges / max(1, steps)}), flush=True)
    dist.destroy_process_group()


def run_gpf(config: Path, args) -> list[dict]:
    port = free_port()
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.pathsep.join(
        [str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    procs = [subprocess.Popen([sys.executable, __file__, "--gpf-trainer", str(r), str(args.trainers), str(config),
                               str(port), args.fanouts, str(args.batch_size), str(args.epochs), str(args.workers or 0)],
                              stdout=subprocess.PIPE, env=env, text=True) for r in range(args.trainers)]
    return [_result(p, "gpf trainer", args.timeout) for p in procs]


# -- DistDGL ---------------------------------------------------------------------------------------
def run_distdgl(config: Path, num_parts: int, args, tmp: Path) -> tuple[list[dict], list[dict]]:
    ports = [free_port() for _ in range(num_parts)]
    ip_config = tmp / "ip_config.txt"
    ip_config.write_text("".join(f"127.0.0.1 {p}\n" for p in ports))
    worker = str(HERE / "distdgl_sampling_worker.py")
    tag = f"gpfbench{os.getpid()}p{num_parts}"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "DGLBACKEND": "pytorch", "GPF_BENCH_TAG": tag}
    env.pop("PYTHONPATH", None)
    servers = [subprocess.Popen([str(DGL_PYTHON), worker, "server", str(i), str(ip_config), str(args.trainers),
                                 str(config)], stdout=subprocess.PIPE, text=True,
                                env={**env, "DGL_ROLE": "server", "DGL_NUM_SERVER": "1"})
               for i in range(num_parts)]
    time.sleep(2)
    port = free_port()
    cenv = {**env, "DGL_ROLE": "client", "DGL_DIST_MODE": "distributed", "DGL_NUM_SERVER": "1",
            "DGL_NUM_SAMPLER": "0", "DGL_IP_CONFIG": str(ip_config), "DGL_CONF_PATH": str(config)}
    trainers = [subprocess.Popen([str(DGL_PYTHON), worker, "trainer", str(r), str(args.trainers), str(ip_config),
                                  str(config), str(port), args.fanouts, str(args.batch_size), str(args.epochs)],
                                 stdout=subprocess.PIPE, text=True, env=cenv) for r in range(args.trainers)]
    try:
        t = [_result(p, "DistDGL trainer", args.timeout) for p in trainers]
        s = [_result(p, "DistDGL server", 60) for p in servers]
    finally:
        for p in servers + trainers:
            if p.poll() is None:
                p.kill()
        for seg in Path("/dev/shm").glob(f"{tag}*"):   # this run's shared memory (see the DGL worker)
            seg.unlink(missing_ok=True)
    return t, s


def _result(proc: subprocess.Popen, what: str, timeout: float) -> dict:
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise SystemExit(f"{what} (pid {proc.pid}) did not finish within {timeout} s")
    if proc.returncode != 0:
        raise SystemExit(f"{what} (pid {proc.pid}) failed with exit code {proc.returncode}")
    lines = [ln for ln in out.splitlines() if ln.startswith("{")]
    if not lines:
        raise SystemExit(f"{what} (pid {proc.pid}) printed no result")
    return json.loads(lines[-1])


def summary(trainers: list[dict]) -> dict:
    epoch_s = max(float(np.mean(t["epoch_s"])) for t in trainers)
    rate = sum(t["batches_per_epoch"] / float(np.mean(t["epoch_s"])) for t in trainers)
    return {"batches_per_s": rate, "epoch_s": epoch_s, "rss": max(t["peak_rss_mib"] for t in trainers),
            "nodes": float(np.mean([t["mean_nodes"] for t in trainers])),
            "edges": float(np.mean([t["mean_edges"] for t in trainers])),
            "batches": [t["batches_per_epoch"] for t in trainers], "wrong_rows": sum(t["wrong_rows"] for t in trainers)}


def median_run(runs: list[dict]) -> dict:
    """The run with the median batches/s (its other numbers with it); memory: the largest of the runs."""
    ordered = sorted(runs, key=lambda r: r["batches_per_s"])
    out = dict(ordered[(len(ordered) - 1) // 2])
    for key in ("rss", "server_rss", "per_trainer"):
        if key in out:
            out[key] = max(r[key] for r in runs)
    out["rates"] = [round(r["batches_per_s"], 1) for r in runs]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scales", type=int, nargs="+", default=[18, 20])
    ap.add_argument("--parts", type=int, nargs="+", default=[2, 4])
    ap.add_argument("--trainers", type=int, default=2)
    ap.add_argument("--fanouts", default="15,10")
    ap.add_argument("--batch-size", type=int, default=1024)
    ap.add_argument("--epochs", type=int, default=10, help="timed epochs (after one warm-up)")
    ap.add_argument("--edge-factor", type=int, default=16)
    ap.add_argument("--feat-dim", type=int, default=64)
    ap.add_argument("--train-frac", type=float, default=0.1)
    ap.add_argument("--method", default="metis")
    ap.add_argument("--timeout", type=float, default=1800)
    ap.add_argument("--workers", type=int, default=None, help="DistNeighborLoader(workers=) (default: its own)")
    ap.add_argument("--no-dgl", action="store_true", help="gpf only")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each, alternating; the table shows medians")
    args = ap.parse_args()
    if not args.no_dgl and not DGL_PYTHON.exists():
        raise SystemExit(f"{DGL_PYTHON} is missing: `make test` builds the DGL 1.1.3 environment")
    rows = []
    for scale in args.scales:
        tmp = Path(tempfile.mkdtemp(prefix="gpf-bench-dist-"))
        try:
            configs = make_set(scale, args.parts, args, tmp)
            for P, config in configs.items():
                gs, ds = [], []
                for _ in range(args.repeat):           # alternate the two, take the medians
                    gs.append(summary(run_gpf(config, args)))
                    print(f"  gpf     scale {scale} P={P}: {gs[-1]}", flush=True)
                    if not args.no_dgl:
                        t, s = run_distdgl(config, P, args, tmp)
                        d = summary(t)
                        d["server_rss"] = max(x["peak_rss_mib"] for x in s)
                        # what DistDGL needs per trainer: every trainer and server process, per trainer
                        d["per_trainer"] = (sum(x["peak_rss_mib"] for x in t)
                                            + sum(x["peak_rss_mib"] for x in s)) / len(t)
                        ds.append(d)
                        print(f"  DistDGL scale {scale} P={P}: {d}", flush=True)
                rows.append((scale, P, median_run(gs), median_run(ds) if ds else None))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"\nfan-outs [{args.fanouts}], batch {args.batch_size}, {args.trainers} trainers, {args.method} partitions, "
          f"{args.epochs} timed epochs after 1 warm-up, median of {args.repeat} alternating runs\n")
    print("| scale | parts | gpf batches/s | DistDGL batches/s | speed-up | gpf s/epoch | DistDGL s/epoch "
          "| gpf trainer RSS MiB | DistDGL trainer RSS MiB | DistDGL server RSS MiB "
          "| DistDGL per trainer (trainers + servers) MiB | nodes/batch gpf / DGL |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for scale, P, g, d in rows:
        if d is None:
            print(f"| {scale} | {P} | {g['batches_per_s']:.1f} | - | - | {g['epoch_s']:.2f} | - | {g['rss']:.0f} | - | - "
                  f"| - | {g['nodes']:.0f} / - |")
            continue
        print(f"| {scale} | {P} | {g['batches_per_s']:.1f} | {d['batches_per_s']:.1f} | "
              f"{g['batches_per_s'] / d['batches_per_s']:.2f}x | {g['epoch_s']:.2f} | {d['epoch_s']:.2f} | "
              f"{g['rss']:.0f} | {d['rss']:.0f} | {d['server_rss']:.0f} | {d['per_trainer']:.0f} | "
              f"{g['nodes']:.0f} / {d['nodes']:.0f} |")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--gpf-trainer":
        a = sys.argv[2:]
        gpf_trainer(int(a[0]), int(a[1]), a[2], int(a[3]), [int(f) for f in a[4].split(",")], int(a[5]), int(a[6]),
                    int(a[7]))
    else:
        main()
