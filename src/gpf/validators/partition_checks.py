"""Per-partition graph checks (SPEC.md section 10: G1-G9), vectorised over one partition's arrays.

:func:`load_part` turns a stored partition graph into a :class:`PartData` (or reports why it
cannot: ``graph.format``, ``graph.field_missing``...); each ``check_*`` function then checks one
rule on it and adds problems.  Every function is O(local nodes + local edges) numpy work: no
Python loop runs per node or per edge.  What later set-level checks need (the global endpoints of
inner and HALO edges) is kept on the :class:`PartData`.

The checks live by what they check: :mod:`gpf.validators.node_checks` (G1, G3, G4, G7-nodes, G8) and
:mod:`gpf.validators.edge_checks` (G5, G6, G7-edges, G9, B2), on the data of
:mod:`gpf.validators.part_data`; this module names them in the order they run.
"""

from __future__ import annotations

from gpf.validators.edge_checks import (
    check_edge_ids,
    check_edge_types,
    check_endpoint_types,
    check_graph_files_agree,
    check_halo_edges,
    check_inner_edge_flags,
    check_inner_edges,
)
from gpf.validators.node_checks import (
    check_halo_nodes,
    check_inner_nodes,
    check_local_ids,
    check_node_ids,
    check_node_types,
    check_part_ids,
)
from gpf.validators.part_data import HaloCopy, IndexExtremes, PartData, SetFacts, load_part, search_sorted

__all__ = [
    "SetFacts",
    "PartData",
    "HaloCopy",
    "IndexExtremes",
    "load_part",
    "check_local_ids",
    "check_node_ids",
    "check_inner_nodes",
    "check_halo_nodes",
    "check_node_types",
    "check_part_ids",
    "check_edge_ids",
    "check_inner_edges",
    "check_inner_edge_flags",
    "check_halo_edges",
    "check_edge_types",
    "check_endpoint_types",
    "check_graph_files_agree",
    "PARTITION_CHECKS",
    "search_sorted",
]


#: Per-partition checks in the order they run (later ones use what earlier ones established).
PARTITION_CHECKS = (check_local_ids, check_node_ids, check_inner_nodes, check_halo_nodes, check_node_types,
                    check_part_ids, check_edge_ids, check_inner_edges, check_inner_edge_flags, check_halo_edges,
                    check_edge_types, check_endpoint_types)
