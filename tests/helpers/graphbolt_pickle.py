"""torch.save a GraphBolt-shaped state the way DGL's ``FusedCSCSamplingGraph`` pickles, without DGL.

The tests craft hostile and odd ``fused_csc_sampling_graph.pt`` files with it (states that
``write_graphbolt`` would refuse): stand-ins for DGL's class and ``torch.ScriptObject`` make
``torch.save`` emit DGL's globals and layout around an arbitrary state.
"""

from __future__ import annotations

import copyreg
import sys
import threading
import types
from typing import Any

import torch

from gpf.sdk.codecs.graphbolt_graph import GRAPHBOLT_CLASS, GRAPHBOLT_MODULE, SCRIPT_QUALNAME

__all__ = ["save_graphbolt_state"]

_SAVE_LOCK = threading.Lock()


def _make_fake_class() -> type:
    def __reduce_ex__(self: Any, protocol: int) -> tuple:
        return (copyreg.__newobj__, (type(self),), {"_c_csc_graph": self._c_csc_graph})

    cls = type(GRAPHBOLT_CLASS, (), {"__reduce_ex__": __reduce_ex__, "__module__": GRAPHBOLT_MODULE})
    cls.__qualname__ = GRAPHBOLT_CLASS
    return cls


_FakeGraph = _make_fake_class()


class _ScriptObjectWriter:
    """Pickles as DGL's ``torch.ScriptObject`` does: NEWOBJ ScriptObject, BUILD (state, qualname)."""

    def __init__(self, state: dict, script_object: type) -> None:
        self._state = state
        self._so = script_object

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # pickle checks that args[0] of __newobj__ is obj.__class__
        return self._so

    def __reduce_ex__(self, protocol: int) -> tuple:
        return (copyreg.__newobj__, (self._so,), (self._state, SCRIPT_QUALNAME))


class _fake_dgl_modules:
    """Register the stand-in module chain in ``sys.modules`` (caller holds _SAVE_LOCK)."""

    def __enter__(self) -> None:
        parts = GRAPHBOLT_MODULE.split(".")
        names = [".".join(parts[: i + 1]) for i in range(len(parts))]
        self._saved = {n: sys.modules.get(n) for n in names}
        leaf = types.ModuleType(GRAPHBOLT_MODULE)
        setattr(leaf, GRAPHBOLT_CLASS, _FakeGraph)
        for n in names[:-1]:
            if n not in sys.modules:
                sys.modules[n] = types.ModuleType(n)
        sys.modules[GRAPHBOLT_MODULE] = leaf

    def __exit__(self, *exc: Any) -> None:
        for n, mod in self._saved.items():
            if mod is None:
                sys.modules.pop(n, None)
            else:
                sys.modules[n] = mod


def save_graphbolt_state(path: Any, state: dict, qualname: str = SCRIPT_QUALNAME) -> None:
    """torch.save ``state`` as DGL's graph object would be (``qualname``: the ScriptObject's class name)."""
    obj = _FakeGraph.__new__(_FakeGraph)
    writer = _ScriptObjectWriter(state, torch.ScriptObject)
    if qualname != SCRIPT_QUALNAME:
        writer.__reduce_ex__ = lambda proto: (copyreg.__newobj__, (torch.ScriptObject,), (state, qualname))
    obj._c_csc_graph = writer
    with _SAVE_LOCK, _fake_dgl_modules():
        torch.save(obj, path)
