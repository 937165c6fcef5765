"""Command-line flags for DGL's partition-file options, shared by ``gpf partition`` and ``gpf convert``.

``--graph-formats coo,csc`` (sparse formats saved in graph.dgl), ``--graphbolt`` (also write
DGL 2.x's ``fused_csc_sampling_graph.pt``), ``--store-eids`` / ``--store-inner-node`` /
``--store-inner-edge`` (its optional fields), ``--graphbolt-only`` (no graph.dgl), and for
``gpf partition`` ``--objtype cut|vol`` (METIS's objective).
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_dgl_output_flags", "dgl_output_kwargs"]


def _formats(text: str) -> tuple[str, ...]:
    from gpf.sdk.storage.dgl_writer import check_graph_formats

    try:
        return check_graph_formats([t.strip() for t in text.split(",") if t.strip()])
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_dgl_output_flags(parser: argparse.ArgumentParser, *, objtype: bool) -> None:
    g = parser.add_argument_group("DGL partition files (dgl backend; DGL partition_graph's options)")
    g.add_argument("--graph-formats", type=_formats, metavar="F[,F...]",
                   help="sparse formats saved in graph.dgl: any of coo, csr, csc (default coo, as DGL)")
    g.add_argument("--graphbolt", action="store_true",
                   help="also write partN/fused_csc_sampling_graph.pt for DGL 2.x GraphBolt (use_graphbolt)")
    g.add_argument("--store-eids", action="store_true", help="GraphBolt: store edge IDs (_ID)")
    g.add_argument("--store-inner-node", action="store_true", help="GraphBolt: store the inner_node mask")
    g.add_argument("--store-inner-edge", action="store_true", help="GraphBolt: store the inner_edge mask")
    g.add_argument("--graphbolt-only", action="store_true",
                   help="write the GraphBolt file instead of graph.dgl (implies --graphbolt)")
    if objtype:
        g.add_argument("--objtype", choices=("cut", "vol"), default="cut",
                       help="METIS objective: edge cut (default) or communication volume")


def dgl_output_kwargs(args: Any) -> dict[str, Any]:
    """The :func:`gpf.partition` / :func:`gpf.convert` keywords the flags give."""
    graphbolt = bool(args.graphbolt or args.graphbolt_only)
    return {"graph_formats": args.graph_formats, "graphbolt": graphbolt, "store_eids": args.store_eids,
            "store_inner_node": args.store_inner_node, "store_inner_edge": args.store_inner_edge,
            "dgl_graph": not args.graphbolt_only}
