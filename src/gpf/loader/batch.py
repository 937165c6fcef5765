"""``Batch``: one mini-batch, as per-type tensors, with PyG-style attribute access.

``batch.nodes[ntype]`` and ``batch.edges[(src, rel, dst)]`` are dicts of tensors:

* nodes: ``n_id`` (per-type node IDs of the set: hids for a homogeneous set), ``x``,
  ``y``, masks (``train_mask``, ..., bool), ``inner_mask`` (PartitionLoader: False on
  HALO nodes);
* edges: ``edge_index`` (``[2, E]`` int64, batch-local per-type node IDs, row 0 =
  source), ``e_id`` (per-type edge IDs, when asked for), ``edge_attr``.

For a set with one node type and one edge type, ``batch.x``, ``batch.edge_index``, ...
are the tensors themselves; otherwise they are dicts keyed by type (like
``HeteroData.x_dict``).  :meth:`Batch.to_pyg` builds a ``Data`` / ``HeteroData``.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch

__all__ = ["Batch"]

Etype = tuple[str, str, str]


class Batch:
    def __init__(self, nodes: dict[str, dict[str, torch.Tensor]], edges: dict[Etype, dict[str, torch.Tensor]],
                 num_nodes: dict[str, int], parts: torch.Tensor, homogeneous: bool) -> None:
        self.nodes = nodes
        self.edges = edges
        self.num_nodes_dict = num_nodes
        self.parts = parts
        self.is_homogeneous = homogeneous

    # -- attribute access ---------------------------------------------------------------------
    def node_field(self, name: str):
        """The node field ``name``: a tensor (homogeneous) or ``{ntype: tensor}`` for the types having it.

        A field the loader did not fill (a mask the set does not store, ``y`` without a label...)
        is absent: ``AttributeError`` listing the fields this batch has."""
        return self._field(self.nodes, name, "node")

    def edge_field(self, name: str):
        return self._field(self.edges, name, "edge")

    def _field(self, per_type: dict, name: str, kind: str):
        if self.is_homogeneous:
            fields = next(iter(per_type.values()))
            if name in fields:
                return fields[name]
        else:
            hit = {t: f[name] for t, f in per_type.items() if name in f}
            if hit:
                return hit
        have = sorted({k for f in per_type.values() for k in f})
        raise AttributeError(f"this batch has no {kind} field {name!r} (its {kind} fields: {', '.join(have) or 'none'}; "
                             "ask the loader for it: node_feats=, label=, masks=, edge_feats=, with_edge_ids=)")

    def __contains__(self, name: str) -> bool:
        """``"y" in batch``: whether the batch has that node or edge field."""
        return any(name in f for f in (*self.nodes.values(), *self.edges.values()))

    x = property(lambda self: self.node_field("x"))
    y = property(lambda self: self.node_field("y"))
    n_id = property(lambda self: self.node_field("n_id"))
    train_mask = property(lambda self: self.node_field("train_mask"))
    val_mask = property(lambda self: self.node_field("val_mask"))
    test_mask = property(lambda self: self.node_field("test_mask"))
    inner_mask = property(lambda self: self.node_field("inner_mask"))
    edge_index = property(lambda self: self.edge_field("edge_index"))
    e_id = property(lambda self: self.edge_field("e_id"))
    edge_attr = property(lambda self: self.edge_field("edge_attr"))

    @property
    def num_nodes(self):
        if self.is_homogeneous:
            return next(iter(self.num_nodes_dict.values()))
        return dict(self.num_nodes_dict)

    @property
    def num_edges(self):
        counts = {t: int(f["edge_index"].shape[1]) for t, f in self.edges.items()}
        return next(iter(counts.values())) if self.is_homogeneous else counts

    def tensors(self) -> Iterator[torch.Tensor]:
        for fields in (*self.nodes.values(), *self.edges.values()):
            yield from fields.values()

    # -- conversions --------------------------------------------------------------------------
    def to_pyg(self):
        """``torch_geometric.data.Data`` (one node and edge type) or ``HeteroData``; tensors are shared."""
        if self.is_homogeneous:
            from torch_geometric.data import Data

            fields = {**next(iter(self.nodes.values())), **next(iter(self.edges.values()))}
            return Data(num_nodes=self.num_nodes, **fields)
        from torch_geometric.data import HeteroData

        data = HeteroData()
        for t, fields in self.nodes.items():
            data[t].num_nodes = self.num_nodes_dict[t]
            for k, v in fields.items():
                data[t][k] = v
        for et, fields in self.edges.items():
            for k, v in fields.items():
                data[et][k] = v
        return data

    def __repr__(self) -> str:
        def desc(fields):
            return ", ".join(f"{k}={list(v.shape)}" for k, v in fields.items())
        if self.is_homogeneous:
            return (f"Batch(parts={self.parts.tolist()}, num_nodes={self.num_nodes}, "
                    f"{desc({**next(iter(self.nodes.values())), **next(iter(self.edges.values()))})})")
        n = "; ".join(f"{t}: {desc(f)}" for t, f in self.nodes.items())
        e = "; ".join(f"{':'.join(t)}: {desc(f)}" for t, f in self.edges.items())
        return f"Batch(parts={self.parts.tolist()}, nodes[{n}], edges[{e}])"
