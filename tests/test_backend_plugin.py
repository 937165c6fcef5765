"""Adding a storage backend touches its own module and one registration line.

The ``npz`` backend below (one ``.npz`` archive per partition, read without pickle) is defined
only here.  Registered with one line (:func:`gpf.sdk.storage.registry.register`), it is accepted
by the reader (``gpf.open``), the writer (``gpf.partition(backend="npz")``), ``gpf.convert`` both
ways, the validator and both loaders, and every one of them gives what it gives for DGL's files.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np
import pytest
import torch

import gpf
from gpf.errors import FormatError
from gpf.loader import ClusterLoader, PartitionLoader
from gpf.sdk import paths
from gpf.sdk.storage.base import Backend, PartGraph, materialize
from gpf.sdk.storage.dir_writer import DirectoryWriter
from gpf.sdk.storage.layout import check_graph
from gpf.sdk.storage.registry import register, unregister
from tests.helpers.asserts import assert_same_set
from tests.helpers.writer import make_hetero

ROLES = {"node_feats": "node_feats", "edge_feats": "edge_feats", "nodes": "orig_nids", "edges": "orig_eids"}


# -- the backend: its own module's worth of code ------------------------------------------------
class NpzStore:
    name = "npz"

    def __init__(self, config, config_path: str, root: str) -> None:
        self.config, self.config_path, self.root = config, config_path, root
        self._open: dict[int, Mapping[str, np.ndarray]] = {}

    def _path(self, part_id: int) -> str:
        rel = (self.config.part_files(part_id).model_extra or {}).get("gpf_path")
        return paths.resolve(self.root, rel, config=self.config_path, key=f"part-{part_id}.gpf_path")

    def _arrays(self, part_id: int) -> Mapping[str, np.ndarray]:
        if part_id not in self._open:
            with np.load(self._path(part_id), allow_pickle=False) as z:
                self._open[part_id] = {k: z[k] for k in z.files}
        return self._open[part_id]

    def _role(self, part_id: int, role: str) -> dict[str, np.ndarray]:
        head = role + "/"
        return {k[len(head):]: a for k, a in self._arrays(part_id).items() if k.startswith(head)}

    def read_graph(self, part_id: int) -> PartGraph:
        g = self._role(part_id, "graph")
        if "src" not in g or "dst" not in g:
            raise FormatError(self._path(part_id), None, f"partition {part_id}: no graph/src or graph/dst")
        ndata = {k[6:]: a for k, a in g.items() if k.startswith("ndata/")}
        edata = {k[6:]: a for k, a in g.items() if k.startswith("edata/")}
        return check_graph(self._path(part_id), part_id, g["src"], g["dst"], ndata, edata)

    def read_node_feats(self, part_id: int) -> Mapping[str, np.ndarray]:
        return self._role(part_id, "node_feats")

    def read_edge_feats(self, part_id: int) -> Mapping[str, np.ndarray]:
        return self._role(part_id, "edge_feats")

    def read_orig_ids(self, part_id: int, kind: str) -> Mapping[str, np.ndarray] | None:
        return self._role(part_id, ROLES[kind]) or None

    def files(self, part_id: int) -> dict[str, str]:
        return {"gpf_path": self._path(part_id)}


class NpzWriter(DirectoryWriter):
    name = "npz"

    def write_part(self, part_id: int, graph: PartGraph, arrays) -> dict:
        out = {"graph/src": graph.src, "graph/dst": graph.dst}
        out.update({f"graph/ndata/{k}": v for k, v in graph.ndata.items()})
        out.update({f"graph/edata/{k}": v for k, v in graph.edata.items()})
        for role, tensors in arrays.items():
            for k, v in (tensors or {}).items():
                out[f"{role}/{k}"] = materialize(v)
        final = os.path.join(self.out_dir, f"part{part_id}.npz")
        with open(final + ".tmp", "wb") as fh:
            np.savez(fh, **out)
        os.replace(final + ".tmp", final)
        return {"gpf_backend": "npz", "gpf_path": f"part{part_id}.npz"}


NPZ = Backend("npz", lambda config, config_path, root, options: NpzStore(config, config_path, root),
              lambda out, graph_name, options: NpzWriter(out, graph_name), path_kind="file",
              magic=(b"PK\x03\x04", "a zip archive (.npz)"))


# -- the registration line, and its undoing after the tests -------------------------------------
@pytest.fixture(scope="module", autouse=True)
def npz_backend():
    register(NPZ)
    yield NPZ
    unregister("npz")


@pytest.fixture(scope="module")
def sets(tmp_path_factory):
    g = make_hetero(seed=6)
    root = tmp_path_factory.mktemp("plugin")
    kw = dict(method="random", seed=4, halo_hops=1, verbose=False)
    dgl = gpf.partition(g, 3, root / "dgl", "het", **kw)
    npz = gpf.partition(g, 3, root / "npz", "het", backend="npz", **kw)
    return g, dgl, npz, root


def test_writer_and_reader(sets):
    _, dgl, npz, root = sets
    assert npz.store.name == "npz" and (root / "npz" / "part0.npz").is_file()
    assert_same_set(dgl, gpf.open(npz.path), config=False)


def test_convert_both_ways(sets, tmp_path):
    _, dgl, npz, _ = sets
    assert_same_set(dgl, gpf.convert(dgl, tmp_path / "to_npz", to="npz"), config=False)
    back = gpf.convert(npz, tmp_path / "to_dgl", to="dgl")
    assert back.store.name == "dgl"
    assert_same_set(dgl, back, config=False)


def test_validator(sets, tmp_path):
    g, _, npz, _ = sets
    rep = gpf.validate(npz.path, against=g)
    assert rep.exit_code == 0 and not rep.errors, rep.errors
    # the validator learns the file kind from the record: a gpf_path that is not a zip archive is named
    bad = tmp_path / "bad"
    gpf.convert(npz, bad, to="npz")
    (bad / "part1.npz").write_bytes(b"not a zip archive")
    rep = gpf.validate(bad / "het.json")
    assert rep.exit_code == 1 and "path.kind" in {p.code for p in rep.errors}, rep.errors


def _batches(loader):
    return [{k: {f: t.clone() for f, t in v.items()} for k, v in b.nodes.items()} for b in loader]


def test_both_loaders(sets):
    _, dgl, npz, _ = sets
    for make in (lambda ps: ClusterLoader(ps, batch_size=2, shuffle=False, node_feats="feat"),
                 lambda ps: PartitionLoader(ps, node_feats="feat")):
        got, want = _batches(make(npz)), _batches(make(dgl))
        assert len(got) == len(want) and got
        for bg, bw in zip(got, want):
            assert bg.keys() == bw.keys()
            for t in bg:
                for f in bg[t]:
                    assert torch.equal(bg[t][f], bw[t][f]), (t, f)
