"""A newcomer's CLI: --workers for every input, errors in gpf's words, upgrade saying what changed,
info warning about what does not add up.  Every command runs as a subprocess: exit code, stderr lines."""

from __future__ import annotations

import filecmp
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import gpf
from gpf.spec.version import SPEC_VERSION
from tests.helpers.marks import extra
from tests.helpers.writer import make_hetero, make_homo

ROOT = Path(__file__).resolve().parents[1]


def cli(*args) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    return subprocess.run([sys.executable, "-m", "gpf.cli", *map(str, args)], capture_output=True, text=True, env=env)


def one_line(r: subprocess.CompletedProcess) -> str:
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1 and lines[0].startswith("gpf: error: "), (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr and "Errno" not in r.stderr
    return lines[0]


def same_tree(a: Path, b: Path) -> None:
    fa = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert fa == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    for f in fa:
        assert filecmp.cmp(a / f, b / f, shallow=False), f


@pytest.fixture(scope="module")
def npz(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("in") / "g.npz"
    make_homo().save(path)
    return path


@extra("dask")
def test_workers_take_an_npz_and_a_set(npz, tmp_path):
    r = cli("partition", npz, tmp_path / "mem", "--parts", 3, "--method", "random")
    assert r.returncode == 0, r.stderr
    r = cli("partition", npz, tmp_path / "dask", "--parts", 3, "--method", "random", "--workers", 2)
    assert r.returncode == 0, r.stderr
    same_tree(tmp_path / "mem", tmp_path / "dask")               # staged input removed, same bytes
    r = cli("partition", tmp_path / "mem", tmp_path / "again", "--parts", 2, "--method", "random", "--workers", 2,
            "--name", "g")
    assert r.returncode == 0, r.stderr
    assert gpf.open(tmp_path / "again").num_parts == 2


def test_out_of_core_takes_an_npz_and_a_set(npz, tmp_path):
    assert cli("partition", npz, tmp_path / "mem", "--parts", 3, "--method", "random").returncode == 0
    r = cli("partition", npz, tmp_path / "ooc", "--parts", 3, "--method", "random", "--out-of-core")
    assert r.returncode == 0, r.stderr
    same_tree(tmp_path / "mem", tmp_path / "ooc")
    g = make_hetero()
    gpf.partition(g, 2, tmp_path / "het", "het", method="random", verbose=False)
    r = cli("partition", tmp_path / "het", tmp_path / "het2", "--parts", 3, "--method", "random", "--out-of-core")
    assert r.returncode == 0, r.stderr
    assert gpf.open(tmp_path / "het2").ntypes == g.ntypes


def test_convert_onto_a_file_and_os_errors_in_words(npz, tmp_path):
    assert cli("partition", npz, tmp_path / "s", "--parts", 2, "--method", "random").returncode == 0
    (tmp_path / "afile").write_text("x")
    line = one_line(cli("convert", tmp_path / "s", tmp_path / "afile", "--to", "npy"))
    assert f"{tmp_path / 'afile'}: already exists and is a file, not a directory" in line, line
    line = one_line(cli("convert", tmp_path / "s", tmp_path / "afile" / "sub", "--to", "npy"))
    assert "is a file, not a directory" in line, line
    line = one_line(cli("schema", "--out", tmp_path / "afile" / "schema.json"))
    assert line == f"gpf: error: {tmp_path / 'afile' / 'schema.json'}: a part of this path is a file, not a directory"
    assert (tmp_path / "afile").read_text() == "x"


@pytest.mark.oracle
def test_upgrade_says_what_changed(dgl_sets, tmp_path):
    root = tmp_path / "set"
    shutil.copytree(dgl_sets / "homo_random_h1", root, ignore=shutil.ignore_patterns("expected"))
    r = cli("upgrade", root / "homo_random_h1.json", root / "new.json")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [f"- gpf_version: added ('{SPEC_VERSION}': the spec version this file follows)",
                                     f"wrote {root / 'new.json'}: 1 change"], r.stdout
    r = cli("upgrade", root / "new.json", root / "newer.json")
    assert r.stdout.strip() == f"wrote {root / 'newer.json'}: no change, {root / 'new.json'} is already in the canonical form"
    line = one_line(cli("upgrade", root, root / "newest.json"))            # a directory with several configs
    assert "holds 3 partition configs (homo_random_h1.json, new.json, newer.json): name one" in line, line


@pytest.mark.oracle
def test_info_format_line_and_plural_for_dgl_sets(dgl_sets):
    r = cli("info", dgl_sets / "homo_one_part")
    assert r.returncode == 0 and r.stderr == "", r.stderr
    line = next(x for x in r.stdout.splitlines() if x.startswith("format"))
    assert "DGL partition config (no gpf_version" in line and line.endswith("; 1 partition"), line


def test_info_warns_when_the_counts_disagree(npz, tmp_path):
    assert cli("partition", npz, tmp_path / "s", "--parts", 2, "--method", "random").returncode == 0
    cfg = json.loads((tmp_path / "s" / "g.json").read_text())
    cfg["num_nodes"] += 5
    (tmp_path / "s" / "g.json").write_text(json.dumps(cfg))
    r = cli("info", tmp_path / "s")
    assert r.returncode == 0 and "2 partitions" in r.stdout
    assert r.stderr.strip() == (f"gpf: warning: num_nodes is {cfg['num_nodes']:,} in the config but its node map covers "
                                f"{cfg['num_nodes'] - 5:,} nodes; run `gpf validate`"), r.stderr
    assert json.loads(cli("info", tmp_path / "s", "--json").stdout)["warnings"]
