"""gpf: the graph partition format.

A documented, versioned on-disk format for partitioned graphs, compatible with
DGL's ``partition_graph`` output, with a pure-Python reader, writer, validator,
converters and a training loader.
"""

from gpf.errors import ConfigError, FormatError, GpfError, UnsupportedError

__version__ = "0.1.0"

__all__ = ["ConfigError", "FormatError", "GpfError", "UnsupportedError", "__version__"]
