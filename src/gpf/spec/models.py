"""Pydantic v2 models of the partition config (the ``<graph_name>.json`` / ``metadata.json`` file).

These models are the single source of truth for the *shape* of a config: the JSON
schema (``spec/gpf.schema.json``) is generated from them.  They check types and
shapes only.  Cross-field rules (``len(ranges) == num_parts``, ranges tiling the ID
space, dense type IDs, ...) are invariants of SPEC.md section 10, checked by the
validator; a config that breaks them still parses.

In Python the ``part-0`` .. ``part-{P-1}`` entries are the list :attr:`PartitionConfig.parts`
and unknown top-level keys live in :attr:`PartitionConfig.extra`.  Use
:func:`gpf.spec.parse_config` / :func:`gpf.spec.config_to_dict` to go between the
on-disk dict and the model; ``PartitionConfig.model_validate`` takes the Python shape.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StrictInt,
    StrictStr,
    WithJsonSchema,
    field_validator,
)

from gpf.errors import ConfigError
from gpf.spec._keys import key_path
from gpf.spec.version import SPEC_VERSION_PATTERN, parse_spec_version

__all__ = [
    "DEFAULT_NTYPE",
    "DEFAULT_ETYPE",
    "DEFAULT_CANONICAL_ETYPE",
    "INT64_MAX",
    "PART_KEY_PATTERN",
    "TOP_LEVEL_KEYS",
    "TYPE_NAME_PATTERN",
    "CANONICAL_ETYPE_PATTERN",
    "BalanceConstraint",
    "BalanceConstraints",
    "PartFiles",
    "PartitionConfig",
    "check_type_name",
    "is_homogeneous",
    "split_canonical_etype",
]

#: Node type of a homogeneous graph.
DEFAULT_NTYPE = "_N"
#: Relation name of a homogeneous graph.
DEFAULT_ETYPE = "_E"
#: Canonical edge-type key of a homogeneous graph.
DEFAULT_CANONICAL_ETYPE = "_N:_E:_N"

INT64_MAX = 2**63 - 1


def is_homogeneous(ntypes: Collection[object], etypes: Collection[object]) -> bool:
    """The one rule for "homogeneous", used by every part of gpf: exactly one node type and one
    edge type, whatever their names (DGL's ``g.is_homogeneous``; SPEC.md, "Types").  A set whose
    only types are ``paper`` / ``paper:cites:paper`` is homogeneous like one named ``_N`` / ``_N:_E:_N``:
    it reads as a PyG ``Data`` through every path and its partition graphs need no ``_TYPE``."""
    return len(ntypes) == 1 and len(etypes) == 1

#: On-disk key of a partition entry (``part-0``, ``part-12``; no leading zeros).
PART_KEY_PATTERN = r"^part-(0|[1-9][0-9]{0,17})$"
_PART_KEY_RE = re.compile(PART_KEY_PATTERN[1:-1])

#: Top-level spec keys, in the order gpf writes them (DGL's order; gpf_version first;
#: the ``part-N`` entries go between ``etypes`` and ``node_map_dtype``).
TOP_LEVEL_KEYS = (
    "gpf_version",
    "graph_name",
    "num_nodes",
    "num_edges",
    "part_method",
    "num_parts",
    "halo_hops",
    "node_map",
    "edge_map",
    "ntypes",
    "etypes",
    "node_map_dtype",
    "edge_map_dtype",
    "balance_constraints",
)

#: JSON-schema pattern of a node type / relation name: non-empty, no '/' or ':'.
TYPE_NAME_PATTERN = "^[^/:]+$"
#: JSON-schema pattern of a canonical edge-type key ``src:rel:dst``.
CANONICAL_ETYPE_PATTERN = "^[^/:]+:[^/:]+:[^/:]+$"


def check_type_name(name: str, what: str = "type name") -> str:
    """Return ``name`` if it is a legal node type / relation name, else raise ValueError."""
    if not name:
        raise ValueError(f"{what} must not be empty")
    if "/" in name or ":" in name:
        raise ValueError(f"{what} {name!r} must not contain '/' or ':'")
    return name


def split_canonical_etype(key: str) -> tuple[str, str, str]:
    """``"user:follows:user"`` -> ``("user", "follows", "user")``; ValueError when malformed."""
    parts = key.split(":")
    if len(parts) != 3:
        raise ValueError(
            f"edge-type key {key!r} must be 'src:rel:dst' (three type names joined by ':'), "
            f"it has {len(parts)} part(s)"
        )
    for what, p in zip(("source type", "relation", "destination type"), parts):
        try:
            check_type_name(p, what)
        except ValueError as e:
            raise ValueError(f"edge-type key {key!r}: {e}") from None
    return parts[0], parts[1], parts[2]


def _check_canonical(key: str) -> str:
    split_canonical_etype(key)
    return key


def _check_version(v: str | None) -> str | None:
    if v is not None and parse_spec_version(v) is None:
        raise ValueError(f"gpf_version {v!r} is not MAJOR.MINOR (e.g. '1.0')")
    return v


# --- annotated scalar types (validation + JSON schema from one place) -------------------------

#: A non-negative integer that fits int64 (bools and floats are rejected).
NonNegInt = Annotated[StrictInt, Field(ge=0, le=INT64_MAX)]
#: A partition count.
PositiveInt = Annotated[StrictInt, Field(ge=1, le=INT64_MAX)]

TypeName = Annotated[
    StrictStr,
    AfterValidator(check_type_name),
    WithJsonSchema({"type": "string", "pattern": TYPE_NAME_PATTERN, "description": "node type name"}),
]
CanonicalEtype = Annotated[
    StrictStr,
    AfterValidator(_check_canonical),
    WithJsonSchema(
        {"type": "string", "pattern": CANONICAL_ETYPE_PATTERN, "description": "canonical edge type 'src:rel:dst'"}
    ),
]
#: One ``[start, end)`` ID range, written as a 2-element JSON array.
IdRange = Annotated[tuple[NonNegInt, NonNegInt], Field(description="[start, end): half-open homogeneous ID range")]
#: One range per partition, in partition order.
RangeList = Annotated[list[IdRange], Field(description="one [start, end) range per partition, partition order")]
SpecVersion = Annotated[
    StrictStr,
    AfterValidator(_check_version),
    WithJsonSchema({"type": "string", "pattern": SPEC_VERSION_PATTERN}),
]
MapDtype = Literal["int32", "int64"]


class PartFiles(BaseModel):
    """The files of one partition (``part-N`` in the JSON).

    Paths are relative to the directory holding the config (absolute paths are
    accepted as data).  Unknown keys are kept (``model_extra``) and written back.
    """

    model_config = ConfigDict(extra="allow", validate_assignment=True)

    node_feats: StrictStr | None = Field(None, description="node feature file (save_tensors dict 'ntype/name' -> tensor)")
    edge_feats: StrictStr | None = Field(None, description="edge feature file (save_tensors dict 'src:rel:dst/name' -> tensor)")
    part_graph: StrictStr | None = Field(None, description="partition graph in DGL save_graphs format (graph.dgl)")
    part_graph_graphbolt: StrictStr | None = Field(
        None, description="partition graph in GraphBolt format (fused_csc_sampling_graph.pt)"
    )

    def extra_keys(self) -> dict[str, Any]:
        """Unknown keys of this entry (e.g. ``orig_nids``), in file order."""
        return dict(self.model_extra or {})


class BalanceConstraint(BaseModel):
    """One METIS balance constraint: the nodes it counts and what each of them weighs."""

    model_config = ConfigDict(extra="allow")

    weight: Literal["nodes", "in_edges"] = Field(
        description="what a node weighs: 1 ('nodes') or its in-degree ('in_edges')"
    )
    ntype: TypeName | None = Field(None, description="only nodes of this type (absent: every type)")
    label: StrictInt | None = Field(None, description="only nodes with this balance_ntypes label (absent: any)")
    merged: list[dict[str, Any]] | None = Field(
        None, description="node groups ({ntype, label}) with fewer nodes than parts, counted in this constraint"
    )


class BalanceConstraints(BaseModel):
    """How a METIS partition was balanced (gpf writes it; informative, like ``part_method``)."""

    model_config = ConfigDict(extra="allow")

    objtype: Literal["cut", "vol"] = Field(description="METIS objective: edge cut or communication volume")
    constraints: list[BalanceConstraint] = Field(
        description="one per METIS vertex-weight column: every partition gets an even share of each"
    )


class PartitionConfig(BaseModel):
    """A partition config in canonical (current) form.

    See spec/SPEC.md section 3 for the meaning of every field.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    graph_name: StrictStr = Field(description="name of the graph; DistGraph looks the graph up by it")
    num_nodes: NonNegInt = Field(description="total number of nodes, all types")
    num_edges: NonNegInt = Field(description="total number of edges, all types")
    part_method: StrictStr = Field(description="how nodes were assigned to partitions, e.g. 'metis', 'random'")
    num_parts: PositiveInt = Field(description="number of partitions P")
    halo_hops: NonNegInt = Field(1, description="hops of HALO nodes kept around each partition")
    node_map: dict[TypeName, RangeList] = Field(description="ntype -> one [start, end) node-ID range per partition")
    edge_map: dict[CanonicalEtype, RangeList] = Field(
        description="'src:rel:dst' -> one [start, end) edge-ID range per partition"
    )
    ntypes: dict[TypeName, NonNegInt] = Field(description="ntype -> node type ID (0..T-1)")
    etypes: dict[CanonicalEtype, NonNegInt] = Field(description="'src:rel:dst' -> edge type ID (0..R-1)")
    parts: list[PartFiles] = Field(default_factory=list, description="part-0 .. part-{P-1}")
    node_map_dtype: MapDtype | None = Field(None, description="integer width readers use for node ranges")
    edge_map_dtype: MapDtype | None = Field(None, description="integer width readers use for edge ranges")
    gpf_version: SpecVersion | None = Field(None, description="gpf spec version (MAJOR.MINOR) the file follows")
    balance_constraints: BalanceConstraints | None = Field(
        None, description="METIS objective and balance constraints the writer used (spec 1.1; informative)"
    )
    extra: dict[str, Any] = Field(default_factory=dict, description="unknown top-level keys, kept as they are")

    _source: str = PrivateAttr(default="<config>")

    @field_validator("extra")
    @classmethod
    def _extra_keys_are_unknown(cls, extra: dict[str, Any]) -> dict[str, Any]:
        for k in extra:
            if k in TOP_LEVEL_KEYS or _PART_KEY_RE.fullmatch(k):
                raise ValueError(f"extra key {k!r} is a spec key; set the field (or parts) instead")
        return extra

    def __eq__(self, other: object) -> bool:
        """Field-wise equality; where the config came from (:attr:`source`) does not count."""
        if not isinstance(other, PartitionConfig):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in type(self).model_fields)

    __hash__ = None  # type: ignore[assignment]

    # --- convenience (read-only, no I/O) -------------------------------------------------------

    @property
    def source(self) -> str:
        """Where this config came from (file path or ``<config>``); used in error messages."""
        return self._source

    @property
    def ntype_names(self) -> list[str]:
        """Node type names ordered by type ID."""
        return sorted(self.ntypes, key=lambda n: (self.ntypes[n], n))

    @property
    def etype_keys(self) -> list[str]:
        """Canonical edge-type keys (``"src:rel:dst"``) ordered by type ID."""
        return sorted(self.etypes, key=lambda k: (self.etypes[k], k))

    @property
    def canonical_etypes(self) -> list[tuple[str, str, str]]:
        """Canonical edge types ``(src, rel, dst)`` ordered by type ID."""
        return [split_canonical_etype(k) for k in self.etype_keys]

    @property
    def is_homogeneous(self) -> bool:
        """One node type and one edge type, whatever their names (:func:`is_homogeneous`)."""
        return is_homogeneous(self.ntypes, self.etypes)

    def node_ranges(self) -> np.ndarray:
        """int64 array (num_ntypes, num_parts, 2): ``[t, p] = [start, end)`` of ntype ID t in partition p.

        Raises ConfigError when ``node_map`` does not match ``ntypes``/``num_parts``.
        """
        return self._ranges("node_map", self.node_map, "ntypes", self.ntype_names)

    def edge_ranges(self) -> np.ndarray:
        """int64 array (num_etypes, num_parts, 2), ordered by edge type ID (see :meth:`node_ranges`)."""
        return self._ranges("edge_map", self.edge_map, "etypes", self.etype_keys)

    def part_files(self, i: int) -> PartFiles:
        """The ``part-i`` entry; ConfigError when there is none."""
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)):
            raise TypeError(f"partition index must be an int, got {type(i).__name__}")
        i = int(i)
        if not 0 <= i < len(self.parts):
            have = f"part-0..part-{len(self.parts) - 1}" if self.parts else "no part-N entries"
            raise ConfigError(self._source, f"no such partition entry (the config has {have})", key=f"part-{i}")
        return self.parts[i]

    def _ranges(self, field: str, mapping: dict[str, list[tuple[int, int]]], types_field: str,
                order: list[str]) -> np.ndarray:
        for key in mapping:
            if key not in getattr(self, types_field):
                raise ConfigError(self._source, f"type is not listed in {types_field}", key=key_path((field, key)))
        # Check every list against num_parts before allocating: num_parts is only a claim.
        for name in order:
            if name not in mapping:
                raise ConfigError(self._source, f"type listed in {types_field} has no ranges", key=key_path((field, name)))
            ranges = mapping[name]
            if len(ranges) != self.num_parts:
                raise ConfigError(
                    self._source,
                    f"has {len(ranges)} range(s) but num_parts is {self.num_parts}",
                    key=key_path((field, name)),
                )
        out = np.empty((len(order), self.num_parts, 2), dtype=np.int64)
        for t, name in enumerate(order):
            if mapping[name]:
                out[t] = np.asarray(mapping[name], dtype=np.int64)
        return out
