"""Deprecated alias of :mod:`gpf.sdk.write.partitioners`, removed in the next release: import from there."""

import sys
import warnings

from gpf.sdk.write import partitioners as _module

warnings.warn("gpf.sdk.partitioners is deprecated and removed in the next release; import "
              "gpf.sdk.write.partitioners",
              DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _module
