"""What ``gpf validate`` finds: :class:`Problem`, :class:`Report`, and the table of problem codes.

Every problem has a stable ``code`` (``node_map.gap``, ``inner_node.owner``...) listed in
:data:`CODES` with the SPEC.md rule it enforces (section 10) and its severity.  Checks add
problems with :meth:`Report.error` / :meth:`Report.warn`; ``examples`` are the offending IDs,
keys or offsets (at most ``max_examples`` are kept).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gpf.errors import EXIT_INVALID, EXIT_OK, EXIT_UNREADABLE

__all__ = ["Problem", "Report", "CODES", "ERROR", "WARNING", "INFO", "UNREADABLE_CODES"]

ERROR, WARNING, INFO = "error", "warning", "info"

#: code -> (SPEC.md rule(s), severity, what it means).  The single list of codes; SPEC.md section 10 mirrors it.
CODES: dict[str, tuple[str, str, str]] = {
    # -- the config file ---------------------------------------------------------------------
    "config.unreadable": ("3", ERROR, "the config file is missing, not UTF-8 JSON, too large or too deep"),
    "config.not_config": ("3", ERROR, "the JSON is not a partition config (not an object, or none of its keys)"),
    "config.unsupported": ("8", ERROR, "a layout gpf deliberately does not read (pre-1.0 non-reshuffled)"),
    "config.key_missing": ("C1", ERROR, "a required top-level key is missing"),
    "config.key_type": ("C1", ERROR, "a key has the wrong JSON type or an out-of-range value"),
    "config.schema": ("C1", ERROR, "the config model rejects the file (message names the key)"),
    "config.version": ("C12", ERROR, "gpf_version is not MAJOR.MINOR or its major is newer than this reader"),
    "config.halo_hops": ("C11", ERROR, "halo_hops is 0 with more than one partition"),
    "config.map_dtype": ("C10", ERROR, "a *_map_dtype is not int32/int64, or int32 ranges exceed 2^31-1"),
    "part.missing": ("C2", ERROR, "no part-<i> entry for a partition 0 <= i < num_parts"),
    "part.extra": ("C2", ERROR, "a part-<i> entry with i >= num_parts"),
    "part.no_graph": ("C2", ERROR, "a part-<i> entry names neither part_graph nor part_graph_graphbolt"),
    "part.backend": ("11", ERROR, "a part-<i> entry names an unknown gpf_backend"),
    "part.no_feats": ("C2", ERROR, "a part-<i> entry lacks node_feats or edge_feats"),
    "ntypes.ids": ("C5", ERROR, "ntypes values are not exactly 0..T-1"),
    "etypes.ids": ("C5", ERROR, "etypes values are not exactly 0..R-1"),
    "ntypes.name": ("C3", ERROR, "a node type name is empty or contains '/' or ':'"),
    "etypes.key": ("C3", ERROR, "an edge-type key is not src:rel:dst with valid names"),
    "etypes.endpoint": ("C9", ERROR, "the source or destination type of an etype is not in ntypes"),
    "node_map.keys": ("C4", ERROR, "node_map keys differ from ntypes keys"),
    "edge_map.keys": ("C4", ERROR, "edge_map keys differ from etypes keys"),
    "node_map.count": ("C6", ERROR, "a node_map entry does not have num_parts [start, end] ranges"),
    "edge_map.count": ("C6", ERROR, "an edge_map entry does not have num_parts [start, end] ranges"),
    "node_map.inverted": ("C8", ERROR, "a node range has start > end"),
    "edge_map.inverted": ("C8", ERROR, "an edge range has start > end"),
    "node_map.start": ("C8", ERROR, "the first node range (partition-major, type-minor) does not start at 0"),
    "edge_map.start": ("C8", ERROR, "the first edge range does not start at 0"),
    "node_map.gap": ("C7 C8", ERROR, "a node range starts after the previous one ends (IDs owned by nobody)"),
    "edge_map.gap": ("C7 C8", ERROR, "an edge range starts after the previous one ends"),
    "node_map.overlap": ("C7 C8", ERROR, "a node range starts before the previous one ends (IDs owned twice)"),
    "edge_map.overlap": ("C7 C8", ERROR, "an edge range starts before the previous one ends"),
    "node_map.total": ("C8", ERROR, "the last node range does not end at num_nodes"),
    "edge_map.total": ("C8", ERROR, "the last edge range does not end at num_edges"),
    "path.invalid": ("P1", ERROR, "a file path is not a non-empty string (or holds NUL / unencodable characters)"),
    "path.escape": ("P1 11", ERROR, "a path resolves outside the dataset root (.., absolute, symlink, HDF5 external "
                    "storage/link/virtual dataset, Zarr key)"),
    "path.absolute": ("P1", WARNING, "an absolute file path inside the dataset root (`gpf upgrade` rewrites it)"),
    "path.missing": ("P2", ERROR, "a file the config names does not exist"),
    "path.kind": ("P2", ERROR, "a file the set names is a directory, FIFO, device or another kind of file (magic number)"),
    "file.changed": ("11", ERROR, "a memory-mapped file was truncated or replaced while it was being read"),
    # -- the partition graph -----------------------------------------------------------------
    "graph.format": ("G1 B1", ERROR, "the partition graph file does not decode (file and byte offset in the message)"),
    "graph.files_disagree": ("B2", ERROR, "a partition's DGL and GraphBolt graph files hold different nodes or edges"),
    "graph.field_missing": ("G2 B2", ERROR, "a required node/edge field (_ID, inner_node, inner_edge) is missing"),
    "graph.field_dtype": ("G1", ERROR, "a node/edge field is not a 1-D integer/boolean array of the right length"),
    "graph.local_id": ("G1", ERROR, "an edge endpoint is not a local node ID of the partition"),
    "node_id.range": ("G4", ERROR, "a node _ID is outside [0, num_nodes)"),
    "node_id.duplicate": ("G4", ERROR, "a node _ID appears twice in one partition"),
    "inner_node.owner": ("G3", ERROR, "an inner node's _ID is outside this partition's node range"),
    "inner_node.missing": ("G3 G6", ERROR, "a node of this partition's range is not stored as an inner node"),
    "inner_node.order": ("G3", ERROR, "inner nodes are not local IDs 0..n_inner-1 in ascending _ID"),
    "halo_node.owner": ("G4", ERROR, "a HALO node's _ID is owned by this partition"),
    "node_type.mismatch": ("G7", ERROR, "node _TYPE differs from the type node_map gives the _ID"),
    "part_id.mismatch": ("G8", ERROR, "node part_id differs from the owner node_map gives the _ID"),
    "edge_id.range": ("G5", ERROR, "an edge _ID is outside [0, num_edges)"),
    "edge_id.duplicate": ("G5", ERROR, "an edge _ID appears twice in one partition"),
    "inner_edge.dst": ("G6", ERROR, "inner_edge disagrees with inner_node of the edge's destination"),
    "inner_edge.owner": ("G5", ERROR, "an inner edge's _ID is outside this partition's edge range"),
    "inner_edge.missing": ("G5 G6", ERROR, "an edge of this partition's range is not stored as an inner edge"),
    "inner_edge.order": ("G5", ERROR, "inner edges are not local IDs 0..m_inner-1 in ascending _ID"),
    "halo_edge.owner": ("G5", ERROR, "a HALO edge's _ID is owned by this partition"),
    "edge_type.mismatch": ("G7", ERROR, "edge _TYPE differs from the type edge_map gives the _ID"),
    "edge.endpoint_type": ("G9", ERROR, "an edge of etype src:rel:dst does not join a src node to a dst node"),
    "halo_edge.endpoints": ("G9", ERROR, "a HALO edge joins other nodes than the owner partition's copy of it"),
    "halo.missing_edge": ("5.1 G6", ERROR, "an in-edge required by halo_hops (DGL's k-hop rule) is not stored"),
    # -- features and ID maps ----------------------------------------------------------------
    "feature.format": ("F1", ERROR, "a feature file does not decode"),
    "feature.key": ("F1", ERROR, "a feature key is not 'type/name' with one '/' and a non-empty name"),
    "feature.unknown_type": ("F1", ERROR, "a feature key's type is not a type of the config"),
    "feature.reserved": ("F3", ERROR, "a feature is named _ID, inner_node or inner_edge"),
    "feature.rows": ("F2", ERROR, "a feature tensor's row count differs from the partition's count of that type"),
    "feature.missing": ("F4", ERROR, "a feature present in one partition is absent in another with nodes/edges of that type"),
    "feature.dtype": ("F4", ERROR, "a feature's dtype differs between partitions"),
    "feature.shape": ("F4", ERROR, "a feature's trailing shape differs between partitions"),
    "orig_ids.format": ("M1", ERROR, "an original-ID file does not decode"),
    "orig_ids.missing": ("M1", ERROR, "some partitions store original-ID maps and others do not"),
    "orig_ids.key": ("M1", ERROR, "an original-ID map key is not a type of the config"),
    "orig_ids.dtype": ("M1", ERROR, "an original-ID map is not a 1-D integer array"),
    "orig_ids.rows": ("M1", ERROR, "an original-ID map's length differs from the partition's count of that type"),
    "orig_ids.permutation": ("M2", ERROR, "an original-ID map, concatenated over partitions, is not a permutation"),
    # -- against the original graph ----------------------------------------------------------
    "against.unreadable": ("-", ERROR, "the --against input graph cannot be read"),
    "against.no_orig_ids": ("7.4", ERROR, "the set stores no original-ID maps, so it cannot be compared"),
    "against.types": ("G9", ERROR, "node or edge types differ from the original graph's"),
    "against.count": ("G9", ERROR, "a type's node or edge count differs from the original graph's"),
    "against.edge": ("G9", ERROR, "an edge's endpoints differ from the original edge its orig ID names"),
    "against.feature_missing": ("6", ERROR, "an original feature is absent from the set (or a set feature from the original)"),
    "against.feature_value": ("6", ERROR, "a feature row differs from the original row its orig ID names"),
    # -- the validator itself -----------------------------------------------------------------
    "check.skipped": ("-", WARNING, "a check could not run because an earlier defect makes it meaningless"),
    "check.not_stored": ("-", INFO, "a check could not run because the set does not store the field it needs "
                         "(e.g. edge IDs in a GraphBolt file written without store_eids); not a defect"),
    "inner_edge.count": ("G5", ERROR, "a partition (GraphBolt, without stored edge IDs) has another number of "
                         "inner edges of a type than edge_map gives it"),
    "check.crashed": ("-", ERROR, "a check failed unexpectedly on this input (a gpf bug; the message says where)"),
    # -- warnings --------------------------------------------------------------------------------
    "graph.self_loop": ("-", WARNING, "the graph has self-loops"),
    "graph.duplicate_edge": ("-", WARNING, "the graph has parallel edges (same etype, source and destination)"),
    "graph.isolated_node": ("-", WARNING, "nodes with no in- or out-edges"),
    "partition.empty": ("-", WARNING, "a partition owns no nodes"),
    "type_range.empty": ("-", WARNING, "a partition owns no nodes of a type that has nodes"),
    "partition.imbalance": ("-", WARNING, "the largest partition owns more than twice the mean nodes or edges"),
    "type_range.imbalance": ("-", WARNING, "a node type with at least 100 inner nodes per partition on average: "
                             "a partition owns more than 1.5x the mean of its nodes"),
}

#: Codes meaning the set could not be read at all (exit status 2).
UNREADABLE_CODES = frozenset({"config.unreadable", "config.not_config", "against.unreadable"})


@dataclass
class Problem:
    """One finding: ``severity`` is ``"error"``, ``"warning"`` or ``"info"`` (what could not be checked);
    ``partition`` and ``path`` may be None."""

    code: str
    severity: str
    partition: int | None
    path: str | None
    message: str
    examples: list[Any] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity, "partition": self.partition, "path": self.path,
                "message": self.message, "examples": list(self.examples)}

    def line(self) -> str:
        where = [] if self.partition is None else [f"part {self.partition}"]
        if self.path:
            where.append(self.path)
        ex = f" (e.g. {', '.join(map(str, self.examples))})" if self.examples else ""
        loc = f" [{'; '.join(where)}]" if where else ""
        return " ".join(f"{self.severity.upper():7} {self.code}{loc}: {self.message}{ex}".split())


def _plain(value: Any) -> Any:
    if isinstance(value, (np.integer, np.bool_)):
        return value.item()
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return str(value)


class Report:
    """Everything ``gpf validate`` found in one set: problems in the order found and counts of what was checked."""

    def __init__(self, path: str, max_examples: int = 5) -> None:
        self.path = path
        self.max_examples = max(0, int(max_examples))
        self.problems: list[Problem] = []
        self.checked: dict[str, int] = {}

    # -- adding ----------------------------------------------------------------------------
    def add(self, code: str, message: str, *, partition: int | None = None, path: str | None = None,
            examples: Iterable[Any] | np.ndarray = (), severity: str | None = None) -> Problem:
        if code not in CODES:
            raise KeyError(f"unregistered problem code {code!r}")
        if isinstance(examples, np.ndarray):
            ex = [_plain(v) for v in examples.reshape(-1)[: self.max_examples].tolist()]
        else:
            ex = []
            for v in examples:
                if len(ex) >= self.max_examples:
                    break
                ex.append(_plain(v))
        sev = severity or CODES[code][1]
        p = Problem(code, sev, None if partition is None else int(partition), path, " ".join(str(message).split()), ex)
        self.problems.append(p)
        return p

    def error(self, code: str, message: str, **kw: Any) -> Problem:
        return self.add(code, message, severity=ERROR, **kw)

    def warn(self, code: str, message: str, **kw: Any) -> Problem:
        return self.add(code, message, severity=WARNING, **kw)

    def count(self, what: str, n: int = 1) -> None:
        self.checked[what] = self.checked.get(what, 0) + int(n)

    # -- reading -----------------------------------------------------------------------------
    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == WARNING]

    @property
    def infos(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == INFO]

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def readable(self) -> bool:
        return not any(p.code in UNREADABLE_CODES for p in self.problems)

    @property
    def codes(self) -> list[str]:
        """Distinct problem codes, in the order first found."""
        return list(dict.fromkeys(p.code for p in self.problems))

    @property
    def error_codes(self) -> set[str]:
        return {p.code for p in self.errors}

    @property
    def exit_code(self) -> int:
        """0 valid (warnings allowed), 1 invalid, 2 the set (or --against input) could not be read."""
        if not self.readable:
            return EXIT_UNREADABLE
        return EXIT_OK if self.valid else EXIT_INVALID

    def to_dict(self) -> dict[str, Any]:
        return {"valid": self.valid, "config": self.path, "problems": [p.to_dict() for p in self.problems],
                "checked": dict(self.checked)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, sort_keys=False)

    def summary(self) -> str:
        n_err, n_warn, n_info = len(self.errors), len(self.warnings), len(self.infos)
        verdict = "valid" if self.valid else ("unreadable" if not self.readable else "INVALID")
        counts = ", ".join(f"{v:,} {k}" for k, v in self.checked.items())
        notes = f", {n_info} note(s) on what could not be checked" if n_info else ""
        return (f"{self.path}: {verdict}: {n_err} error(s), {n_warn} warning(s){notes}"
                + (f"; checked {counts}" if counts else ""))

    def render(self) -> str:
        return "\n".join([*(p.line() for p in self.problems), self.summary()])

    def __repr__(self) -> str:
        return f"Report({self.path!r}, valid={self.valid}, codes={self.codes})"
