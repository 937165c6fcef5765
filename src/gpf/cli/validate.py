"""``gpf validate graph.json [--json] [--quick] [--against ORIGINAL] [--max-examples N] [--workers N | --scheduler A]``.

Exit status: 0 valid (warnings allowed), 1 invalid, 2 the set (or ORIGINAL) could not be read
at all, or bad usage.  Human output: one line per problem and a summary line; ``--json``: one
JSON document ``{"valid", "config", "problems": [...], "checked": {...}}``.
"""

from __future__ import annotations

import argparse
import sys

from gpf.cli.flags import add_scale_out_flags

__all__ = ["add_parser", "run"]


def _non_negative(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {n}")
    return n


def add_parser(sub) -> None:
    p = sub.add_parser("validate", help="check a partition set against every rule of the spec (exit 0 valid, "
                       "1 invalid, 2 unreadable)")
    p.add_argument("config", help="the partition set: its config JSON, a directory holding one config, a Zarr store, "
                   "or an fsspec URL of any of these")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument("--quick", action="store_true", help="config-level checks only (no array is read)")
    p.add_argument("--against", metavar="ORIGINAL", help="also check the set is a faithful partitioning of this "
                   "graph (any INPUT `gpf partition` accepts)")
    p.add_argument("--max-examples", type=_non_negative, default=5, metavar="N",
                   help="example IDs shown per problem (default 5)")
    add_scale_out_flags(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from gpf.validators.core import validate
    from gpf.validators.report import UNREADABLE_CODES

    report = validate(args.config, quick=args.quick, against=args.against, max_examples=args.max_examples,
                      workers=args.workers, scheduler=args.scheduler, progress=True)
    if args.json:
        print(report.to_json())
    elif not report.readable:  # nothing was checked: one line, as every command's errors (exit 2)
        p = next(p for p in report.problems if p.code in UNREADABLE_CODES)
        where = p.path or report.path
        print(f"gpf: error: {where}: {' '.join(p.message.split())} ({p.code})", file=sys.stderr)
    else:
        print(report.render())
    return report.exit_code
