"""Deprecated alias of :mod:`gpf.sdk.write.writer`, removed in the next release: import from there."""

import sys
import warnings

from gpf.sdk.write import writer as _module

warnings.warn("gpf.sdk.writer is deprecated and removed in the next release; import "
              "gpf.sdk.write.writer",
              DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _module
