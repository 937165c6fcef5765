"""The `gpf` command: info/schema/upgrade output and the exit-code contract."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gpf.cli import main
from tests.helpers.cases import DGL_CASES
from tests.oracle.runner import load_dump

ROOT = Path(__file__).resolve().parents[1]
GPF = [sys.executable, "-m", "gpf.cli"]


def run_cli(*args):
    return subprocess.run([*GPF, *map(str, args)], capture_output=True, text=True, cwd=ROOT)


@pytest.mark.oracle
@pytest.mark.parametrize("case", DGL_CASES)
def test_info_json_matches_dgl_partitions(dgl_sets, case, capsys):
    cfg = dgl_sets / case / f"{case}.json"
    assert main(["info", str(cfg), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["num_parts"] == len(info["partitions"])
    assert sum(p["inner_nodes"] for p in info["partitions"]) == info["num_nodes"]
    assert sum(p["inner_edges"] for p in info["partitions"]) == info["num_edges"]
    cut = 0
    for p in info["partitions"]:
        exp = load_dump(dgl_sets / case / "expected" / f"part{p['part_id']}.npz")
        inner = exp["ndata:inner_node"] != 0
        assert p["halo_nodes"] == int((~inner).sum())
        assert p["edges"] == len(exp["src"])
        c = int(((exp["edata:inner_edge"] != 0) & ~inner[exp["src"]]).sum())
        assert p["cut_in_edges"] == c
        cut += c
        for key, f in p["node_feats"].items():
            assert f["shape"] == list(exp[f"nfeat:{key}"].shape)
        assert set(p["files"]) >= {"part_graph", "node_feats", "edge_feats"}
        assert all(f["bytes"] > 0 for f in p["files"].values())
    assert info["edge_cut"] == cut


@pytest.mark.oracle
@pytest.mark.extra("plot")
def test_info_table_and_plot(dgl_sets, tmp_path):
    cfg = dgl_sets / "hetero_metis_h2_t2" / "hetero_metis_h2_t2.json"
    png = tmp_path / "parts.png"
    r = run_cli("info", cfg, "--plot", png)
    assert r.returncode == 0, r.stderr
    assert "hetero_metis_h2_t2" in r.stdout and "HALO nodes" in r.stdout
    assert "user:follows:user/w" in r.stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert r.stderr == ""  # no progress bar when not a TTY


def test_schema_command_prints_committed_schema(tmp_path):
    out = tmp_path / "s.json"
    assert main(["schema", "--out", str(out)]) == 0
    assert json.loads(out.read_text()) == json.loads((ROOT / "spec" / "gpf.schema.json").read_text())


@pytest.mark.parametrize("make_input, expect", [
    (lambda d: d / "missing.json", "missing.json"),
    (lambda d: _write(d / "bad.json", b"{\"graph_name\": "), "bad.json"),
    (lambda d: _write(d / "latin.json", b"{\"graph_name\": \"\xff\"}"), "latin.json"),
    (lambda d: _write(d / "list.json", b"[1, 2]"), "list.json"),
    (lambda d: d, "is a directory"),
])
def test_unreadable_config_exits_2_with_one_line(tmp_path, make_input, expect):
    r = run_cli("info", make_input(tmp_path))
    assert r.returncode == 2
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gpf: error: "), r.stderr
    assert expect in lines[0]
    assert "Traceback" not in r.stderr


@pytest.mark.oracle
def test_corrupt_partition_file_names_file_and_offset(dgl_sets, tmp_path):
    root = tmp_path / "set"
    shutil.copytree(dgl_sets / "homo_random_h1", root, ignore=shutil.ignore_patterns("expected"))
    g = root / "part1" / "graph.dgl"
    g.write_bytes(g.read_bytes()[:5000])
    r = run_cli("info", root / "homo_random_h1.json")
    assert r.returncode == 2
    assert "part1/graph.dgl" in r.stderr and "byte" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


@pytest.mark.oracle
def test_path_escaping_dataset_root_is_refused(dgl_sets, tmp_path):
    root = tmp_path / "set"
    shutil.copytree(dgl_sets / "homo_one_part", root, ignore=shutil.ignore_patterns("expected"))
    cfg = json.loads((root / "homo_one_part.json").read_text())
    (tmp_path / "outside.dgl").write_bytes(b"x")
    for bad in ["../outside.dgl", str(tmp_path / "outside.dgl")]:
        cfg["part-0"]["node_feats"] = bad
        (root / "evil.json").write_text(json.dumps(cfg))
        r = run_cli("info", root / "evil.json")
        assert r.returncode == 2 and "outside" in r.stderr and "part-0.node_feats" in r.stderr, r.stderr
    os.symlink(tmp_path / "outside.dgl", root / "part0" / "link.dgl")
    cfg["part-0"]["node_feats"] = "part0/link.dgl"
    (root / "evil.json").write_text(json.dumps(cfg))
    r = run_cli("info", root / "evil.json")
    assert r.returncode == 2 and "symlink" in r.stderr, r.stderr


def test_usage_errors_exit_2():
    r = run_cli("info")
    assert r.returncode == 2 and r.stderr.startswith("gpf: error:") and "Traceback" not in r.stderr
    r = run_cli("frobnicate")
    assert r.returncode == 2


def _write(path, data):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("etypes", [{"r": []}, {"r": True}, {"r": {"x": 1}}])
def test_malformed_plain_etype_ids_are_a_one_line_error(tmp_path, etypes):
    cfg = {"graph_name": "g", "num_nodes": 2, "num_edges": 1, "part_method": "random", "num_parts": 1,
           "node_map": {"a": [[0, 2]]}, "edge_map": {"r": [[0, 1]]}, "ntypes": {"a": [0]}, "etypes": etypes,
           "part-0": {"node_feats": "n", "edge_feats": "e", "part_graph": "g"}}
    (tmp_path / "g.json").write_text(json.dumps(cfg))
    r = run_cli("info", tmp_path / "g.json")
    assert r.returncode == 2 and r.stderr.startswith("gpf: error:") and len(r.stderr.splitlines()) == 1, r.stderr
    assert "Traceback" not in r.stderr
