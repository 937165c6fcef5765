"""Every README snippet runs as written, in order, in an empty directory.

* ```python blocks run as one script (later blocks use names earlier ones set), except a block that
  imports DGL: it runs on its own in the real-DGL venv (.venv-dgl), as the README says it needs DGL;
* ```bash blocks run with ``bash -e`` in the same directory, ``gpf`` being this checkout's command;
* the set-up block (``make demo`` / ``make test``) is what CI itself runs: here ``make -n`` checks that
  both are targets of the Makefile, without building anything.
Blocks without a language (the layout tree) are not code.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DGL_PY = ROOT / ".venv-dgl" / "bin" / "python"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


def blocks() -> list[tuple[str, str]]:
    return [(lang, body) for lang, body in FENCE.findall((ROOT / "README.md").read_text()) if lang]


def test_readme_has_the_snippets_this_test_runs():
    langs = [lang for lang, _ in blocks()]
    assert set(langs) <= {"python", "bash"}, langs
    assert langs.count("python") >= 4 and langs.count("bash") >= 2


def _env() -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), DGLBACKEND="pytorch")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def _run(cmd: list[str], cwd: Path, what: str) -> None:
    r = subprocess.run(cmd, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, f"{what} failed (exit {r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"


@pytest.mark.oracle
@pytest.mark.slow
def test_every_readme_snippet_runs_as_written(tmp_path):
    found = blocks()
    setup, *rest = found
    assert setup[0] == "bash" and [ln.split("#")[0].strip() for ln in setup[1].splitlines()] == ["make demo", "make test"]
    for target in ("demo", "test"):
        r = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True)
        assert r.returncode == 0 and r.stdout, r.stderr
    python = [b for lang, b in rest if lang == "python" and "import dgl\n" not in b]
    with_dgl = [b for lang, b in rest if lang == "python" and "import dgl\n" in b]
    shell = [b for lang, b in rest if lang == "bash"]
    assert python and with_dgl and shell
    script = tmp_path / "readme_snippets.py"
    script.write_text("\n".join(python))
    work = tmp_path / "work"
    work.mkdir()
    _run([sys.executable, str(script)], work, "the README's Python snippets")
    for i, body in enumerate(with_dgl):
        (tmp_path / f"dgl_{i}.py").write_text(body)
        _run([str(DGL_PY), str(tmp_path / f"dgl_{i}.py")], work, "the README's DGL snippet (in .venv-dgl)")
    for i, body in enumerate(shell):
        _run(["bash", "-e", "-c", body], work, f"the README's shell snippet {i}")
    assert (work / "big.zarr").exists() and (work / "big_npy").is_dir() and (work / "out_dgl" / "rand.json").exists()
