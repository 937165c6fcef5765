"""Oracle fixtures for the pure-Python .dgl codec: real DGL files of many shapes.

Runs in .venv-dgl (dgl 1.1.3).  Usage: python dgl_codec_cases.py OUTDIR

Writes ``OUTDIR/<case>.dgl`` with ``dgl.save_graphs`` / ``save_tensors`` (and the
legacy version-1 writer ``_CAPI_SaveDGLGraphs_V0``), then dumps what DGL loads
back with dgl_codec_dump (``<case>.npz``, ``<case>.keys.json``, ``<case>.meta.json``).
``OUTDIR/cases.json`` lists every case: ``{"name", "kind": "graphs"|"tensors",
"formats": [...] saved by DGL (graph files), "rewrite": bool}`` where ``rewrite``
says whether gpf's writer should reproduce DGL's bytes (except header padding).
"""

import itertools
import os
import sys

import dgl
import numpy as np
import torch
from dgl.data.utils import save_tensors

sys.path.insert(0, os.path.dirname(__file__))
from dgl_codec_dump import dump_graph_file, dump_tensor_file  # noqa: E402
from dump import save_json  # noqa: E402

SEED = 11
FORMAT_COMBOS = [list(c) for r in (1, 2, 3) for c in itertools.combinations(["coo", "csr", "csc"], r)]


def all_dtypes(rng, n):
    """A tensor of every dtype DGL can store, first dimension n."""
    return {
        "f16": torch.from_numpy(rng.standard_normal((n, 3)).astype(np.float16)),
        "f32": torch.from_numpy(rng.standard_normal(n).astype(np.float32)),
        "f64": torch.from_numpy(rng.standard_normal((n, 2)).astype(np.float64)),
        "bf16": torch.from_numpy(rng.standard_normal((n, 2)).astype(np.float32)).to(torch.bfloat16),
        "i8": torch.from_numpy(rng.integers(-128, 127, n).astype(np.int8)),
        "i16": torch.from_numpy(rng.integers(-3000, 3000, (n, 2)).astype(np.int16)),
        "i32": torch.from_numpy(rng.integers(-(2**31), 2**31 - 1, n).astype(np.int32)),
        "i64": torch.from_numpy(rng.integers(-(2**62), 2**62, n).astype(np.int64)),
        "u8": torch.from_numpy(rng.integers(0, 255, n).astype(np.uint8)),
        "bool": torch.from_numpy(rng.random(n) < 0.5),
        "cube": torch.from_numpy(rng.standard_normal((n, 2, 3)).astype(np.float32)),
        "nocols": torch.zeros((n, 0), dtype=torch.float32),
    }


def homo(rng, n=40, m=160, data=True):
    g = dgl.graph((torch.from_numpy(rng.integers(0, n, m)), torch.from_numpy(rng.integers(0, n, m))), num_nodes=n)
    if data:
        g.ndata.update(all_dtypes(rng, n))
        g.edata.update({k: v for k, v in all_dtypes(rng, m).items() if k in ("f32", "i64", "bool", "cube", "bf16")})
    return g


HETERO_COUNTS = {"user": 30, "item": 20, "tag": 6, "nobody": 0}
HETERO_RELS = [
    ("user", "follows", "user", 90),
    ("user", "buys", "item", 70),
    ("item", "has", "tag", 40),
    ("tag", "has", "item", 25),
    ("item", "bought_by", "user", 50),
    ("user", "likes", "nobody", 0),
    ("tag", "orphan", "tag", 0),
]


def hetero(rng):
    data = {
        (s, r, d): (torch.from_numpy(rng.integers(0, HETERO_COUNTS[s], m)), torch.from_numpy(rng.integers(0, HETERO_COUNTS[d], m)))
        for s, r, d, m in HETERO_RELS
    }
    g = dgl.heterograph(data, num_nodes_dict=HETERO_COUNTS)
    g.nodes["user"].data.update(all_dtypes(rng, 30))
    g.nodes["item"].data["price"] = torch.from_numpy(rng.random(20).astype(np.float64))
    g.nodes["nobody"].data["x"] = torch.zeros((0, 4))
    g.edges[("user", "buys", "item")].data["qty"] = torch.from_numpy(rng.integers(1, 9, 70).astype(np.int32))
    g.edges[("item", "has", "tag")].data["w"] = torch.from_numpy(rng.random((40, 2)).astype(np.float16))
    g.edges[("tag", "has", "item")].data["w"] = torch.from_numpy(rng.random(25).astype(np.float32))
    g.edges[("user", "likes", "nobody")].data["e"] = torch.zeros((0,), dtype=torch.int64)
    return g


def v1_save(path, graphs, labels):
    """Write a legacy version-1 file with DGL's kept-for-compatibility writer."""
    from dgl import graph_index
    from dgl.data.graph_serialize import _CAPI_MakeGraphData, _CAPI_SaveDGLGraphs_V0
    from dgl.utils import toindex

    F = dgl.backend
    gdata = []
    for n, src, dst, nd, ed in graphs:
        gi = graph_index.from_coo(n, toindex(torch.tensor(src, dtype=torch.int64)), toindex(torch.tensor(dst, dtype=torch.int64)), True)
        gdata.append(_CAPI_MakeGraphData(
            gi,
            {k: F.zerocopy_to_dgl_ndarray(v) for k, v in nd.items()} or None,
            {k: F.zerocopy_to_dgl_ndarray(v) for k, v in ed.items()} or None,
        ))
    from dgl.container import convert_to_strmap

    _CAPI_SaveDGLGraphs_V0(path, gdata, convert_to_strmap({k: F.zerocopy_to_dgl_ndarray(v) for k, v in labels.items()}))


def main(out):
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    cases = []

    def graphs_case(name, glist, labels=None, formats=None, saved=None, rewrite=True):
        path = os.path.join(out, name + ".dgl")
        dgl.save_graphs(path, glist, labels, formats=formats)
        dump_graph_file(path, os.path.join(out, name))
        cases.append({"name": name, "kind": "graphs", "formats": saved or formats, "rewrite": rewrite})

    def tensors_case(name, tensors):
        path = os.path.join(out, name + ".dgl")
        save_tensors(path, tensors)
        dump_tensor_file(path, os.path.join(out, name))
        cases.append({"name": name, "kind": "tensors", "formats": None, "rewrite": True})

    g_homo = homo(rng)
    g_het = hetero(rng)
    for fmts in FORMAT_COMBOS:
        tag = "_".join(fmts)
        for idt in ("int64", "int32"):
            gh = g_homo if idt == "int64" else g_homo.int()
            graphs_case(f"homo_{tag}_{idt}", [gh], formats=fmts)
            gx = g_het if idt == "int64" else g_het.int()
            graphs_case(f"hetero_{tag}_{idt}", [gx], formats=fmts)

    # formats=None: DGL saves the one created format (COO > CSC > CSR).
    graphs_case("homo_default", [homo(rng)], saved=["coo"])
    indptr = torch.tensor([0, 2, 2, 5, 6, 6, 6, 8, 9, 9, 11, 12, 12])
    indices = torch.tensor([3, 1, 0, 11, 4, 4, 7, 2, 10, 0, 5, 6])
    # CSR/CSC given by the user: DGL keeps its row order and null/explicit data, which
    # gpf's writer (EID order within a row, explicit data) does not reproduce byte for byte.
    graphs_case("from_csr_identity", [dgl.graph(("csr", (indptr, indices, [])))], saved=["csr"], rewrite=False)
    perm = torch.from_numpy(rng.permutation(12))
    graphs_case("from_csr_eids", [dgl.graph(("csr", (indptr, indices, perm)))], saved=["csr"], rewrite=False)
    graphs_case("from_csc_eids", [dgl.graph(("csc", (indptr, indices, perm)))], saved=["csc"], rewrite=False)
    g_csc_only = homo(rng, data=False).formats("csc")
    graphs_case("allowed_csc_only", [g_csc_only], saved=["csc"], rewrite=False)
    s = torch.tensor([0, 0, 1, 2, 2, 2, 5])
    d = torch.tensor([1, 3, 0, 0, 2, 4, 5])
    graphs_case("sorted_coo_flags", [dgl.graph((s, d), num_nodes=6, row_sorted=True, col_sorted=True)],
                formats=["coo", "csr", "csc"], rewrite=False)
    graphs_case("sorted_input_unflagged", [dgl.graph((s, d), num_nodes=6)], formats=["coo", "csr", "csc"])
    graphs_case("zero_edges", [dgl.graph(([], []), num_nodes=5)], formats=["coo", "csr", "csc"])
    graphs_case("zero_nodes", [dgl.graph(([], []), num_nodes=0)], formats=["coo", "csr", "csc"])
    g_zero_data = dgl.graph(([], []), num_nodes=3)
    g_zero_data.ndata["h"] = torch.ones(3, 2, dtype=torch.float16)
    g_zero_data.edata["w"] = torch.zeros((0, 5))
    graphs_case("zero_edges_with_data", [g_zero_data], saved=["coo"])
    labels = {
        "y": torch.tensor([3, 1, 4]),
        "feat": torch.from_numpy(rng.standard_normal((3, 4)).astype(np.float32)),
        "flag": torch.tensor([True, False, True]),
        "half": torch.tensor([0.5, 1.5, -2.0], dtype=torch.float16),
        "scalar": torch.tensor(2.5),
        "weird/na:me ü": torch.arange(3, dtype=torch.int8),
    }
    graphs_case("multi_graphs_labels", [homo(rng, 9, 20), hetero(rng), dgl.graph(([], []), num_nodes=2)], labels,
                formats=["coo"])
    graphs_case("multi_graphs_all_formats", [homo(rng, 7, 15, data=False), homo(rng, 5, 0, data=False)],
                {"y": torch.tensor([1.0, 2.0])}, formats=["coo", "csr", "csc"])
    graphs_case("labels_only_empty_graph", [dgl.graph(([], []), num_nodes=0)], {"z": torch.zeros(1, 1)}, saved=["coo"])

    # legacy version 1 (DGLGraph / ImmutableGraph in-CSR)
    for name, graphs, labels_v1 in [
        ("v1_one", [(5, [0, 1, 2, 4, 4], [1, 2, 0, 0, 3], {"x": torch.arange(5.0)}, {"w": torch.arange(5)})],
         {"lab": torch.tensor([7])}),
        ("v1_multi", [
            (4, [3, 1, 1], [0, 0, 2], {"h": torch.ones(4, 2, dtype=torch.float16)}, {}),
            (6, [5, 4, 3, 2, 1, 0, 0], [0, 1, 2, 3, 4, 5, 5], {}, {"e": torch.tensor([True] * 7)}),
            (2, [], [], {}, {}),
        ], {"y": torch.tensor([1, 2, 3]), "s": torch.tensor([0.5, 0.25, 1.0])}),
        ("v1_no_labels", [(3, [0, 1], [1, 2], {}, {})], {}),
    ]:
        path = os.path.join(out, name + ".dgl")
        v1_save(path, graphs, labels_v1)
        dump_graph_file(path, os.path.join(out, name))
        cases.append({"name": name, "kind": "graphs", "formats": None, "rewrite": False})

    # save_tensors
    tensors_case("tensors_empty", {})
    every = all_dtypes(rng, 7)
    every.update({
        "zero_dim_f32": torch.tensor(3.25),
        "zero_dim_i64": torch.tensor(-9),
        "zero_dim_bool": torch.tensor(True),
        "zero_rows": torch.zeros((0, 3)),
        "zero_len": torch.zeros((0,), dtype=torch.int64),
        "u/w:x ünï": torch.arange(4, dtype=torch.int16),
        "big": torch.from_numpy(rng.standard_normal(1 << 18).astype(np.float32)),
    })
    tensors_case("tensors_every_dtype", every)
    tensors_case("tensors_feature_like", {"user/feat": torch.randn(5, 3), "item/feat": torch.randn(4, 2),
                                          "user:buys:item/w": torch.rand(6)})
    save_json(os.path.join(out, "cases.json"), cases)
    print("made", len(cases), "cases")


if __name__ == "__main__":
    main(sys.argv[1])
