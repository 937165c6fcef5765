"""Oracle: REAL DGL 1.1.3 METIS on heterogeneous graphs, for the balance / edge-cut comparison.

Runs in .venv-dgl.  Usage: python dgl_metis_balance.py OUTDIR

For every case (graph, number of parts, balance options) it runs DGL's own
``partition_graph(part_method="metis")`` up to its node assignment and writes
``OUTDIR/<case>.npz`` (+ ``.keys.json``) holding the input graph (``count:<ntype>``,
``src:<s:r:d>`` / ``dst:<s:r:d>``, ``train:<ntype>`` masks) and DGL's owner partition of
every node in each of :data:`REPEATS` runs (``part:<run>:<ntype>``, per-type original IDs;
``ref_part:<run>:<ntype>`` for graphs with a type smaller than the number of parts, see
:func:`feasible_reference`), and
``OUTDIR/cases.json`` with the parameters of each case.  The gpf test partitions the same
graphs and compares.

Graphs: a planted-community graph over three node types (every community spans all
types, so a good cut exists), heavy-tailed degrees; a tiny type with fewer nodes than
parts in some cases.
"""

import json
import os
import sys
import tempfile

import dgl
import numpy as np
import torch
from dgl.distributed import partition as dgl_partition
from dgl.distributed import partition_graph

sys.path.insert(0, os.path.dirname(__file__))
from dump import ensure_dir, save_arrays  # noqa: E402


def community_graph(counts, rels, communities, seed, p_in=0.9):
    """Edges mostly inside a node's community; sources drawn with a heavy tail."""
    rng = np.random.default_rng(seed)
    comm = {nt: rng.integers(0, communities, c) for nt, c in counts.items()}
    members = {nt: [np.flatnonzero(comm[nt] == k) for k in range(communities)] for nt in counts}
    edges = {}
    for s, r, d, m in rels:
        ns, nd = counts[s], counts[d]
        w = rng.pareto(1.5, ns) + 1.0
        src = rng.choice(ns, m, p=w / w.sum())
        dst = rng.integers(0, nd, m)
        inside = rng.random(m) < p_in
        for i in np.flatnonzero(inside):
            pool = members[d][comm[s][src[i]]]
            if len(pool):
                dst[i] = pool[rng.integers(0, len(pool))]
        edges[(s, r, d)] = (src.astype(np.int64), dst.astype(np.int64))
    return edges


GRAPHS = {
    # the issue's shape: author 800, field 100, paper 1,500; four edge types
    "apf": ({"author": 800, "field": 100, "paper": 1500},
            [("author", "writes", "paper", 4000), ("paper", "cites", "paper", 6000),
             ("paper", "has_topic", "field", 1500), ("paper", "written_by", "author", 4000)], 12, 1),
    # larger, with a type of 6 nodes (fewer than 8 / 16 parts)
    "big": ({"user": 12000, "item": 6000, "shop": 6},
            [("user", "buys", "item", 40000), ("item", "bought_by", "user", 40000),
             ("user", "follows", "user", 30000), ("item", "sold_at", "shop", 6000),
             ("shop", "sells", "item", 6000)], 40, 2),
    # mid-sized, type sizes far apart
    "mid": ({"a": 5000, "b": 400, "c": 2500},
            [("a", "ab", "b", 8000), ("b", "ba", "a", 8000), ("a", "ac", "c", 10000),
             ("c", "cc", "c", 8000), ("c", "ca", "a", 10000)], 24, 3),
}

REPEATS = 5

CASES = [
    # (case name, graph, parts, balance_ntypes: None | "train", balance_edges)
    ("apf_p2", "apf", 2, None, False),
    ("apf_p4", "apf", 4, None, False),
    ("apf_p8", "apf", 8, None, False),
    ("apf_p16", "apf", 16, None, False),
    ("mid_p4", "mid", 4, None, False),
    ("mid_p16", "mid", 16, None, False),
    ("big_p8", "big", 8, None, False),
    ("big_p16", "big", 16, None, False),
    ("apf_p4_train", "apf", 4, "train", False),
    ("mid_p8_train", "mid", 8, "train", False),
    ("apf_p4_edges", "apf", 4, None, True),
    ("mid_p8_edges", "mid", 8, None, True),
]


class _Assigned(Exception):
    pass


def dgl_metis_owners(g, name, parts, balance_ntypes, balance_edges):
    """DGL's METIS owner of every node, per type: ``partition_graph``'s own path up to the
    assignment (homogeneous view, balance labels, ``metis_partition_assignment``), stopped
    before it builds the HALO subgraphs (DGL 1.1.3 fails there for some 16-part cases)."""
    seen = {}

    def capture(sim_g, node_parts, *args, **kwargs):
        seen["g"], seen["parts"] = sim_g, node_parts
        raise _Assigned()

    real = dgl_partition.partition_graph_with_halo
    dgl_partition.partition_graph_with_halo = capture
    try:
        with tempfile.TemporaryDirectory() as tmp:
            partition_graph(g, name, parts, tmp, part_method="metis", balance_ntypes=balance_ntypes,
                            balance_edges=balance_edges)
    except _Assigned:
        pass
    finally:
        dgl_partition.partition_graph_with_halo = real
    sim_g, node_parts = seen["g"], seen["parts"].numpy()
    ntype_ids = sim_g.ndata[dgl.NTYPE].numpy()
    nids = sim_g.ndata[dgl.NID].numpy()
    out = {}
    for t, nt in enumerate(g.ntypes):
        sel = ntype_ids == t
        part = np.full(g.num_nodes(nt), -1, np.int64)
        part[nids[sel]] = node_parts[sel]
        assert (part >= 0).all()
        out[nt] = part
    return out


def feasible_reference(g, parts, balance_edges):
    """Real DGL METIS (``metis_partition_assignment`` on ``to_homogeneous``), one constraint
    per node type except that types with fewer nodes than parts share the largest type's."""
    sim_g = dgl.to_homogeneous(g)
    ntype_ids = sim_g.ndata[dgl.NTYPE].numpy()
    largest = max(range(len(g.ntypes)), key=lambda t: g.num_nodes(g.ntypes[t]))
    labels = ntype_ids.copy()
    for t, nt in enumerate(g.ntypes):
        if g.num_nodes(nt) < parts:
            labels[ntype_ids == t] = largest
    node_parts = dgl.metis_partition_assignment(sim_g, parts, balance_ntypes=torch.from_numpy(labels),
                                                balance_edges=balance_edges).numpy()
    nids = sim_g.ndata[dgl.NID].numpy()
    out = {}
    for t, nt in enumerate(g.ntypes):
        sel = ntype_ids == t
        part = np.empty(g.num_nodes(nt), np.int64)
        part[nids[sel]] = node_parts[sel]
        out[nt] = part
    return out


def train_masks(counts, seed):
    rng = np.random.default_rng(seed + 100)
    return {nt: (rng.random(c) < 0.2) for nt, c in counts.items()}


def main(out):
    ensure_dir(out)
    meta = {}
    for name, gname, parts, bal, bal_edges in CASES:
        counts, rels, communities, seed = GRAPHS[gname]
        edges = community_graph(counts, rels, communities, seed)
        g = dgl.heterograph({k: (torch.from_numpy(s), torch.from_numpy(d)) for k, (s, d) in edges.items()},
                            num_nodes_dict=counts)
        masks = train_masks(counts, seed)
        balance_ntypes = None
        if bal == "train":  # per-type dict of labels, as DGL's docs use a train mask
            balance_ntypes = {nt: torch.from_numpy(masks[nt].astype(np.int64)) for nt in counts}
        arrays = {}
        # DGL's METIS is not deterministic from run to run (its symmetric CSR is built with
        # OpenMP): REPEATS runs each, the test compares with their median.
        for run in range(REPEATS):
            for nt, part in dgl_metis_owners(g, name, parts, balance_ntypes, bal_edges).items():
                arrays[f"part:{run}:{nt}"] = part
            if min(counts.values()) < parts and bal is None:
                # DGL cannot balance a type with fewer nodes than parts, and METIS then lets every
                # other type drift as far: DGL's cut on its *feasible* constraints (the tiny types
                # counted with the largest type) is the fair reference for the cut.
                for nt, part in feasible_reference(g, parts, bal_edges).items():
                    arrays[f"ref_part:{run}:{nt}"] = part
        for nt in sorted(counts):
            arrays[f"count:{nt}"] = np.int64(counts[nt])
            arrays[f"train:{nt}"] = masks[nt]
        for (s, r, d), (src, dst) in edges.items():
            arrays[f"src:{s}:{r}:{d}"] = src
            arrays[f"dst:{s}:{r}:{d}"] = dst
        save_arrays(os.path.join(out, name + ".npz"), arrays)
        meta[name] = {"graph": gname, "parts": parts, "balance_ntypes": bal, "balance_edges": bal_edges,
                      "runs": REPEATS}
    with open(os.path.join(out, "cases.json"), "w") as fh:
        json.dump(meta, fh, indent=1, sort_keys=True)


if __name__ == "__main__":
    main(sys.argv[1])
