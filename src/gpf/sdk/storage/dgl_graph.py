"""Deprecated alias of :mod:`gpf.sdk.codecs.dgl_graph`, removed in the next release: import from there."""

import sys
import warnings

from gpf.sdk.codecs import dgl_graph as _module

warnings.warn("gpf.sdk.storage.dgl_graph is deprecated and removed in the next release; import "
              "gpf.sdk.codecs.dgl_graph",
              DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _module
