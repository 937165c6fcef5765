"""Deprecated alias of :mod:`gpf.sdk.ops.upgrade`, removed in the next release: import from there."""

import sys
import warnings

from gpf.sdk.ops import upgrade as _module

warnings.warn("gpf.sdk.upgrade is deprecated and removed in the next release; import "
              "gpf.sdk.ops.upgrade",
              DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _module
