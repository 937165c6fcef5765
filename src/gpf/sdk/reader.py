"""Deprecated alias of :mod:`gpf.sdk.read.reader`, removed in the next release: import from there."""

import sys
import warnings

from gpf.sdk.read import reader as _module

warnings.warn("gpf.sdk.reader is deprecated and removed in the next release; import "
              "gpf.sdk.read.reader",
              DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _module
