"""Oracle fixtures: partition small graphs with REAL DGL and dump what DGL loads back.

Runs in .venv-dgl (dgl 1.1.3).  Usage: python dgl_make_partitions.py OUTDIR

For every case writes ``OUTDIR/<case>/`` holding DGL's own ``partition_graph``
output (``<case>.json``, ``partN/...``) and ``OUTDIR/<case>/expected/``:
  * ``partN.npz``  (+ ``.keys.json``): what ``dgl.distributed.load_partition`` returns
    for part N: ``src``/``dst`` (local, EID order), ``ndata:<f>``, ``edata:<f>``,
    ``nfeat:<key>``, ``efeat:<key>``, and partition-book answers ``book:*``;
  * ``graph.npz``: the input graph (per-type edges and data) and ``return_mapping`` output;
  * ``meta.json``: the case parameters and the ntypes/etypes load_partition returned.
"""

import os
import sys

import dgl
import numpy as np
import torch
from dgl.distributed import load_partition, partition_graph

sys.path.insert(0, os.path.dirname(__file__))
from dump import ensure_dir, save_arrays, save_json  # noqa: E402

SEED = 7


def rand_graph_homo(n=300, m=1500, seed=SEED):
    rng = np.random.default_rng(seed)
    src = rng.integers(0, n, m)
    dst = rng.integers(0, n, m)
    g = dgl.graph((torch.from_numpy(src), torch.from_numpy(dst)), num_nodes=n)
    g.ndata["feat"] = torch.from_numpy(rng.standard_normal((n, 8)).astype(np.float32))
    g.ndata["label"] = torch.from_numpy(rng.integers(0, 5, n).astype(np.int64))
    g.ndata["train_mask"] = torch.from_numpy(rng.random(n) < 0.3)
    g.ndata["emb16"] = torch.from_numpy(rng.standard_normal((n, 3)).astype(np.float16))
    g.edata["w"] = torch.from_numpy(rng.random(m).astype(np.float64))
    g.edata["etag"] = torch.from_numpy(rng.integers(-100, 100, (m, 2)).astype(np.int32))
    return g


def rand_graph_hetero(seed=SEED):
    rng = np.random.default_rng(seed)
    counts = {"user": 120, "item": 90, "tag": 25}
    rels = [
        ("user", "follows", "user", 400),
        ("user", "buys", "item", 500),
        ("item", "bought_by", "user", 300),
        ("item", "has", "tag", 200),
        ("tag", "has", "item", 150),
    ]
    data = {}
    for s, r, d, m in rels:
        data[(s, r, d)] = (
            torch.from_numpy(rng.integers(0, counts[s], m)),
            torch.from_numpy(rng.integers(0, counts[d], m)),
        )
    g = dgl.heterograph(data, num_nodes_dict=counts)
    g.nodes["user"].data["feat"] = torch.from_numpy(rng.standard_normal((120, 4)).astype(np.float32))
    g.nodes["user"].data["label"] = torch.from_numpy(rng.integers(0, 3, 120))
    g.nodes["item"].data["feat"] = torch.from_numpy(rng.standard_normal((90, 6)).astype(np.float64))
    g.nodes["item"].data["price"] = torch.from_numpy(rng.integers(0, 1000, 90).astype(np.int32))
    g.nodes["tag"].data["code"] = torch.from_numpy(rng.integers(0, 100, (25, 2)).astype(np.int16))
    g.edges[("user", "buys", "item")].data["qty"] = torch.from_numpy(rng.integers(1, 9, 500).astype(np.int64))
    g.edges[("user", "follows", "user")].data["w"] = torch.from_numpy(rng.random(400).astype(np.float32))
    g.edges[("item", "has", "tag")].data["score"] = torch.from_numpy(rng.random((200, 2)).astype(np.float64))
    return g


def rand_graph_hetero_unique_rels(seed=SEED):
    """Relation names unique across edge types, as pre-1.0 configs required."""
    rng = np.random.default_rng(seed)
    counts = {"user": 60, "item": 40}
    rels = [("user", "follows", "user", 150), ("user", "buys", "item", 200), ("item", "bought_by", "user", 120)]
    g = dgl.heterograph({(s, r, d): (torch.from_numpy(rng.integers(0, counts[s], m)),
                                     torch.from_numpy(rng.integers(0, counts[d], m))) for s, r, d, m in rels},
                        num_nodes_dict=counts)
    g.nodes["user"].data["feat"] = torch.from_numpy(rng.standard_normal((60, 3)).astype(np.float32))
    g.edges[("user", "buys", "item")].data["qty"] = torch.from_numpy(rng.integers(1, 9, 200))
    return g


CASES = [
    # name, builder, num_parts, method, halo_hops, num_trainers_per_machine
    ("homo_random_h1", rand_graph_homo, 4, "random", 1, 1),
    ("homo_metis_h2_t2", rand_graph_homo, 3, "metis", 2, 2),
    ("homo_one_part", rand_graph_homo, 1, "random", 1, 1),
    ("hetero_random_h1", rand_graph_hetero, 3, "random", 1, 1),
    ("hetero_metis_h2_t2", rand_graph_hetero, 4, "metis", 2, 2),
    ("hetero_one_part", rand_graph_hetero, 1, "metis", 1, 1),
    ("hetero_unique_rels", rand_graph_hetero_unique_rels, 2, "random", 1, 1),
]


def to_np(t):
    return t.detach().cpu().numpy()


def dump_input(g, path, orig_nids, orig_eids):
    arrays = {}
    for nt in g.ntypes:
        arrays[f"num_nodes:{nt}"] = np.array(g.num_nodes(nt))
        for k, v in g.nodes[nt].data.items():
            arrays[f"ndata:{nt}/{k}"] = to_np(v)
    for c in g.canonical_etypes:
        key = ":".join(c)
        s, d = g.edges(etype=c, order="eid")
        arrays[f"src:{key}"] = to_np(s)
        arrays[f"dst:{key}"] = to_np(d)
        for k, v in g.edges[c].data.items():
            arrays[f"edata:{key}/{k}"] = to_np(v)
    if isinstance(orig_nids, dict):
        for nt, v in orig_nids.items():
            arrays[f"orig_nids:{nt}"] = to_np(v)
        for c, v in orig_eids.items():
            arrays[f"orig_eids:{':'.join(c) if isinstance(c, tuple) else c}"] = to_np(v)
    else:
        arrays["orig_nids:_N"] = to_np(orig_nids)
        arrays["orig_eids:_N:_E:_N"] = to_np(orig_eids)
    save_arrays(path, arrays)


def canon(et):
    return ":".join(et) if isinstance(et, tuple) else et


def dump_partition(config, part_id):
    g, nfeat, efeat, gpb, graph_name, ntypes, etypes = load_partition(config, part_id)
    src, dst = g.edges(order="eid")
    arrays = {"src": to_np(src), "dst": to_np(dst), "num_nodes": np.array(g.num_nodes())}
    for k, v in g.ndata.items():
        arrays[f"ndata:{k}"] = to_np(v)
    for k, v in g.edata.items():
        arrays[f"edata:{k}"] = to_np(v)
    for k, v in nfeat.items():
        arrays[f"nfeat:{k}"] = to_np(v)
    for k, v in efeat.items():
        arrays[f"efeat:{k}"] = to_np(v)
    return arrays, gpb, ntypes, etypes, graph_name


def book_answers(gpb, num_nodes, num_edges, ntypes, etypes):
    arrays = {}
    nids = torch.arange(num_nodes)
    eids = torch.arange(num_edges)
    arrays["book:nid2partid"] = to_np(gpb.nid2partid(nids))
    arrays["book:eid2partid"] = to_np(gpb.eid2partid(eids))
    nt, per = gpb.map_to_per_ntype(nids)
    arrays["book:ntype_ids"] = to_np(nt)
    arrays["book:per_ntype_ids"] = to_np(per)
    et, pere = gpb.map_to_per_etype(eids)
    arrays["book:etype_ids"] = to_np(et)
    arrays["book:per_etype_ids"] = to_np(pere)
    for i, ntype in enumerate(ntypes):
        cnt = int((nt == i).sum())
        arrays[f"book:homo_nid:{ntype}"] = to_np(gpb.map_to_homo_nid(torch.arange(cnt), ntype))
    for i, etype in enumerate(etypes):
        cnt = int((et == i).sum())
        arrays[f"book:homo_eid:{canon(etype)}"] = to_np(gpb.map_to_homo_eid(torch.arange(cnt), etype))
    for p in range(gpb.num_partitions()):
        arrays[f"book:partid2nids:{p}"] = to_np(gpb.partid2nids(p))
        arrays[f"book:partid2eids:{p}"] = to_np(gpb.partid2eids(p))
    return arrays


def main(out):
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    dgl.seed(SEED)
    for name, build, parts, method, hops, trainers in CASES:
        g = build()
        case_dir = ensure_dir(os.path.join(out, name))
        exp_dir = ensure_dir(os.path.join(case_dir, "expected"))
        # The input as the user gave it (before partition_graph adds trainer_id fields).
        orig_nids, orig_eids = partition_graph(
            g, name, parts, case_dir, part_method=method, num_hops=hops,
            num_trainers_per_machine=trainers, return_mapping=True,
        )
        dump_input(g, os.path.join(exp_dir, "graph.npz"), orig_nids, orig_eids)
        config = os.path.join(case_dir, name + ".json")
        meta = {"name": name, "num_parts": parts, "method": method, "halo_hops": hops,
                "num_trainers_per_machine": trainers, "is_hetero": len(g.ntypes) > 1 or len(g.etypes) > 1,
                "num_nodes": g.num_nodes(), "num_edges": g.num_edges(), "dgl_version": dgl.__version__}
        for p in range(parts):
            arrays, gpb, ntypes, etypes, graph_name = dump_partition(config, p)
            arrays.update(book_answers(gpb, g.num_nodes(), g.num_edges(), ntypes, etypes))
            save_arrays(os.path.join(exp_dir, f"part{p}.npz"), arrays)
            meta["graph_name"] = graph_name
            meta["ntypes"] = list(ntypes)
            meta["etypes"] = [canon(e) for e in etypes]
            meta["canonical_etypes"] = [":".join(c) for c in gpb.canonical_etypes] if hasattr(gpb, "canonical_etypes") else None
        save_json(os.path.join(exp_dir, "meta.json"), meta)
        print("made", name)


if __name__ == "__main__":
    main(sys.argv[1])
