"""PyG's ``NeighborLoader`` / ``LinkNeighborLoader`` with gpf's sampler and edge features.

:class:`GpfNeighborLoader` and :class:`GpfLinkNeighborLoader` are PyG's loaders
(subclasses, same arguments) that

* sample with :class:`~gpf.converters.pyg_sampler.GpfNeighborSampler` (no pyg-lib
  needed), built from every loader option: ``replace``, ``subgraph_type``,
  ``disjoint``, ``temporal_strategy``, ``time_attr``, ``weight_attr``, ``is_sorted``.
  A given sampler gets ``disjoint``/``replace`` from the loader (as with PyG's own loaders
  once :mod:`gpf.converters.pyg_sampler` is imported);
* put edge features into store-backed batches.  PyG builds batches from a
  ``(FeatureStore, GraphStore)`` pair with node features only; with a
  :class:`~gpf.converters.pyg_stores.GpfFeatureStore` (or any feature store with an
  ``edge_tensor_attrs()`` method) every edge feature is read for the sampled edges
  (``batch.e_id`` / ``batch[et].e_id``) and set by name (``edge_<name>`` in a ``Data``
  where a node attribute has that name).  ``edge_features=False`` leaves them out.

For in-memory ``Data``/``HeteroData`` PyG already slices edge attributes; nothing is added.
"""

from __future__ import annotations

from typing import Any

from torch_geometric.data import Data, HeteroData, TensorAttr
from torch_geometric.loader import LinkNeighborLoader, NeighborLoader

from gpf.converters.pyg_loader_options import apply_loader_options
from gpf.converters.pyg_sampler import GpfNeighborSampler

__all__ = ["GpfNeighborLoader", "GpfLinkNeighborLoader"]

_SAMPLER_OPTIONS = ("replace", "subgraph_type", "disjoint", "temporal_strategy", "time_attr", "weight_attr",
                    "is_sorted", "directed")


def _sampler(data: Any, num_neighbors: Any, given: GpfNeighborSampler | None, options: dict,
             seed: int | None) -> GpfNeighborSampler:
    if given is not None:
        apply_loader_options(given, options)
        return given
    return GpfNeighborSampler(data, num_neighbors, seed=seed, warn_edge_features=False,
                              **{k: v for k, v in options.items() if k in _SAMPLER_OPTIONS})


def _edge_attrs(data: Any) -> list:
    if isinstance(data, (tuple, list)) and len(data) == 2:
        listing = getattr(data[0], "edge_tensor_attrs", None)
        if listing is not None:
            return list(listing())
    return []


def _add_edge_features(batch: Any, fs: Any, attrs: list) -> Any:
    if isinstance(batch, HeteroData):
        for attr in attrs:
            et = attr.group_name
            if et in batch.edge_types and "e_id" in batch[et]:
                batch[et][attr.attr_name] = fs.get_tensor(TensorAttr(et, attr.attr_name, batch[et].e_id))
        return batch
    if isinstance(batch, Data) and "e_id" in batch:
        for attr in attrs:
            name = attr.attr_name
            if name in batch and name != "edge_attr":
                name = f"edge_{name}"
            batch[name] = fs.get_tensor(TensorAttr(attr.group_name, attr.attr_name, batch.e_id))
    return batch


class _GpfLoader:
    """What both loaders add to PyG's (listed first among their bases): the gpf sampler built from the
    loader's options, and edge features in store-backed batches (module docstring)."""

    data: Any

    def __init__(self, data: Any, num_neighbors: Any, *, neighbor_sampler: GpfNeighborSampler | None = None,
                 seed: int | None = None, edge_features: bool = True, **kwargs: Any) -> None:
        sampler = _sampler(data, num_neighbors, neighbor_sampler, kwargs, seed)
        self._gpf_edge_attrs = _edge_attrs(data) if edge_features else []
        loader: Any = super()  # PyG's loader, next in the subclass's MRO
        loader.__init__(data, num_neighbors, neighbor_sampler=sampler, **kwargs)

    def filter_fn(self, out: Any) -> Any:
        loader: Any = super()
        batch = loader.filter_fn(out)
        if self._gpf_edge_attrs:
            batch = _add_edge_features(batch, self.data[0], self._gpf_edge_attrs)
        return batch


class GpfNeighborLoader(_GpfLoader, NeighborLoader):
    """PyG's ``NeighborLoader`` over :class:`GpfNeighborSampler`, with edge features (module docstring).

    Extra arguments: ``seed`` (the sampler's private generator), ``edge_features``.
    """


class GpfLinkNeighborLoader(_GpfLoader, LinkNeighborLoader):
    """PyG's ``LinkNeighborLoader`` over :class:`GpfNeighborSampler`, with edge features (module docstring).

    Extra arguments: ``seed`` (the sampler's private generator), ``edge_features``.
    """
