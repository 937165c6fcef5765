"""Read GraphBolt ``fused_csc_sampling_graph.pt`` files without DGL (and without torch).

DGL 2.x (``dgl_partition_to_graphbolt``) stores each partition as a ``torch.save``
zip whose pickle is a ``dgl.graphbolt.impl.fused_csc_sampling_graph.FusedCSCSamplingGraph``
holding ``{'_c_csc_graph': torch.ScriptObject}``; the ScriptObject's state is
``(state, '__torch__.torch.classes.graphbolt.FusedCSCSamplingGraph')`` with ``state`` a
``Dict[str, Dict[str, Tensor]]`` (reference: dgl-partition-format.md section 4).

:func:`read_graphbolt` reads the archive with gpf's own torch-free reader
(:mod:`gpf.sdk.codecs.torch_archive`: bounded pickle, restricted unpickler, zero-copy storages),
allowing only the two globals above besides tensors (both mapped to inert stubs that just capture
their state), then checks the state's shape and the graph's rules
(:func:`~gpf.sdk.codecs.graphbolt_graph.validate_graphbolt`).  Every failure is one
:class:`~gpf.errors.FormatError`.  :func:`gpf.sdk.codecs.graphbolt_writer.write_graphbolt` writes
these files.
"""

from __future__ import annotations

import functools
import os
from typing import Any

import numpy as np

from gpf.errors import FormatError
from gpf.sdk.codecs.buffer import Buffer, BytesLike, open_buffer
from gpf.sdk.codecs.graphbolt_graph import (
    GRAPHBOLT_CLASS,
    GRAPHBOLT_MODULE,
    PICKLE_VERSION,
    SCRIPT_QUALNAME,
    GraphBoltGraph,
    graphbolt_to_coo,
    validate_graphbolt,
)
from gpf.sdk.codecs.pickle_scan import short_repr
from gpf.sdk.codecs.torch_archive import read_torch_archive
from gpf.sdk.codecs.torch_unpickler import PickleStub

__all__ = [
    "GraphBoltGraph",
    "read_graphbolt",
    "graphbolt_to_coo",
    "PICKLE_VERSION",
    "GRAPHBOLT_MODULE",
    "GRAPHBOLT_CLASS",
    "SCRIPT_QUALNAME",
]

_STATE_KEYS = ("independent_tensors", "node_type_to_id", "edge_type_to_id", "node_attributes", "edge_attributes")
_INDEPENDENT_KEYS = ("version_number", "indptr", "indices", "node_type_offset", "type_per_edge")


class _GraphStub(PickleStub):
    """Stand-in for ``FusedCSCSamplingGraph`` while reading: only captures the state."""


class _ScriptObjectStub(PickleStub):
    """Stand-in for ``torch.ScriptObject`` while reading: only captures the state."""


#: The globals a GraphBolt pickle may name besides tensors, and the stubs they become.
ALLOWED_CLASSES: dict[tuple[str, str], type] = {
    (GRAPHBOLT_MODULE, GRAPHBOLT_CLASS): _GraphStub,
    ("torch", "ScriptObject"): _ScriptObjectStub,
}


def read_graphbolt(source: str | os.PathLike[str] | BytesLike | Buffer, name: str | None = None) -> GraphBoltGraph:
    """Read a GraphBolt ``fused_csc_sampling_graph.pt`` without DGL (and without torch).

    ``source`` is a path, fsspec URL, bytes or :class:`Buffer`.  Any problem (not a
    zip, truncated, no ``data.pkl``, a pickle referring to anything but the GraphBolt
    and tensor globals, a state that is not a valid graph) raises
    :class:`~gpf.errors.FormatError`.
    """
    buf = open_buffer(source, name)
    return read_torch_archive(buf, ALLOWED_CLASSES, functools.partial(_to_graph, buf.name))


def _to_graph(label: str, obj: Any) -> GraphBoltGraph:
    g = _state_to_graph(label, _extract_state(label, obj))
    validate_graphbolt(g, lambda msg: FormatError(label, None, msg))
    return g


def _describe(obj: Any) -> str:
    if isinstance(obj, dict):
        keys = ", ".join(repr(k) for k in list(obj)[:6])
        return f"a dict with keys [{keys}{', ...' if len(obj) > 6 else ''}]"
    if isinstance(obj, np.ndarray):
        return f"a tensor of shape {obj.shape}"
    return f"a {type(obj).__name__}"


def _extract_state(label: str, obj: Any) -> dict[str, dict[str, np.ndarray]]:
    if not isinstance(obj, _GraphStub):
        raise FormatError(label, None, f"not a GraphBolt FusedCSCSamplingGraph: the file holds {_describe(obj)}")
    outer = getattr(obj, "state", None)
    if not isinstance(outer, dict) or "_c_csc_graph" not in outer:
        raise FormatError(label, None, f"FusedCSCSamplingGraph state is {_describe(outer)}, expected '_c_csc_graph'")
    so = outer["_c_csc_graph"]
    if not isinstance(so, _ScriptObjectStub):
        raise FormatError(label, None, f"'_c_csc_graph' is {_describe(so)}, expected a torch.ScriptObject")
    st = getattr(so, "state", None)
    if not (isinstance(st, tuple) and len(st) == 2):
        raise FormatError(label, None, "ScriptObject state is not a (state, qualified name) pair")
    state, qual = st
    if qual != SCRIPT_QUALNAME:
        raise FormatError(label, None, f"ScriptObject class is {short_repr(qual)}, expected {SCRIPT_QUALNAME!r}")
    if not isinstance(state, dict):
        raise FormatError(label, None, f"graph state is {_describe(state)}, expected a dict")
    for k in state:
        if k not in _STATE_KEYS:
            raise FormatError(label, None, f"graph state has unknown key {short_repr(k)}")
    for k, v in state.items():
        if not isinstance(v, dict):
            raise FormatError(label, None, f"graph state[{k!r}] is {_describe(v)}, expected a dict")
        for kk, vv in v.items():
            if not isinstance(kk, str):
                raise FormatError(label, None, f"graph state[{k!r}] has a non-string key {short_repr(kk)}")
            if not isinstance(vv, np.ndarray):
                raise FormatError(label, None, f"graph state[{k!r}][{kk!r}] is {_describe(vv)}, expected a tensor")
    return state


def _state_to_graph(label: str, state: dict[str, dict[str, np.ndarray]]) -> GraphBoltGraph:
    if "independent_tensors" not in state:
        raise FormatError(label, None, "graph state has no 'independent_tensors'")
    ind = state["independent_tensors"]
    for k in ind:
        if k not in _INDEPENDENT_KEYS:
            raise FormatError(label, None, f"independent_tensors has unknown key {k!r}")
    for k in ("version_number", "indptr", "indices"):
        if k not in ind:
            raise FormatError(label, None, f"independent_tensors has no {k!r}")
    ver = ind["version_number"]
    if ver.size != 1 or ver.dtype.kind not in "iu":
        raise FormatError(label, None, f"version_number is not one integer (shape {ver.shape}, {ver.dtype})")
    version = int(ver.reshape(-1)[0])
    if version != PICKLE_VERSION:
        raise FormatError(label, None, f"unsupported GraphBolt pickle version_number {version} (expected {PICKLE_VERSION})")

    def id_map(key: str) -> dict[str, int] | None:
        if key not in state:
            return None
        out: dict[str, int] = {}
        for n, t in state[key].items():
            if t.size != 1 or t.dtype.kind not in "iu":
                raise FormatError(label, None, f"{key}[{n!r}] is not one integer (shape {t.shape}, {t.dtype})")
            out[n] = int(t.reshape(-1)[0])
        return out

    return GraphBoltGraph(
        indptr=ind["indptr"],
        indices=ind["indices"],
        node_type_offset=ind.get("node_type_offset"),
        type_per_edge=ind.get("type_per_edge"),
        node_type_to_id=id_map("node_type_to_id"),
        edge_type_to_id=id_map("edge_type_to_id"),
        node_attributes=dict(state.get("node_attributes", {})),
        edge_attributes=dict(state.get("edge_attributes", {})),
        version_number=version,
    )
