"""The version of the gpf partition-config spec (spec/SPEC.md) this code implements."""

from __future__ import annotations

import re

__all__ = ["SPEC_VERSION", "SPEC_VERSION_PATTERN", "parse_spec_version"]

#: The spec version gpf writes into ``gpf_version``.  MAJOR.MINOR; see SPEC.md section 9.
SPEC_VERSION = "1.1"

#: What a ``gpf_version`` value must look like.
SPEC_VERSION_PATTERN = r"^(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})$"

_RE = re.compile(SPEC_VERSION_PATTERN)


def parse_spec_version(text: str) -> tuple[int, int] | None:
    """``"1.0"`` -> ``(1, 0)``; ``None`` when ``text`` is not MAJOR.MINOR."""
    m = _RE.fullmatch(text) if isinstance(text, str) else None
    return (int(m.group(1)), int(m.group(2))) if m else None
