"""The ``dgl`` backend's writer: the files real DGL's ``load_partition`` loads.

Per partition ``p``, in ``OUT/part{p}/``: ``graph.dgl`` (DGL ``save_graphs``, in the
sparse formats asked for: COO by default, as DGL), ``fused_csc_sampling_graph.pt`` with
``graphbolt`` (DGL 2.x's GraphBolt file, named by ``part_graph_graphbolt``; written
straight from the partition arrays by :mod:`graphbolt_writer`; the config then says
``node_map_dtype``/``edge_map_dtype`` ``int64`` as DGL 2.1 does), ``node_feat.dgl`` / ``edge_feat.dgl`` (``save_tensors``; always written, DGL asserts
them), and ``orig_nids.dgl`` / ``orig_eids.dgl`` when given, named in the config by
the extra part keys ``orig_nids`` / ``orig_eids``.  Tensor files are written one array
at a time through a temp file and ``os.replace``; no per-file fsync (DGL does none):
the config, written last, is the commit point of the set.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from gpf.files import atomic_writer
from gpf.sdk.storage.base import ArraySource, PartGraph, materialize
from gpf.sdk.storage.dir_writer import DirectoryWriter
from gpf.sdk.storage.graphbolt_part import GRAPHBOLT_FILE, GraphBoltOptions

__all__ = ["DglWriter", "DglOptions", "SetShape", "write_tensor_file", "check_graph_formats", "dgl_options"]

_FORMATS = ("coo", "csr", "csc")


def check_graph_formats(graph_formats) -> tuple[str, ...]:
    """DGL's ``graph_formats`` (None, a name or a list of ``coo``/``csr``/``csc``) as a tuple; None -> COO."""
    if graph_formats is None:
        return ("coo",)
    names = [graph_formats] if isinstance(graph_formats, str) else list(graph_formats)
    out: list[str] = []
    for name in names:
        if not isinstance(name, str) or name.lower() not in _FORMATS:
            raise ValueError(f"graph_formats: unknown sparse format {name!r} (use any of 'coo', 'csr', 'csc')")
        if name.lower() not in out:
            out.append(name.lower())
    if not out:
        raise ValueError("graph_formats: name at least one of 'coo', 'csr', 'csc' (or None for DGL's default, COO)")
    return tuple(out)


@dataclass(frozen=True)
class DglOptions:
    """What the ``dgl`` backend writes besides DGL's default files (``partition_graph``'s options)."""

    graph_formats: tuple[str, ...] = ("coo",)
    graphbolt: bool = False
    graphbolt_options: GraphBoltOptions = GraphBoltOptions()
    #: write graph.dgl too (DGL 2.1 keeps it beside the GraphBolt file); False: a GraphBolt-only set
    dgl_graph: bool = True


def dgl_options(backend: str, *, graph_formats: Any = None, graphbolt: bool = False, store_eids: bool = False,
                store_inner_node: bool = False, store_inner_edge: bool = False,
                dgl_graph: bool = True) -> DglOptions | None:
    """:class:`DglOptions` from ``partition_graph``-style keywords; None when all are DGL's defaults.
    ``DGL_DIST_DEBUG`` in the environment stores every field in GraphBolt files, as DGL does.  Raises
    :class:`~gpf.errors.GpfError` for bad values, :class:`~gpf.errors.UnsupportedError` for another backend."""
    from gpf.errors import GpfError, UnsupportedError

    try:
        formats = check_graph_formats(graph_formats)
    except ValueError as exc:
        raise GpfError(str(exc)) from None
    stores = {"store_eids": store_eids, "store_inner_node": store_inner_node, "store_inner_edge": store_inner_edge}
    if not graphbolt:
        on = [k for k, v in stores.items() if v] + ([] if dgl_graph else ["dgl_graph=False"])
        if on:
            raise GpfError(f"{', '.join(on)} only apply with graphbolt=True (--graphbolt): they are options of "
                           "DGL's GraphBolt files")
    options = DglOptions(graph_formats=formats, graphbolt=bool(graphbolt), dgl_graph=bool(dgl_graph),
                         graphbolt_options=GraphBoltOptions(**{k: bool(v) for k, v in stores.items()},
                                                            store_all="DGL_DIST_DEBUG" in os.environ))
    if options == DglOptions(graphbolt_options=options.graphbolt_options):
        return None
    if backend != "dgl":
        raise UnsupportedError(f"graph_formats and graphbolt are options of the 'dgl' backend's files, not of "
                               f"{backend!r}")
    return options


@dataclass(frozen=True)
class SetShape:
    """The whole set's types and sizes, which a GraphBolt file's dtypes and type maps depend on."""

    ntypes: list[str]
    etypes: list[str]
    num_nodes: int
    num_edges: int
    num_parts: int

FILES = {"part_graph": "graph.dgl", "node_feats": "node_feat.dgl", "edge_feats": "edge_feat.dgl",
         "orig_nids": "orig_nids.dgl", "orig_eids": "orig_eids.dgl"}


class _LazyTensors(Mapping):
    """``{name: array}`` whose arrays are made on access, so a file is written one array at a time."""

    def __init__(self, sources: Mapping[str, ArraySource]) -> None:
        self._sources = sources

    def __getitem__(self, key: str) -> np.ndarray:
        return materialize(self._sources[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._sources)

    def __len__(self) -> int:
        return len(self._sources)


def write_tensor_file(path: str, sources: Mapping[str, ArraySource]) -> None:
    """A DGL ``save_tensors`` file, one array at a time, via a temp file and ``os.replace``."""
    from gpf.sdk.codecs.dgl_bytes import MAGIC_TENSORS, write_named_tensors, write_u64

    with atomic_writer(path, fsync=False) as fh:
        write_u64(fh, MAGIC_TENSORS)
        write_u64(fh, len(sources))
        write_named_tensors(fh, _LazyTensors(sources))


#: The dtypes DGL's partition_graph gives its reserved fields in graph.dgl (a GraphBolt file may narrow them).
RESERVED_DTYPES = {"_ID": np.int64, "inner_node": np.uint8, "inner_edge": np.uint8, "_TYPE": np.int32,
                   "part_id": np.int64}


def _reserved(name: str, a) -> np.ndarray:
    a = np.asarray(a)
    dt = RESERVED_DTYPES.get(name)
    return a if dt is None else a.astype(dt, copy=False)


class DglWriter(DirectoryWriter):
    """Writes DGL's own partition files (the default backend)."""

    name = "dgl"

    def __init__(self, out_dir: str | os.PathLike[str], graph_name: str, options: DglOptions | None = None) -> None:
        super().__init__(out_dir, graph_name)
        self.options = options or DglOptions()
        if not (self.options.dgl_graph or self.options.graphbolt):
            raise ValueError("write graph.dgl, the GraphBolt file or both")
        self.shape: SetShape | None = None

    def set_shape(self, shape: SetShape) -> None:
        """Tell the writer the set's types and sizes (needed before ``write_part`` with GraphBolt)."""
        self.shape = shape

    def write_part(self, part_id: int, graph: PartGraph, arrays) -> dict:
        from gpf.sdk.codecs import dgl_graph

        self.part_dir(part_id)
        rel = {}
        for role in ("node_feats", "edge_feats", "orig_nids", "orig_eids"):
            tensors = arrays.get(role)
            if tensors is None and role in ("node_feats", "edge_feats"):
                tensors = {}  # DGL asserts both files, even without a tensor
            if tensors is not None:
                rel[role] = f"part{part_id}/{FILES[role]}"
                write_tensor_file(os.path.join(self.out_dir, rel[role]), tensors)
        if self.options.dgl_graph:
            rel["part_graph"] = f"part{part_id}/{FILES['part_graph']}"
            sg = dgl_graph.StoredGraph.homogeneous(graph.src, graph.dst, graph.num_nodes,
                                                   {k: _reserved(k, v) for k, v in graph.ndata.items()},
                                                   {k: _reserved(k, v) for k, v in graph.edata.items()})
            dgl_graph.write_graphs(os.path.join(self.out_dir, rel["part_graph"]), sg,
                                   formats=self.options.graph_formats)
        if self.options.graphbolt:
            rel["part_graph_graphbolt"] = f"part{part_id}/{GRAPHBOLT_FILE}"
            self._write_graphbolt(os.path.join(self.out_dir, rel["part_graph_graphbolt"]), graph)
        # the entry in DGL's key order
        return {k: rel[k] for k in ("part_graph", "node_feats", "edge_feats", "orig_nids", "orig_eids",
                                    "part_graph_graphbolt") if k in rel}

    def _write_graphbolt(self, path: str, graph: PartGraph) -> None:
        from gpf.sdk.codecs.graphbolt_writer import write_graphbolt_file
        from gpf.sdk.storage.graphbolt_part import partition_to_graphbolt

        if self.shape is None:
            raise RuntimeError("DglWriter.set_shape must be called before writing GraphBolt partitions")
        sh = self.shape
        gb = partition_to_graphbolt(graph, ntypes=sh.ntypes, etypes=sh.etypes, num_nodes=sh.num_nodes,
                                    num_edges=sh.num_edges, num_parts=sh.num_parts,
                                    options=self.options.graphbolt_options)
        write_graphbolt_file(path, gb)

    def commit(self, config) -> None:
        if self.options.graphbolt:  # DGL 2.1 records that GraphBolt IDs are int64
            config = config.model_copy(update={"node_map_dtype": "int64", "edge_map_dtype": "int64"})
        super().commit(config)
