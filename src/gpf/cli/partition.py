"""``gpf partition INPUT OUT_DIR --parts N``: partition a graph in memory (:mod:`gpf.sdk.write.writer`) or out of
core (:mod:`gpf.sdk.write.streaming`) and write a DGL-loadable set."""

from __future__ import annotations

import os

from gpf.cli.dgl_flags import add_dgl_output_flags, dgl_output_kwargs
from gpf.cli.flags import add_scale_out_flags
from gpf.errors import EXIT_OK, GpfError

__all__ = ["add_parser", "run"]


def add_parser(sub) -> None:
    part = sub.add_parser("partition", help="partition a graph and write a DGL-loadable partition set")
    part.add_argument("input", help="graph.npz (src, dst, num_nodes, node:<f>, edge:<f>; gpf.Graph.save), a chunked-graph "
                      "directory (metadata.json; gpf.Graph.save_chunked) or a partition set to re-partition (its "
                      "config, a directory holding one, a Zarr store)")
    part.add_argument("out_dir", help="output directory (gets <name>.json and part<N>/)")
    part.add_argument("--parts", type=int, required=True, metavar="N", help="number of partitions")
    part.add_argument("--method", choices=("metis", "random"), default="metis", help="node assignment (default metis)")
    part.add_argument("--assignment", metavar="FILE.npy", help="given assignment: one partition ID per node "
                      "(node types in sorted order), or .npz with one array per node type; overrides --method")
    part.add_argument("--halo-hops", type=int, default=1, help="HALO hops (default 1)")
    part.add_argument("--name", help="graph name (default: the input's file name)")
    part.add_argument("--backend", default="dgl", help="storage backend (default dgl)")
    part.add_argument("--seed", type=int, default=0, help="random seed (random method, METIS)")
    part.add_argument("--balance-edges", action="store_true", help="METIS: also balance in-edges per partition")
    part.add_argument("--num-trainers", type=int, default=1, metavar="T",
                      help="trainers per machine: adds trainer_id features (default 1)")
    part.add_argument("--overwrite", action="store_true", help="replace an existing <name>.json in OUT_DIR")
    part.add_argument("--out-of-core", action="store_true",
                      help="stream edges and features chunk by chunk (1-hop HALO; any other input is staged as a chunked "
                      "graph inside OUT_DIR first); implied by --workers/--scheduler")
    add_dgl_output_flags(part, objtype=True)
    add_scale_out_flags(part)
    part.set_defaults(func=run)


def run(args) -> int:
    from gpf.sdk.write.inputs import load_assignment, load_graph
    from gpf.sdk.write.writer import write_partitions

    method = load_assignment(args.assignment) if args.assignment else args.method
    name = args.name or _default_name(args.input)
    dgl_kwargs = dgl_output_kwargs(args)
    if args.out_of_core or args.workers or args.scheduler:
        if args.graph_formats or args.graphbolt or args.graphbolt_only or args.store_eids or args.store_inner_node \
                or args.store_inner_edge or args.objtype != "cut":
            raise GpfError("--graph-formats/--graphbolt/--store-*/--objtype are not supported with "
                           "--out-of-core/--workers/--scheduler; write the set, then `gpf convert SRC DST --graphbolt "
                           "[--store-...] [--graph-formats ...]`")
        from gpf.sdk.write.staged_input import chunked_input
        from gpf.sdk.write.streaming import partition_chunked

        if args.num_trainers != 1:
            raise GpfError("--out-of-core/--workers/--scheduler partition with --num-trainers 1 (as DGL's pipeline)")
        with chunked_input(args.input, args.out_dir, num_chunks=args.workers or 1, graph_name=name) as meta:
            _, report = partition_chunked(meta, args.parts, args.out_dir, name, method=method,
                                          halo_hops=args.halo_hops, seed=args.seed, balance_edges=args.balance_edges,
                                          overwrite=args.overwrite, backend=args.backend, workers=args.workers,
                                          scheduler=args.scheduler, progress=True)
        print(report.line())
        return EXIT_OK
    graph = load_graph(args.input)
    _, report = write_partitions(graph, args.parts, args.out_dir, name, method=method, halo_hops=args.halo_hops,
                                 backend=args.backend, balance_edges=args.balance_edges,
                                 num_trainers_per_machine=args.num_trainers, seed=args.seed,
                                 overwrite=args.overwrite, progress=True, objtype=args.objtype, **dgl_kwargs)
    print(report.line())
    return EXIT_OK


def _default_name(path: str) -> str:
    if os.path.isdir(path):  # chunked graph: its own graph_name (read by the bounded JSON loader)
        from gpf.sdk.write.inputs import chunked_graph_name

        name = chunked_graph_name(path)
        if name and "/" not in name and not name.startswith("."):
            return name
    base = os.path.basename(os.path.normpath(path))
    for ext in (".npz", ".json"):
        if base.endswith(ext):
            base = base[: -len(ext)]
    return base if base not in ("", ".", "..", "metadata") else "graph"
