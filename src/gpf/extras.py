"""Optional dependencies: which ``pip install 'gpf[EXTRA]'`` brings each one.

The core install (numpy, pydantic, fsspec, rich) reads, writes, validates and converts sets
stored as DGL's files or ``.npy``.  Everything else is an extra; a feature whose extra is
missing fails with one :class:`~gpf.errors.MissingExtraError` line naming the extra.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from gpf.errors import MissingExtraError

__all__ = ["EXTRAS", "require", "MissingExtraError"]

#: module -> the extra that installs it (pyproject.toml's [project.optional-dependencies]).
EXTRAS: dict[str, str] = {
    "torch": "torch",
    "torch_geometric": "pyg",
    "h5py": "hdf5",
    "zarr": "zarr",
    "pymetis": "metis",
    "dask": "dask",
    "distributed": "dask",
    "pyarrow": "parquet",
    "matplotlib": "plot",
}


def require(module: str, what: str, extra: str | None = None) -> ModuleType:
    """Import ``module`` for ``what`` (e.g. "the hdf5 backend"); a one-line
    :class:`MissingExtraError` naming the extra (``extra``, else the module's own) when it is not installed."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".")[0]
        missing = (getattr(exc, "name", None) or top).split(".")[0]
        if missing != top and missing not in EXTRAS:
            raise  # a broken install of something else: not ours to rename
        raise MissingExtraError(what, missing, extra or EXTRAS.get(missing, EXTRAS.get(top, top))) from None
