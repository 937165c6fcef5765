"""Deprecated alias of :mod:`gpf.sdk.write.reshuffle`, removed in the next release: import from there."""

import sys
import warnings

from gpf.sdk.write import reshuffle as _module

warnings.warn("gpf.sdk.reshuffle is deprecated and removed in the next release; import "
              "gpf.sdk.write.reshuffle",
              DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _module
