"""``gpf schema [--out FILE]``: the JSON Schema of the partition config."""

from __future__ import annotations

import json
import sys

from gpf.errors import EXIT_OK

__all__ = ["add_parser", "run"]


def add_parser(sub) -> None:
    schema = sub.add_parser("schema", help="print (or write) the JSON Schema of the partition config")
    schema.add_argument("--out", metavar="FILE", help="write to FILE instead of stdout")
    schema.set_defaults(func=run)


def run(args) -> int:
    from gpf.spec import config_json_schema

    text = json.dumps(config_json_schema(), indent=2) + "\n"
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
    return EXIT_OK
