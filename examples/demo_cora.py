"""The main job, end to end, on the bundled Cora graph (`make demo`).

1. partition Cora with gpf (METIS, 8 parts, 1 HALO hop) into DGL's format;
2. `gpf info` on the set, with a per-partition plot, and `gpf validate --against` Cora;
3. read every partition back with `gpf.open` and check every feature row, label and
   mask, and every edge, against Cora by original ID;
4. when the real-DGL venv is there (`make demo` builds it), load every partition with
   `dgl.distributed.load_partition` and compare with what gpf read.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

import gpf
from gpf.cli import main as gpf_cli
from gpf.datasets import cora

ROOT = Path(__file__).resolve().parents[1]


def step(text: str) -> None:
    print(f"\n== {text}", flush=True)


def check_against_cora(ps: "gpf.PartitionSet", data: dict) -> None:
    orig = ps.orig_nids("_N")  # new per-type ID -> original Cora node ID
    assert np.array_equal(np.sort(orig), np.arange(data["num_nodes"])), "orig_nids is not a permutation"
    edges = 0
    for part in ps:
        s, e = part.node_range
        ids = orig[s:e]
        for name in ("feat", "label", "train_mask", "val_mask", "test_mask"):
            got = part.node_feats[f"_N/{name}"]
            want = data[name][ids]
            assert np.array_equal(got, want.astype(got.dtype)), f"partition {part.part_id}: {name} differs"
        inner = part.inner_edge
        src = orig[part.global_nid[part.src[inner]]]
        dst = orig[part.global_nid[part.dst[inner]]]
        eid = ps.orig_eids("_N:_E:_N")[part.global_eid[inner]]
        assert np.array_equal(data["src"][eid], src) and np.array_equal(data["dst"][eid], dst), \
            f"partition {part.part_id}: edges differ"
        edges += int(inner.sum())
    assert edges == len(data["src"])
    print(f"gpf read {ps.num_parts} partitions back: all {data['num_nodes']:,} feature rows, labels and masks "
          f"and all {edges:,} edges equal Cora's")


def check_with_dgl(ps: "gpf.PartitionSet", config: Path) -> None:
    dgl_py = ROOT / ".venv-dgl" / "bin" / "python"
    if not dgl_py.exists():
        print("(.venv-dgl missing: skipping the real-DGL check; `make dgl-venv` builds it)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, DGLBACKEND="pytorch")
        r = subprocess.run([str(dgl_py), str(ROOT / "tests" / "oracle" / "dgl_load_config.py"), str(config), tmp],
                           capture_output=True, text=True, env=env)
        if r.returncode:
            raise SystemExit(f"real DGL failed to load the set:\n{r.stderr[-2000:]}")
        sys.path.insert(0, str(ROOT / "tests"))
        from oracle.runner import load_dump

        for part in ps:
            exp = load_dump(Path(tmp) / f"part{part.part_id}.npz")
            assert np.array_equal(exp["src"], part.src) and np.array_equal(exp["dst"], part.dst)
            assert np.array_equal(exp["ndata:_ID"], part.global_nid)
            assert np.array_equal(exp["nfeat:_N/feat"], part.node_feats["_N/feat"])
        meta = json.loads((Path(tmp) / "meta.json").read_text())
    print(f"real DGL 1.1.3 load_partition loaded all {meta['num_parts']} partitions of {meta['graph_name']!r}; "
          "structure, IDs and features equal what gpf reads")


def run(out: Path, parts: int) -> None:
    data = cora()
    step(f"partition Cora ({data['num_nodes']:,} nodes, {len(data['src']):,} edges) into {parts} METIS parts")
    if out.exists():
        shutil.rmtree(out)
    graph = gpf.Graph.homogeneous(
        data["src"], data["dst"], data["num_nodes"],
        ndata={k: data[k] for k in ("feat", "label", "train_mask", "val_mask", "test_mask")},
    )
    ps = gpf.partition(graph, parts, out, "cora", method="metis", halo_hops=1, seed=0)
    config = out / "cora.json"

    step(f"gpf info {config} --plot {out / 'cora-partitions.png'}")
    rc = gpf_cli(["info", str(config), "--plot", str(out / "cora-partitions.png")])
    assert rc == 0

    npz = out / "cora-input.npz"  # the original graph, as `gpf partition`/`--against` read it
    np.savez(npz, src=data["src"], dst=data["dst"], num_nodes=data["num_nodes"],
             **{f"node:{k}": data[k] for k in ("feat", "label", "train_mask", "val_mask", "test_mask")})
    step(f"gpf validate {config} --against {npz}")
    rc = gpf_cli(["validate", str(config), "--against", str(npz)])
    assert rc == 0, f"gpf validate exited {rc}"

    step("read back with gpf.open and compare with Cora")
    check_against_cora(gpf.open(config), data)

    step("load with real DGL (dgl.distributed.load_partition)")
    check_with_dgl(ps, config)
    print(f"\ndemo done: the partition set is in {out}/")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="demo-out", type=Path)
    ap.add_argument("--parts", default=8, type=int)
    args = ap.parse_args()
    run(args.out, args.parts)
