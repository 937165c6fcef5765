"""Deprecated alias of :mod:`gpf.sdk.write.graph`, removed in the next release: import from there."""

import sys
import warnings

from gpf.sdk.write import graph as _module

warnings.warn("gpf.sdk.graph is deprecated and removed in the next release; import "
              "gpf.sdk.write.graph",
              DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _module
