"""Render JSON key paths for error messages: ``node_map.user[2]``, ``part-1.node_feats``."""

from __future__ import annotations

import json
import re
from typing import Iterable

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
