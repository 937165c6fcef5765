"""Deprecated alias of :mod:`gpf.sdk.write.halo`, removed in the next release: import from there."""

import sys
import warnings

from gpf.sdk.write import halo as _module

warnings.warn("gpf.sdk.halo is deprecated and removed in the next release; import "
              "gpf.sdk.write.halo",
              DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _module
