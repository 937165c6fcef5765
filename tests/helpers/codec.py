"""Helpers for the .dgl codec tests: oracle fixtures and comparisons against DGL dumps."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from gpf.sdk.codecs.dgl_bytes import BFLOAT16
from gpf.sdk.codecs.dgl_graph import StoredGraph
from tests.helpers.asserts import assert_same_array
from tests.oracle.runner import cached_run, load_dump, run_dgl


def codec_cases() -> Path:
    """Real DGL files of many shapes (tests/oracle/dgl_codec_cases.py), cached."""
    return cached_run("dgl_codec_cases.py", "dgl_codec_dump.py")


def partition_cases() -> Path:
    """Real DGL partition sets (tests/oracle/dgl_make_partitions.py), cached."""
    return cached_run("dgl_make_partitions.py")


def case_list() -> list[dict]:
    return json.loads((codec_cases() / "cases.json").read_text())


def load_expected(base: Path) -> tuple[dict[str, np.ndarray], dict]:
    """The arrays and meta that dgl_codec_dump wrote for ``base`` (path without suffix)."""
    arrays = load_dump(base.with_name(base.name + ".npz"))
    meta = json.loads(base.with_name(base.name + ".meta.json").read_text())
    return arrays, meta


def dgl_load(folder: Path, items: list[dict]) -> None:
    """Have real DGL load ``folder/<name>.dgl`` for each item and dump what it sees."""
    (folder / "manifest.json").write_text(json.dumps(items))
    run_dgl("dgl_load_files.py", str(folder))


def assert_array(ours: np.ndarray, expected: np.ndarray, torch_dtype: str | None, what: str) -> None:
    """Equal values, shape and dtype; bfloat16 compares raw bits (dumped as uint16)."""
    ours = np.asarray(ours)
    if torch_dtype == "torch.bfloat16":
        assert ours.dtype == BFLOAT16, f"{what}: dtype {ours.dtype}, expected bfloat16"
        ours = ours.view("<u2")
    assert_same_array(ours, expected, f"{what} (ours vs DGL's)")


def assert_tensors_match(tensors: Mapping[str, np.ndarray], arrays: dict, meta: dict, what: str = "") -> None:
    assert sorted(tensors) == sorted(meta["names"]), f"{what}: names {sorted(tensors)} vs {sorted(meta['names'])}"
    for name, arr in tensors.items():
        key = f"t/{name}"
        expected = arrays[key]
        if meta["dtypes"][key] == "torch.bool":  # pragma: no cover - DGL returns uint8
            expected = expected.astype(np.uint8)
        assert_array(arr, expected, meta["dtypes"][key], f"{what} tensor {name!r}")


def _bool_as_stored(arr: np.ndarray) -> np.ndarray:
    arr = np.asarray(arr)
    return arr.view(np.uint8) if arr.dtype == np.bool_ else arr


def assert_graphs_match(
    graphs: list[StoredGraph],
    labels: Mapping[str, np.ndarray],
    arrays: dict,
    meta: dict,
    what: str = "",
    formats: list[str] | None = None,
) -> None:
    """Our graphs/labels equal what DGL loaded (bool written by us compares as uint8)."""
    assert len(graphs) == len(meta["graphs"]), f"{what}: {len(graphs)} graphs, DGL loaded {len(meta['graphs'])}"
    assert sorted(labels) == sorted(meta["labels"]), f"{what}: labels {sorted(labels)} vs {meta['labels']}"
    for name, arr in labels.items():
        key = f"labels/{name}"
        assert_array(_bool_as_stored(arr), arrays[key], meta["dtypes"][key], f"{what} label {name!r}")
    for i, (g, info) in enumerate(zip(graphs, meta["graphs"])):
        w = f"{what} graph {i}"
        assert g.ntypes == info["ntypes"], w
        assert g.etypes == info["etypes"], w
        assert [list(c) for c in g.canonical_etypes] == info["canonical_etypes"], w
        assert list(g.num_nodes) == info["num_nodes"], w
        assert g.num_edges == info["num_edges"], w
        assert g.idtype == info["idtype"], f"{w}: idtype {g.idtype} vs {info['idtype']}"
        if formats is not None:
            assert info["formats_created"] == sorted(formats), f"{w}: DGL sees formats {info['formats_created']}"
        for e in range(len(g.etypes)):
            for side, ours in (("src", g.src[e]), ("dst", g.dst[e])):
                exp = arrays[f"g{i}/{side}/{e}"]
                assert np.asarray(ours).dtype == np.int64, f"{w}: {side} dtype"
                assert np.array_equal(ours, exp), f"{w}: {side} of etype {e} differs"
            assert sorted(g.edata[e]) == sorted(info["edata"][e]), f"{w}: edata names of etype {e}"
            for k, arr in g.edata[e].items():
                key = f"g{i}/edata/{e}/{k}"
                assert_array(_bool_as_stored(arr), arrays[key], meta["dtypes"][key], f"{w} edata {e} {k!r}")
        for t in range(len(g.ntypes)):
            assert sorted(g.ndata[t]) == sorted(info["ndata"][t]), f"{w}: ndata names of ntype {t}"
            for k, arr in g.ndata[t].items():
                key = f"g{i}/ndata/{t}/{k}"
                assert_array(_bool_as_stored(arr), arrays[key], meta["dtypes"][key], f"{w} ndata {t} {k!r}")
