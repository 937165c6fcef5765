"""gpf.converters.dgl.from_dgl on REAL DGLGraphs, inside .venv-dgl.

Usage: python dgl_converters_from_dgl.py OUTDIR

For every case builds a DGLGraph and dumps ``OUTDIR/<case>_input.npz`` (the graph read
with DGL's own API: ``num_nodes:<ntype>``, ``src:<etype>``/``dst:<etype>`` in EID order,
``ndata:<ntype>/<name>``, ``edata:<etype>/<name>``) and ``OUTDIR/<case>_gpf.npz``: the
``gpf.Graph`` that ``from_dgl`` returns, under the same keys.  ``OUTDIR/cases.json``
lists the cases and the error message from_dgl gives for a graph with ``_ID`` data.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "src"))
sys.path.insert(0, HERE)

import dgl  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from dgl_make_partitions import rand_graph_hetero, rand_graph_homo, to_np  # noqa: E402
from dump import save_arrays, save_json  # noqa: E402

from gpf.converters.dgl import from_dgl  # noqa: E402
from gpf.errors import GpfError  # noqa: E402


def hetero_isolated_int32(seed=11):
    """int32 IDs, node types with isolated nodes, a node type with no edges, an edgeless edge type."""
    rng = np.random.default_rng(seed)
    data = {
        ("paper", "cites", "paper"): (torch.from_numpy(rng.integers(0, 30, 80)), torch.from_numpy(rng.integers(0, 30, 80))),
        ("author", "writes", "paper"): (torch.from_numpy(rng.integers(0, 10, 40)), torch.from_numpy(rng.integers(0, 30, 40))),
        ("paper", "about", "field"): (torch.zeros(0, dtype=torch.int64), torch.zeros(0, dtype=torch.int64)),
    }
    g = dgl.heterograph(data, num_nodes_dict={"paper": 35, "author": 14, "field": 4, "venue": 6}, idtype=torch.int32)
    g.nodes["paper"].data["feat"] = torch.from_numpy(rng.standard_normal((35, 5)).astype(np.float32))
    g.nodes["paper"].data["train_mask"] = torch.from_numpy(rng.random(35) < 0.4)
    g.nodes["venue"].data["rank"] = torch.arange(6, dtype=torch.int16)
    g.edges[("author", "writes", "paper")].data["year"] = torch.from_numpy(rng.integers(1990, 2024, 40))
    g.edges[("paper", "about", "field")].data["w"] = torch.zeros(0, 3)
    return g


CASES = {"homo": rand_graph_homo, "hetero": rand_graph_hetero, "hetero_isolated_int32": hetero_isolated_int32}


def dgl_arrays(g):
    out = {}
    for nt in g.ntypes:
        out[f"num_nodes:{nt}"] = np.array(g.num_nodes(nt))
        for k, v in g.nodes[nt].data.items():
            out[f"ndata:{nt}/{k}"] = to_np(v)
    for c in g.canonical_etypes:
        key = ":".join(c)
        s, d = g.edges(etype=c, order="eid")
        out[f"src:{key}"], out[f"dst:{key}"] = to_np(s), to_np(d)
        for k, v in g.edges[c].data.items():
            out[f"edata:{key}/{k}"] = to_np(v)
    return out


def gpf_arrays(graph):
    out = {}
    for nt in graph.ntypes:
        out[f"num_nodes:{nt}"] = np.array(graph.num_nodes(nt))
        for k, v in graph.ndata[nt].items():
            out[f"ndata:{nt}/{k}"] = v
    for c in graph.canonical_etypes:
        key = ":".join(c)
        out[f"src:{key}"], out[f"dst:{key}"] = graph.edges(c)
        for k, v in graph.edata[c].items():
            out[f"edata:{key}/{k}"] = v
    return out


def main(out):
    os.makedirs(out, exist_ok=True)
    for name, build in CASES.items():
        g = build()
        save_arrays(os.path.join(out, f"{name}_input.npz"), dgl_arrays(g))
        save_arrays(os.path.join(out, f"{name}_gpf.npz"), gpf_arrays(from_dgl(g)))
    sub = dgl.node_subgraph(rand_graph_homo(), torch.arange(50))   # adds ndata['_ID']
    try:
        from_dgl(sub)
        refused = None
    except GpfError as exc:
        refused = str(exc)
    kept = sorted(from_dgl(sub, exclude=["_ID"]).ndata["_N"])
    save_json(os.path.join(out, "cases.json"), {"cases": list(CASES), "subgraph_error": refused,
                                                "subgraph_excluded_ndata": kept})
    print("done")


if __name__ == "__main__":
    main(sys.argv[1])
