"""GraphBolt oracle: real DGL 2.x writes and loads ``fused_csc_sampling_graph.pt`` files.

Runs in the side venv ``.venv-dgl2`` (DGL 2.1.0 from PyPI, torch 2.2.1, numpy<2); it
never imports gpf.

``python dgl2_make_graphbolt.py make OUTDIR``
    Partitions a small homogeneous and a small heterogeneous graph with
    ``dgl.distributed.partition_graph`` (2 parts, random), converts them with
    ``dgl_partition_to_graphbolt(store_eids=True, store_inner_node=True,
    store_inner_edge=True)`` and writes, per case, DGL's partition output under
    ``OUTDIR/<case>/`` plus, for each ``partN/fused_csc_sampling_graph.pt``, next to it:
      * ``expected.npz`` (+ ``.keys.json``): the tensors of the graph that
        ``torch.load`` returns (``indptr``, ``indices``, ``type_per_edge``,
        ``node_attributes/<k>``, ``edge_attributes/<k>``), dtypes as DGL has them;
      * ``expected.meta.json``: type maps, which optional fields are None, versions;
      * ``dgl_graph.npz``: the DGL partition graph's local ``src``/``dst`` and
        ``edata['_ID']`` (EID order), for checking CSC -> COO expansion.

``python dgl2_make_graphbolt.py check DIR``
    For every ``DIR/**/<stem>.pt`` with a ``<stem>.npz`` beside it (written by gpf in
    the main venv): ``torch.load`` must return a real ``FusedCSCSamplingGraph`` whose
    tensors (values and dtypes) and type maps equal the dump, and neighbour sampling
    must run.  Prints one ``OK <path>`` line per file; exits non-zero on a mismatch.
"""

import json
import os
import shutil
import sys

import dgl
import dgl.graphbolt as gb
import numpy as np
import torch
from dgl.distributed import dgl_partition_to_graphbolt, load_partition, partition_graph

sys.path.insert(0, os.path.dirname(__file__))
from dump import ensure_dir, save_arrays, save_json  # noqa: E402

SEED = 11


def homo_graph():
    rng = np.random.default_rng(SEED)
    n, m = 40, 160
    g = dgl.graph((torch.from_numpy(rng.integers(0, n, m)), torch.from_numpy(rng.integers(0, n, m))), num_nodes=n)
    g.ndata["feat"] = torch.from_numpy(rng.standard_normal((n, 2)).astype(np.float32))
    return g


def hetero_graph():
    rng = np.random.default_rng(SEED + 1)
    counts = {"user": 30, "item": 20, "tag": 6}
    rels = [("user", "follows", "user", 60), ("user", "buys", "item", 70),
            ("item", "bought_by", "user", 40), ("item", "has", "tag", 30)]
    data = {(s, r, d): (torch.from_numpy(rng.integers(0, counts[s], k)), torch.from_numpy(rng.integers(0, counts[d], k)))
            for s, r, d, k in rels}
    g = dgl.heterograph(data, num_nodes_dict=counts)
    g.nodes["user"].data["feat"] = torch.from_numpy(rng.standard_normal((30, 2)).astype(np.float32))
    return g


def dump_gb(graph, base):
    """Dump a loaded FusedCSCSamplingGraph: arrays to base.npz, the rest to base.meta.json."""
    arrays = {"indptr": graph.csc_indptr, "indices": graph.indices}
    optional = {}
    for name, t in (("node_type_offset", graph.node_type_offset), ("type_per_edge", graph.type_per_edge)):
        optional[name] = t is not None
        if t is not None:
            arrays[name] = t
    for kind, attrs in (("node_attributes", graph.node_attributes), ("edge_attributes", graph.edge_attributes)):
        for k, v in (attrs or {}).items():
            arrays[f"{kind}/{k}"] = v
    arrays = {k: v.numpy() for k, v in arrays.items()}
    save_arrays(base + ".npz", arrays)
    meta = {
        "class": f"{type(graph).__module__}.{type(graph).__qualname__}",
        "node_type_to_id": graph.node_type_to_id,
        "edge_type_to_id": graph.edge_type_to_id,
        "present": optional,
        "node_attributes_is_none": graph.node_attributes is None,
        "edge_attributes_is_none": graph.edge_attributes is None,
        "dtypes": {k: str(v.dtype) for k, v in arrays.items()},
        "dgl": dgl.__version__,
        "torch": torch.__version__,
    }
    save_json(base + ".meta.json", meta)
    return arrays, meta


def make(out):
    ensure_dir(out)
    dgl.seed(SEED)
    for case, g in (("homo", homo_graph()), ("hetero", hetero_graph())):
        d = os.path.join(out, case)
        shutil.rmtree(d, ignore_errors=True)
        partition_graph(g, case, 2, d, part_method="random", balance_edges=False)
        cfg = os.path.join(d, f"{case}.json")
        dgl_partition_to_graphbolt(cfg, store_eids=True, store_inner_node=True, store_inner_edge=True)
        for p in range(2):
            pdir = os.path.join(d, f"part{p}")
            gbg = torch.load(os.path.join(pdir, "fused_csc_sampling_graph.pt"))
            assert isinstance(gbg, gb.FusedCSCSamplingGraph), type(gbg)
            dump_gb(gbg, os.path.join(pdir, "expected"))
            part, *_ = load_partition(cfg, p, load_feats=False)
            src, dst = part.edges()
            save_arrays(os.path.join(pdir, "dgl_graph.npz"),
                        {"src": src.numpy(), "dst": dst.numpy(), "eid": part.edata[dgl.EID].numpy(),
                         "num_nodes": np.int64(part.num_nodes())})
        print("made", d)


def check(root):
    n = 0
    for dirpath, _, files in sorted(os.walk(root)):
        for f in sorted(files):
            if not f.endswith(".pt"):
                continue
            path = os.path.join(dirpath, f)
            base = path[:-3]
            if not os.path.exists(base + ".npz"):
                continue
            with np.load(base + ".npz") as z:
                with open(base + ".keys.json") as fh:
                    keys = json.load(fh)
                want = {k: z[f"a{i}"] for i, k in enumerate(keys)}
            with open(base + ".meta.json") as fh:
                want_meta = json.load(fh)
            graph = torch.load(path)
            if not isinstance(graph, gb.FusedCSCSamplingGraph):
                sys.exit(f"{path}: torch.load gave {type(graph)}, not FusedCSCSamplingGraph")
            got, meta = dump_gb(graph, base + ".dgl")
            if sorted(got) != sorted(want):
                sys.exit(f"{path}: tensors {sorted(got)} != expected {sorted(want)}")
            for k in want:
                if got[k].dtype != want[k].dtype or got[k].shape != want[k].shape or not np.array_equal(got[k], want[k]):
                    sys.exit(f"{path}: {k}: got {got[k].dtype}{got[k].shape} != expected {want[k].dtype}{want[k].shape}")
            for k in ("node_type_to_id", "edge_type_to_id"):
                if meta[k] != want_meta.get(k):
                    sys.exit(f"{path}: {k}: {meta[k]} != {want_meta.get(k)}")
            # (DGL's own hetero partitions have node_type_offset None and cannot sample here)
            homo_or_typed = graph.node_type_to_id is None or graph.node_type_offset is not None
            if graph.total_num_nodes > 0 and graph.total_num_edges > 0 and homo_or_typed:
                seeds = torch.arange(min(4, graph.total_num_nodes), dtype=graph.indices.dtype)
                fanout = torch.LongTensor([2] * (len(graph.edge_type_to_id) if graph.edge_type_to_id else 1))
                graph.sample_neighbors(seeds, fanout)
            print("OK", path)
            n += 1
    if n == 0:
        sys.exit(f"no .pt files with expectations under {root}")


if __name__ == "__main__":
    cmd, arg = sys.argv[1], sys.argv[2]
    {"make": make, "check": check}[cmd](arg)
