"""Rebuild src/gpf/data/{cora,citeseer}.npz from the Planetoid raw files (run once; the outputs are committed).

    python tools/bundle_planetoid.py ../shared/data/planetoid            # both
    python tools/bundle_planetoid.py ../shared/data/planetoid CiteSeer   # one

The raw files (``ind.<name>.{x,tx,allx,y,ty,ally,graph,test.index}``, Yang et al. 2016,
https://github.com/kimiyoung/planetoid) are read by PyG's ``Planetoid`` loader in a temporary
copy, so the arrays are exactly what ``torch_geometric.datasets.Planetoid(root, name)[0]`` gives
(public split).  The features are 0/1 bag-of-words, stored as a CSR of the non-zero columns
(uint16) and rebuilt densely by ``gpf.datasets``.  Provenance: src/gpf/data/PROVENANCE.md.
"""

import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
from torch_geometric.datasets import Planetoid

NAMES = ("Cora", "CiteSeer")


def bundle(planetoid_root: str, name: str) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(Path(planetoid_root) / name / "raw", Path(tmp) / name / "raw")
        data = Planetoid(tmp, name)[0]
    x = data.x.numpy()
    assert set(np.unique(x)) <= {0.0, 1.0}, f"{name}: features are not 0/1"
    assert x.shape[1] < 2**16
    rows, cols = np.nonzero(x)
    indptr = np.zeros(x.shape[0] + 1, dtype=np.int32)
    np.cumsum(np.bincount(rows, minlength=x.shape[0]), out=indptr[1:])
    ei = data.edge_index.numpy()
    out = Path(__file__).resolve().parents[1] / "src" / "gpf" / "data" / f"{name.lower()}.npz"
    np.savez_compressed(
        out,
        src=ei[0].astype(np.int32), dst=ei[1].astype(np.int32),
        num_nodes=np.int64(x.shape[0]), num_features=np.int64(x.shape[1]),
        feat_indptr=indptr, feat_indices=cols.astype(np.uint16),
        label=data.y.numpy().astype(np.int8),
        train_mask=data.train_mask.numpy(), val_mask=data.val_mask.numpy(), test_mask=data.test_mask.numpy(),
    )
    print(out.name, out.stat().st_size, "bytes")
    return out


def main(planetoid_root: str, names=NAMES) -> None:
    for name in names:
        bundle(planetoid_root, name)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/planetoid", sys.argv[2:] or NAMES)
