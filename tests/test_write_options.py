"""One frozen options object through every writer, and one write sequence (gpf.sdk.write.set_writer)."""

from __future__ import annotations

import dataclasses

import pytest

import gpf
from gpf.errors import GpfError, UnsupportedError
from gpf.sdk.write.options import PartitionOptions, WriteOptions
from gpf.sdk.write.writer import write_partitions
from tests.helpers.asserts import assert_same_tree
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


def test_options_this_version_does_not_write_are_refused_not_ignored(tmp_path):
    g = make_hetero(seed=2)
    for o in (PartitionOptions(method="random", objtype="vol"),
              PartitionOptions(method="random", write=WriteOptions(graphbolt=True))):
        with pytest.raises(UnsupportedError, match="not supported"):
            write_partitions(g, 2, tmp_path / "x", "g", o)
