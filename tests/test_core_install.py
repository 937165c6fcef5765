"""The core install (`pip install gpf`, no extra) does its whole job, and every extra-only feature says which
extra to install in one line.

`make test` runs this file twice: in the full venv, where each command runs in a subprocess that cannot
import the optional packages (an import hook), and in the core-only venv (GPF_TEST_CORE=1), where they are
really absent -- which the first test checks, so the core run cannot silently become a full one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.helpers.marks import CORE_ONLY

ROOT = Path(__file__).resolve().parents[1]
OPTIONAL = ("torch", "torch_geometric", "h5py", "zarr", "pymetis", "dask", "distributed", "pyarrow", "matplotlib")
BLOCK = f"""
import importlib.abc, sys
class _NoExtras(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in {OPTIONAL!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
sys.meta_path.insert(0, _NoExtras())
import importlib.metadata as _md
_real_distribution = _md.distribution
def _distribution(name):  # the METIS wheels hold no importable module: hide their metadata
    if name in ("cmeel-metis", "cmeel-gklib"):
        raise _md.PackageNotFoundError(name)
    return _real_distribution(name)
_md.distribution = _distribution
"""


def run_py(code: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    return subprocess.run([sys.executable, "-c", BLOCK + code], capture_output=True, text=True, env=env)


def gpf(*args) -> subprocess.CompletedProcess:
    return run_py(f"from gpf.cli import main; sys.exit(main({[str(a) for a in args]!r}))")


def one_error_line(r: subprocess.CompletedProcess) -> str:
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1 and lines[0].startswith("gpf: error: "), (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr
    return lines[0]


@pytest.fixture(scope="module")
def graph_npz(tmp_path_factory) -> Path:
    rng = np.random.default_rng(0)
    path = tmp_path_factory.mktemp("core") / "g.npz"
    n = 200
    np.savez(path, src=rng.integers(0, n, 900), dst=rng.integers(0, n, 900), num_nodes=np.int64(n),
             **{"node:feat": rng.standard_normal((n, 4)).astype(np.float32), "node:label": rng.integers(0, 5, n)})
    return path


def test_the_core_run_has_no_extra():
    r = run_py(f"""
ok = []
for m in {OPTIONAL!r}:
    try:
        __import__(m)
        ok.append(m)
    except ImportError:
        pass
print(ok)""")
    assert r.returncode == 0 and r.stdout.strip() == "[]", r.stdout + r.stderr
    if CORE_ONLY:  # the core venv: not even installed
        import importlib.util

        assert [m for m in OPTIONAL if importlib.util.find_spec(m) is not None] == []


def test_core_commands_work_end_to_end(graph_npz, tmp_path):
    out = tmp_path / "set"
    r = gpf("partition", graph_npz, out, "--parts", 3, "--method", "random")
    assert r.returncode == 0, r.stderr
    cfg = out / "g.json"
    r = gpf("validate", cfg)
    assert r.returncode == 0 and "valid: 0 error(s)" in r.stdout, r.stdout + r.stderr
    r = gpf("info", cfg, "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["num_parts"] == 3, r.stderr
    r = gpf("convert", cfg, tmp_path / "npy", "--to", "npy")
    assert r.returncode == 0, r.stderr
    r = gpf("validate", tmp_path / "npy")          # a directory holding one config
    assert r.returncode == 0, r.stdout + r.stderr
    r = gpf("schema")
    assert r.returncode == 0 and json.loads(r.stdout)["title"], r.stderr
    r = gpf("upgrade", cfg, out / "again.json")
    assert r.returncode == 0, r.stderr
    r = run_py(f"import gpf; ps = gpf.open({str(tmp_path / 'npy')!r}); print(len(ps), ps[-1].part_id)")
    assert r.returncode == 0 and r.stdout.split() == ["3", "2"], r.stderr


@pytest.mark.parametrize("args, extra", [
    (["convert", "{cfg}", "{tmp}/h5", "--to", "hdf5"], "hdf5"),
    (["convert", "{cfg}", "{tmp}/z", "--to", "zarr"], "zarr"),
    (["partition", "{npz}", "{tmp}/m", "--parts", "2"], "metis"),   # METIS, the default method
    (["validate", "{cfg}", "--workers", "2"], "dask"),
    (["info", "{cfg}", "--plot", "{tmp}/p.png"], "plot"),
])
def test_missing_extra_is_one_line_naming_it(graph_npz, tmp_path, args, extra):
    out = tmp_path / "set"
    assert gpf("partition", graph_npz, out, "--parts", 2, "--method", "random").returncode == 0
    subst = {"cfg": out / "g.json", "tmp": tmp_path, "npz": graph_npz}
    line = one_error_line(gpf(*[a.format(**subst) for a in args]))
    assert f"pip install 'gpf[{extra}]'" in line, line
    for name in ("h5", "z", "m"):
        assert not (tmp_path / name).exists()          # nothing half-written


@pytest.mark.parametrize("module, extra", [("gpf.loader", "torch"), ("gpf.converters.pyg", "pyg")])
def test_missing_extra_on_import(module, extra):
    r = run_py(f"""
try:
    import {module}
except ImportError as e:
    print(type(e).__name__, e)
""")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == (f"MissingExtraError {module} needs {'torch'}, which is not installed: "
                                f"pip install 'gpf[{extra}]'"), r.stdout


def test_no_absolute_machine_path_in_the_repository():
    r = subprocess.run(["git", "grep", "-nE", "/(work|home)/"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 1 and r.stdout == "", r.stdout   # 1: no match
