"""Load every partition of a config with REAL DGL and dump what it sees.

Runs in .venv-dgl.  Usage: python dgl_load_config.py CONFIG.json OUTDIR
Writes OUTDIR/partN.npz (+ .keys.json) in the same layout as dgl_make_partitions.py's
expected/ dumps, and OUTDIR/meta.json (graph_name, ntypes, etypes, num_parts).
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from dgl_make_partitions import book_answers, canon, dump_partition  # noqa: E402
from dump import ensure_dir, save_arrays, save_json  # noqa: E402


def main(config, out):
    ensure_dir(out)
    with open(config) as fh:
        raw = json.load(fh)
    meta = {"num_parts": raw["num_parts"]}
    for p in range(raw["num_parts"]):
        arrays, gpb, ntypes, etypes, graph_name = dump_partition(config, p)
        arrays.update(book_answers(gpb, raw["num_nodes"], raw["num_edges"], ntypes, etypes))
        save_arrays(os.path.join(out, f"part{p}.npz"), arrays)
        meta.update(graph_name=graph_name, ntypes=list(ntypes), etypes=[canon(e) for e in etypes])
    save_json(os.path.join(out, "meta.json"), meta)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
