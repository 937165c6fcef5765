"""``gpf convert SRC DST [--to dgl|npy|hdf5|zarr] [--graphbolt [--store-*]] [--graph-formats ...]``: the command
of :func:`gpf.sdk.ops.convert.convert` (with ``--graphbolt``, DGL's ``dgl_partition_to_graphbolt`` as a command;
from a GraphBolt-only set, ``--to dgl`` writes graph.dgl back)."""

from __future__ import annotations

from gpf.cli.dgl_flags import add_dgl_output_flags, dgl_output_kwargs
from gpf.cli.flags import add_scale_out_flags
from gpf.errors import EXIT_OK

__all__ = ["add_parser", "run"]


def add_parser(subparsers) -> None:
    from gpf.sdk.storage.registry import BACKENDS

    p = subparsers.add_parser("convert", help="copy a partition set into another storage backend, losslessly")
    p.add_argument("src", help="the set: its config JSON, a directory holding one config, a Zarr store, or an fsspec "
                   "URL of any of these")
    p.add_argument("dst", help="output directory (gets <name>.json and part<N>/), or the Zarr store for --to zarr; "
                   "local path or fsspec URL")
    p.add_argument("--to", default="dgl", choices=BACKENDS, help="storage backend to write (default dgl)")
    p.add_argument("--compressor", metavar="NAME[:LEVEL]",
                   help="hdf5: none (default), gzip, lzf; zarr: zstd (default), blosc, blosc-zstd, gzip, none")
    p.add_argument("--chunk-rows", type=int, metavar="N", help="hdf5/zarr: feature rows per chunk (default ~64 KiB)")
    p.add_argument("--shard-rows", type=int, metavar="N", help="zarr: feature rows per shard (default: 256 chunks on object stores, "
                   "none on local disks; 0: none)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing set at DST")
    add_dgl_output_flags(p, objtype=False)
    add_scale_out_flags(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from gpf.sdk.ops.convert import convert

    ps = convert(args.src, args.dst, to=args.to, compressor=args.compressor, chunk_rows=args.chunk_rows,
                 shard_rows=args.shard_rows, overwrite=args.overwrite, progress=True, workers=args.workers,
                 scheduler=args.scheduler, **dgl_output_kwargs(args))
    print(f"wrote {ps.path} ({args.to}, {ps.num_parts} partitions)")
    return EXIT_OK
