"""gpf: the graph partition format.

A documented, versioned on-disk format for partitioned graphs, compatible with
DGL's ``partition_graph`` output, with a pure-Python reader, writer, validator,
converters and a training loader.

    >>> import gpf
    >>> ps = gpf.open("out/graph.json")
    >>> part = ps.partition(0)
    >>> part.src, part.dst, part.global_nid, part.inner_node, part.node_feats
"""

from gpf import _moved
from gpf.errors import ConfigError, FormatError, GpfError, UnsupportedError
from gpf.sdk.read.book import PartitionBook
from gpf.sdk.read.reader import Partition, PartitionSet
from gpf.sdk.read.reader import open_set as open

__version__ = "0.1.0"

_moved.install()  # the pre-issue-14 module paths, deprecated (gpf/_moved.py)

__all__ = [
    "open", "PartitionSet", "Partition", "PartitionBook",
    "ConfigError", "FormatError", "GpfError", "UnsupportedError", "__version__",
]

from gpf.sdk.write.graph import Graph  # noqa: E402
from gpf.sdk.write.writer import partition  # noqa: E402

__all__ += ["Graph", "partition"]

from gpf.validators import Report, validate  # noqa: E402

__all__ += ["validate", "Report"]

from gpf.sdk.ops.convert import convert  # noqa: E402

__all__ += ["convert"]
