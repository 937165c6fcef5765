"""Deprecated alias of :mod:`gpf.sdk.codecs.buffer`, removed in the next release: import from there."""

import sys
import warnings

from gpf.sdk.codecs import buffer as _module

warnings.warn("gpf.sdk.storage.buffer is deprecated and removed in the next release; import "
              "gpf.sdk.codecs.buffer",
              DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _module
