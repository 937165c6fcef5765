"""Valid chunked-graph inputs (metadata.json + chunks) read and partition identically in every chunk format,
through the hostile-input rules of SPEC.md section 11 (the refusals themselves: tests/test_hostile.py)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import gpf
from gpf.errors import PathEscapeError
from gpf.sdk.write.graph import GraphError
from gpf.sdk.write.inputs import load_graph, parse_chunked
from tests.helpers.asserts import assert_same_set
from tests.helpers.marks import extra
from tests.helpers.writer import make_hetero, write_chunked

ZARR = extra("zarr")
FORMATS = [
    pytest.param("csv", 3, None, id="csv"),
    pytest.param("numpy", 3, None, id="numpy"),
    pytest.param("parquet", 3, None, id="parquet", marks=extra("parquet")),
    *[pytest.param("zarr", 3, c, id=f"zarr3-{c or 'default'}", marks=ZARR) for c in (None, "none", "gzip", "blosc")],
    *[pytest.param("zarr", 2, c, id=f"zarr2-{c or 'default'}", marks=ZARR)
      for c in (None, "none", "gzip", "zlib", "blosc", "lz4")],
]


def _same_graph(a, b) -> None:
    assert a.ntypes == b.ntypes and a.canonical_etypes == b.canonical_etypes
    for nt in a.ntypes:
        assert a.num_nodes(nt) == b.num_nodes(nt)
        assert sorted(a.ndata[nt]) == sorted(b.ndata[nt]), nt
        for k, v in a.ndata[nt].items():
            w = b.ndata[nt][k]
            assert v.shape == w.shape and np.array_equal(v, w.astype(v.dtype)), (nt, k)
    for et in a.canonical_etypes:
        for x, y in zip(a.edges_dict[et], b.edges_dict[et]):
            assert np.array_equal(x, y), et
        for k, v in a.edata[et].items():
            assert np.array_equal(v, b.edata[et][k].astype(v.dtype)), (et, k)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The graph and the set gpf writes from it in memory (the chunked inputs must give the same set)."""
    g = make_hetero(seed=3)
    ps = gpf.partition(g, 2, tmp_path_factory.mktemp("ref"), "g", method="random", seed=5, halo_hops=1,
                       verbose=False)
    return g, ps


@pytest.mark.parametrize("fmt, zarr_format, compressor", FORMATS)
def test_valid_chunked_inputs_partition_identically(reference, tmp_path, fmt, zarr_format, compressor):
    g, ref = reference
    root = write_chunked(tmp_path / "in", g, fmt, zarr_format=zarr_format, compressor=compressor)
    if fmt == "zarr":  # the chunks really are of the format under test
        first = next((root / "e").iterdir())
        assert (first / (".zarray" if zarr_format == 2 else "zarr.json")).is_file()
    read = load_graph(root)
    _same_graph(g, read)
    ps = gpf.partition(read, 2, tmp_path / "out", "g", method="random", seed=5, halo_hops=1, verbose=False)
    assert_same_set(ref, ps)


def test_chunk_paths_absolute_inside_and_symlinks_inside_are_read(tmp_path):
    """What stays inside the folder of metadata.json is read: an absolute path into it (DGL's chunk_graph
    writes absolute paths) and a symlink whose target is inside it."""
    g = make_hetero(seed=3)
    root = write_chunked(tmp_path / "in", g, "numpy")
    meta = json.loads((root / "metadata.json").read_text())
    key = next(iter(meta["edges"]))
    files = meta["edges"][key]["data"]
    os.symlink(root / files[1], root / "e" / "link.npy")
    meta["edges"][key]["data"] = [str(root / files[0]), "e/link.npy"]
    (root / "metadata.json").write_text(json.dumps(meta))
    _same_graph(g, load_graph(root))


@pytest.mark.parametrize("name", ["../outside.npy", "e/../../outside.npy", "/etc/hostname", "link-out.npy"])
def test_chunk_paths_out_of_the_folder_are_refused_at_parse(tmp_path, name):
    g = make_hetero(seed=3)
    root = write_chunked(tmp_path / "in", g, "numpy")
    np.save(tmp_path / "outside.npy", np.zeros((4, 2), np.int64))
    os.symlink(tmp_path / "outside.npy", root / "link-out.npy")
    meta = json.loads((root / "metadata.json").read_text())
    key = next(iter(meta["edges"]))
    meta["edges"][key]["data"][0] = name
    (root / "metadata.json").write_text(json.dumps(meta))
    with pytest.raises(PathEscapeError) as err:
        parse_chunked(root / "metadata.json")
    line = str(err.value)
    assert line.startswith(f"{root / 'metadata.json'}: edges[{key!r}]: chunk {name!r} resolves to ")
    assert "outside" in line and "\n" not in line


def test_fsspec_urls_are_read_for_zarr_chunks_only(tmp_path):
    g = make_hetero(seed=3)
    root = write_chunked(tmp_path / "in", g, "numpy")
    meta = json.loads((root / "metadata.json").read_text())
    key = next(iter(meta["edges"]))
    meta["edges"][key]["data"][0] = "memory://gpf-test/e.npy"
    (root / "metadata.json").write_text(json.dumps(meta))
    with pytest.raises(GraphError, match=r"'memory://gpf-test/e.npy': an fsspec URL is read for zarr chunks only"):
        parse_chunked(root / "metadata.json")


def test_npy_chunks_are_mapped_for_sizing_and_never_unpickled(tmp_path):
    from gpf.sdk.write.inputs import DataSpec, data_chunk_rows, read_data_chunk

    np.save(tmp_path / "ok.npy", np.arange(12, dtype=np.float32).reshape(6, 2))
    spec = DataSpec("f", "numpy", [str(tmp_path / "ok.npy")], "meta.json: node_data['n']['f']")
    assert data_chunk_rows(spec, 0) == 6
    assert np.array_equal(read_data_chunk(spec, 0), np.arange(12, dtype=np.float32).reshape(6, 2))
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    spec.files = [str(tmp_path / "obj.npy")]
    with pytest.raises(GraphError, match=r"meta.json: node_data\['n'\]\['f'\]: obj.npy: not a readable .npy file: .*pickles"):
        read_data_chunk(spec, 0)
