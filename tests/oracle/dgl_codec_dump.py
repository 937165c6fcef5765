"""Dump what REAL DGL loads from a .dgl file (runs in .venv-dgl; imported by the codec oracle scripts).

``dump_graph_file(path, base)`` / ``dump_tensor_file(path, base)`` write
``base.npz`` (+ ``base.keys.json``, see dump.py) and ``base.meta.json``.

Array names (indices, not type names, so names may hold any character):
  graphs:  ``g{i}/src/{e}``, ``g{i}/dst/{e}`` (edge-ID order), ``g{i}/ndata/{t}/{name}``,
           ``g{i}/edata/{e}/{name}``, ``labels/{name}``
  tensors: ``t/{name}``
bfloat16 tensors are dumped as their raw uint16 bits (npz has no bfloat16); the
meta's ``dtypes`` maps every array name to DGL's torch dtype, so a reader can tell.

DGL 1.1.3 returns garbage for 0-dim tensors through ``load_tensors`` and the
label dict of ``load_graphs`` (the zero-copy DLPack path reads freed memory), so
0-dim values are taken from DGL's own NDArray decoder (``asnumpy``) instead.
"""

import os
import sys

import dgl
import numpy as np
import torch
from dgl import backend as F
from dgl.data import graph_serialize
from dgl.data.utils import load_tensors

sys.path.insert(0, os.path.dirname(__file__))
from dump import save_arrays, save_json  # noqa: E402


def np_of(t):
    """numpy copy of a torch tensor; bfloat16 becomes its raw uint16 bits."""
    t = t.detach().cpu()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().view(np.uint16).copy(), str(t.dtype)
    return t.numpy().copy(), str(t.dtype)


def np_of_ndarray(nd):
    """numpy copy of a DGL NDArray (0-dim safe: uses DGL's asnumpy for 0-dim arrays)."""
    if len(nd.shape) == 0:
        a = np.array(nd.asnumpy())
        return a, _np_torch_name(a.dtype)
    return np_of(F.zerocopy_from_dgl_ndarray(nd))


def _np_torch_name(dt):
    return str(torch.from_numpy(np.zeros(1, dt)).dtype)


def dump_graph_file(path, base):
    arrays, dtypes = {}, {}

    def put(name, value):
        arr, dt = value if isinstance(value, tuple) else np_of(value)
        arrays[name] = arr
        dtypes[name] = dt

    version = int(graph_serialize._CAPI_GetFileVersion(path))
    graphs, _ = dgl.load_graphs(path)
    if version == 2:
        raw_labels = graph_serialize._CAPI_LoadLabels_V2(path)
    else:
        raw_labels = graph_serialize._CAPI_LoadGraphFiles_V1(path, [], True).labels
    for k, v in raw_labels.items():
        put(f"labels/{k}", np_of_ndarray(v))
    meta = {"kind": "graphs", "version": version, "graphs": [], "labels": [k for k, _ in raw_labels.items()]}
    for i, g in enumerate(graphs):
        info = {
            "ntypes": list(g.ntypes),
            "etypes": list(g.etypes),
            "canonical_etypes": [list(c) for c in g.canonical_etypes],
            "num_nodes": [int(g.num_nodes(nt)) for nt in g.ntypes],
            "num_edges": [int(g.num_edges(c)) for c in g.canonical_etypes],
            "idtype": str(g.idtype).replace("torch.", ""),
            "formats_created": sorted(g.formats()["created"]),
            "ndata": [], "edata": [],
        }
        for t, nt in enumerate(g.ntypes):
            names = []
            for k, v in g.nodes[nt].data.items():
                put(f"g{i}/ndata/{t}/{k}", v)
                names.append(k)
            info["ndata"].append(names)
        for e, c in enumerate(g.canonical_etypes):
            # order="eid" needs COO; a CSR/CSC-only graph answers (u, v, eid) in srcdst order.
            u, v, eid = g.edges(form="all", etype=c, order="srcdst")
            order = torch.argsort(eid)
            s, d = u[order], v[order]
            assert torch.equal(eid[order], torch.arange(len(eid), dtype=eid.dtype))
            put(f"g{i}/src/{e}", s)
            put(f"g{i}/dst/{e}", d)
            names = []
            for k, v in g.edges[c].data.items():
                put(f"g{i}/edata/{e}/{k}", v)
                names.append(k)
            info["edata"].append(names)
        meta["graphs"].append(info)
    meta["dtypes"] = dtypes
    save_arrays(base + ".npz", arrays)
    save_json(base + ".meta.json", meta)


def dump_tensor_file(path, base):
    arrays, dtypes = {}, {}
    plain = load_tensors(path)
    raw = load_tensors(path, return_dgl_ndarray=True)
    for k, nd in raw.items():
        arr, dt = np_of_ndarray(nd) if len(nd.shape) == 0 else np_of(plain[k])
        arrays[f"t/{k}"] = arr
        dtypes[f"t/{k}"] = dt
    save_arrays(base + ".npz", arrays)
    save_json(base + ".meta.json", {"kind": "tensors", "names": list(raw.keys()), "dtypes": dtypes})
