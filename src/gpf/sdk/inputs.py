"""Deprecated alias of :mod:`gpf.sdk.write.inputs`, removed in the next release: import from there."""

import sys
import warnings

from gpf.sdk.write import inputs as _module

warnings.warn("gpf.sdk.inputs is deprecated and removed in the next release; import "
              "gpf.sdk.write.inputs",
              DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _module
