"""The ``npy`` backend: one ``.npy`` file per array, in the tree of :mod:`layout`.

A partition entry ``{"gpf_backend": "npy", "gpf_path": "part0"}`` names the folder;
``part0/node_feats/_N/feat.npy`` holds feature ``_N/feat``.  Files are opened only
when their partition's arrays are touched, and then memory-mapped: each header is
parsed (``allow_pickle`` never), and the shape and dtype it claims are checked against
the file size *before* the file is mapped.  Over an fsspec URL a file is read whole.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from typing import Literal

import numpy as np

from gpf.errors import ConfigError, FileKindError, FormatError
from gpf.files import file_kind, open_regular
from gpf.limits import MAX_NPY_HEADER
from gpf.sdk import paths
from gpf.sdk.storage.base import Backend, PartGraph, materialize
from gpf.sdk.storage.dir_writer import DirectoryWriter, replace_dir
from gpf.sdk.storage.layout import GRAPH, ROLES, as_stored, check_feature, check_graph, check_key, graph_arrays

__all__ = ["NpyStore", "NpyWriter", "read_npy", "write_npy"]

_MAX_HEADER = MAX_NPY_HEADER
SUFFIX = ".npy"


# -- one file ------------------------------------------------------------------------------------
def _header(fh, label: str) -> tuple[tuple[int, ...], bool, np.dtype, int]:
    fmt = np.lib.format
    try:
        version = fmt.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(fh, max_header_size=_MAX_HEADER)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = fmt.read_array_header_2_0(fh, max_header_size=_MAX_HEADER)
        else:
            raise ValueError(f"unsupported .npy version {version}")
    except (ValueError, EOFError, OSError, SyntaxError) as exc:
        raise FormatError(label, 0, f"not a valid .npy header: {exc}") from None
    if dtype.hasobject:
        raise FormatError(label, 0, f"dtype {dtype} holds Python objects (pickles are never loaded)")
    if any(int(s) < 0 for s in shape):
        raise FormatError(label, 0, f"header has a negative dimension {shape}")
    return tuple(int(s) for s in shape), bool(fortran), dtype, fh.tell()


def read_npy(path: str, label: str | None = None, *, use_mmap: bool = True) -> np.ndarray:
    """Read one ``.npy`` file (local path or fsspec URL) without pickles; a local file (only a regular
    file is opened) is memory-mapped read-only after its header is checked against the file size."""
    label = label or path
    url = paths.is_url(path)
    try:
        if url:
            import fsspec

            fh = fsspec.open(path, "rb").open()
        else:
            fh = open_regular(path[len("file://"):] if path.startswith("file://") else path, label)
    except FormatError:
        raise
    except FileNotFoundError:
        raise FormatError(label, None, "file not found") from None
    except OSError as exc:
        raise FormatError(label, None, f"cannot open: {exc}") from None
    with fh:
        shape, fortran, dtype, offset = _header(fh, label)
        size = int(fh.size) if url else os.fstat(fh.fileno()).st_size
        count = int(np.prod(shape, dtype=object)) if shape else 1
        nbytes = count * dtype.itemsize
        if size - offset != nbytes:
            raise FormatError(label, offset, f"header says shape {shape} of {dtype} ({nbytes} bytes of data) "
                              f"but the file holds {size - offset} bytes after the header (truncated or padded)")
        order: Literal["C", "F"] = "F" if fortran else "C"
        if nbytes == 0:
            return np.zeros(shape, dtype=dtype, order=order)
        if url or not use_mmap:
            data = fh.read(nbytes)
            if len(data) != nbytes:
                raise FormatError(label, offset, f"file shrank while reading ({len(data)} of {nbytes} bytes)")
            flat = np.frombuffer(data, dtype=dtype)
            return flat.reshape(shape, order=order)
        # mapped through the descriptor whose size was just checked (a later truncation is caught: mapped.py)
        from gpf.sdk.codecs.mapped import map_file

        view = map_file(fh.fileno(), label)
        flat = np.frombuffer(view, dtype=dtype, count=count, offset=offset)
        return flat.reshape(shape, order=order)


def write_npy(path: str, arr: np.ndarray) -> None:
    """Write ``arr`` as a ``.npy`` file (C order, no pickles)."""
    arr = np.ascontiguousarray(arr)
    with open(path, "wb", buffering=1 << 20) as fh:
        np.lib.format.write_array(fh, arr, allow_pickle=False)
    os.chmod(path, 0o644)


# -- reading -------------------------------------------------------------------------------------
class NpyStore:
    """Reads partitions stored as ``.npy`` trees (local folders or fsspec URLs)."""

    name = "npy"

    def __init__(self, config, config_path: str, root: str, *, use_mmap: bool = True) -> None:
        self.config = config
        self.config_path = config_path
        self.root = root
        self.use_mmap = use_mmap

    def part_dir(self, part_id: int) -> str:
        entry = self.config.part_files(part_id)
        rel = (entry.model_extra or {}).get("gpf_path")
        if not isinstance(rel, str):
            raise ConfigError(self.config_path, "npy partition names no folder ('gpf_path')", f"part-{part_id}")
        return paths.resolve(self.root, rel, config=self.config_path, key=f"part-{part_id}.gpf_path")

    def _role_dir(self, part_id: int, role: str) -> str:
        d = self.part_dir(part_id)
        return f"{d}/{role}" if paths.is_url(d) else os.path.join(d, role)

    def _list(self, part_id: int, role: str) -> dict[str, str] | None:
        """``{key: file}`` of the ``.npy`` files under ``role``; None when the folder is absent."""
        d = self._role_dir(part_id, role)
        out: dict[str, str] = {}
        if paths.is_url(d):
            import fsspec

            fs, p = fsspec.core.url_to_fs(d)
            if not fs.isdir(p):
                return None
            proto = d.split("://", 1)[0]
            for f in sorted(fs.find(p)):
                rel = f[len(p.rstrip("/")) + 1:]
                if rel.endswith(SUFFIX) and not any(s.startswith(".") for s in rel.split("/")):
                    out[rel[: -len(SUFFIX)]] = f"{proto}://{f}" if "://" not in f else f
            return out
        if not os.path.isdir(d):
            return None
        paths.check_inside(self.root, d, what=f"partition {part_id}: folder {role}")
        for dirpath, dirnames, filenames in os.walk(d):
            dirnames[:] = sorted(x for x in dirnames if not x.startswith("."))
            for x in dirnames:  # os.walk does not descend into symlinked folders; one pointing out is refused
                paths.check_inside(self.root, os.path.join(dirpath, x), what=f"partition {part_id}: folder {role}")
            for name in sorted(filenames):
                if name.endswith(SUFFIX) and not name.startswith("."):
                    full = os.path.join(dirpath, name)
                    rel = os.path.relpath(full, d).replace(os.sep, "/")[: -len(SUFFIX)]
                    # a symlink pointing out of the dataset root is refused, and anything but a regular file
                    paths.check_inside(self.root, full, what=f"partition {part_id}: array {role}/{rel}")
                    mode = os.stat(full).st_mode
                    if not stat.S_ISREG(mode):
                        raise FileKindError(full, None, f"partition {part_id}: array {role}/{rel} is "
                                            f"{file_kind(mode)}, expected a regular file")
                    out[rel] = full
        return out

    def _load(self, part_id: int, path: str) -> np.ndarray:
        try:
            return read_npy(path, use_mmap=self.use_mmap)
        except FormatError as exc:
            raise FormatError(exc.path, exc.offset, f"partition {part_id}: {exc.message}") from None

    def _arrays(self, part_id: int, role: str) -> dict[str, np.ndarray] | None:
        listing = self._list(part_id, role)
        if listing is None:
            return None
        out = {}
        for key, path in listing.items():
            a = self._load(part_id, path)
            check_feature(a, path, part_id, f"{role}/{key}")
            out[key] = a
        return out

    def read_graph(self, part_id: int) -> PartGraph:
        d = self._role_dir(part_id, GRAPH)
        listing = self._list(part_id, GRAPH)
        if listing is None:
            raise FormatError(d, None, f"partition {part_id}: graph folder is missing")
        for need in ("src", "dst", "ndata/_ID"):
            if need not in listing:
                raise FormatError(d, None, f"partition {part_id}: array 'graph/{need}' ({need}.npy) is missing")
        arrays = {k: self._load(part_id, p) for k, p in listing.items()}
        ndata = {k[6:]: a for k, a in arrays.items() if k.startswith("ndata/")}
        edata = {k[6:]: a for k, a in arrays.items() if k.startswith("edata/")}
        return check_graph(d, part_id, arrays["src"], arrays["dst"], ndata, edata)

    def read_node_feats(self, part_id: int) -> Mapping[str, np.ndarray]:
        return self._arrays(part_id, "node_feats") or {}

    def read_edge_feats(self, part_id: int) -> Mapping[str, np.ndarray]:
        return self._arrays(part_id, "edge_feats") or {}

    def read_orig_ids(self, part_id: int, kind: str) -> Mapping[str, np.ndarray] | None:
        return self._arrays(part_id, {"nodes": "orig_nids", "edges": "orig_eids"}[kind])

    def files(self, part_id: int) -> dict[str, str]:
        return {role: self._role_dir(part_id, role) for role in (GRAPH, *ROLES)}


# -- writing -------------------------------------------------------------------------------------
class NpyWriter(DirectoryWriter):
    """Writes ``part<N>/{graph,node_feats,edge_feats,orig_nids,orig_eids}/**.npy``; each folder
    is built aside and swapped in whole, so no file of an older set survives in it."""

    name = "npy"

    def write_part(self, part_id: int, graph: PartGraph, arrays) -> dict:
        d = self.part_dir(part_id)
        trees = {GRAPH: graph_arrays(graph)}
        for role, tensors in arrays.items():
            if tensors is not None:
                trees[role] = {check_key(k, role): v for k, v in tensors.items()}
        for role, tree in trees.items():
            replace_dir(os.path.join(d, role), lambda tmp, tree=tree: _fill(tmp, tree))
        return {"gpf_backend": self.name, "gpf_path": f"part{part_id}"}


def _fill(folder: str, tree: Mapping) -> None:
    for key, source in tree.items():
        path = os.path.join(folder, *key.split("/")) + SUFFIX
        os.makedirs(os.path.dirname(path), exist_ok=True)
        write_npy(path, as_stored(materialize(source)))


#: ``.npy`` trees, one folder per partition (``gpf_path``).
BACKEND = Backend("npy", lambda config, config_path, root, o: NpyStore(config, config_path, root, use_mmap=o.use_mmap),
                  lambda out, graph_name, options: NpyWriter(out, graph_name, **options), path_kind="folder")
