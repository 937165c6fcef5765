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
