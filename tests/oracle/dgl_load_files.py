"""Load files written by gpf's .dgl writer with REAL DGL and dump what DGL sees.

Runs in .venv-dgl (dgl 1.1.3).  Usage: python dgl_load_files.py DIR

``DIR/manifest.json`` is a list of ``{"name": ..., "kind": "graphs"|"tensors"}``;
for each, ``DIR/<name>.dgl`` is loaded with ``dgl.load_graphs`` or
``dgl.data.utils.load_tensors`` and dumped as ``DIR/<name>.npz`` (+ ``.keys.json``,
``.meta.json``) by dgl_codec_dump.  Any DGL error fails the script.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from dgl_codec_dump import dump_graph_file, dump_tensor_file  # noqa: E402


def main(folder):
    with open(os.path.join(folder, "manifest.json")) as fh:
        manifest = json.load(fh)
    for item in manifest:
        path = os.path.join(folder, item["name"] + ".dgl")
        base = os.path.join(folder, item["name"])
        if item["kind"] == "graphs":
            dump_graph_file(path, base)
        else:
            dump_tensor_file(path, base)
        print("loaded", item["name"])


if __name__ == "__main__":
    main(sys.argv[1])
