"""gpf.converters.dgl's to_dgl_graph and to_dgl(list) inside .venv-dgl (real DGL 1.1.3).

Usage: python dgl_converters_verbs.py OUTDIR CONFIG

Dumps ``OUTDIR/whole.npz``: what ``to_dgl_graph(gpf.open(CONFIG))`` holds, per type
(``num_nodes:<nt>``, ``src:<etype>``/``dst:<etype>`` in edge-ID order, ``ndata:<nt>/<name>``,
``edata:<etype>/<name>``), with ``OUTDIR/meta.json`` (ntypes, canonical etypes, is_homogeneous);
and ``OUTDIR/union.npz``: ``to_dgl([partition 0, partition 1])`` (``src``, ``dst``, ``ndata:*``,
``edata:*``).
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "src"))
sys.path.insert(0, HERE)

from dgl_make_partitions import to_np  # noqa: E402
from dump import ensure_dir, save_arrays, save_json  # noqa: E402

import gpf  # noqa: E402
from gpf.converters.dgl import to_dgl, to_dgl_graph  # noqa: E402


def main(out, config):
    ensure_dir(out)
    ps = gpf.open(config)
    g = to_dgl_graph(ps)
    arrays = {}
    for nt in g.ntypes:
        arrays[f"num_nodes:{nt}"] = g.num_nodes(nt)
        for k, v in g.nodes[nt].data.items():
            arrays[f"ndata:{nt}/{k}"] = to_np(v)
    for et in g.canonical_etypes:
        key = ":".join(et)
        s, d = g.edges(etype=et, order="eid")
        arrays[f"src:{key}"], arrays[f"dst:{key}"] = to_np(s), to_np(d)
        for k, v in g.edges[et].data.items():
            arrays[f"edata:{key}/{k}"] = to_np(v)
    save_arrays(os.path.join(out, "whole.npz"), arrays)
    save_json(os.path.join(out, "meta.json"), {"ntypes": list(g.ntypes),
                                               "etypes": [list(e) for e in g.canonical_etypes],
                                               "is_homogeneous": bool(g.is_homogeneous)})
    u = to_dgl([ps.partition(0), ps.partition(1)])
    s, d = u.edges(order="eid")
    union = {"src": to_np(s), "dst": to_np(d)}
    union.update({f"ndata:{k}": to_np(v) for k, v in u.ndata.items()})
    union.update({f"edata:{k}": to_np(v) for k, v in u.edata.items()})
    save_arrays(os.path.join(out, "union.npz"), union)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
