"""Turn any partition config DGL has ever written into the canonical current form.

:func:`normalize_config` works on the raw JSON dict (before model validation) and
returns a new dict in canonical on-disk form plus a list of notes, one line per
change, for ``gpf upgrade`` to print.  The input is never modified.

Legacy forms handled (spec/SPEC.md section 8):

* ``node_map`` / ``edge_map`` as a plain list (DGL <= 0.5, homogeneous) -> ``{"_N": ...}`` /
  ``{"_N:_E:_N": ...}``;
* end-only ranges ``[e0, e1, ...]`` (DGL 0.5), also per key -> ``[[0, e0], [e0, e1], ...]``;
* missing ``ntypes`` / ``etypes`` -> ``{"_N": 0}`` / ``{"_N:_E:_N": 0}``; missing ``halo_hops`` -> 1;
* plain edge-type keys (``"follows"``, DGL < 1.0) -> canonical ``"src:rel:dst"`` keys, through an
  ``etype_resolver`` (homogeneous ``"_E"`` needs none);
* ``node_map`` / ``edge_map`` given as a path to a ``.npy`` file (DGL < 1.0 with
  ``reshuffle=False``) -> :class:`~gpf.errors.UnsupportedError`;
* the dispatch pipeline's ``metadata.json`` and the GraphBolt keys need no change.

Shape and type errors are *not* reported here: anything not recognised is left as it is
for the model to reject with a precise key path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from gpf.errors import ConfigError, UnsupportedError
from gpf.spec._keys import json_type as _json_type
from gpf.spec._keys import key_path
from gpf.spec.models import DEFAULT_CANONICAL_ETYPE, DEFAULT_ETYPE, DEFAULT_NTYPE, check_type_name
from gpf.spec.version import SPEC_VERSION, parse_spec_version

__all__ = ["EtypeResolver", "normalize_config"]

#: Maps plain (pre-1.0) relation names to canonical ``(src, rel, dst)`` tuples.
#: Called once with every plain key found, in file order.
EtypeResolver = Callable[[list[str]], Mapping[str, tuple[str, str, str]]]

_UPGRADE_HINT = "pre-1.0 config with plain edge-type keys; run `gpf upgrade OLD.json NEW.json`"


def _is_int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _short(value: object, limit: int = 80) -> str:
    text = json.dumps(value, ensure_ascii=True, default=repr) if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def normalize_config(
    raw: Mapping[str, Any],
    *,
    etype_resolver: EtypeResolver | None = None,
    source: str = "<config>",
) -> tuple[dict[str, Any], list[str]]:
    """Return ``(canonical_dict, notes)`` for a raw config dict.

    ``notes`` has one line per change, ``"<key path>: <what was done>"``, in the order
    the changes were made; it is empty when the config was already canonical.

    Raises :class:`ConfigError` (not an object; a chunked-input metadata.json; plain
    edge-type keys that cannot be resolved) and :class:`UnsupportedError` (pre-1.0
    non-reshuffled layout; a ``gpf_version`` with a newer major version).
    """
    reason = not_a_config_reason(raw)
    if reason is not None:
        raise ConfigError(source, reason)
    for k in raw:
        if not isinstance(k, str):
            raise ConfigError(source, f"object keys must be strings, got {type(k).__name__} {_short(k)}")
    cfg: dict[str, Any] = dict(raw)
    notes: list[str] = []

    _check_version(cfg, source)

    for field in ("node_map", "edge_map"):
        if isinstance(cfg.get(field), str):
            raise UnsupportedError(
                f"{source}: {field}: is a file path ({_short(cfg[field])}), the pre-1.0 non-reshuffled "
                "layout (DGL <= 0.9 with reshuffle=False), which predates DGL 1.0's reshuffled range "
                "layout; gpf cannot read it: re-partition the graph with DGL >= 1.0 or gpf"
            )

    # Plain list maps (DGL <= 0.5, homogeneous only).
    for field, default in (("node_map", DEFAULT_NTYPE), ("edge_map", DEFAULT_CANONICAL_ETYPE)):
        if isinstance(cfg.get(field), list):
            cfg[field] = {default: cfg[field]}
            notes.append(f"{field}: plain list (DGL <= 0.5, homogeneous) wrapped as {{{json.dumps(default)}: [...]}}")

    # End-only ranges (DGL 0.5), per key.
    for field in ("node_map", "edge_map"):
        mapping = cfg.get(field)
        if not isinstance(mapping, Mapping):
            continue
        new = dict(mapping)
        for key, value in mapping.items():
            if isinstance(value, list) and value and all(_is_int(e) for e in value):
                start, ranges = 0, []
                for end in value:
                    ranges.append([start, end])
                    start = end
                new[key] = ranges
                notes.append(
                    f"{key_path((field, key))}: end-only ranges [e0, e1, ...] (DGL 0.5) expanded to "
                    "[[0, e0], [e0, e1], ...]"
                )
        cfg[field] = new

    # Missing defaults.
    if "ntypes" not in cfg:
        cfg["ntypes"] = {DEFAULT_NTYPE: 0}
        notes.append(f'ntypes: missing, set to {{"{DEFAULT_NTYPE}": 0}} (homogeneous default)')
    if "etypes" not in cfg:
        cfg["etypes"] = {DEFAULT_CANONICAL_ETYPE: 0}
        notes.append(f'etypes: missing, set to {{"{DEFAULT_CANONICAL_ETYPE}": 0}} (homogeneous default)')
    if "halo_hops" not in cfg:
        cfg["halo_hops"] = 1
        notes.append("halo_hops: missing, set to 1")

    _canonicalise_etype_keys(cfg, notes, etype_resolver, source)
    return cfg, notes


#: A JSON object is taken for a partition config when it has one of these keys (or a ``part-N`` entry).
CONFIG_MARKER_KEYS = ("num_parts", "node_map", "edge_map")


def not_a_config_reason(raw: Any) -> str | None:
    """Why the decoded JSON ``raw`` is not a partition config at all (None: it is one, maybe a broken one).

    The one rule behind ``gpf.open``, ``gpf validate`` (exit 2) and every other command: a JSON
    value that is not an object, or an object with none of :data:`CONFIG_MARKER_KEYS` and no
    ``part-N`` key, is "not a partition config"; a DGL chunked-graph ``metadata.json`` says so.
    """
    if not isinstance(raw, Mapping):
        return f"not a partition config (top level is a JSON {_json_type(raw)}, not an object)"
    keys = [k for k in raw if isinstance(k, str)]
    if any(k in raw for k in CONFIG_MARKER_KEYS) or any(re.fullmatch(r"part-\d+", k) for k in keys):
        return None
    if "num_nodes_per_chunk" in raw or ("node_type" in raw and "edge_type" in raw):
        return ("not a partition config: this is a chunked-graph input metadata.json (the input of DGL's "
                "partition pipeline); `gpf partition DIR OUT --parts N` partitions it")
    shown = ", ".join(repr(k) for k in keys[:8]) + (", ..." if len(keys) > 8 else "")
    return (f"not a partition config (found keys {shown}; a config has num_parts, node_map, edge_map "
            "and part-N entries)" if keys else "not a partition config (an empty JSON object)")


def _check_version(cfg: dict[str, Any], source: str) -> None:
    version = cfg.get("gpf_version")
    parsed = parse_spec_version(version) if isinstance(version, str) else None
    if parsed is None:
        return  # absent (a DGL-written file) or malformed (the model reports it)
    ours = parse_spec_version(SPEC_VERSION)
    assert ours is not None
    if parsed[0] > ours[0]:
        raise UnsupportedError(
            f"{source}: gpf_version: {version} is a newer major version than this gpf reads "
            f"({ours[0]}.x); upgrade gpf"
        )


def _canonicalise_etype_keys(
    cfg: dict[str, Any],
    notes: list[str],
    resolver: EtypeResolver | None,
    source: str,
) -> None:
    fields = [f for f in ("edge_map", "etypes") if isinstance(cfg.get(f), Mapping)]
    plain: list[str] = []
    for f in fields:
        for k in cfg[f]:
            # A legal relation name without ':'.  Anything else is left for the model to reject.
            if isinstance(k, str) and k and ":" not in k and "/" not in k and k not in plain:
                plain.append(k)
    if not plain:
        return

    ntypes = cfg.get("ntypes")
    homogeneous = isinstance(ntypes, Mapping) and list(ntypes) == [DEFAULT_NTYPE]
    if homogeneous and plain == [DEFAULT_ETYPE]:
        mapping: dict[str, str] = {DEFAULT_ETYPE: DEFAULT_CANONICAL_ETYPE}
    elif resolver is None:
        where = next(f for f in fields if plain[0] in cfg[f])
        raise ConfigError(source, _UPGRADE_HINT, key=key_path((where, plain[0])))
    else:
        resolved = resolver(list(plain))
        mapping = {}
        for name in plain:
            try:
                c = resolved[name]
            except (KeyError, TypeError):
                raise ConfigError(
                    source, f"could not determine the canonical edge type of {name!r} from the partition data",
                    key=key_path(("etypes" if "etypes" in fields else "edge_map", name)),
                ) from None
            if not (isinstance(c, (tuple, list)) and len(c) == 3 and all(isinstance(x, str) for x in c)):
                raise ConfigError(source, f"etype resolver returned {_short(c)} for {name!r}, not (src, rel, dst)")
            try:
                for part in c:
                    check_type_name(part)
            except ValueError as e:
                raise ConfigError(source, f"etype resolver result for {name!r}: {e}") from None
            if c[1] != name:
                raise ConfigError(
                    source, f"etype resolver mapped {name!r} to {':'.join(c)!r}, whose relation is not {name!r}"
                )
            mapping[name] = ":".join(c)

    for f in fields:
        old = cfg[f]
        new: dict[str, Any] = {}
        for k, v in old.items():
            nk = mapping.get(k, k)
            if nk in new:
                raise ConfigError(
                    source,
                    f"edge-type keys collide after canonicalisation: {nk!r} appears twice",
                    key=key_path((f, k)),
                )
            new[nk] = v
            if nk != k:
                notes.append(f"{key_path((f, k))}: plain edge-type key (DGL < 1.0) renamed to {nk!r}")
        cfg[f] = new
