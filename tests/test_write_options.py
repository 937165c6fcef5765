"""One frozen options object through every writer, and one write sequence (gpf.sdk.write.set_writer)."""

from __future__ import annotations

import dataclasses

import pytest

import gpf
from gpf.errors import GpfError, UnsupportedError
from gpf.sdk.codecs.graphbolt import read_graphbolt
from gpf.sdk.write.options import PartitionOptions, WriteOptions
from gpf.sdk.write.writer import write_partitions
from tests.helpers.asserts import assert_same_array, assert_same_tree, tree_bytes
from tests.helpers.writer import make_hetero


def test_keywords_become_one_frozen_object():
    o = PartitionOptions.from_keywords(method="random", halo_hops=2, backend="hdf5", compressor="gzip",
                                       seed=3, overwrite=True)
    assert (o.method, o.halo_hops, o.seed) == ("random", 2, 3)
    assert o.write == WriteOptions(backend="hdf5", compressor="gzip", overwrite=True)
    assert o.write.writer_options() == {"compressor": "gzip"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        o.seed = 4  # type: ignore[misc]
    assert o.replace(seed=4, backend="npy").write.backend == "npy"
    with pytest.raises(TypeError, match="unknown partition option"):
        PartitionOptions.from_keywords(methd="random")


def test_options_object_and_keywords_write_the_same_files(tmp_path):
    g = make_hetero(seed=2)
    gpf.partition(g, 3, tmp_path / "kw", "g", method="random", seed=5, halo_hops=2, verbose=False)
    write_partitions(g, 3, tmp_path / "obj", "g",
                     PartitionOptions(method="random", seed=5, halo_hops=2, write=WriteOptions(progress=False)))
    assert_same_tree(tmp_path / "kw", tmp_path / "obj")


def test_one_sequence_refuses_an_existing_set_everywhere(tmp_path):
    g = make_hetero(seed=2)
    ps = gpf.partition(g, 2, tmp_path / "a", "g", method="random", verbose=False)
    with pytest.raises(GpfError, match="already exists"):
        gpf.partition(g, 2, tmp_path / "a", "g", method="random", verbose=False)
    gpf.convert(ps, tmp_path / "b", to="npy", progress=False)
    with pytest.raises(GpfError, match="already exists"):
        gpf.convert(ps, tmp_path / "b", to="npy", progress=False)
    assert gpf.convert(ps, tmp_path / "b", to="npy", overwrite=True, progress=False).num_parts == 2


def test_dgl_file_options_and_objtype_reach_the_writer(tmp_path):
    g = make_hetero(seed=2)
    o = PartitionOptions(method="metis", objtype="vol",
                         write=WriteOptions(progress=False, graphbolt=True, store_eids=True, graph_formats="csc"))
    dgl_options = o.write.writer_options()["dgl_options"]
    assert dgl_options.graphbolt and dgl_options.graphbolt_options.store_eids
    assert dgl_options.graph_formats == ("csc",)
    ps, _ = write_partitions(g, 2, tmp_path / "x", "g", o)
    for p in range(2):
        gb = ps.config.parts[p].model_dump().get("part_graph_graphbolt")
        assert gb and (tmp_path / "x" / gb).is_file()
    # the same options through gpf.partition's keywords write the same files (a GraphBolt file differs
    # only in torch.save's random serialization_id: its arrays are compared)
    gpf.partition(g, 2, tmp_path / "kw", "g", objtype="vol", graphbolt=True, store_eids=True, graph_formats="csc",
                  verbose=False)
    a, b = tree_bytes(tmp_path / "x"), tree_bytes(tmp_path / "kw")
    assert sorted(a) == sorted(b)
    assert [k for k in a if a[k] != b[k] and not k.endswith(".pt")] == []
    for p in range(2):
        ga, gb_ = (read_graphbolt(t / f"part{p}" / "fused_csc_sampling_graph.pt") for t in (tmp_path / "x", tmp_path / "kw"))
        assert_same_array(ga.indptr, gb_.indptr)
        assert_same_array(ga.indices, gb_.indices)
        assert sorted(ga.edge_attributes) == sorted(gb_.edge_attributes)


def test_dgl_file_options_are_refused_where_they_would_be_ignored(tmp_path):
    g = make_hetero(seed=2)
    with pytest.raises(UnsupportedError, match="'dgl' backend"):
        write_partitions(g, 2, tmp_path / "x", "g",
                         PartitionOptions(method="random", write=WriteOptions(backend="npy", graphbolt=True)))
    with pytest.raises(GpfError, match="graphbolt=True"):
        WriteOptions(store_eids=True).writer_options()
    from gpf.sdk.write.streaming import _check_streamable

    for o in (PartitionOptions(objtype="vol"), PartitionOptions(write=WriteOptions(graphbolt=True))):
        with pytest.raises(UnsupportedError, match="out-of-core"):
            _check_streamable(o)
    _check_streamable(PartitionOptions())
