"""The ``gpf`` command: one module per subcommand, :mod:`gpf.cli.app` parses and dispatches."""

from gpf.cli.app import build_parser, main
from gpf.errors import EXIT_INVALID, EXIT_OK, EXIT_UNREADABLE

__all__ = ["build_parser", "main", "EXIT_OK", "EXIT_INVALID", "EXIT_UNREADABLE"]
