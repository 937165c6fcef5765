"""Worker side of the DistNeighborLoader tests: graphs, and what each gloo rank records.

Workers run in spawned processes (``run_ranks``); each writes its results with
``torch.save`` (tensors, lists and dicts only: read back with ``weights_only=True``).
"""

from __future__ import annotations

import datetime
import multiprocessing as mp
import os
import traceback

import numpy as np
import torch

HETERO_FANOUTS = {"writes": [3, 2], "cites": [2, 2], "written_by": [1, 1]}


def homo_graph(n: int = 1500, seed: int = 0):
    """A directed graph with hub nodes (in-degrees up to a few hundred), features and labels by original ID."""
    import gpf

    rng = np.random.default_rng(seed)
    m = 12 * n
    dst = np.where(rng.random(m) < 0.3, rng.integers(0, 20, m), rng.integers(0, n, m))  # 20 hubs
    src = rng.integers(0, n, m)
    keep = src != dst
    pairs = np.unique(np.stack([src[keep], dst[keep]], 1), axis=0)  # simple graph: no parallel edges
    src, dst = pairs[:, 0], pairs[:, 1]
    feat = np.stack([np.arange(n), -np.arange(n)], 1).astype(np.float32) + rng.random((n, 2), dtype=np.float32)
    train = rng.random(n) < 0.3
    return gpf.Graph.homogeneous(src, dst, n, ndata={"feat": feat, "label": np.arange(n) % 7, "train_mask": train})


def hetero_graph(seed: int = 0):
    import gpf

    rng = np.random.default_rng(seed)
    n_p, n_a = 600, 300
    w = np.unique(np.stack([rng.integers(0, n_a, 2000), rng.integers(0, n_p, 2000)], 1), axis=0)
    c = np.unique(np.stack([rng.integers(0, n_p, 3000), rng.integers(0, n_p, 3000)], 1), axis=0)
    return gpf.Graph(
        {"paper": n_p, "author": n_a},
        {("author", "writes", "paper"): (w[:, 0], w[:, 1]), ("paper", "cites", "paper"): (c[:, 0], c[:, 1]),
         ("paper", "written_by", "author"): (w[:, 1], w[:, 0])},
        ndata={"paper": {"feat": rng.random((n_p, 3), dtype=np.float32), "label": np.arange(n_p) % 5,
                         "train_mask": rng.random(n_p) < 0.4},
               "author": {"feat": rng.random((n_a, 3), dtype=np.float32)}})


def run_ranks(target, world_size: int, args: tuple, init_file: str, timeout: float = 120.0) -> None:
    """Run ``target(rank, world_size, init_file, *args)`` in ``world_size`` spawned processes.

    A rank that raises, or any rank still running after ``timeout`` seconds (a hang), fails
    with an AssertionError; the collectives also time out on their own (30 s).
    """
    ctx = mp.get_context("spawn")
    errors = ctx.Queue()
    procs = [ctx.Process(target=_entry, args=(target, r, world_size, init_file, args, errors))
             for r in range(world_size)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout)
    hung = [r for r, p in enumerate(procs) if p.is_alive()]
    for p in procs:
        if p.is_alive():
            p.kill()
            p.join()
    messages = []
    while not errors.empty():
        messages.append(errors.get())
    assert not hung, f"ranks {hung} still running after {timeout} s (hang)\n" + "\n".join(messages)
    assert not messages and all(p.exitcode == 0 for p in procs), \
        f"exit codes {[p.exitcode for p in procs]}\n" + "\n".join(messages)


def _entry(target, rank, world_size, init_file, args, errors) -> None:
    import torch.distributed as dist

    torch.set_num_threads(1)
    try:
        dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world_size,
                                timeout=datetime.timedelta(seconds=30))
        try:
            target(rank, world_size, *args)
        finally:
            dist.destroy_process_group()
    except BaseException:
        errors.put(f"rank {rank}:\n{traceback.format_exc()}")
        raise SystemExit(1) from None


def _record(batch, homogeneous: bool) -> dict:
    if homogeneous:
        out = {"n_id": batch.n_id, "edge_index": batch.edge_index, "x": batch.x, "y": batch.y,
               "batch_size": batch.batch_size}
        edges = next(iter(batch.edges.values()))
        if "e_id" in edges:
            out["e_id"] = edges["e_id"]
        return out
    return {"nodes": {t: dict(f) for t, f in batch.nodes.items()},
            "edges": {":".join(t): dict(f) for t, f in batch.edges.items()},
            "batch_size": batch.batch_size}


def homo_worker(rank: int, world_size: int, config: str, out_dir: str) -> None:
    from gpf.loader import DistNeighborLoader

    kw = dict(batch_size=64, node_feats="feat", label="label", with_edge_ids=True, seed=3)
    res: dict = {"rank": rank}
    loader = DistNeighborLoader(config, [4, 3], **kw)
    res["seeds"] = torch.from_numpy(loader.seeds)
    res["steps"] = len(loader)
    res["epochs"] = [[_record(b, True) for b in loader] for _ in range(2)]
    again = DistNeighborLoader(config, [4, 3], **kw)
    res["again"] = [_record(b, True) for b in again]                        # epoch 0 again, same seed
    again.set_epoch(1)
    res["again_epoch1"] = [_record(b, True) for b in again]
    small = {**kw, "batch_size": 10}                                         # several groups of GROUP_STEPS
    one = DistNeighborLoader(config, [4, 3], workers=1, **small)
    res["small"] = [[_record(b, True) for b in one] for _ in range(2)]
    threads = DistNeighborLoader(config, [4, 3], workers=3, **small)         # groups built by 3 threads
    res["three_workers"] = [_record(b, True) for b in threads]
    threads._background = False                                              # ... or in the caller's thread
    res["in_caller"] = [_record(b, True) for b in threads]
    res["one_by_one"] = [_record(threads.sample(torch.from_numpy(s), 0, i), True)   # a step at a time
                         for i, s in enumerate(threads.plan.batches(0))]
    other = DistNeighborLoader(config, [4, 3], **{**kw, "seed": 4})
    res["other_seed"] = [_record(b, True) for b in other]
    rep = DistNeighborLoader(config, [6, 2], replace=True, halo_cache=False, **kw)
    res["replace"] = [_record(b, True) for b in rep]
    full = DistNeighborLoader(config, [-1], shuffle=False, **kw)
    res["full"] = [_record(b, True) for b in full]
    torch.save(res, os.path.join(out_dir, f"homo-{rank}.pt"))


def empty_rank_worker(rank: int, world_size: int, config: str, out_dir: str, seeds: np.ndarray) -> None:
    """Every seed on rank 0's partitions: rank 1 has none and must still serve rank 0."""
    from gpf.loader import DistNeighborLoader

    for fill in ("empty", "repeat"):
        loader = DistNeighborLoader(config, [4, 3], batch_size=32, seeds=seeds, fill=fill, node_feats="feat",
                                    label="label", seed=0)
        res = {"rank": rank, "seeds": torch.from_numpy(loader.seeds), "steps": len(loader),
               "batches": [_record(b, True) for b in loader]}
        torch.save(res, os.path.join(out_dir, f"empty-{fill}-{rank}.pt"))


def hetero_worker(rank: int, world_size: int, config: str, out_dir: str) -> None:
    from gpf.loader import DistNeighborLoader

    loader = DistNeighborLoader(config, HETERO_FANOUTS, batch_size=50, seeds="paper/train_mask",
                                node_feats="feat", label="label", with_edge_ids=True, seed=1)
    res = {"rank": rank, "seeds": torch.from_numpy(loader.seeds), "steps": len(loader),
           "batches": [_record(b, False) for b in loader]}
    res["pyg_types"] = [str(type(b.to_pyg()).__name__) for b in loader]
    torch.save(res, os.path.join(out_dir, f"hetero-{rank}.pt"))


def rows_worker(rank: int, world_size: int, config: str, out_dir: str, dense: bool) -> None:
    """2 and 3 hops on any number of ranks, with the dense lookups or (``dense=False``) the sorted ones
    (and HALO rows fetched in rounds of a size that differs per rank: they must agree on the count)."""
    import gpf.loader.sampling.dense as lookups
    import gpf.loader.sampling.features as rows
    from gpf.loader import DistNeighborLoader

    if not dense:                       # and the HALO cache fetched in many small rounds
        lookups.DENSE_BUDGET_BYTES = 0
        rows.HALO_CHUNK_ROWS = 50 + 20 * rank
    kw = dict(batch_size=64, node_feats="feat", label="label", with_edge_ids=True, seed=5)
    two = DistNeighborLoader(config, [4, 3], **kw)
    three = DistNeighborLoader(config, [3, 2, 2], **kw)
    assert (two._lanes[0].index._map is None) != dense
    res = {"two": [_record(b, True) for b in two], "three": [_record(b, True) for b in three]}
    torch.save(res, os.path.join(out_dir, f"rows-{world_size}-{int(dense)}-{rank}.pt"))
