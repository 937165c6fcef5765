"""What the writers of the one-JSON-config backends (``dgl``, ``npy``, ``hdf5``) share.

The set is a directory: ``<out>/<graph_name>.json`` plus one ``part<N>/`` folder per
partition.  The config is removed first (``begin``) and written last (``commit``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile

from gpf.errors import GpfError

__all__ = ["DirectoryWriter", "replace_dir"]


class DirectoryWriter:
    """Base of the directory writers: config bookkeeping and ``part<N>/`` folders."""

    name = "?"

    def __init__(self, out_dir: str | os.PathLike[str], graph_name: str) -> None:
        out_dir = os.fspath(out_dir)
        if "://" in out_dir and not out_dir.startswith("file://"):
            raise GpfError(f"{out_dir}: the {self.name} writer writes local directories "
                           "(gpf convert stages a URL destination locally and uploads it)")
        if out_dir.startswith("file://"):
            out_dir = out_dir[len("file://"):]
        self.out_dir = out_dir
        self.graph_name = graph_name
        self.config_path = os.path.join(out_dir, f"{graph_name}.json")

    def exists(self) -> bool:
        return os.path.lexists(self.config_path)

    def begin(self) -> None:
        os.makedirs(self.out_dir, exist_ok=True)
        if os.path.lexists(self.config_path):
            os.unlink(self.config_path)

    def part_dir(self, part_id: int) -> str:
        d = os.path.join(self.out_dir, f"part{part_id}")
        os.makedirs(d, exist_ok=True)
        return d

    def commit(self, config) -> None:
        from gpf.spec import dump_config

        dump_config(config, self.config_path)


def replace_dir(final: str, fill) -> None:
    """Build a folder with ``fill(tmp_dir)`` next to ``final``, then swap it in whole
    (an older ``final`` is renamed away and removed), so no stale file survives."""
    parent = os.path.dirname(final)
    tmp = tempfile.mkdtemp(prefix=f".{os.path.basename(final)}.", suffix=".tmp", dir=parent)
    try:
        fill(tmp)
        os.chmod(tmp, 0o755)
        old = None
        if os.path.lexists(final):
            old = tempfile.mkdtemp(prefix=f".{os.path.basename(final)}.", suffix=".old", dir=parent)
            os.rename(final, os.path.join(old, "x"))
        os.rename(tmp, final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        with contextlib.suppress(OSError):
            shutil.rmtree(tmp)
        raise
