"""gpf.converters.dgl.to_dgl_partition against REAL DGL's load_partition, inside .venv-dgl.

Usage: python dgl_converters_to_dgl.py OUTROOT CONFIG [CONFIG ...]

For the i-th config and every partition p, dumps what ``dgl.distributed.load_partition``
returns (``OUTROOT/<i>/dgl_part<p>.npz``) and what gpf's ``to_dgl_partition`` builds from
``gpf.open(config).partition(p)`` (``OUTROOT/<i>/gpf_part<p>.npz``), the same way for both:
``src``/``dst`` (EID order), ``num_nodes``, ``ndata:*``, ``edata:*``, ``nfeat:*``, ``efeat:*``,
the partition book's answers (``book:*``); and ``OUTROOT/<i>/meta.json`` with, per source,
the Python types, idtype, graph name, ntypes and etypes.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "src"))
sys.path.insert(0, HERE)

from dgl.distributed import load_partition  # noqa: E402
from dgl_make_partitions import book_answers, to_np  # noqa: E402
from dump import ensure_dir, save_arrays, save_json  # noqa: E402

import gpf  # noqa: E402
from gpf.converters.dgl import to_dgl_partition  # noqa: E402


def dump_tuple(result, num_nodes, num_edges):
    g, nfeat, efeat, gpb, graph_name, ntypes, etypes = result
    src, dst = g.edges(order="eid")
    arrays = {"src": to_np(src), "dst": to_np(dst), "num_nodes": to_np(src.new_tensor(g.num_nodes()))}
    for k, v in g.ndata.items():
        arrays[f"ndata:{k}"] = to_np(v)
    for k, v in g.edata.items():
        arrays[f"edata:{k}"] = to_np(v)
    for k, v in nfeat.items():
        arrays[f"nfeat:{k}"] = to_np(v)
    for k, v in efeat.items():
        arrays[f"efeat:{k}"] = to_np(v)
    arrays.update(book_answers(gpb, num_nodes, num_edges, ntypes, etypes))
    meta = {"graph_type": type(g).__name__, "idtype": str(g.idtype), "device": str(g.device),
            "nfeat_type": type(nfeat).__name__, "efeat_type": type(efeat).__name__,
            "book_type": type(gpb).__name__, "graph_name": graph_name, "ntypes": list(ntypes),
            "etypes": [list(e) if isinstance(e, tuple) else e for e in etypes],
            "g_ntypes": list(g.ntypes), "g_etypes": [list(c) for c in g.canonical_etypes],
            "book_partid": int(gpb.partid), "book_num_partitions": int(gpb.num_partitions()),
            "book_ntypes": list(gpb.ntypes), "book_canonical_etypes": [list(c) for c in gpb.canonical_etypes],
            "nfeat_keys": list(nfeat), "efeat_keys": list(efeat)}
    return arrays, meta


def main(outroot, configs):
    for i, config in enumerate(configs):
        out = ensure_dir(os.path.join(outroot, str(i)))
        with open(config) as fh:
            raw = json.load(fh)
        ps = gpf.open(config)
        meta = {}
        for p in range(raw["num_parts"]):
            for who, result in (("dgl", load_partition(config, p)), ("gpf", to_dgl_partition(ps.partition(p)))):
                arrays, m = dump_tuple(result, raw["num_nodes"], raw["num_edges"])
                save_arrays(os.path.join(out, f"{who}_part{p}.npz"), arrays)
                meta[f"{who}_part{p}"] = m
        save_json(os.path.join(out, "meta.json"), meta)
        print("compared", config)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
