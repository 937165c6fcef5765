"""``gpf.convert``: copy a partition set into another storage backend, losslessly.

Any backend to any other (``dgl``, ``npy``, ``hdf5``, ``zarr``; GraphBolt-only DGL sets
as input too): the same config (IDs, ranges, types), and for every partition the
same graph arrays, node/edge features and original-ID maps with the same dtypes.
Partitions are copied one at a time and features one array at a time, through the
backends' :class:`~gpf.sdk.storage.base.PartitionWriter`; the config is written last.

``to="dgl"`` takes DGL ``partition_graph``'s file options: ``graph_formats`` (sparse formats of
``graph.dgl``) and ``graphbolt`` (write DGL 2.x's ``fused_csc_sampling_graph.pt`` too, with
``store_eids`` / ``store_inner_node`` / ``store_inner_edge``: DGL's
``dgl_partition_to_graphbolt`` into a new set); ``dgl_graph=False`` leaves graph.dgl out.  From a
GraphBolt-only set, ``graph.dgl`` is rebuilt where the stored fields allow it: edge IDs must be
stored (``store_eids``); ``inner_node``/``inner_edge`` come from the node map when absent, and
``_TYPE``/``part_id`` are restored as DGL writes them.

``src`` and ``dst`` are local paths or fsspec URLs.  ``dst`` is a directory (it gets
``<graph_name>.json`` and ``part<N>/``), or for ``zarr`` the store itself.  A
``dgl``/``npy``/``hdf5`` set bound for a URL is written to a local temporary folder and
uploaded, its config last.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any

from gpf.errors import GpfError
from gpf.sdk import paths
from gpf.sdk.codecs.mapped import check_unchanged
from gpf.sdk.storage.base import ARRAY_ROLES, PartitionWriter
from gpf.sdk.storage.registry import BACKEND_KEY, BACKENDS, PATH_KEY, get_backend, open_writer
from gpf.sdk.write.options import WriteOptions
from gpf.sdk.write.set_writer import open_set_writer, write_set

__all__ = ["convert", "BACKENDS"]

# Part keys that name files of a backend: replaced, never carried over.
_FILE_KEYS = {"part_graph", "part_graph_graphbolt", "node_feats", "edge_feats", "orig_nids", "orig_eids",
              BACKEND_KEY, PATH_KEY}


def convert(src: Any, dst: str | os.PathLike[str], to: str = "dgl", *, compressor: str | None = None,
            chunk_rows: int | None = None, shard_rows: int | None = None, overwrite: bool = False,
            progress: bool = True, workers: int | None = None, scheduler: str | None = None, client: Any = None,
            graph_formats: Any = None, graphbolt: bool = False, store_eids: bool = False,
            store_inner_node: bool = False, store_inner_edge: bool = False, dgl_graph: bool = True):
    """Write the set ``src`` (a config path, a Zarr store, a URL or an open
    :class:`~gpf.PartitionSet`) to ``dst`` in backend ``to``; return the new set, opened.

    ``compressor``/``chunk_rows`` apply to ``hdf5`` and ``zarr``, ``shard_rows`` to ``zarr``
    (0: no sharding).  An existing set at ``dst`` is an error unless ``overwrite``.
    ``workers``/``scheduler``/``client``: copy the partitions in parallel on Dask
    (:mod:`gpf.parallel`; each task opens the source and copies one partition).
    """
    from gpf.parallel import runner
    from gpf.sdk.read.reader import PartitionSet, open_set

    ps = src if isinstance(src, PartitionSet) else open_set(src)
    options = WriteOptions(backend=to, overwrite=overwrite, progress=progress, compressor=compressor,
                           chunk_rows=chunk_rows, shard_rows=shard_rows, graph_formats=graph_formats,
                           graphbolt=graphbolt, store_eids=store_eids, store_inner_node=store_inner_node,
                           store_inner_edge=store_inner_edge, dgl_graph=dgl_graph)
    options.writer_options()  # bad or misplaced DGL file options: refused before anything is read
    dst = os.fspath(dst)
    _check_not_inside(ps, dst)
    _check_destination(dst)
    staged = to in BACKENDS and not get_backend(to).writes_urls and paths.is_url(dst)
    out = tempfile.mkdtemp(prefix=".gpf-convert-") if staged else dst

    def target(writer: PartitionWriter) -> str:
        return f"{dst.rstrip('/')}/{os.path.basename(writer.config_path)}" if staged else writer.config_path

    def write_parts(writer: PartitionWriter) -> list[dict[str, Any]]:
        _set_shape(writer, ps)
        with runner(workers, scheduler, client) as run:
            if run.distributed:
                entries = run.map(_copy_part_task, [(ps.path, p, out, ps.graph_name, options)
                                                    for p in range(ps.num_parts)],
                                  description=f"converting to {to}", progress=progress)
            else:
                entries = [_copy_part(ps, p, writer) for p in _progress(ps, to, progress)]
        check_unchanged()  # a source file truncated while it was read: no config over what was copied
        return entries

    try:
        writer = open_set_writer(out, ps.graph_name, options, exists=(
            lambda w: target(w) if (_url_exists(target(w)) if staged else w.exists()) else None))
        write_set(writer, write_parts, lambda entries: _config(ps, entries))
        if staged:
            _upload(out, dst, os.path.basename(writer.config_path))
    finally:
        if staged:
            shutil.rmtree(out, ignore_errors=True)
    return open_set(target(writer))


def _progress(ps, to: str, enabled: bool):
    if not enabled:
        return range(ps.num_parts)
    from gpf.progress import track

    return track(range(ps.num_parts), total=ps.num_parts, description=f"converting to {to}")


def _set_shape(writer, ps) -> None:
    if hasattr(writer, "set_shape"):
        from gpf.sdk.storage.dgl_writer import SetShape

        writer.set_shape(SetShape(ntypes=list(ps.ntypes), etypes=[":".join(e) for e in ps.etypes],
                                  num_nodes=ps.num_nodes, num_edges=ps.num_edges, num_parts=ps.num_parts))


def _copy_part(ps, p: int, writer) -> dict[str, Any]:
    """One partition: its graph, then each feature and ID map as the writer asks for it."""
    store = ps.store
    graph = _complete_graph(ps, p, store.read_graph(p), writer)
    arrays = {
        "node_feats": _lazy(store.read_node_feats(p)),
        "edge_feats": _lazy(store.read_edge_feats(p)),
        "orig_nids": _lazy(store.read_orig_ids(p, "nodes")),
        "orig_eids": _lazy(store.read_orig_ids(p, "edges")),
    }
    assert tuple(arrays) == ARRAY_ROLES
    entry = writer.write_part(p, graph, arrays)
    check_unchanged()  # a source file truncated while it was read: no config is written over what was copied
    return entry


def _copy_part_task(src: str, p: int, out: str, graph_name: str, options: WriteOptions) -> dict[str, Any]:
    """:func:`_copy_part` in a worker process: opens the source set and the destination itself."""
    from gpf.sdk.read.reader import open_set

    ps = open_set(src)
    writer = open_writer(options.backend, out, graph_name, **options.writer_options())
    _set_shape(writer, ps)
    return _copy_part(ps, p, writer)


def _complete_graph(ps, p: int, graph, writer):
    """A partition graph read from a GraphBolt file, with the fields the destination needs.

    Every destination but a GraphBolt file without ``store_eids`` needs the edge IDs, which a
    GraphBolt file holds only when written with ``store_eids``: refused, naming the file.  For
    graph.dgl, ``_TYPE`` (heterogeneous or one-partition sets) and ``part_id`` (several partitions)
    are restored as DGL's partition_graph writes them; ``inner_node``/``inner_edge`` the reader
    derives from the node map when the file lacks them."""
    import numpy as np

    from gpf.sdk.storage.base import PartGraph

    if not graph.source.endswith(".pt"):
        return graph
    opts = getattr(writer, "options", None)
    dgl_graph_out = opts is None or opts.dgl_graph
    eids_out = opts is None or opts.dgl_graph or opts.graphbolt_options.store_eids or opts.graphbolt_options.store_all
    if "_ID" not in graph.edata and (writer.name != "dgl" or eids_out):
        wants = ("graph.dgl" if dgl_graph_out else "a GraphBolt file with --store-eids") \
            if writer.name == "dgl" else f"the {writer.name} backend"
        raise GpfError(f"{graph.source}: partition {p} stores no edge IDs (the GraphBolt file was written without "
                       f"store_eids), which {wants} needs; convert it with --to dgl --graphbolt-only (no "
                       "--store-eids), or rewrite the source with store_eids=True")
    if writer.name != "dgl" or not dgl_graph_out:
        return graph
    ndata, edata = dict(graph.ndata), dict(graph.edata)
    with_types = not ps.is_homogeneous or ps.num_parts == 1
    part = ps.partition(p)
    if with_types and "_TYPE" not in ndata:
        ndata["_TYPE"] = part.ntype_ids.astype(np.int32)
    if with_types and "_TYPE" not in edata:
        edata["_TYPE"] = np.zeros(graph.src.shape[0], np.int32)
    if ps.num_parts > 1 and "part_id" not in ndata:
        ndata["part_id"] = ps.book.nid2partid(np.asarray(ndata["_ID"], np.int64)).astype(np.int64)
    if not with_types:
        ndata.pop("_TYPE", None)
        edata.pop("_TYPE", None)
    order = ["_ID", "inner_node", "_TYPE", "part_id"]
    ndata = {k: ndata[k] for k in [*order, *ndata] if k in ndata}
    edata = {k: edata[k] for k in [*order, *edata] if k in edata}
    return PartGraph(graph.num_nodes, graph.src, graph.dst, ndata, edata, graph.source)


def _lazy(mapping):
    """``{key: maker}``: each array is fetched from the source only when it is written."""
    if mapping is None:
        return None
    return {k: (lambda k=k: mapping[k]) for k in mapping}


def _config(ps, entries: list[dict[str, Any]]):
    from gpf.spec import PartFiles

    parts = []
    for old, new in zip(ps.config.parts, entries):
        keep = {k: v for k, v in (old.model_extra or {}).items() if k not in _FILE_KEYS}
        parts.append(PartFiles(**new, **{k: v for k, v in keep.items() if k not in new}))
    return ps.config.model_copy(update={"parts": parts})


def _check_not_inside(ps, dst: str) -> None:
    """Refuse a destination that is the source's own directory or store (files being read)."""
    a, b = ps.root.rstrip("/"), dst.rstrip("/")
    if not paths.is_url(a) and not paths.is_url(b):
        a, b = os.path.realpath(a[7:] if a.startswith("file://") else a), \
            os.path.realpath(b[7:] if b.startswith("file://") else b)
    if a == b:
        raise GpfError(f"{dst}: is where the source set lives; convert into another directory or store")


def _check_destination(dst: str) -> None:
    """A local destination must be a directory (or not exist yet, with a directory as its nearest existing parent)."""
    if paths.is_url(dst):
        return
    local = dst[len("file://"):] if dst.startswith("file://") else dst
    if os.path.lexists(local) and not os.path.isdir(local):
        raise GpfError(f"{dst}: already exists and is a file, not a directory: the destination of a conversion is "
                       "a directory (<name>.json + part<N>/) or a Zarr store")
    parent = os.path.dirname(os.path.abspath(local))
    while not os.path.lexists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        raise GpfError(f"{dst}: cannot create it: {parent} is a file, not a directory")


def _url_exists(url: str) -> bool:
    import fsspec

    fs, p = fsspec.core.url_to_fs(url)
    return bool(fs.exists(p))


def _upload(local: str, url: str, config_name: str) -> None:
    """Copy the staged set to ``url``: every data file, then the config."""
    import fsspec

    fs, root = fsspec.core.url_to_fs(url)
    root = root.rstrip("/")
    for dirpath, dirnames, filenames in os.walk(local):
        dirnames.sort()
        for name in sorted(filenames):
            rel = os.path.relpath(os.path.join(dirpath, name), local).replace(os.sep, "/")
            if rel == config_name:
                continue
            fs.makedirs(f"{root}/{os.path.dirname(rel)}".rstrip("/"), exist_ok=True)
            fs.put_file(os.path.join(dirpath, name), f"{root}/{rel}")
    fs.put_file(os.path.join(local, config_name), f"{root}/{config_name}")
