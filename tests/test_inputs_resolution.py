"""What names a set, for gpf.open and every command: a config file, a directory holding exactly one config,
a Zarr store, an fsspec URL of any of these; and what a JSON that is not a config gives (exit 2, one line)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gpf
from gpf.errors import ConfigError
from tests.helpers.marks import extra
from tests.helpers.writer import make_homo

ROOT = Path(__file__).resolve().parents[1]


def cli(*args) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    return subprocess.run([sys.executable, "-m", "gpf.cli", *map(str, args)], capture_output=True, text=True, env=env)


def one_line(r: subprocess.CompletedProcess) -> str:
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    return lines[0]


@pytest.fixture(scope="module")
def one_set(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sets") / "cora_like"
    gpf.partition(make_homo(), 3, out, "toy", method="random", verbose=False)
    return out


def test_open_accepts_a_directory_with_one_config(one_set):
    ps = gpf.open(one_set)
    assert ps.path == str(one_set / "toy.json") and ps.num_parts == 3
    assert ps[-1].part_id == 2 and ps[-3].part_id == 0 and [p.part_id for p in ps[1:]] == [1, 2]
    with pytest.raises(IndexError, match=r"partition -4 does not exist \(num_parts=3\)"):
        ps[-4]


@pytest.mark.parametrize("command", [["validate"], ["info"], ["convert", "{tmp}/copy", "--to", "npy"]])
def test_every_command_takes_a_directory(one_set, tmp_path, command):
    r = cli(command[0], one_set, *[c.format(tmp=tmp_path) for c in command[1:]])
    assert r.returncode == 0, r.stderr


def test_several_configs_are_listed(one_set, tmp_path):
    two = tmp_path / "two"
    shutil.copytree(one_set, two)
    shutil.copy(two / "toy.json", two / "other.json")
    with pytest.raises(ConfigError, match=r"holds 2 partition configs \(other\.json, toy\.json\): name one"):
        gpf.open(two)
    for cmd in ("info", "validate"):
        assert "holds 2 partition configs (other.json, toy.json)" in cli(cmd, two).stderr
    assert gpf.open(two / "toy.json").num_parts == 3           # naming one still works
    (two / "notes.json").write_text('{"author": "me"}')        # other JSON is not counted as a config
    (two / "other.json").unlink()
    assert gpf.open(two).path == str(two / "toy.json")


@extra("zarr")
def test_convert_chain_through_a_zarr_store(one_set, tmp_path):
    assert cli("convert", one_set, tmp_path / "b.zarr", "--to", "zarr").returncode == 0
    r = cli("convert", tmp_path / "b.zarr", tmp_path / "c", "--to", "npy")
    assert r.returncode == 0, r.stderr
    for name in ("info", "validate"):
        assert cli(name, tmp_path / "b.zarr").returncode == 0
    a, c = gpf.open(one_set), gpf.open(tmp_path / "c")
    for pa, pc in zip(a, c):
        assert np.array_equal(pa.global_nid, pc.global_nid)
        assert all(np.array_equal(pa.node_feats[k], pc.node_feats[k]) for k in pa.node_feats)


def test_fsspec_url_of_a_directory(one_set):
    import fsspec

    fs = fsspec.filesystem("memory")
    for f in sorted(one_set.rglob("*")):
        if f.is_file():
            fs.pipe(f"/urlset/{f.relative_to(one_set).as_posix()}", f.read_bytes())
    ps = gpf.open("memory://urlset")
    assert ps.path == "memory://urlset/toy.json"
    assert np.array_equal(ps[-1].global_nid, gpf.open(one_set)[2].global_nid)
    assert gpf.validate("memory://urlset/").valid
    with pytest.raises(ConfigError, match="no such file or directory"):
        gpf.open("memory://nothing-here")


def test_unreachable_url_is_reported_as_such():
    line = one_line(cli("info", "http://127.0.0.1:9/x.json"))
    assert line.startswith("gpf: error: http://127.0.0.1:9/x.json: cannot "), line
    assert "file not found" not in line.lower() and "no such file" not in line


@pytest.mark.parametrize("text, found", [
    ('{"name": "cora", "nodes": 5}', "not a partition config (found keys 'name', 'nodes'"),
    ("[1, 2]", "not a partition config (top level is a JSON array, not an object)"),
    ("{}", "not a partition config (an empty JSON object)"),
])
def test_json_that_is_not_a_config(tmp_path, text, found):
    (tmp_path / "x.json").write_text(text)
    for cmd in (["info"], ["validate"], ["convert", tmp_path / "o", "--to", "npy"], ["upgrade", tmp_path / "n.json"]):
        r = cli(cmd[0], tmp_path / "x.json", *cmd[1:])
        assert r.returncode == 2 and found in r.stderr and "Traceback" not in r.stderr, (cmd, r.stderr)
        assert "config.key_missing" not in r.stderr
    with pytest.raises(ConfigError, match="not a partition config"):
        gpf.open(tmp_path / "x.json")
    assert not (tmp_path / "o").exists() and not (tmp_path / "n.json").exists()


def test_config_keys_counts_the_files_keys(tmp_path):
    (tmp_path / "x.json").write_text(json.dumps({"graph_name": "g", "num_parts": 1, "num_nodes": 3}))
    r = cli("validate", tmp_path / "x.json")
    assert r.returncode == 1 and "checked 3 config keys" in r.stdout + r.stderr, r.stdout + r.stderr


def test_a_chunked_graph_or_pyg_directory_gets_a_hint(tmp_path):
    make_homo().save_chunked(tmp_path / "chunked")
    line = one_line(cli("info", tmp_path / "chunked"))
    assert "is a DGL chunked-graph directory (metadata.json)" in line and "gpf partition" in line, line
    line = one_line(cli("validate", tmp_path / "chunked" / "metadata.json"))
    assert "chunked-graph input metadata.json" in line or "not a partition config" in line
    (tmp_path / "Cora" / "raw").mkdir(parents=True)
    line = one_line(cli("info", tmp_path / "Cora"))
    assert "looks like a PyG dataset directory" in line and "from_pyg" in line, line
    line = one_line(cli("info", tmp_path / "missing"))
    assert line.endswith("missing: no such file or directory"), line
