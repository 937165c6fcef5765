"""The gpf partition-config spec: models, legacy normalisation, I/O and JSON schema.

This package is the single source of truth for the config format described in
``spec/SPEC.md``; ``spec/gpf.schema.json`` is generated from it.
"""

from gpf.spec.io import (
    MAX_CONFIG_BYTES,
    MAX_CONFIG_DEPTH,
    config_to_dict,
    decode_config_json,
    dump_config,
    load_config,
    loads_config,
    parse_config,
    read_config_json,
)
from gpf.spec.models import (
    CANONICAL_ETYPE_PATTERN,
    DEFAULT_CANONICAL_ETYPE,
    DEFAULT_ETYPE,
    DEFAULT_NTYPE,
    PART_KEY_PATTERN,
    TOP_LEVEL_KEYS,
    TYPE_NAME_PATTERN,
    BalanceConstraint,
    BalanceConstraints,
    PartFiles,
    PartitionConfig,
    check_type_name,
    is_homogeneous,
    split_canonical_etype,
)
from gpf.spec.normalize import EtypeResolver, normalize_config
from gpf.spec.schema import config_json_schema, schema_text, write_schema
from gpf.spec.version import SPEC_VERSION, parse_spec_version

__all__ = [
    "SPEC_VERSION",
    "parse_spec_version",
    "BalanceConstraint",
    "BalanceConstraints",
    "PartFiles",
    "PartitionConfig",
    "DEFAULT_NTYPE",
    "DEFAULT_ETYPE",
    "DEFAULT_CANONICAL_ETYPE",
    "is_homogeneous",
    "TYPE_NAME_PATTERN",
    "CANONICAL_ETYPE_PATTERN",
    "PART_KEY_PATTERN",
    "TOP_LEVEL_KEYS",
    "check_type_name",
    "split_canonical_etype",
    "EtypeResolver",
    "normalize_config",
    "MAX_CONFIG_BYTES",
    "MAX_CONFIG_DEPTH",
    "read_config_json",
    "decode_config_json",
    "loads_config",
    "load_config",
    "parse_config",
    "config_to_dict",
    "dump_config",
    "config_json_schema",
    "schema_text",
    "write_schema",
]
