"""Config-level checks (SPEC.md section 10: C1-C12, P1-P2) on the normalised config dict.

Each ``check_*`` function takes the :class:`~gpf.validators.report.Report`, the config dict
after :func:`gpf.spec.normalize_config` (legacy forms already canonical, but nothing validated:
any value may have any JSON type) and a :class:`ConfigContext`, and adds problems.  Checks never
raise on bad input; they skip what an earlier defect makes meaningless (``ctx`` says what is
known to be sound).  Nothing here reads arrays: ``gpf validate --quick`` runs exactly these
(file checks read at most the first 8 bytes of each file, to tell its kind).
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gpf.errors import ConfigError, FormatError, problem_code
from gpf.files import file_kind, open_regular
from gpf.sdk import paths
from gpf.sdk.codecs.dgl_bytes import MAGIC_GRAPHS, MAGIC_TENSORS
from gpf.sdk.storage.registry import BACKENDS, Backend, get_backend
from gpf.spec._keys import json_type
from gpf.spec.models import INT64_MAX, TOP_LEVEL_KEYS, check_type_name, split_canonical_etype
from gpf.spec.version import SPEC_VERSION, parse_spec_version
from gpf.validators.report import Report

__all__ = [
    "ConfigContext",
    "FILE_ROLES",
    "run_config_checks",
    "check_schema",
    "check_version",
    "check_halo_hops",
    "check_part_entries",
    "check_type_ids",
    "check_type_names",
    "check_map_keys",
    "check_ranges",
    "check_map_dtype",
    "check_paths",
]

#: The file roles of a part-<i> entry the validator checks (``gpf_path``: the npy/hdf5/zarr backends, SPEC 11).
FILE_ROLES = ("part_graph", "part_graph_graphbolt", "node_feats", "edge_feats", "orig_nids", "orig_eids", "gpf_path")
_PART_RE = re.compile(r"part-(0|[1-9][0-9]{0,17})")
_ZIP_MAGIC = b"PK\x03\x04"


@dataclass
class ConfigContext:
    """What the config checks learned; later checks run only on what is sound."""

    path: str
    root: str
    bad_keys: set[str] = field(default_factory=set)
    num_parts: int | None = None
    ntypes: list[str] | None = None        # names in type-ID order, when the IDs are 0..T-1
    etypes: list[str] | None = None
    ranges_ok: dict[str, bool] = field(default_factory=dict)  # "node_map"/"edge_map" -> tiling sound
    bad_files: set[tuple[int, str]] = field(default_factory=set)  # (partition, role) with a path problem

    @property
    def sound(self) -> bool:
        """True when partitions can be read and checked against the ranges."""
        return (self.num_parts is not None and self.ntypes is not None and self.etypes is not None
                and all(self.ranges_ok.get(k) for k in ("node_map", "edge_map")))


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


# -- C1: keys and JSON types --------------------------------------------------------------------
_REQUIRED = ("graph_name", "num_nodes", "num_edges", "part_method", "num_parts", "node_map", "edge_map",
             "ntypes", "etypes")


def _type_problem(key: str, value: Any) -> str | None:
    """Why ``value`` is not a valid ``key`` (only shape and JSON type), or None."""
    if key in ("graph_name", "part_method"):
        return None if isinstance(value, str) else f"expected a string, got {json_type(value)}"
    if key in ("num_nodes", "num_edges", "halo_hops", "num_parts"):
        low = 1 if key == "num_parts" else 0
        if not _is_int(value):
            return f"expected an integer, got {json_type(value)}"
        if not low <= value <= INT64_MAX:
            return f"must be an integer in {low}..2^63-1, got {_short(value)}"
        return None
    if key in ("node_map", "edge_map"):
        if not isinstance(value, Mapping):
            return f"expected an object type -> ranges, got {json_type(value)}"
        for t, ranges in value.items():
            if not isinstance(ranges, list):
                return f"ranges of {t!r}: expected an array, got {json_type(ranges)}"
            for i, r in enumerate(ranges):
                if not (isinstance(r, list) and len(r) == 2 and all(_is_int(v) for v in r)):
                    return f"range {i} of {t!r} must be a [start, end] pair of integers, got {_short(r)}"
                if not all(0 <= v <= INT64_MAX for v in r):
                    return f"range {i} of {t!r} has a value outside 0..2^63-1: {_short(r)}"
        return None
    if key in ("ntypes", "etypes"):
        if not isinstance(value, Mapping):
            return f"expected an object type -> ID, got {json_type(value)}"
        for t, v in value.items():
            if not _is_int(v) or not 0 <= v <= INT64_MAX:
                return f"ID of {t!r} must be a non-negative integer, got {_short(v)}"
        return None
    if key in ("node_map_dtype", "edge_map_dtype", "gpf_version"):
        return None if isinstance(value, str) or value is None else f"expected a string, got {json_type(value)}"
    return None


def check_schema(rep: Report, cfg: Mapping[str, Any], ctx: ConfigContext) -> None:
    """C1: required keys present; every spec key (and every part-<i> entry) of the right JSON type."""
    for key in _REQUIRED:
        if key not in cfg:
            rep.error("config.key_missing", f"required key {key!r} is missing", path=ctx.path, examples=[key])
            ctx.bad_keys.add(key)
    for key in TOP_LEVEL_KEYS:
        if key in cfg:
            why = _type_problem(key, cfg[key])
            if why:
                rep.error("config.key_type", f"{key}: {why}", path=ctx.path, examples=[key])
                ctx.bad_keys.add(key)
    for key, entry in cfg.items():
        if not _PART_RE.fullmatch(key):
            continue
        if not isinstance(entry, Mapping):
            rep.error("config.key_type", f"{key}: expected an object of file paths, got {json_type(entry)}",
                      path=ctx.path, examples=[key])
            ctx.bad_keys.add(key)
            continue
        for role in FILE_ROLES:
            if role in entry and not isinstance(entry[role], str):
                rep.error("path.invalid", f"{key}.{role}: a file path must be a string, got {json_type(entry[role])}",
                          path=ctx.path, partition=_part_no(key), examples=[f"{key}.{role}"])
                ctx.bad_keys.add(key)
    if "num_parts" not in ctx.bad_keys and "num_parts" in cfg:
        ctx.num_parts = int(cfg["num_parts"])


def _part_no(key: str) -> int | None:
    m = _PART_RE.fullmatch(key)
    return int(m.group(1)) if m else None


# -- C12, C11 ---------------------------------------------------------------------------------------
def check_version(rep: Report, cfg: Mapping[str, Any], ctx: ConfigContext) -> None:
    """C12: gpf_version, when present, is MAJOR.MINOR with a major this reader supports."""
    v = cfg.get("gpf_version")
    if v is None or "gpf_version" in ctx.bad_keys:
        return
    parsed = parse_spec_version(v)
    mine = parse_spec_version(SPEC_VERSION)
    if parsed is None:
        rep.error("config.version", f"gpf_version {_short(v)} is not MAJOR.MINOR", path=ctx.path)
    elif mine is not None and parsed[0] > mine[0]:
        rep.error("config.version", f"gpf_version {v} has a newer major version than this reader ({SPEC_VERSION})",
                  path=ctx.path)


def check_halo_hops(rep: Report, cfg: Mapping[str, Any], ctx: ConfigContext) -> None:
    """C11: halo_hops >= 1 when there is more than one partition."""
    h = cfg.get("halo_hops", 1)
    if "halo_hops" in ctx.bad_keys or ctx.num_parts is None:
        return
    if h == 0 and ctx.num_parts > 1:
        rep.error("config.halo_hops", f"halo_hops is 0 with {ctx.num_parts} partitions (cut edges are lost)",
                  path=ctx.path)


# -- C2 ------------------------------------------------------------------------------------------------
def check_part_entries(rep: Report, cfg: Mapping[str, Any], ctx: ConfigContext) -> None:
    """C2: part-<i> for every 0 <= i < P, none beyond; each names a graph and both feature files."""
    P = ctx.num_parts
    present = sorted(n for n in (_part_no(k) for k in cfg) if n is not None)
    if P is None:
        return
    have = set(present)
    missing = [i for i in range(min(P, len(present) + 1_000)) if i not in have]
    if missing:
        rep.error("part.missing", f"num_parts is {P} but {len(missing)}{'+' if len(present) + 1000 < P else ''} "
                  f"part-<i> entries are missing", path=ctx.path, examples=[f"part-{i}" for i in missing])
    extra = [i for i in present if i >= P]
    if extra:
        rep.error("part.extra", f"{len(extra)} part-<i> entries with i >= num_parts ({P})", path=ctx.path,
                  examples=[f"part-{i}" for i in extra])
    no_graph, no_feats = [], []
    for i in present:
        entry = cfg[f"part-{i}"]
        if i >= P or not isinstance(entry, Mapping):
            continue
        record = _backend(entry)
        if record is None:
            rep.error("part.backend", f"part-{i}.gpf_backend is {_short(entry.get('gpf_backend'))}, "
                      f"not one of {list(BACKENDS)}", partition=i, path=ctx.path, examples=[f"part-{i}"])
            ctx.bad_files.add((i, "*"))
            continue
        if not record.entry_files:  # SPEC 11: C2 applies to gpf_path
            if not isinstance(entry.get("gpf_path"), str):
                no_graph.append(i)
            continue
        if entry.get("part_graph") is None and entry.get("part_graph_graphbolt") is None:
            no_graph.append(i)
        if entry.get("node_feats") is None or entry.get("edge_feats") is None:
            no_feats.append(i)
    for i in no_graph:
        rep.error("part.no_graph", f"part-{i} names neither part_graph nor part_graph_graphbolt (nor, with a "
                  "gpf_backend, a gpf_path)", partition=i, path=ctx.path)
        ctx.bad_files.update({(i, "graph"), (i, "orig_nids"), (i, "orig_eids")})
    for i in no_feats:
        rep.error("part.no_feats", f"part-{i} lacks node_feats or edge_feats (DGL asserts both)", partition=i,
                  path=ctx.path)
        ctx.bad_files.update((i, r) for r in ("node_feats", "edge_feats") if cfg[f"part-{i}"].get(r) is None)
    for i in missing[: 1000]:
        ctx.bad_files.add((i, "*"))


# -- C5, C3, C9, C4 ----------------------------------------------------------------------------------------
def _ordered_names(rep: Report, ids: Mapping[str, int], code: str, what: str, ctx: ConfigContext) -> list[str] | None:
    values = sorted(ids.values())
    if values != list(range(len(values))):
        dup = sorted({v for v in values if values.count(v) > 1})
        rep.error(code, f"{what} IDs must be exactly 0..{len(values) - 1} (a bijection), got {values[:20]}"
                  + (f"; repeated {dup[:10]}" if dup else ""), path=ctx.path, examples=values)
        return None
    return sorted(ids, key=ids.__getitem__)


def check_type_ids(rep: Report, cfg: Mapping[str, Any], ctx: ConfigContext) -> None:
    """C5: ntypes values are exactly 0..T-1 and etypes values 0..R-1."""
    if "ntypes" not in ctx.bad_keys:
        ctx.ntypes = _ordered_names(rep, cfg["ntypes"], "ntypes.ids", "ntypes", ctx)
    if "etypes" not in ctx.bad_keys:
        ctx.etypes = _ordered_names(rep, cfg["etypes"], "etypes.ids", "etypes", ctx)


def check_type_names(rep: Report, cfg: Mapping[str, Any], ctx: ConfigContext) -> None:
    """C3: type names follow SPEC 3.4 and etype keys are src:rel:dst; C9: src/dst are node types."""
    ntypes = cfg.get("ntypes") if "ntypes" not in ctx.bad_keys else None
    for name in ntypes or ():
        try:
            check_type_name(name, "node type name")
        except ValueError as e:
            rep.error("ntypes.name", str(e), path=ctx.path, examples=[name])
            ctx.ntypes = None
    if "etypes" in ctx.bad_keys:
        return
    for key in cfg["etypes"]:
        try:
            s, _r, d = split_canonical_etype(key)
        except ValueError as e:
            rep.error("etypes.key", str(e), path=ctx.path, examples=[key])
            ctx.etypes = None
            continue
        if ntypes is not None:
            missing = [t for t in (s, d) if t not in ntypes]
            if missing:
                rep.error("etypes.endpoint", f"edge type {key!r} joins node type(s) {missing} not in ntypes",
                          path=ctx.path, examples=[key])
                ctx.etypes = None


def check_map_keys(rep: Report, cfg: Mapping[str, Any], ctx: ConfigContext) -> None:
    """C4: node_map keys equal ntypes keys; edge_map keys equal etypes keys."""
    for field_, types_field, code in (("node_map", "ntypes", "node_map.keys"), ("edge_map", "etypes", "edge_map.keys")):
        if field_ in ctx.bad_keys or types_field in ctx.bad_keys:
            continue
        a, b = set(cfg[field_]), set(cfg[types_field])
        if a != b:
            only_map, only_types = sorted(a - b), sorted(b - a)
            rep.error(code, f"{field_} keys differ from {types_field} keys: only in {field_} {only_map[:5]}, "
                      f"only in {types_field} {only_types[:5]}", path=ctx.path, examples=only_map + only_types)
            ctx.ranges_ok[field_] = False


# -- C6, C7, C8, C10 ----------------------------------------------------------------------------------------
def check_ranges(rep: Report, cfg: Mapping[str, Any], ctx: ConfigContext) -> None:
    """C6: P ranges per type; C8: start <= end; C7/C8: in partition-major, type-minor order the
    ranges tile [0, total) without gap or overlap (so per-type sums add up to the total)."""
    for field_, order, total_key in (("node_map", ctx.ntypes, "num_nodes"), ("edge_map", ctx.etypes, "num_edges")):
        short = field_
        if field_ in ctx.bad_keys or ctx.ranges_ok.get(field_) is False or order is None or ctx.num_parts is None:
            ctx.ranges_ok[field_] = False
            continue
        P = ctx.num_parts
        mapping = cfg[field_]
        bad = [t for t in order if len(mapping.get(t, ())) != P]
        if bad:
            rep.error(f"{short}.count", f"{field_}: {len(bad)} type(s) do not have num_parts = {P} ranges "
                      f"(e.g. {bad[0]!r} has {len(mapping.get(bad[0], ()))})", path=ctx.path, examples=bad)
            ctx.ranges_ok[field_] = False
            continue
        r = np.asarray([mapping[t] for t in order], dtype=np.int64).reshape(len(order), P, 2)
        ok = True
        inv = np.argwhere(r[:, :, 0] > r[:, :, 1])
        if inv.size:
            ok = False
            rep.error(f"{short}.inverted", f"{field_}: {len(inv)} range(s) with start > end",
                      path=ctx.path, examples=[f"{order[t]}[{p}]" for t, p in inv.tolist()])
        flat = r.transpose(1, 0, 2).reshape(-1, 2)  # partition-major, type-minor
        labels = [f"{order[t]}[{p}]" for p in range(P) for t in range(len(order))]
        if flat.shape[0]:
            if flat[0, 0] != 0:
                ok = False
                rep.error(f"{short}.start", f"{field_}: the first range {labels[0]} starts at {int(flat[0, 0])}, "
                          "not 0", path=ctx.path, examples=[labels[0]])
            starts, prev_ends = flat[1:, 0], flat[:-1, 1]
            gaps = np.flatnonzero(starts > prev_ends) + 1
            overlaps = np.flatnonzero(starts < prev_ends) + 1
            if gaps.size:
                ok = False
                i = int(gaps[0])
                rep.error(f"{short}.gap", f"{field_}: {gaps.size} range(s) start after the previous one ends, "
                          f"e.g. {labels[i]} starts at {int(flat[i, 0])} but {labels[i - 1]} ends at "
                          f"{int(flat[i - 1, 1])} (IDs owned by no partition)", path=ctx.path,
                          examples=[labels[j] for j in gaps[: rep.max_examples]])
            if overlaps.size:
                ok = False
                i = int(overlaps[0])
                rep.error(f"{short}.overlap", f"{field_}: {overlaps.size} range(s) start before the previous one "
                          f"ends, e.g. {labels[i]} starts at {int(flat[i, 0])} but {labels[i - 1]} ends at "
                          f"{int(flat[i - 1, 1])} (IDs owned twice)", path=ctx.path,
                          examples=[labels[j] for j in overlaps[: rep.max_examples]])
            total = cfg.get(total_key) if total_key not in ctx.bad_keys else None
            if total is not None and int(flat[-1, 1]) != total:
                ok = False
                sums = {order[t]: int((r[t, :, 1] - r[t, :, 0]).sum()) for t in range(len(order))}
                rep.error(f"{short}.total", f"{field_}: the last range {labels[-1]} ends at {int(flat[-1, 1])} but "
                          f"{total_key} is {total} (per-type sums {_short(sums, 120)})", path=ctx.path,
                          examples=[labels[-1]])
        elif cfg.get(total_key):
            ok = False
            rep.error(f"{short}.total", f"{field_} has no types but {total_key} is {cfg.get(total_key)}", path=ctx.path)
        ctx.ranges_ok[field_] = ok


def check_map_dtype(rep: Report, cfg: Mapping[str, Any], ctx: ConfigContext) -> None:
    """C10: *_map_dtype is int32 or int64; with int32 every range value is < 2^31."""
    for key, field_ in (("node_map_dtype", "node_map"), ("edge_map_dtype", "edge_map")):
        v = cfg.get(key)
        if v is None or key in ctx.bad_keys:
            continue
        if v not in ("int32", "int64"):
            rep.error("config.map_dtype", f"{key} is {_short(v)}, expected 'int32' or 'int64'", path=ctx.path,
                      examples=[key])
        elif v == "int32" and field_ not in ctx.bad_keys:
            big = [t for t, rs in cfg[field_].items() if any(x >= 2**31 for r in rs for x in r)]
            if big:
                rep.error("config.map_dtype", f"{key} is int32 but {field_} has values >= 2^31", path=ctx.path,
                          examples=big)


# -- P1, P2 ---------------------------------------------------------------------------------------------------
def _expected_magic(role: str, path: str, backend: Backend) -> tuple[bytes | None, str]:
    """(leading bytes, kind) a file of this role must start with; None when the role's format is unknown."""
    ext = os.path.splitext(path)[1].lower()
    if role == "gpf_path":
        return backend.magic or (None, "")
    if role == "part_graph" and ext == ".dgl":
        return MAGIC_GRAPHS.to_bytes(8, "little"), "a DGL graph file (save_graphs)"
    if role in ("node_feats", "edge_feats", "orig_nids", "orig_eids") and ext == ".dgl":
        return MAGIC_TENSORS.to_bytes(8, "little"), "a DGL tensor file (save_tensors)"
    if role == "part_graph_graphbolt" and ext == ".pt":
        return _ZIP_MAGIC, "a torch.save zip archive"
    return None, ""


def check_paths(rep: Report, cfg: Mapping[str, Any], ctx: ConfigContext) -> None:
    """P1: every path relative and inside the dataset root (absolute inside: warning);
    P2: every named file exists, is a regular file, and starts with the magic number of its kind."""
    if ctx.num_parts is None:
        return
    local = not paths.is_url(ctx.path)
    for i in range(ctx.num_parts):
        entry = cfg.get(f"part-{i}")
        if not isinstance(entry, Mapping):
            continue
        backend = _backend(entry)
        if backend is None:
            continue  # part.backend (check_part_entries)
        for role in FILE_ROLES:
            value = entry.get(role)
            key = f"part-{i}.{role}"
            if (role == "gpf_path") == backend.entry_files:
                continue  # DGL entries name files by role; the others one gpf_path (SPEC 11)
            if value is None or not isinstance(value, str):
                continue
            if not value or "\x00" in value or not _encodable(value):
                rep.error("path.invalid", f"{key}: {_short(value)} is not a usable file path", partition=i,
                          path=ctx.path, examples=[key])
                ctx.bad_files.add((i, role))
                continue
            try:
                resolved = paths.resolve(ctx.root, value, config=ctx.path, key=key)
            except ConfigError as e:
                rep.error("path.escape", f"{key}: {e.message}", partition=i, path=ctx.path, examples=[value])
                ctx.bad_files.add((i, role))
                continue
            if local and os.path.isabs(value):
                rep.warn("path.absolute", f"{key}: absolute path {value!r} (run `gpf upgrade` to make it relative)",
                         partition=i, path=ctx.path, examples=[value])
            if local and not _check_file(rep, resolved, role, i, key, backend):
                ctx.bad_files.add((i, "*") if role == "gpf_path" else (i, role))


def _encodable(value: str) -> bool:
    try:
        os.fsencode(value)
    except UnicodeError:
        return False
    return True


def _backend(entry: Mapping[str, Any]) -> Backend | None:
    """The registered backend a part-<i> entry names (``dgl`` when none), None when unknown."""
    name = entry.get("gpf_backend", "dgl")
    return get_backend(name) if isinstance(name, str) and name in BACKENDS else None


def _check_file(rep: Report, resolved: str, role: str, part: int, key: str, backend: Backend) -> bool:
    """P2 for one file: exists, is a regular file (a folder for npy/zarr), starts with its kind's magic number."""
    if not os.path.exists(resolved):
        rep.error("path.missing", f"{key}: file does not exist", partition=part, path=resolved, examples=[key])
        return False
    folder = role == "gpf_path" and backend.path_kind == "folder"
    mode = os.stat(resolved).st_mode
    if folder != stat.S_ISDIR(mode) or not (folder or stat.S_ISREG(mode)):
        what = "a folder" if folder else "a regular file"
        rep.error("path.kind", f"{key}: is {file_kind(mode)}, not {what}", partition=part, path=resolved,
                  examples=[key])
        return False
    magic, kind = _expected_magic(role, resolved, backend)
    if magic is None:
        return True
    try:
        with open_regular(resolved) as fh:
            head = fh.read(len(magic))
    except FormatError as e:
        rep.error(problem_code(e, "path.kind"), f"{key}: {e.message}", partition=part, path=resolved)
        return False
    except OSError as e:
        rep.error("path.kind", f"{key}: cannot read: {e.strerror or e}", partition=part, path=resolved)
        return False
    if head != magic:
        rep.error("path.kind", f"{key}: expected {kind}, the file starts with {head.hex() or 'nothing'} "
                  f"({len(head)} bytes read)", partition=part, path=resolved, examples=["offset 0"])
        return False
    return True


#: The config checks in the order they run.
CONFIG_CHECKS = (check_schema, check_version, check_halo_hops, check_part_entries, check_type_ids,
                 check_type_names, check_map_keys, check_ranges, check_map_dtype, check_paths)


def run_config_checks(rep: Report, cfg: Mapping[str, Any], ctx: ConfigContext, raw_keys: int | None = None) -> None:
    """Run every config check on the normalised ``cfg``; ``raw_keys``: the keys the file itself has
    (counted as "config keys", not the defaults normalisation added)."""
    from gpf.validators.guard import guarded

    for check in CONFIG_CHECKS:
        guarded(rep, check.__name__, check, rep, cfg, ctx)
    rep.count("config keys", len(cfg) if raw_keys is None else raw_keys)
