"""DGL ``save_tensors`` / ``load_tensors`` files (``node_feat.dgl``, ``edge_feat.dgl``...).

Layout (DGL tensor_serialize.cc)::

    u64 0xDD5A9FBE3FA2443F   u64 n (dict size)   u64 n (vector count)
    n x (string name, NDArray)

DGL's loader ignores the first count; so does :func:`read_tensors`.  An empty
dict is 24 bytes.  Names are kept in file order.  Stricter than DGL (which
ignores them): bytes after the last tensor and duplicate names are errors.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Union

import numpy as np

from gpf.sdk.codecs.buffer import Buffer, BytesLike, open_buffer
from gpf.sdk.codecs.dgl_bytes import (
    MAGIC_TENSORS,
    ByteReader,
    atomic_writer,
    read_named_tensors,
    write_named_tensors,
    write_u64,
)

__all__ = ["read_tensors", "write_tensors", "TensorSource"]

TensorSource = Union[str, "os.PathLike[str]", BytesLike, Buffer]

_WHAT = "a DGL save_tensors file"


def read_tensors(source: TensorSource) -> dict[str, np.ndarray]:
    """Read a DGL ``save_tensors`` file into ``{name: array}``.

    ``source`` is a path, URL, bytes or :class:`Buffer`.  Arrays are read-only
    zero-copy views on the (memory-mapped) file; DGL stores bool as uint8, so
    bool tensors come back as uint8.  Raises :class:`~gpf.errors.FormatError`
    for anything that is not a complete, well-formed tensor file.
    """
    buf = open_buffer(source)
    cur = ByteReader(buf)
    cur.magic(MAGIC_TENSORS, _WHAT)
    cur.u64("dict size")  # not checked by DGL either; the vector count below rules
    tensors = read_named_tensors(cur, "tensor list")
    if cur.remaining:
        raise cur.error(f"{cur.remaining} unexpected bytes after the last tensor")
    return tensors


def write_tensors(path: str | os.PathLike[str], tensors: Mapping[str, np.ndarray]) -> None:
    """Write ``tensors`` as a DGL ``save_tensors`` file, atomically (temp file + rename).

    Arrays are stored C-order little-endian; bool arrays are stored as uint8 (as
    DGL does).  Accepts any array-like with an int/uint/float/bool dtype (or
    :data:`~gpf.sdk.codecs.dgl_bytes.BFLOAT16`).
    """
    arrays = {name: np.asarray(arr) for name, arr in tensors.items()}
    with atomic_writer(path) as fh:
        write_u64(fh, MAGIC_TENSORS)
        write_u64(fh, len(arrays))
        write_named_tensors(fh, arrays)
