"""``from_pyg``: a PyG ``Data`` / ``HeteroData`` -> :class:`gpf.Graph` (see :mod:`gpf.converters.pyg`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import torch
from torch_geometric.data import Data, HeteroData

from gpf.converters.pyg_common import HOMO_ETYPE, HOMO_NTYPE, STRUCTURE_KEYS
from gpf.sdk.write.graph import Graph, GraphError

__all__ = ["from_pyg"]


def from_pyg(data: Data | HeteroData, *, exclude: Iterable[str] = ()) -> Graph:
    """A :class:`gpf.Graph` holding ``data``'s structure and every node/edge tensor.

    ``exclude``: attribute names to leave out.  Graph-level attributes (anything that is
    neither node- nor edge-level) are refused with an error naming them, unless excluded.
    """
    skip = set(exclude)
    if isinstance(data, HeteroData):
        return _from_hetero(data, skip)
    if isinstance(data, Data):
        return _from_homo(data, skip)
    raise GraphError(f"from_pyg: expected a torch_geometric Data or HeteroData, got {type(data).__name__}")


def _from_homo(data: Data, skip: set[str]) -> Graph:
    src, dst = _edge_index(data, "data")
    n = data.num_nodes
    if n is None:
        raise GraphError("from_pyg: data has no num_nodes and no node attribute to infer it from")
    ndata: dict[str, np.ndarray] = {}
    edata: dict[str, np.ndarray] = {}
    for key in data.keys():
        if key in STRUCTURE_KEYS or key in skip:
            continue
        kind = _attr_kind(data, key, "data")
        (ndata if kind == "node" else edata)[key] = _numpy(data[key], f"data.{key}")
    return Graph({HOMO_NTYPE: int(n)}, {HOMO_ETYPE: (src, dst)}, {HOMO_NTYPE: ndata}, {HOMO_ETYPE: edata})


def _from_hetero(data: HeteroData, skip: set[str]) -> Graph:
    if not data.edge_types:
        raise GraphError("from_pyg: HeteroData has no edge types (gpf needs at least one)")
    num_nodes, ndata = {}, {}
    for nt in data.node_types:
        store = data[nt]
        n = store.num_nodes
        if n is None:
            raise GraphError(f"from_pyg: node type {nt!r} has no num_nodes and no node attribute to infer it from")
        num_nodes[nt] = int(n)
        ndata[nt] = {k: _numpy(store[k], f"data[{nt!r}].{k}") for k in store.keys()
                     if k not in STRUCTURE_KEYS and k not in skip and _attr_kind(store, k, f"data[{nt!r}]") == "node"}
    edges, edata = {}, {}
    for et in data.edge_types:
        store = data[et]
        where = f"data[{et!r}]"
        edges[et] = _edge_index(store, where)
        edata[et] = {k: _numpy(store[k], f"{where}.{k}") for k in store.keys()
                     if k not in STRUCTURE_KEYS and k not in skip and _attr_kind(store, k, where) == "edge"}
    graph_keys = [k for k in data._global_store.keys() if k not in skip]
    if graph_keys:
        raise GraphError(f"from_pyg: graph-level attributes {graph_keys} cannot be stored in a partition set "
                         "(pass exclude=[...] to leave them out)")
    return Graph(num_nodes, edges, ndata, edata)


def _edge_index(store, where: str) -> tuple[np.ndarray, np.ndarray]:
    if "edge_index" not in store:
        other = [k for k in ("adj", "adj_t") if k in store]
        hint = f" (it has {other[0]!r}: convert it to edge_index first)" if other else ""
        raise GraphError(f"from_pyg: {where} has no edge_index{hint}")
    ei = store["edge_index"]
    if not isinstance(ei, (torch.Tensor, np.ndarray)) or ei.ndim != 2 or ei.shape[0] != 2:
        raise GraphError(f"from_pyg: {where}.edge_index must be a [2, num_edges] tensor, got "
                         f"{getattr(ei, 'shape', type(ei).__name__)}")
    ei = _numpy(ei, f"{where}.edge_index")
    return ei[0], ei[1]


def _attr_kind(store, key: str, where: str) -> str:
    value = store[key]
    if isinstance(value, (torch.Tensor, np.ndarray)) and value.ndim > 0:
        edge_first = "edge" in key
        checks = (("edge", store.is_edge_attr), ("node", store.is_node_attr))
        for kind, test in (checks if edge_first else checks[::-1]):
            if test(key):
                return kind
    raise GraphError(f"from_pyg: {where}.{key} is neither a node-level nor an edge-level tensor "
                     f"({type(value).__name__} {tuple(getattr(value, 'shape', ()))}); pass exclude=[{key!r}] "
                     "to leave it out")


def _numpy(t: Any, where: str) -> np.ndarray:
    """The array behind a tensor or numpy array; numpy arrays and memmaps are used as they are (no copy)."""
    if isinstance(t, np.ndarray):
        if t.dtype == object:
            raise GraphError(f"from_pyg: {where} is a numpy array of Python objects; only numeric arrays are "
                             "storable")
        return t
    if not isinstance(t, torch.Tensor):
        raise GraphError(f"from_pyg: {where} is a {type(t).__name__}, not a tensor or numpy array")
    if t.layout != torch.strided:
        raise GraphError(f"from_pyg: {where} is a sparse tensor ({t.layout}); only dense tensors are storable")
    try:
        return t.detach().cpu().numpy()
    except TypeError as exc:
        raise GraphError(f"from_pyg: {where} has dtype {t.dtype}, which numpy cannot hold ({exc})") from None
