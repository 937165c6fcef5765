"""The ``hdf5`` backend (h5py): one ``.h5`` file per partition, the tree of :mod:`layout`
as groups and datasets.

A partition entry ``{"gpf_backend": "hdf5", "gpf_path": "part0/part.h5"}`` names the
file.  Feature datasets are chunked by rows (about 64 KiB per chunk unless
``chunk_rows`` is given) and optionally compressed (``gzip[:level]`` or ``lzf``;
HDF5 has no built-in zstd).

Files are opened lazily, once per *process*: the store remembers the process ID and
reopens its files when it changes, so a :class:`PartitionSet` opened before a
``torch.utils.data.DataLoader`` forks its workers is safe to use inside them (an HDF5
handle must never be shared across ``fork``).  A pickled store (spawned workers)
carries no open handle either.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Mapping

import numpy as np

from gpf.errors import ConfigError, FormatError, PathEscapeError, UnsupportedError
from gpf.files import check_regular
from gpf.limits import HDF5_FILTERS, HDF5_MAX_RATIO
from gpf.sdk import paths
from gpf.sdk.codecs.buffer import Buffer
from gpf.sdk.storage.base import Backend, PartGraph, materialize
from gpf.sdk.storage.dir_writer import DirectoryWriter
from gpf.sdk.storage.layout import (
    GRAPH,
    as_stored,
    check_claim,
    check_feature,
    check_graph,
    check_key,
    default_chunk_rows,
    graph_arrays,
)

# deflate expands at most ~1032:1 and lzf far less: a larger claim is not backed by the file
_MAX_RATIO = HDF5_MAX_RATIO

__all__ = ["Hdf5Store", "Hdf5Writer", "hdf5_compression"]

FILE_NAME = "part.h5"


def hdf5_compression(spec: str | None) -> tuple[str | None, int | None]:
    """``None``/``"none"`` -> no compression; ``"gzip[:level]"``; ``"lzf"``."""
    if spec in (None, "", "none"):
        return None, None
    name, _, level = spec.partition(":")
    if name == "gzip":
        return "gzip", int(level) if level else 4
    if name == "lzf" and not level:
        return "lzf", None
    raise UnsupportedError(f"hdf5 backend: compressor {spec!r} is not available "
                           "(use none, gzip[:0-9] or lzf; HDF5 has no built-in zstd)")


class _LazyArrays(Mapping):
    """``{key: array}`` read from the file on first access of each key."""

    def __init__(self, read, keys: list[str]) -> None:
        self._read = read
        self._keys = keys
        self._cache: dict[str, np.ndarray] = {}

    def __getitem__(self, key: str) -> np.ndarray:
        if key not in self._cache:
            if key not in self._keys:
                raise KeyError(key)
            self._cache[key] = self._read(key)
        return self._cache[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


def _refuse_external_links(f, path: str, part_id: int) -> None:
    """An HDF5 file may link to objects of other files (external links): gpf never writes one, and one
    could name any file of the machine, so a file holding one is refused before anything is read."""
    import h5py

    found: list[tuple[str, object]] = []
    f.visititems_links(lambda name, link: found.append((name, link)) if isinstance(link, h5py.ExternalLink)
                       else None)
    if found:
        name, link = found[0]
        raise PathEscapeError(path, None, f"partition {part_id}: {name!r} is an HDF5 external link to "
                              f"{getattr(link, 'filename', '?')!r}:{getattr(link, 'path', '?')!r} (external links "
                              "are refused: nothing outside the dataset root is read)")


def _refuse_indirect_storage(ds, path: str, part_id: int, name: str) -> None:
    """A dataset must hold its own bytes: external raw storage and virtual datasets name other files
    and are refused; so is any filter but those gpf decodes (:data:`gpf.limits.HDF5_FILTERS`)."""
    if ds.is_virtual:
        sources = [s.file_name for s in ds.virtual_sources()][:3]
        raise PathEscapeError(path, None, f"partition {part_id}: dataset {name!r} is a virtual dataset mapping "
                              f"{sources} (refused: nothing outside the dataset root is read)")
    if ds.external:
        raise PathEscapeError(path, None, f"partition {part_id}: dataset {name!r} keeps its bytes in external "
                              f"file(s) {[e[0] for e in ds.external][:3]} (refused: nothing outside the dataset "
                              "root is read)")
    plist = ds.id.get_create_plist()
    for i in range(plist.get_nfilters()):
        code = plist.get_filter(i)[0]
        if code not in HDF5_FILTERS:
            raise FormatError(path, None, f"partition {part_id}: dataset {name!r} uses HDF5 filter {code}; "
                              f"gpf decodes only gzip, shuffle, fletcher32 and lzf")


class Hdf5Store:
    """Reads partitions stored as one HDF5 file each (local path or fsspec URL)."""

    name = "hdf5"

    def __init__(self, config, config_path: str, root: str) -> None:
        self.config = config
        self.config_path = config_path
        self.root = root
        self._pid = os.getpid()
        self._files: dict[int, object] = {}
        self._buffers: dict[int, Buffer] = {}  # part -> the file memory-mapped, for contiguous datasets

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_files"] = {}
        return state

    def path(self, part_id: int) -> str:
        entry = self.config.part_files(part_id)
        rel = (entry.model_extra or {}).get("gpf_path")
        if not isinstance(rel, str):
            raise ConfigError(self.config_path, "hdf5 partition names no file ('gpf_path')", f"part-{part_id}")
        return paths.resolve(self.root, rel, config=self.config_path, key=f"part-{part_id}.gpf_path")

    def _file(self, part_id: int):
        if self._pid != os.getpid():  # forked: never touch the parent's handles
            self._files, self._buffers = {}, {}
            self._pid = os.getpid()
        f = self._files.get(part_id)
        if f is None:
            f = self._files[part_id] = self._open(part_id)
        return f

    def _open(self, part_id: int):
        import h5py

        path = self.path(part_id)
        try:
            if paths.is_url(path):
                import fsspec

                f = h5py.File(fsspec.open(path, "rb").open(), "r")
            else:
                check_regular(path)  # h5py opens by name: a FIFO would block it
                f = h5py.File(path, "r")
        except FormatError as exc:
            raise type(exc)(exc.path, exc.offset, f"partition {part_id}: {exc.message}") from None
        except FileNotFoundError:
            raise FormatError(path, None, f"partition {part_id}: file not found") from None
        except OSError as exc:
            raise FormatError(path, None, f"partition {part_id}: not a readable HDF5 file ({exc})") from None
        try:
            _refuse_external_links(f, path, part_id)
        except (OSError, RuntimeError, ValueError, KeyError) as exc:
            f.close()
            raise FormatError(path, None, f"partition {part_id}: not a readable HDF5 file ({type(exc).__name__}: "
                              f"{' '.join(str(exc).split())[:200]})") from None
        except BaseException:
            f.close()
            raise
        return f

    def _read(self, part_id: int, name: str) -> np.ndarray:
        try:
            return self._read_dataset(part_id, name)
        except (RuntimeError, KeyError, TypeError) as exc:  # h5py on a damaged file (OSError/ValueError: below)
            raise FormatError(self.path(part_id), None, f"partition {part_id}: dataset {name!r} cannot be read "
                              f"({type(exc).__name__}: {' '.join(str(exc).split())[:200]})") from None

    def _read_dataset(self, part_id: int, name: str) -> np.ndarray:
        import h5py

        f = self._file(part_id)
        try:
            obj = f.get(name)
        except (OSError, ValueError) as exc:
            raise FormatError(self.path(part_id), None, f"partition {part_id}: dataset {name!r} cannot be read "
                              f"({type(exc).__name__}: {' '.join(str(exc).split())[:200]})") from None
        if not isinstance(obj, h5py.Dataset):
            raise FormatError(self.path(part_id), None, f"partition {part_id}: dataset {name!r} is missing")
        if obj.dtype.kind in "OSUV" and obj.dtype.names is None or obj.dtype.hasobject:
            raise FormatError(self.path(part_id), None, f"partition {part_id}: dataset {name!r} has dtype "
                              f"{obj.dtype}, expected a numeric dtype")
        _refuse_indirect_storage(obj, self.path(part_id), part_id, name)
        self._check_size(obj, part_id, name)
        try:
            a = self._mapped(part_id, obj)
            if a is None:
                a = np.asarray(obj[()])
        except (OSError, ValueError) as exc:
            raise FormatError(self.path(part_id), None, f"partition {part_id}: dataset {name!r} cannot be "
                              f"read ({exc})") from None
        check_feature(a, self.path(part_id), part_id, name)
        return a

    def _mapped(self, part_id: int, ds) -> np.ndarray | None:
        """A read-only view on the memory-mapped file for a contiguous dataset stored as plain bytes (no
        filter, no external file, allocated, inside the file): zero-copy, like the npy backend.  None
        for any other layout (read through h5py)."""
        path = self.path(part_id)
        if paths.is_url(path) or ds.chunks is not None or ds.compression is not None or ds.external \
                or ds.shuffle or ds.fletcher32 or ds.scaleoffset is not None or ds.dtype.names is not None:
            return None
        offset = ds.id.get_offset()
        if offset is None:  # not allocated: h5py fills it
            return None
        from gpf.sdk.codecs.buffer import open_buffer

        buf = self._buffers.get(part_id)
        if buf is None:
            buf = self._buffers[part_id] = open_buffer(path)
        nbytes = int(np.prod(ds.shape, dtype=np.int64)) * ds.dtype.itemsize
        if offset + nbytes > len(buf):
            raise FormatError(path, offset, f"partition {part_id}: dataset {ds.name!r} ends past the end of the file")
        return np.frombuffer(buf.data, dtype=ds.dtype, count=nbytes // ds.dtype.itemsize if nbytes else 0,
                             offset=offset).reshape(ds.shape)

    def _check_size(self, ds, part_id: int, name: str) -> None:
        """The bytes a dataset claims must be backed by the bytes it stores, before reading it."""
        path = self.path(part_id)
        check_claim(ds.shape, self.config, path, part_id, name)
        nbytes = int(np.prod(ds.shape, dtype=object)) * ds.dtype.itemsize if ds.shape else ds.dtype.itemsize
        stored = int(ds.id.get_storage_size())
        if ds.compression is None and stored < nbytes:
            raise FormatError(path, None, f"partition {part_id}: dataset {name!r} claims {nbytes} bytes "
                              f"but stores {stored} (missing chunks or truncated)")
        if ds.compression is not None and nbytes > _MAX_RATIO * stored + (1 << 20):
            raise FormatError(path, None, f"partition {part_id}: dataset {name!r} claims {nbytes} bytes "
                              f"from {stored} compressed bytes")

    def _keys(self, part_id: int, group: str) -> list[str] | None:
        try:
            return self._list_keys(part_id, group)
        except (OSError, RuntimeError, ValueError, KeyError) as exc:  # h5py on a damaged file
            raise FormatError(self.path(part_id), None, f"partition {part_id}: group {group!r} cannot be read "
                              f"({type(exc).__name__}: {' '.join(str(exc).split())[:200]})") from None

    def _list_keys(self, part_id: int, group: str) -> list[str] | None:
        import h5py

        g = self._file(part_id).get(group)
        if g is None:
            return None
        if not isinstance(g, h5py.Group):
            raise FormatError(self.path(part_id), None, f"partition {part_id}: {group!r} is not a group")
        keys: list[str] = []
        g.visititems(lambda name, obj: keys.append(name) if isinstance(obj, h5py.Dataset) else None)
        return keys

    def read_graph(self, part_id: int) -> PartGraph:
        keys = self._keys(part_id, GRAPH)
        path = self.path(part_id)
        if keys is None:
            raise FormatError(path, None, f"partition {part_id}: group 'graph' is missing")
        arrays = {k: self._read(part_id, f"{GRAPH}/{k}") for k in keys}
        for need in ("src", "dst"):
            if need not in arrays:
                raise FormatError(path, None, f"partition {part_id}: dataset 'graph/{need}' is missing")
        ndata = {k[6:]: a for k, a in arrays.items() if k.startswith("ndata/")}
        edata = {k[6:]: a for k, a in arrays.items() if k.startswith("edata/")}
        return check_graph(path, part_id, arrays["src"], arrays["dst"], ndata, edata)

    def _lazy(self, part_id: int, role: str) -> Mapping[str, np.ndarray] | None:
        keys = self._keys(part_id, role)
        if keys is None:
            return None
        return _LazyArrays(lambda k: self._read(part_id, f"{role}/{k}"), keys)

    def read_node_feats(self, part_id: int) -> Mapping[str, np.ndarray]:
        return self._lazy(part_id, "node_feats") or {}

    def read_edge_feats(self, part_id: int) -> Mapping[str, np.ndarray]:
        return self._lazy(part_id, "edge_feats") or {}

    def read_orig_ids(self, part_id: int, kind: str) -> Mapping[str, np.ndarray] | None:
        return self._lazy(part_id, {"nodes": "orig_nids", "edges": "orig_eids"}[kind])

    def files(self, part_id: int) -> dict[str, str]:
        return {"hdf5": self.path(part_id)}


class Hdf5Writer(DirectoryWriter):
    """Writes ``part<N>/part.h5`` (temp file, then ``os.replace``)."""

    name = "hdf5"

    def __init__(self, out_dir, graph_name: str, *, compressor: str | None = None,
                 chunk_rows: int | None = None) -> None:
        super().__init__(out_dir, graph_name)
        self.compression, self.level = hdf5_compression(compressor)
        if chunk_rows is not None and chunk_rows < 1:
            raise UnsupportedError(f"chunk_rows must be >= 1, got {chunk_rows}")
        self.chunk_rows = chunk_rows

    def write_part(self, part_id: int, graph: PartGraph, arrays) -> dict:
        import h5py

        d = self.part_dir(part_id)
        final = os.path.join(d, FILE_NAME)
        fd, tmp = tempfile.mkstemp(prefix=f".{FILE_NAME}.", suffix=".tmp", dir=d)
        os.close(fd)
        try:
            with h5py.File(tmp, "w") as f:
                for key, a in graph_arrays(graph).items():
                    self._dataset(f, f"{GRAPH}/{key}", as_stored(a), features=False)
                for role, tensors in arrays.items():
                    if tensors is None:
                        continue
                    f.require_group(role)
                    for key, source in tensors.items():
                        self._dataset(f, f"{role}/{check_key(key, role)}", as_stored(materialize(source)), features=True)
            os.chmod(tmp, 0o644)
            os.replace(tmp, final)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        return {"gpf_backend": self.name, "gpf_path": f"part{part_id}/{FILE_NAME}"}

    def _dataset(self, f, name: str, a: np.ndarray, *, features: bool) -> None:
        a = np.ascontiguousarray(a)
        kw: dict = {}
        if a.ndim >= 1 and a.size and (features or self.compression):
            rows = self.chunk_rows if features and self.chunk_rows else \
                default_chunk_rows(a.shape, a.dtype.itemsize, 64 << 10 if features else 1 << 20)
            kw["chunks"] = (min(rows, a.shape[0]), *a.shape[1:])
            if self.compression:
                kw.update(compression=self.compression, shuffle=a.dtype.itemsize > 1)
                if self.level is not None:
                    kw["compression_opts"] = self.level
        f.create_dataset(name, data=a, **kw)


#: One HDF5 file per partition (``gpf_path``).
BACKEND = Backend("hdf5", lambda config, config_path, root, o: Hdf5Store(config, config_path, root),
                  lambda out, graph_name, options: Hdf5Writer(out, graph_name, **options),
                  writer_options=("compressor", "chunk_rows"), path_kind="file",
                  magic=(b"\x89HDF\r\n\x1a\n", "an HDF5 file"), requires="h5py")
