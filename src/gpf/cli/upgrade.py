"""``gpf upgrade OLD NEW [--force]``: rewrite an older DGL config in the canonical form
(:mod:`gpf.sdk.ops.upgrade`)."""

from __future__ import annotations

from gpf.errors import EXIT_OK

__all__ = ["add_parser", "run"]


def add_parser(sub) -> None:
    up = sub.add_parser("upgrade", help="rewrite an older DGL config in the current canonical form (never in place)")
    up.add_argument("old", help="the old config JSON (a local file, or a local directory holding one config)")
    up.add_argument("new", help="where to write the new config (same directory as OLD; must not exist)")
    up.add_argument("--force", action="store_true", help="overwrite NEW if it exists (never OLD)")
    up.set_defaults(func=run)


def run(args) -> int:
    from gpf.sdk.ops.upgrade import upgrade_config

    notes = upgrade_config(args.old, args.new, force=args.force)
    for n in notes:
        print(f"- {n}")
    if notes:
        print(f"wrote {args.new}: {len(notes)} change{'' if len(notes) == 1 else 's'}")
    else:
        print(f"wrote {args.new}: no change, {args.old} is already in the canonical form")
    return EXIT_OK
