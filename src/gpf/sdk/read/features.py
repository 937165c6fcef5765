"""The set-level feature gather: one type's stored features, read from every partition that owns
the rows, in gpf per-type ID order.  Used by the converters (``to_pyg``, ``to_dgl``, the PyG
stores) and the loaders (their host feature tables), so both read and check the rows the same way.

A type's rows of one feature, concatenated over partitions (partition 0's rows, then partition 1's,
...: spec section 6), are indexed by gpf per-type ID; partition ``p`` owns the contiguous slice
``[off[p], off[p+1])``.  :func:`gather_features` returns all of them or the rows of given IDs, of
one feature or of several concatenated along the feature axis (in their promoted dtype, as
``torch.cat`` would), into a new array or into a caller's buffer (``out=``: e.g. a pinned host
table, so the rows are written once, straight where a CUDA copy reads them).

Checks, each a :class:`~gpf.errors.GpfError` naming the file, partition and feature: a feature
missing from a partition that owns rows of its type, a row count other than the owned count, a
shape or dtype that differs between partitions, an ID out of range (IndexError).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from gpf.errors import GpfError
from gpf.sdk.codecs.mapped import release

__all__ = ["FeatureColumns", "feature_columns", "gather_features", "type_offsets"]

#: Opens partition ``p`` of the set (a converter passes its cache of open partitions).
PartOpener = Callable[[int], object]


def type_offsets(ps: object, kind: str, tname: str) -> np.ndarray:
    """``P+1`` offsets: partition p owns per-type IDs ``[off[p], off[p+1])`` of ``tname``."""
    idmap = ps.book.nodes if kind == "node" else ps.book.edges  # type: ignore[attr-defined]
    ranges = idmap.ranges[idmap.type_id(tname)]
    off = np.zeros(ranges.shape[0] + 1, dtype=np.int64)
    np.cumsum(ranges[:, 1] - ranges[:, 0], out=off[1:])
    return off


class FeatureColumns:
    """Where one type's features lie: per feature, one stored array per partition (``None`` where
    the partition owns no rows and stores nothing), the output shape and the promoted dtype."""

    def __init__(self, kind: str, tname: str, keys: list[str], blocks: list[list[object | None]],
                 trailing: list[tuple[int, ...]], dtype: np.dtype, offsets: np.ndarray) -> None:
        self.kind, self.tname, self.keys = kind, tname, keys
        self.blocks, self.trailing, self.dtype, self.offsets = blocks, trailing, dtype, offsets

    @property
    def total(self) -> int:
        return int(self.offsets[-1])

    def shape(self, rows: int) -> tuple[int, ...]:
        """Output shape for ``rows`` rows: the feature's own shape for one feature, else 2-D."""
        if len(self.keys) == 1:
            return (rows, *self.trailing[0])
        return (rows, sum(int(np.prod(t)) for t in self.trailing))


def feature_columns(ps: object, kind: str, tname: str, names: Sequence[str],
                    part: PartOpener | None = None, parts: Sequence[int] | None = None) -> FeatureColumns:
    """Locate and check features ``names`` (bare names) of type ``tname`` in every partition, or only in
    ``parts`` (the others are not opened: a rank that holds only its own partitions reads those)."""
    if kind not in ("node", "edge"):
        raise ValueError(f"kind must be 'node' or 'edge', got {kind!r}")
    opener: PartOpener = part or ps.partition  # type: ignore[attr-defined]
    off = type_offsets(ps, kind, tname)
    counts = np.diff(off)
    path = ps.path  # type: ignore[attr-defined]
    keys = [f"{tname}/{n}" for n in names]
    wanted = set() if parts is None else {int(p) for p in parts}
    blocks: list[list[object | None]] = []
    trailing: list[tuple[int, ...]] = []
    dtype: np.dtype | None = None
    for key in keys:
        per_part: list[object | None] = []
        for p in range(counts.shape[0]):
            if parts is not None and p not in wanted:
                per_part.append(None)
                continue
            prt = opener(p)
            feats = prt.node_feats if kind == "node" else prt.edge_feats  # type: ignore[attr-defined]
            want = int(counts[p])
            if key not in feats:
                if want == 0:
                    per_part.append(None)
                    continue
                raise GpfError(f"{_file(prt, kind, path)}: partition {p}: {kind} feature {key!r} is missing "
                               f"(have {sorted(feats)})")
            arr = feats[key]
            if int(arr.shape[0]) != want:
                raise GpfError(f"{_file(prt, kind, path)}: partition {p}: {kind} feature {key!r} has "
                               f"{arr.shape[0]} rows for {want} owned {kind}s")
            per_part.append(arr)
        stored = [a for a in per_part if a is not None]
        shapes = {tuple(a.shape[1:]) for a in stored}  # type: ignore[attr-defined]
        dtypes = {np.dtype(a.dtype) for a in stored}  # type: ignore[attr-defined]
        if len(shapes) > 1 or len(dtypes) > 1:
            raise GpfError(f"{path}: {kind} feature {key!r} differs between partitions "
                           f"(shapes {sorted(map(str, shapes))}, dtypes {sorted(map(str, dtypes))})")
        if dtypes:
            dtype = next(iter(dtypes)) if dtype is None else np.result_type(dtype, *dtypes)
        blocks.append(per_part)
        trailing.append(next(iter(shapes)) if shapes else ())
    return FeatureColumns(kind, tname, keys, blocks, trailing,
                          np.dtype(np.float32) if dtype is None else np.dtype(dtype), off)


def gather_features(ps: object, kind: str, tname: str, names: str | Sequence[str],
                    ids: np.ndarray | slice | None = None, *, out: np.ndarray | None = None,
                    part: PartOpener | None = None, columns: FeatureColumns | None = None) -> np.ndarray:
    """Rows of features ``names`` of ``kind`` type ``tname``, by gpf per-type ID.

    ``ids=None`` gives every row, in per-type ID order; a ``slice`` (step 1) the rows of that ID range,
    copied block by block from the partitions that own them (no index arrays); otherwise the rows of
    ``ids``, each read from its owner partition.  Pages of memory-mapped files are let go once
    copied.  Several names are concatenated along the feature axis.  ``out``
    (e.g. a pinned host buffer) receives the rows (values cast as ``np.copyto(casting="unsafe")``)
    and is returned; its shape must be the result's.  ``part`` opens partition p (default
    ``ps.partition``); ``columns`` reuses a :func:`feature_columns` already computed.
    """
    names = [names] if isinstance(names, str) else list(names)
    cols = columns or feature_columns(ps, kind, tname, names, part)
    off = cols.offsets
    span: tuple[int, int] | None = None
    if isinstance(ids, slice):
        lo, hi, step = ids.indices(cols.total)
        if step != 1:
            raise ValueError(f"gather_features: a slice of IDs must have step 1, got {ids}")
        span, ids = (lo, max(lo, hi)), None
    if span is not None:
        rows = span[1] - span[0]
    elif ids is None:
        rows = cols.total
    else:
        ids = np.asarray(ids, dtype=np.int64)
        rows = int(ids.shape[0])
        if ids.size and (int(ids.min()) < 0 or int(ids.max()) >= cols.total):
            bad = int(ids.min()) if int(ids.min()) < 0 else int(ids.max())
            raise IndexError(f"{ps.path}: {kind} type {tname!r}: ID {bad} is out of range "  # type: ignore[attr-defined]
                             f"[0, {cols.total})")
    shape = cols.shape(rows)
    if out is None:
        out = np.empty(shape, dtype=cols.dtype)
    elif tuple(out.shape) != shape:
        raise ValueError(f"gather_features: out has shape {tuple(out.shape)}, the rows need {shape}")
    if ids is not None:
        owner = np.searchsorted(off[1:], ids, side="right")
        present = np.unique(owner)
    col = 0
    for per_part, trailing in zip(cols.blocks, cols.trailing):
        width = int(np.prod(trailing))
        dst = out if len(cols.blocks) == 1 else out[:, col:col + width]
        if ids is None:
            first, last = span if span is not None else (0, cols.total)
            for p, arr in enumerate(per_part):
                lo, hi = max(int(off[p]), first), min(int(off[p + 1]), last)
                if hi <= lo:
                    continue
                if arr is None:
                    raise GpfError(f"{ps.path}: partition {p}: {kind} type {tname!r}: rows [{lo}, {hi}) "  # type: ignore[attr-defined]
                                   "asked for, but the partition was not opened")
                block = np.asarray(arr[lo - int(off[p]):hi - int(off[p])])  # type: ignore[index]  # Zarr: those chunks
                np.copyto(dst[lo - first:hi - first], block.reshape(dst[lo - first:hi - first].shape),
                          casting="unsafe")
                release(block)
        else:
            for p in present.tolist():
                sel = np.flatnonzero(owner == p)
                block = np.asarray(per_part[p])
                rows_p = block[ids[sel] - off[p]]
                dst[sel] = rows_p.reshape((sel.shape[0], *dst.shape[1:]))
        col += width
    return out


def _file(part: object, kind: str, path: str) -> str:
    try:
        return str(part.files().get("node_feats" if kind == "node" else "edge_feats", path))  # type: ignore[attr-defined]
    except Exception:  # a backend without named files
        return str(path)
