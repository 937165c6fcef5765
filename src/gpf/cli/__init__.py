"""The ``gpf`` command: one module per subcommand, :mod:`gpf.cli.app` parses and dispatches."""

from gpf.cli.app import EXIT_INVALID, EXIT_OK, EXIT_UNREADABLE, build_parser, main

__all__ = ["build_parser", "main", "EXIT_OK", "EXIT_INVALID", "EXIT_UNREADABLE"]
