"""Run scripts inside the real-DGL side venv (.venv-dgl) and read back their output.

The oracle is real DGL 1.1.3, which imports beside torch 2.13 only in its own venv
(numpy<2).  Tests never import dgl: they run a script from ``tests/oracle/`` in
that venv as a subprocess.  A missing venv is a test *failure*, never a skip.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
ORACLE_DIR = Path(__file__).resolve().parent
DGL_VENV = Path(os.environ.get("GPF_DGL_VENV", ROOT / ".venv-dgl"))
#: DGL 2.1.0 on torch 2.2.1 (GraphBolt), built by the Makefile's .venv-dgl2 recipe.
DGL2_VENV = Path(os.environ.get("GPF_DGL2_VENV", ROOT / ".venv-dgl2"))
CACHE_DIR = Path(os.environ.get("GPF_ORACLE_CACHE", ROOT / ".cache" / "oracle"))


class OracleUnavailable(RuntimeError):
    pass


def dgl_python() -> Path:
    py = DGL_VENV / "bin" / "python"
    if not py.exists():
        raise OracleUnavailable(
            f"real-DGL oracle venv missing at {DGL_VENV}: run `make dgl-venv` (make test does it)"
        )
    return py


def run_dgl(script: str, *args: str, timeout: int = 900, venv: Path | None = None, check: bool = True,
            env_extra: dict | None = None) -> str:
    """Run ``tests/oracle/<script>`` with the DGL venv's python (``venv``: another one, e.g.
    :data:`DGL2_VENV`); return stdout.

    Raises AssertionError with DGL's stderr when the script fails (unless ``check=False``).
    """
    if venv is not None and not (venv / "bin" / "python").exists():
        raise OracleUnavailable(f"real-DGL oracle venv missing at {venv}: `make test` builds it")
    py = dgl_python() if venv is None else venv / "bin" / "python"
    env = dict(os.environ)
    env.update(env_extra or {})
    env.pop("PYTHONPATH", None)
    env.setdefault("OMP_NUM_THREADS", "2")
    env["DGLBACKEND"] = "pytorch"
    env["PYTHONHASHSEED"] = "0"
    proc = subprocess.run(
        [str(py), str(ORACLE_DIR / script), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=str(ROOT),
    )
    if proc.returncode != 0 and check:
        raise AssertionError(
            f"oracle script {script} failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}"
        )
    if proc.returncode != 0:  # check=False: the caller reads the per-case lines; keep DGL's traceback too
        return proc.stdout + "\nSTDERR " + proc.stderr[-6000:]
    return proc.stdout


def cached_run(script: str, *extra_files: str) -> Path:
    """Run ``script OUTDIR`` once per content hash of the script (and helpers); return OUTDIR."""
    h = hashlib.sha256()
    for name in (script, "dump.py", *extra_files):
        h.update((ORACLE_DIR / name).read_bytes())
    out = CACHE_DIR / f"{Path(script).stem}-{h.hexdigest()[:16]}"
    done = out / "DONE"
    if done.exists():
        return out
    import fcntl
    import shutil

    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with open(CACHE_DIR / f"{out.name}.lock", "w") as lock:  # pytest-xdist workers wait for each other
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir(parents=True)
            run_dgl(script, str(out))
            done.write_text("ok")
    return out


def load_dump(path: str | Path) -> dict[str, np.ndarray]:
    """Read a dump written by ``dump.save_arrays`` (npz + key index) into a dict."""
    path = Path(path)
    keys = json.loads(path.with_suffix(".keys.json").read_text())
    with np.load(path, allow_pickle=False) as z:
        return {k: z[f"a{i}"] for i, k in enumerate(keys)}


def load_meta(path: str | Path) -> dict:
    return json.loads(Path(path).read_text())


__all__ = ["DGL2_VENV", "run_dgl", "cached_run", "load_dump", "load_meta", "dgl_python", "OracleUnavailable", "sys"]
