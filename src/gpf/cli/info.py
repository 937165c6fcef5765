"""``gpf info CONFIG [--json] [--plot FILE.png]``: the table (and JSON) of a set's summary.

The numbers come from :func:`gpf.sdk.ops.summary.summarize`; the bars from :mod:`gpf.cli.info_plot`."""

from __future__ import annotations

import json
import sys
from typing import Any

from gpf.errors import EXIT_OK

__all__ = ["add_parser", "run"]


def add_parser(sub) -> None:
    info = sub.add_parser("info", help="summarise a partition set: counts, HALO, edge cut, balance, features, files")
    info.add_argument("config", help="the partition set: its config JSON, a directory holding one config, a Zarr store, or an fsspec URL of any of these")
    info.add_argument("--json", action="store_true", help="print one JSON document")
    info.add_argument("--plot", metavar="FILE.png", help="draw per-partition inner/HALO node and edge bars")
    info.set_defaults(func=run)


def run(args) -> int:
    import gpf
    from gpf.progress import track
    from gpf.sdk.ops.summary import summarize

    ps = gpf.open(args.config)
    bar = iter(track(range(ps.num_parts), total=ps.num_parts, description="reading partitions"))
    info = summarize(ps, progress=lambda _i: next(bar, None))
    if args.plot:
        from gpf.cli.info_plot import plot_partitions

        plot_partitions(info, args.plot)
    for w in info["warnings"]:  # on stderr, so the table and --json stay clean
        print(f"gpf: warning: {' '.join(w.split())}", file=sys.stderr)
    if args.json:
        print(json.dumps(info, indent=1))
    else:
        print(render_info(info))
        if args.plot:
            print(f"plot written to {args.plot}")
    return EXIT_OK


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _format(version: str | None) -> str:
    return f"gpf {version}" if version else "DGL partition config (no gpf_version: written by DGL or an older tool)"


def render_info(info: dict[str, Any]) -> str:
    out = [
        f"graph      {info['graph_name']}   ({info['config']})",
        f"format     {_format(info['gpf_version'])}; method {info['part_method']}; "
        f"halo_hops {info['halo_hops']}; {_count(info['num_parts'], 'partition')}",
        f"nodes      {info['num_nodes']:,}   " + ", ".join(f"{t}: {n:,}" for t, n in info["ntypes"].items()),
        f"edges      {info['num_edges']:,}   " + ", ".join(f"{t}: {n:,}" for t, n in info["etypes"].items()),
        f"edge cut   {info['edge_cut']:,} ({100 * info['edge_cut_ratio']:.1f}% of edges)   "
        f"balance: nodes {info['node_balance']:.3f}, edges {info['edge_balance']:.3f} (max/mean)",
    ]
    types = list(info["ntypes"])
    if len(types) > 1:
        out.append("type bal.  " + ", ".join(f"{t}: {b:.3f}" for t, b in info["ntype_balance"].items())
                   + " (max/mean inner nodes of the type)")
    if info.get("balance_constraints"):
        bc = info["balance_constraints"]
        out.append(f"constraints METIS objective {bc['objtype']}; balanced: "
                   + ", ".join(_constraint_name(c) for c in bc["constraints"]))
    out.append("")
    per_type = types if 1 < len(types) <= 6 else []
    head = ["part", "inner nodes", *(f"inner {t}" for t in per_type), "HALO nodes", "HALO %", "inner edges",
            "all edges", "cut in-edges", "bytes"]
    rows = []
    for p in info["partitions"]:
        total = p["inner_nodes"] + p["halo_nodes"]
        size = sum((f["bytes"] or 0) for f in p["files"].values())
        rows.append([str(p["part_id"]), f"{p['inner_nodes']:,}",
                     *(f"{p['inner_nodes_per_type'][t]:,}" for t in per_type), f"{p['halo_nodes']:,}",
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


def _constraint_name(c: dict[str, Any]) -> str:
    """``{"weight": "in_edges", "ntype": "paper", "label": 1}`` -> ``in-edges of paper label 1``."""
    what = "in-edges" if c.get("weight") == "in_edges" else "nodes"
    where = " ".join(x for x in (f"of {c['ntype']}" if "ntype" in c else "",
                                 f"label {c['label']}" if "label" in c else "") if x)
    return f"{what} {where}" if where else what


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


def _human(size: int) -> str:
    n = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)
