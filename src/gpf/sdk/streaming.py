"""Deprecated alias of :mod:`gpf.sdk.write.streaming`, removed in the next release: import from there."""

import sys
import warnings

from gpf.sdk.write import streaming as _module

warnings.warn("gpf.sdk.streaming is deprecated and removed in the next release; import "
              "gpf.sdk.write.streaming",
              DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _module
