"""Deprecated alias of :mod:`gpf.sdk.codecs.graphbolt`, removed in the next release: import from there."""

import sys
import warnings

from gpf.sdk.codecs import graphbolt as _module

warnings.warn("gpf.sdk.storage.graphbolt is deprecated and removed in the next release; import "
              "gpf.sdk.codecs.graphbolt",
              DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _module
