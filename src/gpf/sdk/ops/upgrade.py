"""``gpf upgrade``: rewrite an older DGL config in the canonical current form.

Handles what :func:`gpf.spec.normalize_config` handles (plain edge-type keys — resolved
from the partition files —, end-only ranges, list maps, missing type maps) and makes
absolute file paths relative to the dataset root.  The old file is never modified: the
new config is written next to it (part paths are relative to the config's directory).
"""

from __future__ import annotations

import json
import os

from gpf.errors import ConfigError, GpfError
from gpf.sdk import paths
from gpf.sdk.read.reader import PlainEtypeResolver
from gpf.spec import config_to_dict, dump_config, normalize_config, parse_config, read_config_json

__all__ = ["upgrade_config"]

_ROLES = ("node_feats", "edge_feats", "part_graph", "part_graph_graphbolt", "orig_nids", "orig_eids")


def upgrade_config(old: str | os.PathLike[str], new: str | os.PathLike[str], *, force: bool = False) -> list[str]:
    """Write the canonical form of config ``old`` to ``new``; return one note per change."""
    old, new = os.fspath(old), os.fspath(new)
    if paths.is_url(old) or paths.is_url(new):
        raise GpfError("gpf upgrade works on local files; copy the config locally first")
    if os.path.isdir(old):  # a directory holding one config, as every command takes it
        from gpf.sdk.read.locate import locate_set

        old = locate_set(old).config
    if not os.path.isfile(old):
        raise ConfigError(old, "no such config file")
    if os.path.abspath(old) == os.path.abspath(new) or (os.path.exists(new) and os.path.samefile(old, new)):
        raise GpfError(f"{new}: refusing to upgrade in place; give a new file name")
    root = paths.dataset_root(old)
    if paths.dataset_root(new) != root:
        raise GpfError(f"{new}: must be in the same directory as {old} (part paths are relative to the config)")
    if os.path.exists(new) and not force:
        raise GpfError(f"{new}: already exists (use --force to overwrite it)")

    raw = read_config_json(old)
    canon, notes = normalize_config(raw, etype_resolver=PlainEtypeResolver(old), source=old)
    for key, entry in canon.items():
        if not (key.startswith("part-") and isinstance(entry, dict)):
            continue
        for role in _ROLES:
            value = entry.get(role)
            if isinstance(value, str) and os.path.isabs(value):
                resolved = paths.resolve(root, value, config=old, key=f"{key}.{role}")
                entry[role] = os.path.relpath(resolved, root)
                notes.append(f"{key}.{role}: absolute path made relative: {entry[role]}")
    cfg = parse_config(canon, source=old)
    notes += _remaining_changes(raw, config_to_dict(cfg), notes)
    notes += _legacy_feature_notes(old, cfg)
    dump_config(cfg, new)
    return notes


def _remaining_changes(raw: dict, final: dict, notes: list[str]) -> list[str]:
    """One note per top-level key the canonical form adds, drops or rewrites that ``notes`` do not mention yet."""
    said = {n.split(":", 1)[0].split(".", 1)[0].split("[", 1)[0] for n in notes}
    out = []
    for key, value in final.items():
        if key in said:
            continue
        if key not in raw:
            if key == "gpf_version":
                out.append(f"gpf_version: added ({value!r}: the spec version this file follows)")
            else:
                out.append(f"{key}: added ({json.dumps(value)[:60]})")
        elif raw[key] != value:
            if key == "gpf_version":
                out.append(f"gpf_version: {raw[key]!r} -> {value!r}")
            else:
                out.append(f"{key}: rewritten in canonical form")
    out += [f"{key}: removed" for key in raw if key not in final and key not in said]
    return out


def _legacy_feature_notes(config_path: str, cfg) -> list[str]:
    """Feature files keep their keys; say when those keys predate DGL 1.0's naming."""
    from gpf.sdk.codecs.dgl_tensors import read_tensors

    root = paths.dataset_root(config_path)
    notes = []
    for i, entry in enumerate(cfg.parts[:1]):
        for role in ("node_feats", "edge_feats"):
            value = getattr(entry, role)
            if value is None:
                continue
            try:
                keys = list(read_tensors(paths.resolve(root, value, config=config_path, key=f"part-{i}.{role}")))
            except GpfError:
                continue
            old = [k for k in keys if "/" not in k or (role == "edge_feats" and ":" not in k.split("/")[0])]
            if old:
                notes.append(f"part-{i}.{role}: keys {old[:3]} use pre-1.0 naming; gpf reads them as canonical "
                             "names, DGL >= 1.0 does not (re-partition or convert to rewrite the files)")
    return notes
