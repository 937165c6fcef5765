"""Read, parse and write partition configs.

* :func:`load_config` — read a JSON file safely and parse it (any DGL-written variant);
* :func:`parse_config` — parse an already-loaded JSON object;
* :func:`config_to_dict` / :func:`dump_config` — canonical current form, written atomically.

Every problem is a one-line :class:`~gpf.errors.ConfigError` naming the file and the JSON
key path (``node_map.user[2]``, ``part-1.node_feats``), or an
:class:`~gpf.errors.UnsupportedError` for layouts gpf deliberately does not read.
"""

from __future__ import annotations

import codecs
import copy
import json
import math
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from gpf.errors import ConfigError, FormatError
from gpf.files import open_regular
from gpf.limits import MAX_JSON_BYTES, MAX_JSON_DEPTH
from gpf.spec._keys import json_type as _json_type
from gpf.spec._keys import key_path
from gpf.spec.models import PART_KEY_PATTERN, TOP_LEVEL_KEYS, PartFiles, PartitionConfig
from gpf.spec.normalize import EtypeResolver, normalize_config
from gpf.spec.version import SPEC_VERSION

__all__ = [
    "MAX_CONFIG_BYTES",
    "MAX_CONFIG_DEPTH",
    "read_config_json",
    "read_json_bytes",
    "decode_config_json",
    "loads_config",
    "load_config",
    "parse_config",
    "config_to_dict",
    "dump_config",
]

#: Largest config file :func:`load_config` reads (a config for 10^4 partitions and 100 types is ~40 MiB).
MAX_CONFIG_BYTES = MAX_JSON_BYTES
#: Deepest nesting of JSON arrays/objects accepted (the spec's own keys need 4).
MAX_CONFIG_DEPTH = MAX_JSON_DEPTH

_PART_RE = re.compile(PART_KEY_PATTERN[1:-1])
_MODEL_KEYS = frozenset(TOP_LEVEL_KEYS)
_PART_FIELDS = ("node_feats", "edge_feats", "part_graph", "part_graph_graphbolt")


def _src(path: Any) -> str:
    return os.fspath(path) if isinstance(path, (str, os.PathLike)) else str(path)


def _one_line(text: object, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit] + "..."


# --- reading -----------------------------------------------------------------------------------


class _DuplicateKey(Exception):
    pass


class _BadConstant(Exception):
    pass


def _pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise _DuplicateKey(k)
        out[k] = v
    return out


def _reject_constant(name: str) -> Any:
    raise _BadConstant(name)


def read_config_json(path: str | os.PathLike[str]) -> Any:
    """Read a config file and return the decoded JSON value (no normalisation, no validation).

    Guards: at most :data:`MAX_CONFIG_BYTES`, valid UTF-8 (a BOM is tolerated), strict JSON
    (no NaN/Infinity, no duplicate keys), nesting at most :data:`MAX_CONFIG_DEPTH`.
    """
    src = _src(path)
    return decode_config_json(read_json_bytes(path, "a config"), source=src)


def read_json_bytes(path: str | os.PathLike[str], what: str = "a JSON document") -> bytes:
    """The bytes of a local JSON file, read only if it is a regular file of at most
    :data:`MAX_CONFIG_BYTES` (a FIFO or device is refused, never opened blocking)."""
    src = _src(path)
    try:
        with open_regular(path, src) as f:
            size = os.fstat(f.fileno()).st_size
            if size > MAX_CONFIG_BYTES:
                raise ConfigError(src, f"file is {size} bytes, over the {MAX_CONFIG_BYTES}-byte limit for {what}")
            data = f.read(MAX_CONFIG_BYTES + 1)
    except ConfigError:
        raise
    except FormatError as e:
        message = "no such file" if e.message == "file not found" else e.message
        if message.startswith("is a directory"):
            message = f"is a directory, not {what}"
        raise ConfigError(src, message) from None
    except OSError as e:
        raise ConfigError(src, f"cannot read: {_one_line(e.strerror or e)}") from None
    if len(data) > MAX_CONFIG_BYTES:  # grew since fstat
        raise ConfigError(src, f"file is over the {MAX_CONFIG_BYTES}-byte limit for {what}")
    return data


def decode_config_json(data: bytes | str, *, source: str | os.PathLike[str] = "<config>") -> Any:
    """Decode config bytes (e.g. fetched from a URL) with the guards of :func:`read_config_json`.

    The one bounded JSON loader of gpf: Zarr metadata documents go through it too."""
    src = _src(source)
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(src, f"config is over the {MAX_CONFIG_BYTES}-byte limit")
    if isinstance(data, str):
        text = data[1:] if data.startswith("\ufeff") else data
    else:
        data = bytes(data)
        skip = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
        try:
            text = data[skip:].decode("utf-8")
        except UnicodeDecodeError as e:
            raise ConfigError(src, f"not valid UTF-8 at byte {e.start + skip}: {e.reason}") from None
    try:
        obj = json.loads(text, object_pairs_hook=_pairs_hook, parse_constant=_reject_constant)
    except _DuplicateKey as e:
        raise ConfigError(src, f"invalid JSON: duplicate key {_one_line(json.dumps(e.args[0]), 80)} in an object") from None
    except _BadConstant as e:
        raise ConfigError(src, f"invalid JSON: {e.args[0]} is not a JSON number") from None
    except json.JSONDecodeError as e:
        raise ConfigError(src, f"invalid JSON at line {e.lineno} column {e.colno}: {e.msg}") from None
    except RecursionError:
        raise ConfigError(src, f"JSON nested deeper than {MAX_CONFIG_DEPTH} levels") from None
    except ValueError as e:  # e.g. an integer literal over Python's digit limit
        raise ConfigError(src, f"invalid JSON: {_one_line(e)}") from None
    _jsonify(obj, src)  # depth and value checks, same as parse_config
    return obj


def loads_config(
    data: bytes | str,
    *,
    source: str | os.PathLike[str] = "<config>",
    etype_resolver: EtypeResolver | None = None,
) -> PartitionConfig:
    """Parse config bytes/text (e.g. read from a URL): :func:`decode_config_json` + :func:`parse_config`."""
    return parse_config(decode_config_json(data, source=source), source=source, etype_resolver=etype_resolver)


def load_config(path: str | os.PathLike[str], *, etype_resolver: EtypeResolver | None = None) -> PartitionConfig:
    """Read and parse the partition config at ``path`` (any variant DGL has written)."""
    return parse_config(read_config_json(path), source=_src(path), etype_resolver=etype_resolver)


# --- parsing -----------------------------------------------------------------------------------


def _jsonify(obj: Any, source: str, path: tuple[Any, ...] = (), depth: int = 1) -> Any:
    """Deep copy of a JSON-like value with numpy scalars made plain; ConfigError on anything else."""
    if depth > MAX_CONFIG_DEPTH:
        raise ConfigError(source, f"JSON nested deeper than {MAX_CONFIG_DEPTH} levels", key=key_path(path))
    if obj is None or isinstance(obj, (str, bool)):
        return obj
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        if not math.isfinite(obj):
            raise ConfigError(source, f"{obj} is not a JSON number", key=key_path(path))
        return float(obj)
    if isinstance(obj, Mapping):
        out = {}
        for k, v in obj.items():
            if not isinstance(k, str):
                raise ConfigError(source, f"object keys must be strings, got {type(k).__name__}", key=key_path(path))
            out[k] = _jsonify(v, source, (*path, k), depth + 1)
        return out
    if isinstance(obj, (list, tuple)):
        return [_jsonify(v, source, (*path, i), depth + 1) for i, v in enumerate(obj)]
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return _jsonify(float(obj), source, path, depth)
    raise ConfigError(source, f"not a JSON value ({type(obj).__name__})", key=key_path(path))


def parse_config(
    obj: Any,
    *,
    source: str | os.PathLike[str] = "<config>",
    etype_resolver: EtypeResolver | None = None,
) -> PartitionConfig:
    """Parse a decoded JSON config (any DGL-written variant) into a :class:`PartitionConfig`.

    ``source`` names the config in error messages.  Raises only ConfigError and
    UnsupportedError (plus whatever ``etype_resolver`` itself raises).
    """
    src = _src(source)
    clean = _jsonify(obj, src)
    norm, _notes = normalize_config(clean, etype_resolver=etype_resolver, source=src)
    return _build(norm, src)


def _build(norm: dict[str, Any], src: str) -> PartitionConfig:
    data: dict[str, Any] = {}
    parts: dict[int, Any] = {}
    extra: dict[str, Any] = {}
    for k, v in norm.items():
        m = _PART_RE.fullmatch(k)
        if k in _MODEL_KEYS:
            data[k] = v
        elif m:
            parts[int(m.group(1))] = v
        else:
            extra[k] = v
    missing = [i for i in range(len(parts)) if i not in parts]
    if missing:
        found = ", ".join(f"part-{i}" for i in sorted(parts)[:6]) + (", ..." if len(parts) > 6 else "")
        raise ConfigError(
            src,
            f"missing (part-N entries must run part-0, part-1, ... without gaps; found {found})",
            key=f"part-{missing[0]}",
        )
    data["parts"] = [parts[i] for i in range(len(parts))]
    data["extra"] = extra
    try:
        cfg = PartitionConfig.model_validate(data)
    except ValidationError as e:
        raise _config_error(src, e) from None
    cfg._source = src
    return cfg


def _error_key(loc: tuple[Any, ...]) -> tuple[list[Any], bool]:
    segs = list(loc)
    is_key = bool(segs) and segs[-1] == "[key]"
    if is_key:
        segs.pop()
    if len(segs) >= 2 and segs[0] == "parts" and isinstance(segs[1], int):
        segs = [f"part-{segs[1]}", *segs[2:]]
    elif segs and segs[0] == "extra" and len(segs) >= 2:
        segs = segs[1:]
    return segs, is_key


def _error_message(err: Mapping[str, Any], segs: list[Any], is_key: bool) -> str:
    kind = err.get("type", "")
    value = err.get("input")
    ctx = err.get("ctx") or {}
    in_range = len(segs) >= 3 and segs[0] in ("node_map", "edge_map") and isinstance(segs[2], int)
    if kind == "missing":
        return "required key is missing"
    if kind == "value_error":
        msg = str(ctx.get("error", err.get("msg", "")))
        return msg
    if in_range and kind in ("too_short", "too_long", "tuple_type", "list_type") and len(segs) == 3:
        n = len(value) if isinstance(value, (list, tuple)) else None
        got = f"an array of {n} item(s)" if n is not None else _json_type(value)
        return f"a range must be a [start, end] pair of integers, got {got}"
    expected = {
        "int_type": "an integer",
        "string_type": "a string",
        "dict_type": "an object",
        "model_type": "an object",
        "model_attributes_type": "an object",
        "list_type": "an array",
        "tuple_type": "an array",
    }.get(kind)
    if expected:
        return f"expected {expected}, got {_json_type(value)}" + (" (this key)" if is_key else "")
    if kind == "greater_than_equal":
        return f"must be >= {ctx.get('ge')}, got {_one_line(repr(value), 40)}"
    if kind == "less_than_equal":
        return f"must be <= {ctx.get('le')} (fits int64), got {_one_line(repr(value), 40)}"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')}, got {_one_line(repr(value), 40)}"
    if kind == "extra_forbidden":
        return "unknown key"
    return _one_line(err.get("msg", kind))


def _config_error(src: str, e: ValidationError) -> ConfigError:
    errors = e.errors(include_url=False)
    first = errors[0]
    segs, is_key = _error_key(tuple(first.get("loc", ())))
    if len(segs) == 4 and segs[0] in ("node_map", "edge_map") and first.get("type") == "missing":
        # a short range: pydantic reports the missing tuple item
        segs = segs[:3]
        msg = "a range must be a [start, end] pair of integers, got an array of fewer than 2 items"
    else:
        msg = _error_message(first, segs, is_key)
    if is_key:
        msg = f"bad key: {msg}"
    if len(errors) > 1:
        msg += f" (and {len(errors) - 1} more problem(s))"
    return ConfigError(src, _one_line(msg, 300), key=key_path(segs))


# --- writing -----------------------------------------------------------------------------------


def _part_to_dict(p: PartFiles) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in _PART_FIELDS:
        v = getattr(p, name)
        if v is not None or name in p.model_fields_set:
            out[name] = v
    for k, v in (p.model_extra or {}).items():
        out[k] = copy.deepcopy(v)
    return out


def config_to_dict(cfg: PartitionConfig) -> dict[str, Any]:
    """The canonical on-disk form of ``cfg``: ``part-N`` keys, ``[start, end]`` pairs, canonical
    edge-type keys, ``gpf_version`` = :data:`SPEC_VERSION`, unknown keys kept (at the end)."""
    out: dict[str, Any] = {
        "gpf_version": SPEC_VERSION,
        "graph_name": cfg.graph_name,
        "num_nodes": cfg.num_nodes,
        "num_edges": cfg.num_edges,
        "part_method": cfg.part_method,
        "num_parts": cfg.num_parts,
        "halo_hops": cfg.halo_hops,
        "node_map": {k: [[int(s), int(e)] for s, e in v] for k, v in cfg.node_map.items()},
        "edge_map": {k: [[int(s), int(e)] for s, e in v] for k, v in cfg.edge_map.items()},
        "ntypes": dict(cfg.ntypes),
        "etypes": dict(cfg.etypes),
    }
    for i, p in enumerate(cfg.parts):
        out[f"part-{i}"] = _part_to_dict(p)
    for name in ("node_map_dtype", "edge_map_dtype"):
        v = getattr(cfg, name)
        if v is not None or name in cfg.model_fields_set:
            out[name] = v
    if cfg.balance_constraints is not None:
        out["balance_constraints"] = cfg.balance_constraints.model_dump(mode="json", exclude_none=True)
    for k, v in cfg.extra.items():
        if k in out:  # cannot happen for a parsed config; guards hand-built ones
            raise ConfigError(cfg.source, "extra key clashes with a spec key", key=k)
        out[k] = copy.deepcopy(v)
    return out


def dump_config(cfg: PartitionConfig, path: str | os.PathLike[str]) -> None:
    """Write ``config_to_dict(cfg)`` to ``path`` atomically (temp file in the same directory,
    then ``os.replace``), as ``indent=4`` JSON like DGL."""
    text = json.dumps(config_to_dict(cfg), indent=4, allow_nan=False) + "\n"
    atomic_write_text(path, text)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` via a temp file in the same directory and ``os.replace``."""
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        try:
            mode = os.stat(target).st_mode & 0o777
        except OSError:
            mode = 0o644
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
