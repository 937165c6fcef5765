"""Rebuild src/gpf/data/cora.npz from the Planetoid raw files (run once; the output is committed).

    python tools/bundle_cora.py ../shared/data/planetoid

Cora's features are 0/1 bag-of-words, so they are stored as a CSR of the non-zero
columns (uint16) and rebuilt densely by ``gpf.datasets.cora()``.
"""

import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
from torch_geometric.datasets import Planetoid


def main(planetoid_root: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(Path(planetoid_root) / "Cora", Path(tmp) / "Cora")
        data = Planetoid(tmp, "Cora")[0]
    x = data.x.numpy()
    assert set(np.unique(x)) <= {0.0, 1.0}
    rows, cols = np.nonzero(x)
    indptr = np.zeros(x.shape[0] + 1, dtype=np.int32)
    np.cumsum(np.bincount(rows, minlength=x.shape[0]), out=indptr[1:])
    ei = data.edge_index.numpy()
    out = Path(__file__).resolve().parents[1] / "src" / "gpf" / "data" / "cora.npz"
    np.savez_compressed(
        out,
        src=ei[0].astype(np.int32), dst=ei[1].astype(np.int32),
        num_nodes=np.int64(x.shape[0]), num_features=np.int64(x.shape[1]),
        feat_indptr=indptr, feat_indices=cols.astype(np.uint16),
        label=data.y.numpy().astype(np.int8),
        train_mask=data.train_mask.numpy(), val_mask=data.val_mask.numpy(), test_mask=data.test_mask.numpy(),
    )
    print(out, out.stat().st_size, "bytes")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/planetoid")
