import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from oracle.runner import cached_run  # noqa: E402

DGL_CASES = ["homo_random_h1", "homo_metis_h2_t2", "homo_one_part",
             "hetero_random_h1", "hetero_metis_h2_t2", "hetero_one_part"]


@pytest.fixture(scope="session")
def dgl_sets() -> Path:
    """Directory of partition sets written by real DGL 1.1.3 (one sub-folder per case)."""
    return cached_run("dgl_make_partitions.py")


#: Set by `make test`'s core-only run (a venv with `pip install .` and no extra): tests marked
#: ``@pytest.mark.extra(...)`` are deselected there (they run, and must pass, in the full venv).
CORE_ONLY = os.environ.get("GPF_TEST_CORE") == "1"


def extra(*names: str):
    """``pytest.param(..., marks=extra("hdf5"))``: this case needs these extras."""
    return pytest.mark.extra(*names)


def pytest_collection_modifyitems(config, items):
    if not CORE_ONLY:
        return
    keep, drop = [], []
    for item in items:
        (drop if item.get_closest_marker("extra") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
