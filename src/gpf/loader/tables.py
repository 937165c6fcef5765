"""Feature tables: which stored features a loader needs, and loading them once.

A loader asks for batch fields by feature name: ``x`` from ``node_feats`` (several names
are concatenated along the feature axis), ``y`` from ``label``, one field per mask name,
``edge_attr`` from ``edge_feats``.  A bare name (``"feat"``) means that feature on every
type that has it; ``"paper/feat"`` (``"src:rel:dst/w"`` for edges) names one type.

A table holds one type's rows of all partitions, in per-type ID order (partition 0's
rows, then partition 1's, ...: spec section 6), gathered by the set-level feature gather
(:mod:`gpf.sdk.read.features`) that the converters use too, straight into the host table.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from gpf.errors import GpfError
from gpf.loader.transfer import Transfer
from gpf.sdk.read.features import feature_columns, gather_features

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


def resolve_fields(ps, kind: str, wanted: dict[str, Sequence[str] | None], optional: Sequence[str] = ()) -> FieldRequest:
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
    """One type's rows of ``keys`` (``"type/name"``) over all partitions, in per-type ID order.

    Several keys are concatenated along the feature axis, in their promoted dtype (bool is kept
    as uint8).  The set-level gather (:func:`gpf.sdk.read.features.gather_features`) writes the
    rows straight into the (pinned, when copying to CUDA) host table.
    """
    tname = ps.ntypes[type_id] if kind == "node" else ":".join(ps.etypes[type_id])
    names = [k.split("/", 1)[1] for k in keys]
    cols = feature_columns(ps, kind, tname, names)
    dtype = np.dtype(np.uint8) if cols.dtype == np.bool_ else cols.dtype
    table, view = transfer.host_table(cols.shape(cols.total), dtype)
    gather_features(ps, kind, tname, names, out=view, columns=cols)
    return table
