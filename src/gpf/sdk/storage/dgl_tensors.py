"""Deprecated alias of :mod:`gpf.sdk.codecs.dgl_tensors`, removed in the next release: import from there."""

import sys
import warnings

from gpf.sdk.codecs import dgl_tensors as _module

warnings.warn("gpf.sdk.storage.dgl_tensors is deprecated and removed in the next release; import "
              "gpf.sdk.codecs.dgl_tensors",
              DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _module
