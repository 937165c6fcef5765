"""`gpf upgrade`: legacy DGL configs become canonical ones that real DGL loads again."""

import json
import shutil

import numpy as np
import pytest

import gpf
from gpf.cli import main
from tests.oracle.runner import load_dump, run_dgl

pytestmark = pytest.mark.oracle


def _copy_case(dgl_sets, case, tmp_path):
    dst = tmp_path / case
    shutil.copytree(dgl_sets / case, dst, ignore=shutil.ignore_patterns("expected"))
    return dst, json.loads((dst / f"{case}.json").read_text())


def _legacy(cfg, root):
    """The same set as DGL 0.5-0.9 would have described it."""
    old = json.loads(json.dumps(cfg))
    plain = {k: k.split(":")[1] for k in old["etypes"]}
    old["etypes"] = {plain[k]: v for k, v in old["etypes"].items()}
    # end-only ranges for nodes, canonical pairs kept for edges (both forms are legal)
    old["node_map"] = {t: [r[1] for r in rs] for t, rs in old["node_map"].items()} if len(old["node_map"]) == 1 else old["node_map"]
    old["edge_map"] = {plain[k]: v for k, v in old["edge_map"].items()}
    for key, entry in old.items():
        if key.startswith("part-"):
            for role in ("node_feats", "edge_feats", "part_graph"):
                entry[role] = str(root / entry[role])  # absolute, as DGL 0.5 wrote
    return old


@pytest.mark.parametrize("case", ["homo_random_h1", "hetero_unique_rels"])
def test_upgrade_restores_canonical_config_that_dgl_loads(dgl_sets, tmp_path, case, capsys):
    root, cfg = _copy_case(dgl_sets, case, tmp_path)
    old = _legacy(cfg, root)
    assert len(old["etypes"]) == len(cfg["etypes"])  # relation names are unique in these cases
    (root / "old.json").write_text(json.dumps(old))
    assert main(["upgrade", str(root / "old.json"), str(root / "new.json")]) == 0
    out = capsys.readouterr().out
    assert "absolute path made relative" in out
    new = json.loads((root / "new.json").read_text())
    assert new.pop("gpf_version")
    assert new == cfg
    assert json.loads((root / "old.json").read_text()) == old  # never in place
    dump = tmp_path / "dgl-view"
    run_dgl("dgl_load_config.py", str(root / "new.json"), str(dump))
    ps = gpf.open(root / "new.json")
    for part in ps:
        exp = load_dump(dump / f"part{part.part_id}.npz")
        np.testing.assert_array_equal(part.src, exp["src"])
        np.testing.assert_array_equal(part.global_nid, exp["ndata:_ID"])


def test_upgrade_refuses_in_place_and_other_dirs(dgl_sets, tmp_path, capsys):
    root, _ = _copy_case(dgl_sets, "homo_one_part", tmp_path)
    cfg = root / "homo_one_part.json"
    assert main(["upgrade", str(cfg), str(cfg)]) == 2
    assert "in place" in capsys.readouterr().err
    assert main(["upgrade", str(cfg), str(tmp_path / "elsewhere.json")]) == 2
    assert "same directory" in capsys.readouterr().err
    (root / "exists.json").write_text("{}")
    assert main(["upgrade", str(cfg), str(root / "exists.json")]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["upgrade", str(cfg), str(root / "exists.json"), "--force"]) == 0


def test_open_reads_legacy_config_directly(dgl_sets, tmp_path):
    """gpf.open accepts the pre-1.0 form too (plain keys resolved from the data, moved absolute paths)."""
    root, cfg = _copy_case(dgl_sets, "hetero_unique_rels", tmp_path)
    old = _legacy(cfg, tmp_path / "was-here")  # absolute paths of a place the set moved away from
    (root / "old.json").write_text(json.dumps(old))
    ps = gpf.open(root / "old.json")
    ref = gpf.open(root / "hetero_unique_rels.json")
    assert ps.etypes == ref.etypes
    for a, b in zip(ps, ref):
        np.testing.assert_array_equal(a.src, b.src)
        assert a.files() == b.files()
        assert set(a.edge_feats) == set(b.edge_feats)
