"""Module paths from before the layout of issue 14, kept as deprecated aliases for one release.

``import gpf.sdk.reader`` (or ``from gpf.sdk.reader import ...``) still works: it warns
(:class:`DeprecationWarning`) and hands back the module at its new home, the same module object,
so attributes, private names and monkeypatching behave as before.  No gpf module uses these
paths (``tests/test_layout.py``).  Removed in the next release.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import warnings
from types import ModuleType

__all__ = ["MOVED", "install"]

#: old module path -> new module path
MOVED: dict[str, str] = {
    "gpf.sdk.storage.dgl_bytes": "gpf.sdk.codecs.dgl_bytes",
    "gpf.sdk.storage.dgl_graph": "gpf.sdk.codecs.dgl_graph",
    "gpf.sdk.storage.dgl_tensors": "gpf.sdk.codecs.dgl_tensors",
    "gpf.sdk.storage.graphbolt": "gpf.sdk.codecs.graphbolt",
    "gpf.sdk.storage.buffer": "gpf.sdk.codecs.buffer",
    "gpf.sdk.reader": "gpf.sdk.read.reader",
    "gpf.sdk.book": "gpf.sdk.read.book",
    "gpf.sdk.graph": "gpf.sdk.write.graph",
    "gpf.sdk.inputs": "gpf.sdk.write.inputs",
    "gpf.sdk.partitioners": "gpf.sdk.write.partitioners",
    "gpf.sdk.reshuffle": "gpf.sdk.write.reshuffle",
    "gpf.sdk.halo": "gpf.sdk.write.halo",
    "gpf.sdk.writer": "gpf.sdk.write.writer",
    "gpf.sdk.streaming": "gpf.sdk.write.streaming",
    "gpf.sdk.convert": "gpf.sdk.ops.convert",
    "gpf.sdk.upgrade": "gpf.sdk.ops.upgrade",
    "gpf.sdk.summary": "gpf.sdk.ops.summary",
    "gpf.sdk.convert_cli": "gpf.cli.convert",
    "gpf.validators.command": "gpf.cli.validate",
    "gpf.plot": "gpf.cli.info_plot",
}


class _Alias(importlib.abc.Loader):
    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        new = MOVED[spec.name]
        warnings.warn(f"{spec.name} is deprecated and removed in the next release; import {new}",
                      DeprecationWarning, stacklevel=2)
        return importlib.import_module(new)  # its own __name__, __spec__, __file__ are kept

    def exec_module(self, module: ModuleType) -> None:
        pass


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):  # type: ignore[no-untyped-def]
        if name in MOVED:
            return importlib.util.spec_from_loader(name, _Alias())
        return None


def install() -> None:
    """Make the old paths importable (idempotent; :mod:`gpf` calls it on import)."""
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())
