"""PyG's loaders drop their sampler options when given a sampler; gpf's sampler gets them anyway.

``NeighborLoader(data, ..., disjoint=True, neighbor_sampler=s)`` (and ``LinkNeighborLoader``)
pass ``disjoint``, ``replace``, ``time_attr``... only to a sampler they build themselves; a
given one never sees them, so PyG silently samples non-disjoint trees.  :func:`install`
wraps both loaders' ``__init__`` once (importing :mod:`gpf.converters.pyg_sampler` does it):
when the given sampler is a :class:`GpfNeighborSampler`,

* ``disjoint=True`` and ``replace=True`` are set on it (flags read at sampling time);
* ``time_attr``, ``weight_attr``, ``temporal_strategy`` or ``subgraph_type`` given with a value
  the sampler was not built with raise ``ValueError`` naming the option (they shape what the
  sampler reads when it is built: build it with them).

Other samplers and loaders built without ``neighbor_sampler=`` are untouched.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

__all__ = ["install"]

_FLAGS = ("disjoint", "replace")
_BUILT_WITH = ("time_attr", "weight_attr", "temporal_strategy", "subgraph_type")


def install(sampler_cls: type) -> None:
    from torch_geometric.loader import LinkNeighborLoader, NeighborLoader

    for loader in (NeighborLoader, LinkNeighborLoader):
        if "_gpf_options" not in loader.__init__.__dict__:
            loader.__init__ = _wrap(loader.__init__, sampler_cls)  # type: ignore[method-assign]


def _wrap(init: Any, sampler_cls: type) -> Any:
    signature = inspect.signature(init)

    @functools.wraps(init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        try:
            bound = signature.bind(self, *args, **kwargs)
        except TypeError:                    # PyG reports wrong arguments in its own words
            bound = None
        sampler = bound.arguments.get("neighbor_sampler") if bound is not None else None
        if isinstance(sampler, sampler_cls):
            apply_loader_options(sampler, bound.arguments)   # type: ignore[union-attr]
        init(self, *args, **kwargs)

    __init__._gpf_options = True  # type: ignore[attr-defined]
    return __init__


def apply_loader_options(sampler: Any, options: dict) -> None:
    """Give ``sampler`` the loader's ``disjoint``/``replace``; refuse options it was built without."""
    for name in _FLAGS:
        if options.get(name):
            setattr(sampler, name, True)
    for name in _BUILT_WITH:
        if name not in options:
            continue
        want, have = options[name], sampler.built_with.get(name)
        if str(getattr(want, "value", want)) != str(getattr(have, "value", have)):
            raise ValueError(f"{type(sampler).__name__} was built with {name}={have!r}, but the loader was given "
                             f"{name}={want!r}; build the sampler with {name}={want!r}")
