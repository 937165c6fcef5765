"""Session fixtures and hooks shared by every test module (shared code lives in tests/helpers/)."""

from pathlib import Path

import pytest

from tests.helpers.marks import CORE_ONLY
from tests.oracle.runner import cached_run


@pytest.fixture(scope="session")
def dgl_sets() -> Path:
    """Directory of partition sets written by real DGL 1.1.3 (one sub-folder per case)."""
    return cached_run("dgl_make_partitions.py")


def pytest_collection_modifyitems(config, items):
    if not CORE_ONLY:
        return
    keep, drop = [], []
    for item in items:
        (drop if item.get_closest_marker("extra") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
