"""Flags shared by several subcommands."""

from __future__ import annotations

import argparse

__all__ = ["add_scale_out_flags"]


def add_scale_out_flags(parser: argparse.ArgumentParser) -> None:
    """``--workers N`` / ``--scheduler ADDRESS``: run per-partition work on Dask (gpf.parallel)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--workers", type=int, metavar="N", help="run on a local Dask cluster of N worker processes")
    group.add_argument("--scheduler", metavar="ADDRESS", help="run on an existing Dask cluster (tcp://host:8786)")
