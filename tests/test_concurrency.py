"""8 threads and 4 spawned processes reading and validating one set at once agree, without errors.

Parametrised over the storage backends that write sets; the lead extends :data:`BACKENDS` as
backends land (each must give identical reads and reports from every thread and process).
"""

from __future__ import annotations

import hashlib
import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest

import gpf
from tests.helpers.writer import make_hetero

BACKENDS = ["dgl", "npy", "hdf5", "zarr"]
THREADS, PROCESSES = 8, 4


def read_and_validate(config: str) -> tuple[str, dict]:
    """A digest of every array the reader returns, and the validation report (run in a worker)."""
    h = hashlib.sha256()
    ps = gpf.open(config)
    for part in ps:
        for arr in (part.src, part.dst, part.global_nid, part.global_eid, part.inner_node, part.inner_edge,
                    part.ntype_ids, part.etype_ids, part.owner):
            h.update(np.ascontiguousarray(arr).tobytes())
        for feats in (part.node_feats, part.edge_feats):
            for key in sorted(feats):
                h.update(key.encode())
                h.update(np.ascontiguousarray(feats[key]).tobytes())
    for nt in ps.ntypes:
        h.update(ps.orig_nids(nt).tobytes())
    return h.hexdigest(), gpf.validate(config).to_dict()


@pytest.fixture(scope="module", params=BACKENDS)
def shared_set(request, tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp(f"shared_{request.param}")
    ps = gpf.partition(make_hetero(seed=2), 3, root, "shared", method="random", halo_hops=2,
                       backend=request.param, verbose=False)
    return str(ps.path)


def test_threads_and_processes_agree(shared_set):
    expected = read_and_validate(shared_set)
    assert expected[1]["valid"], expected[1]["problems"]
    # The processes and the threads run at the same time, all on the same files.
    with ProcessPoolExecutor(PROCESSES, mp_context=mp.get_context("spawn")) as procs, \
            ThreadPoolExecutor(THREADS) as threads:
        spawned = [procs.submit(read_and_validate, shared_set) for _ in range(PROCESSES)]
        threaded = list(threads.map(read_and_validate, [shared_set] * (2 * THREADS)))
        spawned = [f.result() for f in spawned]
    assert all(r == expected for r in threaded)
    assert all(r == expected for r in spawned)
