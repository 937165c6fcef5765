"""Input graphs for ``gpf partition``: a ``.npz``, DGL's chunked graph format, or a partition set.

:func:`load_graph` picks the reader from the path:

* ``FILE.npz``: ``src``, ``dst``, optional ``num_nodes``, ``node:<name>``, ``edge:<name>``
  (a homogeneous graph; :meth:`gpf.Graph.from_npz`);
* a directory holding ``metadata.json`` (or that file itself): DGL's chunked graph format
  (reference section 5.1), edges as ``csv`` / ``numpy`` / ``parquet`` / ``zarr`` chunks of
  per-type ``src dst`` rows, node and edge data as ``numpy`` / ``parquet`` / ``zarr`` chunks
  (``zarr``: each chunk a Zarr array, a path or an fsspec URL -- a gpf extension);
* a partition config ``.json`` (any set gpf reads): the whole graph is rebuilt, in
  original IDs when the set stores ``orig_nids``/``orig_eids``, else in the set's own
  per-type IDs, for re-partitioning.

Every error is a :class:`~gpf.sdk.write.graph.GraphError` naming the file and key, except a chunk that
leaves the folder of ``metadata.json`` (:class:`~gpf.errors.PathEscapeError`) or is not a regular file
(:class:`~gpf.errors.FileKindError`).  Chunks are read under the rules of SPEC.md section 11 ("Hostile
inputs"): paths stay inside the folder of ``metadata.json``; ``.npy`` headers are checked against the file
size and never unpickled; only regular files are opened; Zarr chunks go through
:mod:`gpf.sdk.storage.zarr_guard`; a parquet footer's values are bounded by the file size.
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from gpf.errors import FileKindError, FormatError, GpfError, PathEscapeError
from gpf.limits import PARQUET_MAX_RATIO, machine_memory_bytes
from gpf.sdk.paths import inside, is_url
from gpf.sdk.write.graph import CanonicalEtype, Graph, GraphError, etype_key, load_numpy, parse_etype
from gpf.spec.models import split_canonical_etype

__all__ = ["load_graph", "load_chunked", "parse_chunked", "ChunkedMeta", "DataSpec", "read_data", "read_data_chunk",
           "load_partition_set", "load_assignment", "chunked_graph_name"]


def load_graph(path: str | os.PathLike[str]) -> Graph:
    """Read an input graph (see module doc) from ``path``."""
    path = os.fspath(path)
    meta = chunked_metadata(path)
    if meta is not None:
        return load_chunked(meta)
    if path.endswith(".npz"):
        if not os.path.exists(path):
            raise GraphError(f"{path}: no such file or directory")
        return Graph.from_npz(path)
    from gpf.sdk.read.locate import locate_set

    if not is_url(path) and os.path.isfile(path) and not path.endswith(".json"):
        raise GraphError(f"{path}: unknown input: give a .npz, a chunked-graph directory (metadata.json) "
                         "or a partition set (config .json, a directory holding one, a Zarr store)")
    locate_set(path)  # a one-line error naming what the path is when it names no set
    return load_partition_set(path)


def chunked_metadata(path: str) -> str | None:
    """The ``metadata.json`` of DGL's chunked graph format when ``path`` is one (or its directory), else None."""
    if is_url(path):
        return None
    meta = os.path.join(path, "metadata.json") if os.path.isdir(path) else path
    if not (os.path.isfile(meta) and meta.endswith(".json")):
        return None
    try:
        raw = _read_json(meta)  # the bounded loader: a FIFO, a bomb or bad JSON is "not a chunked graph"
    except GraphError:
        return None
    return meta if isinstance(raw, dict) and ("node_type" in raw or "edge_type" in raw) else None


def chunked_graph_name(path: str) -> str | None:
    """The ``graph_name`` of the chunked graph at ``path`` (its folder or its metadata.json), if it has one."""
    meta = chunked_metadata(path)
    if meta is None:
        return None
    try:
        name = _read_json(meta).get("graph_name")
    except GraphError:
        return None
    return name if isinstance(name, str) and name else None


def _read_json(path: str) -> dict:
    from gpf.errors import ConfigError
    from gpf.spec.io import decode_config_json, read_json_bytes

    try:  # the bounded JSON loader of the partition config: size, depth, duplicate keys; regular files only
        obj = decode_config_json(read_json_bytes(path, "a metadata file"), source=path)
    except ConfigError as exc:
        raise GraphError(f"{path}: not readable JSON ({exc.message})") from None
    if not isinstance(obj, dict):
        raise GraphError(f"{path}: top level must be a JSON object")
    return obj


def load_assignment(path: str | os.PathLike[str]) -> np.ndarray | dict[str, np.ndarray]:
    """A given node assignment: ``.npy`` (one partition ID per node, node types in sorted
    order) or ``.npz`` (one array per node type, keyed by node type name)."""
    path = os.fspath(path)
    obj = load_numpy(path, ".npy/.npz")
    if isinstance(obj, np.ndarray):
        return obj
    from gpf.sdk.write.graph import npz_array

    with obj:
        return {k: npz_array(obj, k, path) for k in obj.files}


# -- chunked graph format -----------------------------------------------------------------------
@dataclass
class DataSpec:
    """One feature of a chunked graph: its format and chunk files (resolved paths)."""

    name: str
    fmt: str
    files: list[str]
    where: str


@dataclass
class ChunkedMeta:
    """A parsed chunked-graph ``metadata.json`` (DGL's distributed pipeline input), nothing read yet.

    Types are in gpf's order (sorted names).  ``edge_files[et]`` lists ``(path, format)``
    per chunk; ``edge_chunk_counts[et]`` is ``num_edges_per_chunk`` when the file gives it.
    """

    path: str
    counts: dict[str, int]
    etypes: list[CanonicalEtype]
    edge_files: dict[CanonicalEtype, list[tuple[str, dict]]]
    edge_chunk_counts: dict[CanonicalEtype, list[int] | None]
    node_data: dict[str, list[DataSpec]]
    edge_data: dict[CanonicalEtype, list[DataSpec]]
    graph_name: str | None = None

    def edge_where(self, et: CanonicalEtype) -> str:
        return f"{self.path}: edges[{etype_key(et)!r}]"

    def read_edge_chunk(self, et: CanonicalEtype, c: int) -> np.ndarray:
        """Chunk ``c`` of edge type ``et`` as an ``(k, 2)`` int64 array of per-type IDs, range-checked."""
        path, fmt = self.edge_files[et][c]
        where = f"{self.edge_where(et)}: {os.path.relpath(path, os.path.dirname(self.path))}"
        pairs = _read_edge_chunk(path, fmt, where)
        for col, nt in ((0, et[0]), (1, et[2])):
            ids = pairs[:, col]
            if ids.size and (int(ids.min()) < 0 or int(ids.max()) >= self.counts[nt]):
                row = int(np.flatnonzero((ids < 0) | (ids >= self.counts[nt]))[0])
                raise GraphError(f"{where}: row {row}: {'src' if col == 0 else 'dst'} {int(ids[row])} is out of "
                                 f"range: node type {nt!r} has {self.counts[nt]} nodes")
        return pairs


def parse_chunked(metadata_path: str | os.PathLike[str]) -> ChunkedMeta:
    """Parse and check a chunked-graph ``metadata.json`` without reading any chunk."""
    meta_path = os.fspath(metadata_path)
    root = os.path.dirname(os.path.abspath(meta_path))
    meta = _read_json(meta_path)

    def need(key: str, kind: type) -> Any:
        if key not in meta:
            raise GraphError(f"{meta_path}: missing key {key!r}")
        if not isinstance(meta[key], kind):
            raise GraphError(f"{meta_path}: {key!r} must be a JSON {kind.__name__}")
        return meta[key]

    ntypes = need("node_type", list)
    per_chunk = need("num_nodes_per_chunk", list)
    if len(per_chunk) != len(ntypes):
        raise GraphError(f"{meta_path}: num_nodes_per_chunk has {len(per_chunk)} entries for {len(ntypes)} node types")
    counts: dict[str, int] = {}
    for nt, chunks in zip(ntypes, per_chunk):
        if not isinstance(chunks, list) or not all(isinstance(c, int) and c >= 0 for c in chunks):
            raise GraphError(f"{meta_path}: num_nodes_per_chunk for {nt!r} must be a list of counts")
        counts[nt] = int(sum(chunks))
    _check_claimed_nodes(meta_path, counts)
    etypes = need("edge_type", list)
    edges_meta = need("edges", dict)
    want = meta.get("num_edges_per_chunk")
    edge_files, edge_counts = {}, {}
    for i, key in enumerate(etypes):
        et = parse_etype(key, f"{meta_path}: edge_type")
        for nt in (et[0], et[2]):
            if nt not in counts:
                raise GraphError(f"{meta_path}: edge type {key!r} names node type {nt!r}, which is not in node_type")
        spec = edges_meta.get(key)
        if spec is None:
            raise GraphError(f"{meta_path}: edges has no entry for edge type {key!r}")
        where = f"{meta_path}: edges[{key!r}]"
        fmt = _format(spec, where)
        edge_files[et] = [(_chunk_path(root, f, where, fmt["name"]), fmt) for f in _files(spec, where)]
        edge_counts[et] = [int(x) for x in want[i]] if isinstance(want, list) and len(want) == len(etypes) \
            and isinstance(want[i], list) else None
    order = sorted(edge_files)
    node_data = {nt: _data_specs(feats, root, f"{meta_path}: node_data[{nt!r}]")
                 for nt, feats in (meta.get("node_data") or {}).items()}
    for nt in node_data:
        if nt not in counts:
            raise GraphError(f"{meta_path}: node_data names node type {nt!r}, which is not in node_type")
    edge_data = {}
    for key, feats in (meta.get("edge_data") or {}).items():
        et = parse_etype(key, f"{meta_path}: edge_data")
        if et not in edge_files:
            raise GraphError(f"{meta_path}: edge_data names edge type {key!r}, which is not in edge_type")
        edge_data[et] = _data_specs(feats, root, f"{meta_path}: edge_data[{key!r}]")
    name = meta.get("graph_name")
    return ChunkedMeta(meta_path, dict(sorted(counts.items())), order, {et: edge_files[et] for et in order},
                       {et: edge_counts[et] for et in order}, node_data, edge_data,
                       name if isinstance(name, str) else None)


def load_chunked(metadata_path: str | os.PathLike[str]) -> Graph:
    """A graph in DGL's chunked format (``metadata.json`` + chunk files), read into memory.

    Node / edge IDs in the edge files are per-type; row ``i`` of chunk ``c`` has per-type ID
    ``sum(rows of chunks < c) + i``.  Relative paths are relative to the metadata's folder.
    Type IDs of the result follow gpf (sorted names), not the order of ``node_type``.
    For graphs larger than memory see :mod:`gpf.sdk.write.streaming`.
    """
    cm = parse_chunked(metadata_path)
    edges = {}
    for et in cm.etypes:
        arrays = [cm.read_edge_chunk(et, c) for c in range(len(cm.edge_files[et]))]
        pairs = np.concatenate(arrays) if arrays else np.zeros((0, 2), np.int64)
        exp = cm.edge_chunk_counts[et]
        if exp is not None and sum(exp) != pairs.shape[0]:
            raise GraphError(f"{cm.edge_where(et)}: {pairs.shape[0]} edges read but num_edges_per_chunk says {sum(exp)}")
        edges[et] = (pairs[:, 0], pairs[:, 1])
    ndata = {nt: {d.name: read_data(d) for d in specs} for nt, specs in cm.node_data.items()}
    edata = {et: {d.name: read_data(d) for d in specs} for et, specs in cm.edge_data.items()}
    try:
        return Graph(cm.counts, edges, ndata, edata)
    except GraphError as exc:
        raise GraphError(f"{cm.path}: {exc}") from None


def _files(spec: Any, where: str) -> list[str]:
    if not isinstance(spec, dict) or not isinstance(spec.get("data"), list):
        raise GraphError(f"{where}: must be {{'format': {{'name': ...}}, 'data': [files]}}")
    return [str(f) for f in spec["data"]]


def _format(spec: Any, where: str) -> dict:
    fmt = spec.get("format") if isinstance(spec, dict) else None
    if not isinstance(fmt, dict) or not isinstance(fmt.get("name"), str):
        raise GraphError(f"{where}: 'format' must be an object with a 'name'")
    return fmt


def _read_edge_chunk(path: str, fmt: dict, where: str) -> np.ndarray:
    name = fmt["name"]
    if name == "zarr":
        arr = _zarr_array(path, where)
        if arr.ndim != 2 or arr.shape[1] < 2 or arr.dtype.kind not in "iu":
            raise GraphError(f"{where}: must be an (E, 2) integer array, got {arr.dtype} {arr.shape}")
        return _zarr_read(arr, path, where, (slice(None), slice(0, 2))).astype(np.int64)
    if name not in ("csv", "numpy", "parquet"):
        raise GraphError(f"{where}: unknown edge format {name!r} (csv, numpy, parquet or zarr)")
    if name == "csv":
        import io

        delim = fmt.get("delimiter") or None
        if not (delim is None or isinstance(delim, str) and len(delim) == 1):
            raise GraphError(f"{where}: 'delimiter' must be one character, got {delim!r}")
        if delim == " ":
            delim = None  # any whitespace
        try:
            with _open_chunk(path, where) as fh, warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # an empty file means "no edges"
                arr = np.loadtxt(io.TextIOWrapper(fh, encoding="latin-1"), dtype=np.int64, delimiter=delim,
                                 ndmin=2, usecols=(0, 1))
        except (ValueError, UnicodeDecodeError) as exc:
            raise GraphError(f"{where}: not 'src dst' integer rows ({' '.join(str(exc).split())[:200]})") from None
        return arr.reshape(-1, 2)
    if name == "numpy":
        arr = _load_npy(path, where)
        if arr.ndim != 2 or arr.shape[1] < 2 or arr.dtype.kind not in "iu":
            raise GraphError(f"{where}: must be an (E, 2) integer array, got {arr.dtype} {arr.shape}")
        return arr[:, :2].astype(np.int64)
    if name == "parquet":
        table = _parquet(path, where)
        if table.num_columns < 2:
            raise GraphError(f"{where}: needs two columns (src, dst)")
        cols = [_parquet_column(table, i, where) for i in (0, 1)]
        if any(c.dtype.kind not in "iu" for c in cols):
            raise GraphError(f"{where}: src/dst columns must be integers, got {cols[0].dtype}/{cols[1].dtype}")
        return np.stack(cols, axis=1).astype(np.int64)
    raise AssertionError(name)


def _data_specs(feats: Any, root: str, where: str) -> list[DataSpec]:
    if not isinstance(feats, dict):
        raise GraphError(f"{where}: must map feature names to {{'format', 'data'}}")
    out = []
    for name, spec in feats.items():
        w = f"{where}[{name!r}]"
        fmt = _format(spec, w)["name"]
        if fmt not in ("numpy", "parquet", "zarr"):
            raise GraphError(f"{w}: unknown data format {fmt!r} (numpy, parquet or zarr)")
        out.append(DataSpec(str(name), fmt, [_chunk_path(root, f, w, fmt) for f in _files(spec, w)], w))
    return out


def read_data_chunk(spec: DataSpec, c: int) -> np.ndarray:
    """Chunk ``c`` of a feature (rows in per-type ID order)."""
    path = spec.files[c]
    where = f"{spec.where}: {os.path.basename(path)}"
    if spec.fmt == "zarr":
        return _zarr_read(_zarr_array(path, where), path, where, ...)
    return _load_npy(path, where) if spec.fmt == "numpy" else _read_parquet_array(path, where)


def data_chunk_rows(spec: DataSpec, c: int) -> int:
    """Rows of chunk ``c`` of a feature, from the file's header / footer only."""
    path = spec.files[c]
    where = f"{spec.where}: {os.path.basename(path)}"
    if spec.fmt == "zarr":
        arr = _zarr_array(path, where)
        if arr.ndim == 0:
            raise GraphError(f"{where}: a feature chunk must have one row per item, got a scalar")
        return int(arr.shape[0])
    if spec.fmt == "numpy":
        arr = _load_npy(path, where, mmap=True)
        if arr.ndim == 0:
            raise GraphError(f"{where}: a feature chunk must have one row per item, got a scalar")
        return int(arr.shape[0])
    return _parquet(path, where, rows_only=True)


def read_data(spec: DataSpec) -> np.ndarray:
    """A whole feature: its chunks concatenated."""
    chunks = [read_data_chunk(spec, c) for c in range(len(spec.files))]
    return np.concatenate(chunks) if len(chunks) > 1 else chunks[0] if chunks else np.zeros(0)


def _chunk_path(root: str, name: str, where: str, fmt: str) -> str:
    """A chunk file named in metadata.json (at ``where``): a path relative to its folder ``root`` (or an
    absolute one) that must resolve, through symlinks, inside ``root``; for ``zarr`` also an fsspec URL."""
    if not name or "\x00" in name:
        raise GraphError(f"{where}: invalid chunk path {name!r}")
    if is_url(name):
        if fmt != "zarr":
            raise GraphError(f"{where}: chunk {name!r}: an fsspec URL is read for zarr chunks only")
        return name
    path = os.path.join(root, name)
    if not inside(root, path):
        meta, _, key = where.partition(": ")
        raise PathEscapeError(meta, None, f"{key}: chunk {name!r} resolves to {os.path.realpath(path)!r}, outside "
                              f"{root}, the folder of metadata.json (refused: nothing outside it is read)")
    return path


def _refused(exc: FormatError, where: str, path: str) -> GpfError:
    """``exc`` (raised by a guarded reader about ``path`` or a file inside it) restated at ``where``."""
    inner = exc.path[len(path):].lstrip("/" + os.sep) if exc.path.startswith(path) else ""
    at = f" (at byte {exc.offset})" if exc.offset is not None else ""
    message = f"{inner}: {exc.message}{at}" if inner else f"{exc.message}{at}"
    if isinstance(exc, (PathEscapeError, FileKindError)):
        return type(exc)(where, None, message)
    return GraphError(f"{where}: {message}")


def _open_chunk(path: str, where: str):
    """A csv / numpy / parquet chunk, opened only if it is a regular file."""
    from gpf.files import open_regular

    if not os.path.lexists(path):
        raise GraphError(f"{where}: no such file")
    try:
        return open_regular(path, where)
    except FormatError as exc:
        raise _refused(exc, where, path) from None


def _zarr_array(path: str, where: str):
    """A Zarr (v2 or v3) array chunk, opened read-only through :mod:`gpf.sdk.storage.zarr_guard`: local
    path or fsspec URL, read lazily; refused unless its stored chunks back its declared size."""
    from gpf.extras import require
    from gpf.sdk.storage.zarr_guard import check_backed, guarded_array, guarded_store, stored_bytes

    zarr = require("zarr", f"{where}: reading a zarr chunk")
    try:
        arr = guarded_array(zarr.open_array(guarded_store(path, formats=(2, 3)), mode="r"), where)
        if arr.dtype.kind not in "biuf":
            raise GraphError(f"{where}: Zarr array has dtype {arr.dtype}; only bool, int, uint and float are storable")
        check_backed(arr, where, stored_bytes(path))
    except FormatError as exc:
        raise _refused(exc, where, path) from None
    except GraphError:
        raise
    except Exception as exc:  # zarr raises several types (missing store, not an array, bad metadata)
        raise GraphError(f"{where}: not a readable Zarr array ({type(exc).__name__}: "
                         f"{' '.join(str(exc).split())[:200]})") from None
    return arr


def _check_claimed_nodes(meta_path: str, counts: dict[str, int]) -> None:
    """Refuse node counts no machine here could hold one 8-byte entry per node of (partitioning needs several):
    ``num_nodes_per_chunk`` is a claim no bytes of the input back where a type has no node data."""
    memory = machine_memory_bytes()
    total = sum(counts.values())
    if memory is not None and total * 8 > memory:
        nt = max(counts, key=lambda t: counts[t])
        raise GraphError(f"{meta_path}: num_nodes_per_chunk claims {total} nodes ({counts[nt]} of {nt!r}): one "
                         f"8-byte entry per node would take {total * 8 / 2**30:.1f} GiB, more than this machine's "
                         f"{memory / 2**30:.1f} GiB of memory")


def _zarr_read(arr, path: str, where: str, selection: Any) -> np.ndarray:
    """``arr[selection]`` of a guarded Zarr chunk; a refused or undecodable chunk is a one-line error."""
    from gpf.sdk.storage.zarr_guard import ChunkRefused, settle_failed_read

    try:
        return np.asarray(arr[selection])
    except FormatError as exc:
        settle_failed_read()
        raise _refused(exc, where, path) from None
    except ChunkRefused as exc:
        settle_failed_read()
        raise GraphError(f"{where}: {exc}") from None
    except (ValueError, TypeError, RuntimeError, MemoryError, OSError, KeyError) as exc:
        settle_failed_read()
        raise GraphError(f"{where}: Zarr array cannot be read ({type(exc).__name__}: "
                         f"{' '.join(str(exc).split())[:200]})") from None


def _load_npy(path: str, where: str, mmap: bool = False) -> np.ndarray:
    """A ``.npy`` chunk: never unpickled, its header checked against the file size before anything is
    allocated (:func:`gpf.sdk.storage.npy_store.read_npy`); ``mmap``: mapped, not read."""
    from gpf.sdk.storage.npy_store import read_npy

    if not os.path.lexists(path):
        raise GraphError(f"{where}: no such file")
    try:
        return read_npy(path, where, use_mmap=mmap)
    except FormatError as exc:
        if isinstance(exc, (PathEscapeError, FileKindError)):
            raise type(exc)(exc.path, exc.offset, exc.message) from None
        raise GraphError(f"{exc.path}: not a readable .npy file: {exc.message}") from None


def _read_parquet_array(path: str, where: str) -> np.ndarray:
    """An array chunk as DGL's pipeline reads it (tools/distpartitioning parquet parser).

    One column per array column; a ``shape`` schema-metadata entry (``str(array.shape)``,
    e.g. ``"(2708,)"``) gives the array's shape, otherwise the table is read as a 2-D
    ``(rows, columns)`` array.  A single list-typed column holds one vector per row
    (Spark ML output) and becomes a 2-D array.  Nulls are refused.
    """
    import pyarrow as pa

    table = _parquet(path, where)
    is_list = (pa.types.is_list, pa.types.is_large_list, pa.types.is_fixed_size_list)
    if table.num_columns == 1 and any(test(table.schema.types[0]) for test in is_list):
        arr = _vector_rows(table.column(0).combine_chunks(), where)
    elif table.num_columns == 0:
        raise GraphError(f"{where}: parquet file has no columns")
    else:
        arr = np.column_stack([_parquet_column(table, i, where) for i in range(table.num_columns)])
    shape = _parquet_shape((table.schema.metadata or {}).get(b"shape"), where)
    if shape is None:
        return arr
    if int(np.prod(shape, dtype=np.int64)) != arr.size or (shape and shape[0] != arr.shape[0]):
        raise GraphError(f"{where}: 'shape' metadata {shape} does not fit the {arr.shape[0]} x "
                         f"{arr.shape[1] if arr.ndim > 1 else 1} values stored")
    return arr.reshape(shape)


def _parquet_column(table, i: int, where: str) -> np.ndarray:
    import pyarrow as pa

    col = table.column(i)
    if col.null_count:
        raise GraphError(f"{where}: column {table.column_names[i]!r} has {col.null_count} null values")
    if not (pa.types.is_integer(col.type) or pa.types.is_floating(col.type) or pa.types.is_boolean(col.type)):
        raise GraphError(f"{where}: column {table.column_names[i]!r} is not numeric ({col.type})")
    return col.to_numpy()


def _vector_rows(col, where: str) -> np.ndarray:
    """One list per row, all of the same length -> a 2-D array (no per-row Python loop)."""
    if col.null_count:
        raise GraphError(f"{where}: vector column has {col.null_count} null rows")
    n = len(col)
    values = col.flatten().to_numpy(zero_copy_only=False)
    if values.dtype.kind not in "biuf":
        raise GraphError(f"{where}: vector column is not numeric ({col.type})")
    if n == 0:
        return values.reshape(0, 0)
    offsets = np.asarray(col.offsets) if hasattr(col, "offsets") else None
    if offsets is not None:
        lengths = np.diff(offsets)
        if lengths.min() != lengths.max():
            bad = int(np.flatnonzero(lengths != lengths[0])[0])
            raise GraphError(f"{where}: vector rows differ in length (row 0 has {lengths[0]}, row {bad} "
                             f"has {lengths[bad]})")
    if values.size % n:
        raise GraphError(f"{where}: {values.size} vector values do not split into {n} equal rows")
    return values.reshape(n, values.size // n)


_SHAPE = re.compile(r"\s*[\(\[]\s*((?:\d+\s*,\s*)*\d+)?\s*,?\s*[\)\]]\s*")


def _parquet_shape(raw: bytes | None, where: str) -> tuple[int, ...] | None:
    """Parse DGL's ``shape`` metadata (``"(n,)"``, ``"(n, d)"``, or JSON ``[n, d]``) without eval."""
    if raw is None:
        return None
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        raise GraphError(f"{where}: 'shape' metadata is not ASCII") from None
    m = _SHAPE.fullmatch(text)
    if not m or not m.group(1):
        raise GraphError(f"{where}: bad 'shape' metadata {text[:60]!r} (want e.g. '(2708, 1433)')")
    return tuple(int(x) for x in m.group(1).split(","))


_PARQUET_WIDTH = {"BOOLEAN": 1, "INT32": 4, "INT64": 8, "FLOAT": 4, "DOUBLE": 8, "INT96": 12}


def _parquet(path: str, where: str, rows_only: bool = False):
    """A parquet chunk read whole (or, ``rows_only``, its row count from the footer), after checking that
    its columns are fixed-width and that the values its footer declares (row groups' value counts times
    the column widths) are at most :data:`~gpf.limits.PARQUET_MAX_RATIO` times the file's size."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise GraphError(f"{where}: reading parquet needs pyarrow, which is not installed: pip install 'gpf[parquet]'") from None
    with _open_chunk(path, where) as fh:
        size = os.fstat(fh.fileno()).st_size
        try:
            pf = pq.ParquetFile(fh)
            md = pf.metadata
            schema = md.schema
            declared = 0
            for c in range(md.num_columns):
                col = schema.column(c)
                width = col.length if col.physical_type == "FIXED_LEN_BYTE_ARRAY" else \
                    _PARQUET_WIDTH.get(col.physical_type)
                if width is None:
                    raise GraphError(f"{where}: column {col.path!r} is not numeric ({col.physical_type})")
                for g in range(md.num_row_groups):
                    declared += max(int(md.row_group(g).column(c).num_values), 0) * int(width)
            if declared > PARQUET_MAX_RATIO * size:
                raise GraphError(f"{where}: parquet footer declares {declared} bytes of values in a file of {size} "
                                 f"bytes (at most {PARQUET_MAX_RATIO}:1 is decoded)")
            return int(md.num_rows) if rows_only else pf.read()
        except GraphError:
            raise
        except Exception as exc:  # pyarrow raises several types
            raise GraphError(f"{where}: not a readable parquet file ({' '.join(str(exc).split())[:200]})") from None


# -- an existing partition set -------------------------------------------------------------------
def load_partition_set(config_path: str | os.PathLike[str]) -> Graph:
    """Rebuild the whole graph of a partition set (owned nodes / inner edges of every partition)."""
    from gpf.sdk.read.reader import open_set

    ps = open_set(config_path)
    book = ps.book
    ntypes = ps.ntypes
    ekeys = [":".join(e) for e in ps.etypes]
    counts = {nt: book.nodes.count(t) for t, nt in enumerate(ntypes)}
    ecounts = [book.edges.count(r) for r in range(len(ekeys))]

    def orig(kind: str, key: str, n: int) -> np.ndarray:
        try:
            return ps.orig_nids(key) if kind == "n" else ps.orig_eids(key)
        except GpfError:
            return np.arange(n, dtype=np.int64)

    onid = {nt: orig("n", nt, counts[nt]) for nt in ntypes}
    oeid = {k: orig("e", k, c) for k, c in zip(ekeys, ecounts)}
    src = [np.zeros(c, np.int64) for c in ecounts]
    dst = [np.zeros(c, np.int64) for c in ecounts]
    ndata: dict[str, dict[str, np.ndarray]] = {nt: {} for nt in ntypes}
    edata: dict[str, dict[str, np.ndarray]] = {k: {} for k in ekeys}
    for part in ps:
        ie = part.inner_edge
        gn = part.global_nid
        ge = part.global_eid[ie]
        r, per_e = book.edges.to_per_type(ge)
        _, per_s = book.nodes.to_per_type(gn[part.src[ie]])
        _, per_d = book.nodes.to_per_type(gn[part.dst[ie]])
        for ri, key in enumerate(ekeys):
            sel = r == ri
            if not sel.any():
                continue
            s_t, _, d_t = key.split(":")
            pos = oeid[key][per_e[sel]]
            src[ri][pos] = onid[s_t][per_s[sel]]
            dst[ri][pos] = onid[d_t][per_d[sel]]
        for kind, feats, frames, names, typed in (("n", part.node_feats, ndata, ntypes, book.nodes),
                                                  ("e", part.edge_feats, edata, ekeys, book.edges)):
            for fkey, arr in feats.items():
                tname, fname = fkey.split("/", 1)
                if tname not in frames or fname == "trainer_id":
                    continue
                t = names.index(tname)
                sizes = typed.ranges[t, :, 1] - typed.ranges[t, :, 0]
                start = int(sizes[: part.part_id].sum())
                ids = (onid if kind == "n" else oeid)[tname][start: start + int(sizes[part.part_id])]
                total = counts[tname] if kind == "n" else ecounts[t]
                if fname not in frames[tname]:
                    frames[tname][fname] = np.zeros((total, *arr.shape[1:]), dtype=arr.dtype)
                frames[tname][fname][ids] = arr
    edges = {split_canonical_etype(k): (src[i], dst[i]) for i, k in enumerate(ekeys)}
    try:
        return Graph(counts, edges, ndata, {split_canonical_etype(k): v for k, v in edata.items()})
    except GraphError as exc:
        raise GraphError(f"{config_path}: {exc}") from None
