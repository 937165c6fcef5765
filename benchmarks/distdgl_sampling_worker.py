"""DistDGL side of bench_dist_sampling.py; runs in the DGL 1.1.3 environment (.venv-dgl).

    python distdgl_sampling_worker.py server SERVER_ID IP_CONFIG NUM_CLIENTS PART_CONFIG
    python distdgl_sampling_worker.py trainer RANK WORLD IP_CONFIG PART_CONFIG MASTER_PORT FANOUTS BATCH EPOCHS

One DistGraphServer per partition, each playing one machine, all on 127.0.0.1.  DGL 1.1.3
cannot run two machines' servers on one host as shipped: every server puts its partition's
features in shared memory under the same names (``node~_N~feat-kvdata-``, ...), and every
client takes itself for machine 0 (the first server with a local IP); the second server
resizes the first one's segments and the trainers die of SIGBUS in ``node_split``.
:func:`one_machine_per_server` prefixes DGL's shared-memory names with the machine ID (and a
run tag) and tells trainer ``r`` it is on machine ``r``: each trainer is then co-located
with its own partition (graph and features read through shared memory, the rest over
DGL's RPC), as in a real one-machine-per-partition deployment.
A trainer: ``dgl.distributed.initialize``, ``torch.distributed`` (gloo), ``DistGraph``,
``node_split(train_mask)``, ``DistNodeDataLoader`` with ``NeighborSampler``, and per batch
the features of every sampled node and the labels of the seeds (what gpf's batches hold).
Prints one JSON line: batches, seconds per epoch, peak RSS.
"""

from __future__ import annotations

import faulthandler
import json
import os
import sys
import time


faulthandler.enable()


def peak_rss_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def one_machine_per_server(machine: int, is_client: bool) -> None:
    """Give each emulated machine its own shared-memory names (see the module docstring)."""
    from dgl.distributed import dist_graph, graph_partition_book, kvstore, rpc_client

    prefix = f"{os.environ.get('GPF_BENCH_TAG', 'gpfbench')}m{machine}_"
    esm = kvstore.empty_shared_mem
    kvstore.empty_shared_mem = lambda name, *a, **k: esm(prefix + name, *a, **k)
    copy_graph, get_graph = dist_graph._copy_graph_to_shared_mem, dist_graph._get_graph_from_shared_mem
    dist_graph._copy_graph_to_shared_mem = lambda g, name, fmt: copy_graph(g, prefix + name, fmt)
    dist_graph._get_graph_from_shared_mem = lambda name: get_graph(prefix + name)
    get_book = dist_graph.get_shared_mem_partition_book
    dist_graph.get_shared_mem_partition_book = lambda name: get_book(prefix + name)
    book_cls = graph_partition_book.RangePartitionBook
    to_shm = book_cls.shared_memory
    book_cls.shared_memory = lambda self, name: to_shm(self, prefix + name)
    if is_client:
        rpc_client.get_local_machine_id = lambda namebook: machine


def server(server_id: int, ip_config: str, num_clients: int, part_config: str) -> None:
    import dgl.distributed as dd

    one_machine_per_server(server_id, is_client=False)
    serv = dd.DistGraphServer(server_id, ip_config, 1, num_clients, part_config, graph_format=["csc"])
    serv.start()
    print(json.dumps({"role": "server", "id": server_id, "peak_rss_mib": peak_rss_mib()}), flush=True)


def trainer(rank: int, world: int, ip_config: str, part_config: str, port: int, fanouts: list[int],
            batch_size: int, epochs: int) -> None:
    import dgl
    import dgl.distributed as dd
    import numpy as np
    import torch
    import torch.distributed as tdist

    torch.set_num_threads(1)
    with open(part_config) as fh:
        num_parts = json.load(fh)["num_parts"]
    one_machine_per_server(rank % num_parts, is_client=True)
    dd.initialize(ip_config)
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    tdist.init_process_group("gloo", rank=rank, world_size=world)
    gpb, graph_name, _, _ = dd.load_partition_book(part_config, rank % num_parts)
    g = dd.DistGraph(graph_name, gpb=gpb)
    orig = torch.cat([dgl.data.utils.load_tensors(os.path.join(os.path.dirname(part_config), f"part{p}",
                                                               "orig_nids.dgl"))["_N"] for p in range(num_parts)])
    # The seeds of trainer r: the training nodes of the partitions gpf's rank r owns (a contiguous
    # block; node_split cannot split 4 partitions over 2 trainers: it wants clients % parts == 0).
    block = [int(b) for b in np.array_split(range(num_parts), world)[rank]]
    ids = torch.cat([gpb.partid2nids(p) for p in block])
    train_nid = ids[g.ndata["train_mask"][ids].bool()]
    # DGL's fan-out list is per layer, input layer first: sampling starts from its last entry.
    sampler = dgl.dataloading.NeighborSampler(list(reversed(fanouts)))
    loader = dgl.dataloading.DistNodeDataLoader(g, train_nid, sampler, batch_size=batch_size, shuffle=True, drop_last=False)
    feat, label = g.ndata["feat"], g.ndata["label"]
    times, batches, nodes, edges, wrong = [], 0, 0, 0, 0
    for _ in range(epochs + 1):                    # the first epoch warms up and is not timed
        tdist.barrier()
        t0 = time.perf_counter()
        n = 0
        for input_nodes, seeds, blocks in loader:
            x = feat[input_nodes]
            y = label[seeds]
            if n == 0:   # column 0 of feat holds each node's original ID: are these the right rows?
                wrong += int((x[:, 0].long() != orig[input_nodes]).sum())
            n += 1
            nodes += int(x.shape[0])
            edges += sum(int(b.num_edges()) for b in blocks)
            del y
        times.append(time.perf_counter() - t0)
        batches = n
    tdist.barrier()
    print(json.dumps({"role": "trainer", "rank": rank, "seeds": int(len(train_nid)), "batches_per_epoch": batches,
                      "epoch_s": times[1:], "peak_rss_mib": peak_rss_mib(), "wrong_rows": wrong,
                      "mean_nodes": nodes / max(1, batches * (epochs + 1)),
                      "mean_edges": edges / max(1, batches * (epochs + 1))}), flush=True)
    dd.exit_client()


if __name__ == "__main__":
    role = sys.argv[1]
    if role == "server":
        server(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5])
    else:
        trainer(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], int(sys.argv[6]),
                [int(f) for f in sys.argv[7].split(",")], int(sys.argv[8]), int(sys.argv[9]))
