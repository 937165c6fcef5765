"""Deprecated alias of :mod:`gpf.sdk.codecs.dgl_bytes`, removed in the next release: import from there."""

import sys
import warnings

from gpf.sdk.codecs import dgl_bytes as _module

warnings.warn("gpf.sdk.storage.dgl_bytes is deprecated and removed in the next release; import "
              "gpf.sdk.codecs.dgl_bytes",
              DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _module
