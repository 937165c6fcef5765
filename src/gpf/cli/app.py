"""The ``gpf`` command.

Exit codes (the CLI contract, also in README and spec/SPEC.md):
  0  success (for ``validate``: the set is valid; warnings allowed)
  1  the input was read but is invalid (``validate``)
  2  the input could not be read at all, or bad usage

Every failure prints one line ``gpf: error: ...`` on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Sequence

from gpf.errors import GpfError

EXIT_OK, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2

# Subcommands that live beside their feature: each module defines
# ``add_parser(subparsers) -> None`` and sets ``func`` (returning an exit code).
FEATURE_COMMANDS: tuple[str, ...] = ("gpf.cli.validate", "gpf.cli.convert")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # usage errors: one line, exit 2
        self.exit(EXIT_UNREADABLE, f"gpf: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="gpf", description="gpf: the graph partition format (DGL-compatible partition sets).")
    p.add_argument("--version", action="version", version=_version())
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    info = sub.add_parser("info", help="summarise a partition set: counts, HALO, edge cut, balance, features, files")
    info.add_argument("config", help="the partition config JSON (local path or fsspec URL)")
    info.add_argument("--json", action="store_true", help="print one JSON document")
    info.add_argument("--plot", metavar="FILE.png", help="draw per-partition inner/HALO node and edge bars")
    info.set_defaults(func=cmd_info)

    schema = sub.add_parser("schema", help="print (or write) the JSON Schema of the partition config")
    schema.add_argument("--out", metavar="FILE", help="write to FILE instead of stdout")
    schema.set_defaults(func=cmd_schema)

    up = sub.add_parser("upgrade", help="rewrite an older DGL config in the current canonical form (never in place)")
    up.add_argument("old", help="the old config JSON")
    up.add_argument("new", help="where to write the new config (same directory as OLD; must not exist)")
    up.add_argument("--force", action="store_true", help="overwrite NEW if it exists (never OLD)")
    up.set_defaults(func=cmd_upgrade)

    part = sub.add_parser("partition", help="partition a graph and write a DGL-loadable partition set")
    part.add_argument("input", help="graph.npz (src, dst, num_nodes, node:<f>, edge:<f>), a chunked-graph "
                      "directory (metadata.json) or a partition config .json (re-partition)")
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
                      help="chunked-graph input: stream edges and features chunk by chunk (1-hop HALO); implied by "
                      "--workers/--scheduler")
    add_scale_out_flags(part)
    part.set_defaults(func=cmd_partition)

    import importlib

    for module in FEATURE_COMMANDS:
        importlib.import_module(module).add_parser(sub)
    return p


def add_scale_out_flags(parser: argparse.ArgumentParser) -> None:
    """``--workers N`` / ``--scheduler ADDRESS``: run per-partition work on Dask (gpf.parallel)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--workers", type=int, metavar="N", help="run on a local Dask cluster of N worker processes")
    group.add_argument("--scheduler", metavar="ADDRESS", help="run on an existing Dask cluster (tcp://host:8786)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except GpfError as exc:
        _fail(str(exc))
    except (OSError, ValueError, KeyError, IndexError, TypeError) as exc:
        _fail(f"{type(exc).__name__}: {exc}")
    except KeyboardInterrupt:
        _fail("interrupted")
    return EXIT_UNREADABLE


def _fail(message: str) -> None:
    line = " ".join(str(message).split())
    print(f"gpf: error: {line}", file=sys.stderr)


def _version() -> str:
    from gpf import __version__
    from gpf.spec import SPEC_VERSION

    return f"gpf {__version__} (spec {SPEC_VERSION})"


# -- info ---------------------------------------------------------------------------------------
def cmd_info(args) -> int:
    import gpf
    from gpf.progress import track
    from gpf.sdk.ops.summary import summarize

    ps = gpf.open(args.config)
    bar = iter(track(range(ps.num_parts), total=ps.num_parts, description="reading partitions"))
    info = summarize(ps, progress=lambda _i: next(bar, None))
    if args.plot:
        from gpf.cli.info_plot import plot_partitions

        plot_partitions(info, args.plot)
    if args.json:
        print(json.dumps(info, indent=1))
    else:
        print(render_info(info))
        if args.plot:
            print(f"plot written to {args.plot}")
    return EXIT_OK


def render_info(info: dict[str, Any]) -> str:
    out = [
        f"graph      {info['graph_name']}   ({info['config']})",
        f"format     gpf {info['gpf_version'] or '- (written by DGL)'}; method {info['part_method']}; "
        f"halo_hops {info['halo_hops']}; {info['num_parts']} partitions",
        f"nodes      {info['num_nodes']:,}   " + ", ".join(f"{t}: {n:,}" for t, n in info["ntypes"].items()),
        f"edges      {info['num_edges']:,}   " + ", ".join(f"{t}: {n:,}" for t, n in info["etypes"].items()),
        f"edge cut   {info['edge_cut']:,} ({100 * info['edge_cut_ratio']:.1f}% of edges)   "
        f"balance: nodes {info['node_balance']:.3f}, edges {info['edge_balance']:.3f} (max/mean)",
        "",
    ]
    head = ["part", "inner nodes", "HALO nodes", "HALO %", "inner edges", "all edges", "cut in-edges", "bytes"]
    rows = []
    for p in info["partitions"]:
        total = p["inner_nodes"] + p["halo_nodes"]
        size = sum((f["bytes"] or 0) for f in p["files"].values())
        rows.append([str(p["part_id"]), f"{p['inner_nodes']:,}", f"{p['halo_nodes']:,}",
                     f"{100 * p['halo_nodes'] / total:.1f}" if total else "0.0",
                     f"{p['inner_edges']:,}", f"{p['edges']:,}", f"{p['cut_in_edges']:,}", _human(size)])
    out += _table(head, rows)
    feats = _feature_rows(info)
    if feats:
        out += ["", *_table(["feature", "dtype", "row shape", "rows (all parts)"], feats)]
    p0 = info["partitions"][0] if info["partitions"] else None
    if p0:
        out += ["", "files (part 0): " + ", ".join(f"{r}={f['path']}" for r, f in p0["files"].items())]
    return "\n".join(out)


def _feature_rows(info: dict[str, Any]) -> list[list[str]]:
    seen: dict[str, list] = {}
    for p in info["partitions"]:
        for kind in ("node_feats", "edge_feats"):
            for k, f in p[kind].items():
                rec = seen.setdefault(k, [f["dtype"], tuple(f["shape"][1:]), 0])
                rec[2] += f["shape"][0] if f["shape"] else 1
    return [[k, d, "x".join(map(str, s)) or "scalar", f"{n:,}"] for k, (d, s, n) in seen.items()]


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(head)]
    fmt = lambda r: "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths)))  # noqa: E731
    return [fmt(head), fmt(["-" * w for w in widths]), *map(fmt, rows)]


def _human(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


# -- schema -------------------------------------------------------------------------------------
def cmd_schema(args) -> int:
    from gpf.spec import config_json_schema

    text = json.dumps(config_json_schema(), indent=2) + "\n"
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
    return EXIT_OK


# -- upgrade ------------------------------------------------------------------------------------
def cmd_upgrade(args) -> int:
    from gpf.sdk.ops.upgrade import upgrade_config

    notes = upgrade_config(args.old, args.new, force=args.force)
    for n in notes:
        print(f"- {n}")
    print(f"wrote {args.new}")
    return EXIT_OK


# -- partition ----------------------------------------------------------------------------------
def cmd_partition(args) -> int:
    from gpf.sdk.write.inputs import load_graph, load_assignment
    from gpf.sdk.write.writer import write_partitions

    method = load_assignment(args.assignment) if args.assignment else args.method
    name = args.name or _default_name(args.input)
    if args.out_of_core or args.workers or args.scheduler:
        from gpf.sdk.write.streaming import partition_chunked

        if args.num_trainers != 1:
            raise GpfError("--out-of-core/--workers/--scheduler partition with --num-trainers 1 (as DGL's pipeline)")
        _, report = partition_chunked(_chunked_metadata(args.input), args.parts, args.out_dir, name, method=method,
                                      halo_hops=args.halo_hops, seed=args.seed, balance_edges=args.balance_edges,
                                      overwrite=args.overwrite, backend=args.backend, workers=args.workers,
                                      scheduler=args.scheduler, progress=True)
        print(report.line())
        return EXIT_OK
    graph = load_graph(args.input)
    _, report = write_partitions(graph, args.parts, args.out_dir, name, method=method, halo_hops=args.halo_hops,
                                 backend=args.backend, balance_edges=args.balance_edges,
                                 num_trainers_per_machine=args.num_trainers, seed=args.seed,
                                 overwrite=args.overwrite, progress=True)
    print(report.line())
    return EXIT_OK


def _chunked_metadata(path: str) -> str:
    meta = os.path.join(path, "metadata.json") if os.path.isdir(path) else path
    if not (os.path.isfile(meta) and os.path.basename(meta).endswith(".json")):
        raise GpfError(f"{path}: out-of-core partitioning reads a chunked-graph directory (metadata.json)")
    return meta


def _default_name(path: str) -> str:
    meta = os.path.join(path, "metadata.json")
    if os.path.isdir(path) and os.path.isfile(meta):  # chunked graph: its own graph_name
        try:
            with open(meta) as fh:
                name = json.load(fh).get("graph_name")
            if isinstance(name, str) and name and "/" not in name and not name.startswith("."):
                return name
        except (OSError, ValueError, AttributeError):
            pass
    base = os.path.basename(os.path.normpath(path))
    for ext in (".npz", ".json"):
        if base.endswith(ext):
            base = base[: -len(ext)]
    return base if base not in ("", ".", "..", "metadata") else "graph"
