"""Shared by the oracle scripts (runs in BOTH venvs; numpy only, no dgl import).

``save_arrays(path, {name: array})`` writes ``path`` (npz with keys a0, a1, ...)
and ``path.keys.json`` holding the real names, which may contain '/' and ':'.
"""

import json
import os

import numpy as np


def save_arrays(path, arrays):
    names = list(arrays)
    np.savez(path, **{f"a{i}": np.asarray(arrays[n]) for i, n in enumerate(names)})
    base = path[:-4] if path.endswith(".npz") else path
    with open(base + ".keys.json", "w") as fh:
        json.dump(names, fh)


def save_json(path, obj):
    with open(path, "w") as fh:
        json.dump(obj, fh, indent=1, sort_keys=True)


def ensure_dir(path):
    os.makedirs(path, exist_ok=True)
    return path
