"""Deprecated alias of :mod:`gpf.sdk.ops.convert`, removed in the next release: import from there."""

import sys
import warnings

from gpf.sdk.ops import convert as _module

warnings.warn("gpf.sdk.convert is deprecated and removed in the next release; import "
              "gpf.sdk.ops.convert",
              DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _module
