"""Feature files (F1-F4) and original-ID maps (M1-M2).

Feature keys are checked as stored (legacy ``rel/name`` or bare keys are reported, F1); the
arrays themselves are only looked at for their dtype and shape (memory-mapped, not read), except
the original-ID maps, whose values must form a permutation (one ``bincount`` per type).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from gpf.sdk.aligned import blocks
from gpf.validators.part_data import SetFacts
from gpf.validators.report import Report

__all__ = [
    "RESERVED_NAMES",
    "type_counts",
    "check_feature_keys",
    "check_feature_consistency",
    "check_orig_map",
    "check_orig_presence",
    "check_orig_permutation",
]

RESERVED_NAMES = frozenset({"_ID", "inner_node", "inner_edge"})


def type_counts(f: SetFacts, kind: str) -> np.ndarray:
    """(types, partitions) item counts c(t, p) of ``kind`` "node" or "edge"."""
    r = (f.book.nodes if kind == "node" else f.book.edges).ranges
    return r[:, :, 1] - r[:, :, 0]


def check_feature_keys(rep: Report, f: SetFacts, p: int, kind: str, feats: Mapping[str, np.ndarray],
                       path: str) -> tuple[dict[tuple[str, str], np.ndarray], set[tuple[str, str]]]:
    """F1 (key form and type), F3 (reserved names), F2 (row counts) for one feature file.

    Returns ``({(type, name): array}`` of the entries that pass, ``{(type, name)}`` of every entry
    with a well-formed key of a known type), so F4 does not report a bad entry as missing too."""
    names = f.ntypes if kind == "node" else f.etypes
    counts = type_counts(f, kind)
    good: dict[tuple[str, str], np.ndarray] = {}
    named: set[tuple[str, str]] = set()
    for key, arr in feats.items():
        if key.count("/") != 1 or not key.split("/", 1)[1] or not key.split("/", 1)[0]:
            rep.error("feature.key", f"{kind} feature key {key!r} is not '<type>/<name>' with exactly one '/' "
                      "(DGL < 1.0 wrote bare or relation-only keys)", partition=p, path=path, examples=[key])
            continue
        t, name = key.split("/", 1)
        if t not in names:
            rep.error("feature.unknown_type", f"{kind} feature key {key!r}: {t!r} is not a {kind} type of the "
                      "config", partition=p, path=path, examples=[key])
            continue
        if name in RESERVED_NAMES:
            rep.error("feature.reserved", f"{kind} feature {key!r} uses a reserved name", partition=p, path=path,
                      examples=[key])
            continue
        named.add((t, name))
        want = int(counts[names.index(t), p])
        if not (hasattr(arr, "shape") and hasattr(arr, "dtype")):
            arr = np.asarray(arr)  # a lazy array (a Zarr feature) keeps its shape without being read
        rows = arr.shape[0] if len(arr.shape) else None
        if rows != want:
            got = "a 0-d tensor" if rows is None else f"{rows} rows"
            rep.error("feature.rows", f"{kind} feature {key!r} has {got}, expected {want} (one per owned {kind} "
                      f"of type {t!r})", partition=p, path=path, examples=[key])
            continue
        good[(t, name)] = arr
    return good, named


def check_feature_consistency(rep: Report, f: SetFacts, kind: str,
                              per_part: dict[int, dict[tuple[str, str], np.ndarray]],
                              named: dict[int, set[tuple[str, str]]], files: dict[int, str] | None = None) -> None:
    """F4: a feature of type t is in every partition that owns items of t, with one dtype and trailing shape.

    ``per_part``: the entries that passed F1-F3 per partition; ``named``: every known-type key per partition;
    ``files``: the feature file of each partition (named in the messages)."""
    names = f.ntypes if kind == "node" else f.etypes
    counts = type_counts(f, kind)
    seen: dict[tuple[str, str], dict[int, np.ndarray]] = {}
    for keys in named.values():
        for k in keys:
            seen.setdefault(k, {})
    for p, feats in per_part.items():
        for k, arr in feats.items():
            seen.setdefault(k, {})[p] = arr
    for (t, name), arrs in seen.items():
        key = f"{t}/{name}"
        need = [p for p in named if counts[names.index(t), p] > 0 and (t, name) not in named[p]]
        if need:
            rep.error("feature.missing", f"{kind} feature {key!r} is missing from {len(need)} partition(s) that own "
                      f"{kind}s of type {t!r}", partition=need[0], examples=need)
        for code, what, value in (("feature.dtype", "dtype", lambda a: str(a.dtype)),
                                  ("feature.shape", "trailing shape", lambda a: tuple(a.shape[1:]))):
            by_part = {p: value(a) for p, a in sorted(arrs.items())}
            if len(set(by_part.values())) > 1:
                odd = _odd_one(by_part)
                file = (files or {}).get(odd)
                rep.error(code, f"{kind} feature {key!r} has {what} {by_part[odd]} in partition {odd}"
                          f"{f' ({file})' if file else ''} but {_others(by_part, odd)} elsewhere", partition=odd,
                          path=file, examples=sorted(arrs))


def _odd_one(by_part: Mapping[int, object]) -> int:
    """The first partition whose value is not the most common one."""
    values = list(by_part.values())
    common = max(values, key=values.count)
    return next(p for p, v in by_part.items() if v != common)


def _others(by_part: Mapping[int, object], odd: int) -> str:
    rest: dict[object, list[int]] = {}
    for p, v in by_part.items():
        if p != odd:
            rest.setdefault(v, []).append(p)
    return "; ".join(f"{v} in partition(s) {ps[:5]}" for v, ps in rest.items())


def orig_culprit(chunks: list[np.ndarray] | list[np.ndarray | None], bad_position: int | None = None,
                 value: int | None = None) -> int | None:
    """The partition an original-ID problem is reported on: the one holding new per-type ID ``bad_position``
    (a value out of range), or the last one storing original ID ``value`` (a repeat)."""
    starts = np.cumsum([0] + [0 if c is None else c.shape[0] for c in chunks])
    if bad_position is not None:
        return int(np.searchsorted(starts, bad_position, side="right") - 1)
    holders = [p for p, c in enumerate(chunks) if c is not None and c.size and bool(np.any(c == value))]
    return holders[-1] if holders else None


def check_orig_map(rep: Report, f: SetFacts, p: int, kind: str, maps: Mapping[str, np.ndarray],
                   path: str) -> dict[str, np.ndarray]:
    """M1: keys are types of the config; arrays integer, 1-D, of c(t, p) entries."""
    names = f.ntypes if kind == "node" else f.etypes
    counts = type_counts(f, kind)
    good: dict[str, np.ndarray] = {}
    for key, arr in maps.items():
        arr = np.asarray(arr)
        if key not in names:
            rep.error("orig_ids.key", f"original {kind}-ID map key {key!r} is not a {kind} type of the config",
                      partition=p, path=path, examples=[key])
            continue
        if arr.ndim != 1 or arr.dtype.kind not in "iu":
            rep.error("orig_ids.dtype", f"original {kind}-ID map {key!r} has shape {arr.shape} dtype {arr.dtype}, "
                      "expected 1-D integers", partition=p, path=path, examples=[key])
            continue
        want = int(counts[names.index(key), p])
        if arr.shape[0] != want:
            rep.error("orig_ids.rows", f"original {kind}-ID map {key!r} has {arr.shape[0]} entries, expected {want}",
                      partition=p, path=path, examples=[key])
            continue
        good[key] = arr
    return good


def check_orig_presence(rep: Report, kind: str, present: dict[int, bool]) -> bool:
    """M1: either every partition stores the original-ID map of ``kind`` or none does."""
    have = [p for p, v in present.items() if v]
    lack = [p for p, v in present.items() if not v]
    if have and lack:
        rep.error("orig_ids.missing", f"original {kind}-ID maps are stored for partitions {have[:5]} but not for "
                  f"{len(lack)} other(s)", partition=lack[0], examples=lack)
        return False
    return bool(have)


def check_orig_permutation(rep: Report, f: SetFacts, kind: str,
                           per_part: dict[int, dict[str, np.ndarray]],
                           files: dict[int, str] | None = None) -> dict[str, list[np.ndarray]] | None:
    """M2: for each type, the maps concatenated over partitions are a permutation of [0, n_t).

    Checked chunk by chunk (no concatenation).  Returns ``{type: [chunk per partition]}`` (their
    concatenation maps new per-type IDs to original ones), or None if some map is unusable.  Problems
    name the partition (and its file, from ``files``) holding the first bad value or repeat."""
    files = files or {}
    names = f.ntypes if kind == "node" else f.etypes
    counts = type_counts(f, kind)
    out: dict[str, list[np.ndarray]] = {}
    ok = True
    for t, name in enumerate(names):
        found = [per_part.get(p, {}).get(name) for p in range(f.num_parts)]
        chunks = [c for c in found if c is not None]
        if len(chunks) < len(found):
            ok = False
            continue
        n = int(counts[t].sum())
        starts = np.cumsum(np.array([0] + [c.shape[0] for c in chunks], dtype=np.int64))
        seen = np.zeros(n, dtype=bool)
        in_range = _mark_in_range(seen, chunks, n)  # one pass per chunk: range check and marks together
        bad = [] if in_range else [np.flatnonzero((c < 0) | (c >= n)) + s for c, s in zip(chunks, starts)
                                   if c.size and (int(c.min()) < 0 or int(c.max()) >= n)]
        if bad:
            bad_at = np.concatenate(bad)
            p = orig_culprit(chunks, bad_position=int(bad_at[0]))
            rep.error("orig_ids.permutation", f"original {kind}-ID map of {name!r} has {bad_at.size} value(s) outside "
                      f"[0, {n}) (new per-type IDs in examples), the first in partition {p}", partition=p,
                      path=None if p is None else files.get(p), examples=bad_at)
            ok = False
            continue
        if not in_range:  # every value in range, but of a dtype the fast pass does not take (unsigned)
            seen = np.zeros(n, dtype=bool)
            for c in chunks:
                seen[c] = True
        if int(starts[-1]) == n and seen.all():
            out[name] = chunks
            continue
        hits = np.zeros(n, dtype=np.int64)
        for c in chunks:
            hits += np.bincount(c, minlength=n)
        repeated = np.flatnonzero(hits > 1)
        p = orig_culprit(chunks, value=int(repeated[0])) if repeated.size else None
        where = f"; original ID {int(repeated[0])} is stored again in partition {p}" if p is not None else ""
        rep.error("orig_ids.permutation", f"original {kind}-ID map of {name!r} is not a permutation of [0, {n}): "
                  f"{int((hits == 0).sum())} original ID(s) missing (examples), "
                  f"{int(repeated.size)} repeated{where}", partition=p, path=None if p is None else files.get(p),
                  examples=np.flatnonzero(hits != 1))
        ok = False
    return out if ok else None


def _mark_in_range(seen: np.ndarray, chunks: list[np.ndarray], n: int) -> bool:
    """``seen[c] = True`` for every chunk, if every value is in [0, n); False (``seen`` then partly
    marked) at the first value outside, or for an unsigned chunk.  One pass per chunk, block by
    block (:mod:`gpf.sdk.aligned`: the stored maps are unaligned)."""
    for c in chunks:
        if c.dtype.kind != "i":
            return False
        for _at, b in blocks(c, np.intp):
            if int(b.view(np.uintp).max()) >= n:  # a negative value reads as a huge one
                return False
            seen[b] = True
    return True
