"""The converter modules share their verbs (README, "Converters"): every framework module has
``from_X(obj) -> gpf.Graph``, ``to_X(partition or list)`` and ``to_X_graph(set)``; the whole-set
graph they are built from is the partitioner's input again."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

import gpf
from gpf.converters._setview import whole_graph
from tests.helpers.asserts import assert_same_array
from tests.helpers.writer import make_hetero

CONVERTERS = Path(__file__).resolve().parents[1] / "src" / "gpf" / "converters"


def _public_functions(module: str) -> set[str]:
    tree = ast.parse((CONVERTERS / f"{module}.py").read_text())
    names = {n.name for n in tree.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")}
    for n in tree.body:  # names re-exported from sibling modules (pyg.py's from_pyg)
        if isinstance(n, ast.ImportFrom) and n.module and n.module.startswith("gpf.converters."):
            names |= {a.asname or a.name for a in n.names}
    return names


@pytest.mark.parametrize("framework", ["dgl", "pyg"])
def test_every_framework_module_has_the_verbs(framework):
    assert {f"from_{framework}", f"to_{framework}", f"to_{framework}_graph"} <= _public_functions(framework)


def test_storage_module_has_the_storage_verbs():
    assert {"write_zarr", "open_zarr"} <= _public_functions("zarr")


@pytest.mark.parametrize("ids", ["original", "gpf"])
def test_whole_graph(tmp_path, ids):
    g = make_hetero(seed=9)
    ps = gpf.partition(g, 3, tmp_path, "het", method="random", seed=1, verbose=False)
    w = whole_graph(ps, ids)
    assert w.num_nodes_dict == g.num_nodes_dict and w.canonical_etypes == g.canonical_etypes
    for nt in g.ntypes:
        order = np.arange(g.num_nodes(nt)) if ids == "original" else ps.orig_nids(nt)
        for name, a in g.ndata[nt].items():
            assert_same_array(w.ndata[nt][name], a[order], f"{nt}/{name}")
    for et, (src, dst) in g.edges_dict.items():
        key = ":".join(et)
        if ids == "original":
            assert_same_array(w.edges_dict[et][0], src.astype(np.int64), key)
            assert_same_array(w.edges_dict[et][1], dst.astype(np.int64), key)
        else:  # gpf IDs: the same edges relabelled
            o = ps.orig_eids(key)
            np.testing.assert_array_equal(ps.to_original(et[0], w.edges_dict[et][0]), src[o])
            np.testing.assert_array_equal(ps.to_original(et[2], w.edges_dict[et][1]), dst[o])
