"""Feature tables: which stored features a loader needs, and loading them once.

A loader asks for batch fields by feature name: ``x`` from ``node_feats`` (several names
are concatenated along the feature axis), ``y`` from ``label``, one field per mask name,
``edge_attr`` from ``edge_feats``.  A bare name (``"feat"``) means that feature on every
type that has it; ``"paper/feat"`` (``"src:rel:dst/w"`` for edges) names one type.

A table holds one type's rows of all partitions, in per-type ID order (partition 0's
rows, then partition 1's, ...: spec section 6), so the rows of partition ``p`` are the
contiguous slice ``[off(t, p), off(t, p) + c(t, p))``.  Values are read through the
public reader and converted with ``np.asarray`` once (storage backends may return lazy
array-likes).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from gpf.errors import GpfError
from gpf.loader.transfer import Transfer

__all__ = ["FieldRequest", "resolve_fields", "load_table", "DEFAULT_MASKS", "DEFAULT_FEATURES", "DEFAULT_LABELS",
           "ARGUMENT_OF"]

DEFAULT_MASKS = ("train_mask", "val_mask", "test_mask")
#: ``node_feats`` / ``label`` not given: the first of these names stored (PyG's, then DGL's convention).
DEFAULT_FEATURES = ("x", "feat")
DEFAULT_LABELS = ("y", "label")
#: the loader argument that fills each batch field (for messages)
ARGUMENT_OF = {"x": "node_feats", "y": "label", "edge_attr": "edge_feats"}

# field -> stored feature keys ("type/name"), per type
FieldRequest = dict[str, dict[str, list[str]]]


def available(ps, kind: str) -> dict[str, set[str]]:
    """Feature names stored per type, over all partitions."""
    out: dict[str, set[str]] = {}
    for part in ps:
        feats = part.node_feats if kind == "node" else part.edge_feats
        for key in feats:
            t, name = key.split("/", 1)
            out.setdefault(t, set()).add(name)
    return out


def resolve_fields(ps, kind: str, wanted: dict[str, "Sequence[str] | None"], optional: Sequence[str] = ()) -> FieldRequest:
    """``{field: [names]}`` -> ``{type: {field: ["type/name", ...]}}`` for the types that have them.

    A name found on no type is an error naming the set and the names there are, unless
    its field is in ``optional`` (default masks are looked for, not required).
    """
    types = list(ps.ntypes) if kind == "node" else [":".join(e) for e in ps.etypes]
    have = available(ps, kind)
    out: FieldRequest = {}
    for field, names in wanted.items():
        for name in names or ():
            if not isinstance(name, str) or not name:
                raise GpfError(f"{ps.path}: batch field {field!r} ({ARGUMENT_OF.get(field, 'masks')}=...): "
                               f"a feature name must be a non-empty string, got {name!r}")
            if "/" in name:
                t, n = name.split("/", 1)
                if t not in types:
                    raise GpfError(f"{ps.path}: batch field {field!r} ({ARGUMENT_OF.get(field, 'masks')}=...): "
                                   f"{kind} feature {name!r} names an unknown {kind} type {t!r} (types: {types})")
                hits = [t] if n in have.get(t, set()) else []
            else:
                n = name
                hits = [t for t in types if n in have.get(t, set())]
            if not hits:
                if field in optional:
                    continue
                stored = sorted(f"{t}/{x}" for t, xs in have.items() for x in xs)
                raise GpfError(f"{ps.path}: batch field {field!r} ({ARGUMENT_OF.get(field, 'masks')}=...): "
                               f"no partition stores the {kind} feature {name!r} (stored {kind} features: "
                               f"{stored or 'none'})")
            for t in hits:
                out.setdefault(t, {}).setdefault(field, []).append(f"{t}/{n}")
    return out


def load_table(ps, kind: str, type_id: int, keys: list[str], transfer: Transfer) -> torch.Tensor:
    """One type's rows of ``keys`` over all partitions, concatenated in per-type ID order.

    Several keys are concatenated along the feature axis, in their promoted dtype.
    The table is written straight into (pinned, when copying to CUDA) host memory.
    """
    idmap = ps.book.nodes if kind == "node" else ps.book.edges
    counts = idmap.ranges[type_id, :, 1] - idmap.ranges[type_id, :, 0]
    total = int(counts.sum())
    columns, dtype = [], None
    for key in keys:
        per_part = []
        for part in ps:
            feats = part.node_feats if kind == "node" else part.edge_feats
            want = int(counts[part.part_id])
            if key not in feats:
                if want == 0:
                    per_part.append(None)
                    continue
                raise GpfError(f"{_file(part, kind)}: partition {part.part_id}: {kind} feature {key!r} is missing "
                               f"(have {sorted(feats)})")
            arr = np.asarray(feats[key])
            if arr.shape[0] != want:
                raise GpfError(f"{_file(part, kind)}: partition {part.part_id}: {kind} feature {key!r} has "
                               f"{arr.shape[0]} rows for {want} owned {kind}s")
            per_part.append(arr)
        shapes = {a.shape[1:] for a in per_part if a is not None}
        dtypes = {a.dtype for a in per_part if a is not None}
        if len(shapes) > 1 or len(dtypes) > 1:
            raise GpfError(f"{ps.path}: {kind} feature {key!r} differs between partitions "
                           f"(shapes {sorted(map(str, shapes))}, dtypes {sorted(map(str, dtypes))})")
        if dtypes:  # several features in one field: promoted as torch.cat would (float16 + float32 -> float32)
            dtype = next(iter(dtypes)) if dtype is None else np.result_type(dtype, *dtypes)
        columns.append((per_part, next(iter(shapes)) if shapes else ()))
    if dtype is None:  # a type with no rows anywhere
        dtype = np.dtype(np.float32)
    if dtype == np.bool_:
        dtype = np.dtype(np.uint8)
    if len(columns) == 1:
        shape = (total, *columns[0][1])
    else:
        shape = (total, sum(int(np.prod(s)) for _, s in columns))
    table, view = transfer.host_table(shape, dtype)
    col = 0
    for per_part, trailing in columns:
        width = int(np.prod(trailing))
        row = 0
        for arr, n in zip(per_part, counts.tolist()):
            if arr is not None and n:
                dst = view[row:row + n] if len(columns) == 1 else view[row:row + n, col:col + width]
                np.copyto(dst, arr.reshape(dst.shape), casting="unsafe")
            row += n
        col += width
    return table


def _file(part, kind: str) -> str:
    try:
        return str(part.files().get("node_feats" if kind == "node" else "edge_feats", part.set.path))
    except Exception:  # a backend without named files
        return str(part.set.path)
