"""Load partition sets written by ``gpf.partition`` with REAL DGL and dump what DGL sees.

Runs in .venv-dgl (dgl 1.1.3).  Usage: python dgl_load_gpf_set.py OUTROOT CONFIG [CONFIG ...]

``DGL_DIST_DEBUG=1`` is set, so ``load_partition`` also checks that every inner node
and edge maps back to its partition through the partition book.  For the i-th config,
writes ``OUTROOT/<i>/part<p>.npz`` (+ ``.keys.json``) for every partition ``p``: what
``dgl.distributed.load_partition`` returns (``src``/``dst``, ``ndata:*``, ``edata:*``,
``nfeat:*``, ``efeat:*``), the partition book's answers (``book:*``) and the
``orig_nids.dgl`` / ``orig_eids.dgl`` files read with ``dgl.data.utils.load_tensors``
(``orig_nids:<ntype>``, ``orig_eids:<etype>``); and ``OUTROOT/<i>/meta.json``.
Any DGL error fails the script.
"""

import json
import os
import sys

os.environ["DGL_DIST_DEBUG"] = "1"

import dgl  # noqa: E402
from dgl.data.utils import load_tensors  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from dgl_make_partitions import book_answers, canon, dump_partition, to_np  # noqa: E402
from dump import ensure_dir, save_arrays, save_json  # noqa: E402


def load_set(config, out):
    with open(config) as fh:
        raw = json.load(fh)
    root = os.path.dirname(config)
    meta = {"num_parts": raw["num_parts"], "dgl_version": dgl.__version__}
    for p in range(raw["num_parts"]):
        arrays, gpb, ntypes, etypes, graph_name = dump_partition(config, p)
        arrays.update(book_answers(gpb, raw["num_nodes"], raw["num_edges"], ntypes, etypes))
        entry = raw[f"part-{p}"]
        for kind in ("orig_nids", "orig_eids"):
            if kind in entry:
                for k, v in load_tensors(os.path.join(root, entry[kind])).items():
                    arrays[f"{kind}:{k}"] = to_np(v)
        save_arrays(os.path.join(out, f"part{p}.npz"), arrays)
        meta["graph_name"] = graph_name
        meta["ntypes"] = list(ntypes)
        meta["etypes"] = [canon(e) for e in etypes]
    save_json(os.path.join(out, "meta.json"), meta)


def main(outroot, configs):
    for i, config in enumerate(configs):
        load_set(config, ensure_dir(os.path.join(outroot, str(i))))
        print("loaded", config)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
