"""Resolving the file paths a config names, without ever leaving the dataset root.

Paths in a config are relative to the directory holding the JSON (the *dataset
root*).  Absolute paths (written by DGL 0.5) are accepted when they point inside
the root; if the set has been moved since, ``partN/<file>`` under the root is used
when it exists.  Anything that resolves outside the root — ``..``, an absolute path
elsewhere, a symlink pointing out — is refused.
"""

from __future__ import annotations

import os
import posixpath

from gpf.errors import ConfigError, PathEscapeError

__all__ = ["is_url", "dataset_root", "resolve", "check_inside", "inside"]


def is_url(path: str) -> bool:
    return "://" in path and not path.startswith("file://")


def dataset_root(config_path: str) -> str:
    if is_url(config_path):
        return config_path.rsplit("/", 1)[0]
    if config_path.startswith("file://"):
        config_path = config_path[len("file://"):]
    return os.path.dirname(os.path.abspath(config_path))


def resolve(root: str, path: str, *, config: str, key: str) -> str:
    """Return the absolute path (or URL) of ``path`` named at ``key`` in ``config``."""
    if not isinstance(path, str) or not path or "\x00" in path:
        raise ConfigError(config, f"invalid file path {path!r}", key)
    if is_url(root):
        if is_url(path) or path.startswith("/"):
            raise ConfigError(config, f"path {path!r} must be relative to the dataset root", key)
        norm = posixpath.normpath(path)
        if norm == ".." or norm.startswith("../"):
            raise ConfigError(config, f"path {path!r} escapes the dataset root", key)
        return f"{root}/{norm}"
    root_real = os.path.realpath(root)
    if os.path.isabs(path):
        candidate = path
        if not _inside(os.path.realpath(candidate), root_real):
            # A set written with absolute paths and moved since: keep its last two parts.
            tail = os.path.join(*os.path.normpath(path).split(os.sep)[-2:])
            moved = os.path.join(root, tail)
            if os.path.exists(moved) and _inside(os.path.realpath(moved), root_real):
                return moved
            raise ConfigError(config, f"absolute path {path!r} is outside the dataset root {root}", key)
    else:
        candidate = os.path.join(root, path)
    if not _inside(os.path.normpath(os.path.abspath(candidate)), os.path.abspath(root)) and not os.path.isabs(path):
        raise ConfigError(config, f"path {path!r} escapes the dataset root", key)
    if not _inside(os.path.realpath(candidate), root_real):
        raise ConfigError(config, f"path {path!r} resolves (through a symlink) outside the dataset root", key)
    return candidate


def check_inside(root: str, path: str, *, what: str = "path") -> str:
    """Refuse a local ``path`` (a file or folder a set names indirectly: an array file of an ``npy`` tree,
    an HDF5 external file, a Zarr key) that resolves, through symlinks, outside the dataset ``root``.
    Returns ``path``; raises :class:`~gpf.errors.PathEscapeError` naming it."""
    if is_url(root):
        return path
    real = os.path.realpath(path)
    if not _inside(real, os.path.realpath(root)):
        raise PathEscapeError(path, None, f"{what} resolves to {real!r}, outside the dataset root {root} (refused)")
    return path


def inside(root: str, path: str) -> bool:
    """True when the local ``path`` resolves (through symlinks) inside ``root``."""
    return _inside(os.path.realpath(path), os.path.realpath(root))


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)
