"""What names a partition set: the one rule ``gpf.open`` and every command use.

A set is named by

* its config file (``graph.json``),
* a directory holding exactly one partition config (several: an error listing them),
* a store of a backend that keeps the config inside it: a Zarr store (its root, or its ``zarr.json``),
* an fsspec URL of any of these (``s3://bucket/sets/cora/``, ``memory://x/cora.json``).

:func:`locate_set` turns such a name into the config's location without parsing it.  A directory
that holds no config but is recognisably something else (DGL's chunked graph, a PyG dataset) gets
an error saying what it is and which command takes it.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass

from gpf.errors import ConfigError
from gpf.sdk import paths

__all__ = ["SetLocation", "locate_set"]

_PART_KEY = re.compile(r"part-\d+")
#: Bytes read from a candidate ``.json`` in a directory to tell a partition config from other JSON.
_SNIFF_BYTES = 64 * 2**20


@dataclass(frozen=True)
class SetLocation:
    """Where a set's config is: ``config`` is the config file (or a store's metadata file, e.g. a Zarr
    store's ``zarr.json``), a local path or URL; ``backend`` names the storage backend that keeps the
    config inside its store (its record's ``read_config`` reads it; Zarr: the root group's attributes),
    None for a config JSON."""

    given: str
    config: str
    backend: str | None = None


def locate_set(path: str | os.PathLike[str]) -> SetLocation:
    """Resolve a set's name (see the module docstring); a one-line :class:`ConfigError` when it names none."""
    given = os.fspath(path)
    if not isinstance(given, str) or not given:
        raise ConfigError(repr(path), "empty path: name a partition config, a directory holding one, or a Zarr store")
    from gpf.sdk.storage.registry import locate_config

    found = locate_config(given)
    if found is not None:
        return SetLocation(given, found[1], found[0].name)
    if paths.is_url(given):
        return _locate_url(given)
    local = given[len("file://"):] if given.startswith("file://") else given
    if os.path.isdir(local):
        return SetLocation(given, _one_config(local, sorted(os.listdir(local)), _read_local, os.path.join))
    if not os.path.lexists(local):
        raise ConfigError(given, "no such file or directory")
    return SetLocation(given, given)


def _locate_url(url: str) -> SetLocation:
    import fsspec

    try:
        fs, p = fsspec.core.url_to_fs(url)
        is_dir = fs.isdir(p)
        exists = is_dir or fs.exists(p)
    except ImportError as exc:  # an fsspec protocol whose driver is not installed (s3fs, gcsfs...)
        raise ConfigError(url, f"cannot open this URL: {' '.join(str(exc).split())}") from None
    except Exception as exc:  # noqa: BLE001 - drivers raise their own types; the cause goes in the message
        raise ConfigError(url, f"cannot reach: {_cause(exc)}") from None
    if not exists:
        if url.endswith(".json"):  # may be served without a listing (plain HTTP): let the read say more
            return SetLocation(url, url)
        raise ConfigError(url, "no such file or directory")
    if not is_dir:
        return SetLocation(url, url)
    try:
        names = sorted(posixpath.basename(e.rstrip("/")) for e in fs.ls(p, detail=False))
    except Exception as exc:  # noqa: BLE001
        raise ConfigError(url, f"cannot list this directory: {_cause(exc)}") from None

    def read(path: str) -> bytes | None:
        try:
            with fs.open(path, "rb") as fh:
                data: bytes = fh.read(_SNIFF_BYTES)
                return data
        except Exception:  # noqa: BLE001 - unreadable candidate: not counted as a config
            return None

    base = url.rstrip("/")
    chosen = _one_config(base, names, lambda q: read(f"{p.rstrip('/')}/{posixpath.basename(q)}"),
                         lambda d, n: f"{d}/{n}")
    return SetLocation(url, chosen)


def _cause(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:200] + "..."


def _read_local(path: str) -> bytes | None:
    from gpf.errors import GpfError
    from gpf.files import open_regular

    try:  # regular files only: a FIFO named *.json would block open()
        with open_regular(path) as fh:
            return fh.read(_SNIFF_BYTES)
    except (OSError, GpfError):
        return None


def _is_partition_config(data: bytes | None) -> bool:
    from gpf.spec.normalize import not_a_config_reason

    if data is None:
        return False
    try:
        obj = json.loads(data)
    except (ValueError, RecursionError):
        return False
    return not_a_config_reason(obj) is None


def _one_config(directory: str, names: list[str], read: Callable[[str], bytes | None],
                join: Callable[[str, str], str]) -> str:
    """The one partition config among ``names`` (the entries of ``directory``)."""
    candidates = [n for n in names if n.endswith(".json")]
    configs = [n for n in candidates if _is_partition_config(read(join(directory, n)))]
    if len(configs) == 1:
        return join(directory, configs[0])
    if len(configs) > 1:
        shown = ", ".join(configs[:10]) + (", ..." if len(configs) > 10 else "")
        raise ConfigError(directory, f"holds {len(configs)} partition configs ({shown}): name one")
    raise ConfigError(directory, _what_else(directory, names, read, join))


def _what_else(directory: str, names: list[str], read: Callable[[str], bytes | None],
               join: Callable[[str, str], str]) -> str:
    """Why a directory with no partition config is not a set: what it looks like instead."""
    if "metadata.json" in names:
        data = read(join(directory, "metadata.json"))
        try:
            meta = json.loads(data) if data is not None else None
        except (ValueError, RecursionError):
            meta = None
        if isinstance(meta, dict) and ("node_type" in meta or "num_nodes_per_chunk" in meta):
            return ("is a DGL chunked-graph directory (metadata.json), not a partition set: "
                    "`gpf partition DIR OUT_DIR --parts N` partitions it")
    if "raw" in names or "processed" in names:
        return ("looks like a PyG dataset directory (raw/, processed/), not a partition set: load it with "
                "torch_geometric, then `gpf.converters.pyg.from_pyg(data)` and `gpf.partition(...)` "
                "(or `gpf.Graph.save(\"graph.npz\")` and `gpf partition graph.npz OUT_DIR --parts N`)")
    others = [n for n in names if n.endswith(".json")]
    if others:
        return f"holds no partition config (JSON files here: {', '.join(others[:10])}, none of them a config)"
    return "is a directory with no partition config (*.json) in it"
