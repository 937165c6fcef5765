"""Deprecated alias of :mod:`gpf.sdk.ops.summary`, removed in the next release: import from there."""

import sys
import warnings

from gpf.sdk.ops import summary as _module

warnings.warn("gpf.sdk.summary is deprecated and removed in the next release; import "
              "gpf.sdk.ops.summary",
              DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _module
