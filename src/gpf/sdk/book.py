"""Deprecated alias of :mod:`gpf.sdk.read.book`, removed in the next release: import from there."""

import sys
import warnings

from gpf.sdk.read import book as _module

warnings.warn("gpf.sdk.book is deprecated and removed in the next release; import "
              "gpf.sdk.read.book",
              DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _module
