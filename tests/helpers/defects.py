"""Mutation helpers for the validator's defect corpus: copy a real partition set, break one thing.

Binary files are rewritten with the codec's own writers (``write_graphs``/``write_tensors``) so
that each defect is exactly the one intended (the file still decodes); byte-level damage
(truncation, flipped bytes) is done on the raw file.  Nothing here is committed as a binary.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from gpf.sdk.codecs.dgl_graph import StoredGraph, read_partition_graph, write_graphs
from gpf.sdk.codecs.dgl_tensors import read_tensors, write_tensors


def copy_set(src: Path, dst: Path) -> Path:
    """Copy the set in directory ``src`` to ``dst``; return the config path in the copy."""
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("expected"))
    return config_of(dst)


def config_of(folder: Path) -> Path:
    configs = [p for p in Path(folder).glob("*.json")]
    assert len(configs) == 1, configs
    return configs[0]


def edit_config(cfg_path: Path, fn: Callable[[dict], Any]) -> None:
    cfg = json.loads(Path(cfg_path).read_text())
    fn(cfg)
    Path(cfg_path).write_text(json.dumps(cfg, indent=1))


class MutableGraph:
    """A partition graph's arrays as writable numpy copies; :meth:`save` writes them back."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        g = read_partition_graph(self.path)
        self.num_nodes = int(g.num_nodes[0])
        self.src = np.array(g.src[0])
        self.dst = np.array(g.dst[0])
        self.ndata = {k: np.array(v) for k, v in g.ndata[0].items()}
        self.edata = {k: np.array(v) for k, v in g.edata[0].items()}

    @property
    def inner(self) -> np.ndarray:
        return self.ndata["inner_node"] != 0

    @property
    def inner_e(self) -> np.ndarray:
        return self.edata["inner_edge"] != 0

    def drop_edges(self, mask: np.ndarray) -> None:
        keep = ~mask
        self.src, self.dst = self.src[keep], self.dst[keep]
        self.edata = {k: v[keep] for k, v in self.edata.items()}

    def save(self) -> None:
        write_graphs(self.path, StoredGraph.homogeneous(self.src, self.dst, self.num_nodes, self.ndata, self.edata))


def edit_graph(path: Path, fn: Callable[[MutableGraph], Any]) -> None:
    g = MutableGraph(path)
    fn(g)
    g.save()


def edit_tensors(path: Path, fn: Callable[[dict], Any]) -> None:
    t = {k: np.array(v) for k, v in read_tensors(path).items()}
    fn(t)
    write_tensors(path, t)


def truncate(path: Path, keep: int) -> None:
    data = Path(path).read_bytes()
    Path(path).write_bytes(data[:keep])


def flip_byte(path: Path, offset: int, xor: int = 0xFF) -> None:
    data = bytearray(Path(path).read_bytes())
    data[offset] ^= xor
    Path(path).write_bytes(bytes(data))


def set_stored_index(path: Path, which: str, position: int, value: int) -> None:
    """Overwrite one stored local ID (``which``: "src" or "dst") of a graph.dgl in place, bytes only: the
    file keeps its layout, so it is the same DGL file with one index out of place."""
    from gpf.sdk.codecs.buffer import open_buffer

    buf = open_buffer(path, use_mmap=False)
    base = np.frombuffer(buf.data, dtype=np.uint8)
    arr = getattr(read_partition_graph(buf, check_indices=False), which)[0]
    offset = arr.ctypes.data + (position % arr.shape[0]) * arr.itemsize - base.ctypes.data
    assert 0 <= offset < base.shape[0] and arr.base is not None, "not a view on the file"
    data = bytearray(Path(path).read_bytes())
    data[offset:offset + arr.itemsize] = np.array([value], dtype=arr.dtype).tobytes()
    Path(path).write_bytes(bytes(data))
