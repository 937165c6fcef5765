"""The ``gpf`` command: parse, dispatch to the subcommand's module, map errors to exit codes.

Exit codes (the CLI contract, also in README and spec/SPEC.md; defined in :mod:`gpf.errors`):
  0  success (for ``validate``: the set is valid; warnings allowed)
  1  the input was read but is invalid (``validate``)
  2  the input could not be read at all, or bad usage

Every failure prints one line ``gpf: error: ...`` on stderr, never a traceback.
Each subcommand is one module of this package with ``add_parser(subparsers)``, which sets
``func`` (returning an exit code).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from gpf.cli import convert, info, partition, schema, upgrade, validate
from gpf.errors import EXIT_UNREADABLE, GpfError, describe_os_error

__all__ = ["COMMANDS", "build_parser", "main"]

COMMANDS = (info, schema, upgrade, partition, validate, convert)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # usage errors: one line, exit 2
        self.exit(EXIT_UNREADABLE, f"gpf: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="gpf", description="gpf: the graph partition format (DGL-compatible partition sets).")
    p.add_argument("--version", action="version", version=_version())
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for command in COMMANDS:
        command.add_parser(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except GpfError as exc:
        _fail(str(exc))
    except OSError as exc:  # the path and the cause, in words
        _fail(describe_os_error(exc))
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        _fail(f"{type(exc).__name__}: {exc}")
    except MemoryError as exc:  # a size no check caught: one line, never a traceback
        _fail(f"out of memory: {exc or 'an allocation failed'}")
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
