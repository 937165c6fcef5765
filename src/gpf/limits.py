"""The resource bounds gpf applies to every input it reads (SPEC.md section 11, "Hostile sets").

One place for every number: a file that would need more than these to read is refused with a named
error before the work or the allocation happens.  Sizes a file claims are never trusted on their own:
they are checked against the bytes that back them (see each reader).
"""

from __future__ import annotations

__all__ = [
    "MAX_JSON_BYTES", "MAX_JSON_DEPTH", "MAX_NPY_HEADER", "MAX_PICKLE_BYTES", "MAX_PICKLE_OPS",
    "MAX_PICKLE_DEPTH", "MAX_PICKLE_ITEMS", "HDF5_MAX_RATIO", "HDF5_FILTERS", "ZARR_CODECS", "ZARR_MAX_CHUNK_BYTES",
    "ZARR_MAX_ROW_BYTES", "ZARR_MAX_SHARD_CHUNKS", "ZARR_MAX_RATIO", "ZARR_V2_COMPRESSORS", "PARQUET_MAX_RATIO",
    "machine_memory_bytes",
]

#: Largest JSON document read: a partition config, a Zarr store's ``zarr.json`` (which holds the config).
MAX_JSON_BYTES = 64 * 2**20
#: Deepest nesting of JSON arrays/objects (the spec's own keys need 4; Zarr metadata about 6).
MAX_JSON_DEPTH = 64

#: Largest ``.npy`` header.
MAX_NPY_HEADER = 1 << 16

#: Largest GraphBolt ``data.pkl`` record (it holds no tensor data: DGL's are a few KB).
MAX_PICKLE_BYTES = 256 << 20
#: Most opcodes in a GraphBolt pickle (DGL's hold a few hundred plus a few per node/edge type).
MAX_PICKLE_OPS = 1 << 20
#: Deepest nesting of containers a GraphBolt pickle may build (DGL's state needs 6).
MAX_PICKLE_DEPTH = 32
#: Most items one container of a GraphBolt pickle may hold.
MAX_PICKLE_ITEMS = 1 << 20

#: Largest ratio of a compressed HDF5 dataset's size to its stored bytes (deflate reaches ~1032:1).
HDF5_MAX_RATIO = 1100
#: The HDF5 filters gpf decodes (gzip/deflate, shuffle, fletcher32, lzf); any other is refused.
HDF5_FILTERS = frozenset({1, 2, 3, 32000})

#: The Zarr v3 codecs gpf decodes; any other (or any storage transformer) is refused.
ZARR_CODECS = frozenset({"bytes", "zstd", "gzip", "blosc", "crc32c", "transpose", "sharding_indexed"})
#: The Zarr v2 compressors gpf decodes (only in a chunked-graph input's Zarr chunks; no v2 filter is decoded).
ZARR_V2_COMPRESSORS = frozenset({"zstd", "gzip", "zlib", "blosc", "lz4"})
#: Largest Zarr chunk (its declared shape times the item size): gpf writes 64 KiB feature and 1 MiB graph chunks.
ZARR_MAX_CHUNK_BYTES = 256 << 20
#: Largest row of a Zarr array (its trailing dimensions times the item size).
ZARR_MAX_ROW_BYTES = 256 << 20
#: Most chunks in one Zarr shard (the shard index holds 16 bytes per chunk; gpf writes 256).
ZARR_MAX_SHARD_CHUNKS = 1 << 20
#: Largest ratio of an array read whole to the bytes of its stored chunks (zstd reaches ~32000:1).
ZARR_MAX_RATIO = 1 << 16

#: Largest ratio of the values a parquet chunk of a chunked-graph input declares (rows times column widths,
#: from its footer) to the file's size (run-length and dictionary encodings of constant columns reach it).
PARQUET_MAX_RATIO = 1 << 16


def machine_memory_bytes() -> int | None:
    """This machine's physical memory (None where the OS does not say): the bound for counts a file claims
    that no bytes of it back (a chunked graph's node counts of a type without node data)."""
    import os

    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return None
