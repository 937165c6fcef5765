"""examples/train_dist_sage.py: GraphSAGE on 2 gloo processes with DistNeighborLoader.

* the script runs end to end from the command line (one epoch);
* accuracy: on Cora and CiteSeer, 2 ranks reach the test accuracy of the same model trained
  in one process with PyG's NeighborLoader (GpfNeighborSampler) on the whole graph, within 2
  points (mean over 3 seeds; same fan-outs, epochs and global batch size).
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


# imported as examples.train_dist_sage (the repository root is on sys.path, as for `tests`), so the
# worker processes it spawns import it by the same name; no sys.path edit
train_dist_sage = importlib.import_module("examples.train_dist_sage")


def test_script_runs_briefly():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(EXAMPLES.parent / "src"), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, str(EXAMPLES / "train_dist_sage.py"), "--epochs", "1"], env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "cora: distributed test accuracy" in out.stdout


@pytest.mark.slow
@pytest.mark.parametrize("dataset", ["cora", "citeseer"])
def test_two_ranks_match_one_process_accuracy(dataset):
    result = train_dist_sage.main(["--dataset", dataset, "--seeds", "0", "1", "2", "--baseline"])
    dist_acc, base_acc = result["distributed"].mean(), result["baseline"].mean()
    assert base_acc > (0.75 if dataset == "cora" else 0.62)          # the baseline really learned
    # Issue 16's bar: two ranks reach the one-process accuracy within 2 points. Being *better* is no
    # defect (CiteSeer's per-seed spread is ~6 points, and both runs here have 3 seeds), so the check is
    # one-sided; the distributed run must also really learn, as the baseline must.
    assert dist_acc > (0.75 if dataset == "cora" else 0.62), (dist_acc, base_acc)
    assert dist_acc >= base_acc - 0.02, (dist_acc, base_acc)
