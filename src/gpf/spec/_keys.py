"""Helpers for error messages: JSON key paths (``node_map.user[2]``, ``part-1.node_feats``) and JSON type names."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping

_PLAIN = re.compile(r"[^\s.\[\]\"'\\]{1,64}")
_MAX_KEY = 64


def key_segment(seg: object, first: bool = False) -> str:
    if isinstance(seg, int) and not isinstance(seg, bool):
        return f"[{seg}]"
    s = str(seg)
    if _PLAIN.fullmatch(s) and s.isprintable():
        return s if first else "." + s
    if len(s) > _MAX_KEY:
        s = s[:_MAX_KEY] + "..."
    return f"[{json.dumps(s)}]"


def key_path(parts: Iterable[object]) -> str | None:
    """Join key segments (str keys, int list indexes) into one printable path; None when empty."""
    out = ""
    for seg in parts:
        out += key_segment(seg, first=not out)
    return out or None


def json_type(x: object) -> str:
    if x is None:
        return "null"
    if isinstance(x, bool):
        return "boolean"
    if isinstance(x, int):
        return "integer"
    if isinstance(x, float):
        return "number"
    if isinstance(x, str):
        return "string"
    if isinstance(x, (list, tuple)):
        return "array"
    if isinstance(x, Mapping):
        return "object"
    return type(x).__name__
