"""JSON Schema of the on-disk partition config, generated from the models.

The schema describes the file (``part-N`` keys, unknown keys allowed), not the Python
model (``parts`` list, ``extra`` dict).  ``spec/gpf.schema.json`` is this output,
committed; regenerate it with ``gpf schema --out spec/gpf.schema.json``.

It covers the canonical current form only.  Legacy forms (SPEC.md section 8) are read
by gpf but do not validate against the schema; run them through ``gpf upgrade``.
"""

from __future__ import annotations

import json
import os
from typing import Any

from gpf.spec.io import atomic_write_text
from gpf.spec.models import PART_KEY_PATTERN, TOP_LEVEL_KEYS, PartitionConfig
from gpf.spec.version import SPEC_VERSION

__all__ = ["config_json_schema", "schema_text", "write_schema"]


def _close_keyed_maps(node: Any) -> None:
    """A ``dict[TypeName, V]`` becomes ``patternProperties``; forbid keys that miss the pattern."""
    if isinstance(node, dict):
        if "patternProperties" in node and "properties" not in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
            names = node.get("propertyNames")
            if isinstance(names, dict) and set(names) <= {"description"}:
                del node["propertyNames"]  # only a description left after pattern -> patternProperties
        for v in node.values():
            _close_keyed_maps(v)
    elif isinstance(node, list):
        for v in node:
            _close_keyed_maps(v)


def config_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a canonical partition config file."""
    model = PartitionConfig.model_json_schema(mode="validation")
    defs = model.pop("$defs", {})
    props = model["properties"]
    part_schema = {"$ref": "#/$defs/PartFiles"}
    ordered = {k: props[k] for k in TOP_LEVEL_KEYS if k in props}
    missing = set(props) - set(ordered) - {"parts", "extra"}
    assert not missing, f"model fields not placed in the schema: {missing}"
    _close_keyed_maps(ordered)
    _close_keyed_maps(defs)
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "gpf partition config",
        "description": (
            f"Partition config of a gpf / DGL partitioned graph, spec version {SPEC_VERSION} "
            "(spec/SPEC.md). Canonical form; unknown top-level keys are allowed and must be "
            "preserved by readers. Generated from gpf.spec.models: do not edit by hand."
        ),
        "x-gpf-spec-version": SPEC_VERSION,
        "type": "object",
        "properties": ordered,
        "patternProperties": {PART_KEY_PATTERN: part_schema},
        "required": [k for k in model.get("required", []) if k not in ("parts", "extra")],
        "additionalProperties": True,
        "$defs": defs,
    }
    return schema


def schema_text() -> str:
    """The exact text :func:`write_schema` writes."""
    return json.dumps(config_json_schema(), indent=2, ensure_ascii=True) + "\n"


def write_schema(path: str | os.PathLike[str]) -> None:
    """Write the schema to ``path`` (atomically)."""
    atomic_write_text(path, schema_text())
