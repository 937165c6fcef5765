"""Deprecated alias of :mod:`gpf.cli.info_plot`, removed in the next release: import from there."""

import sys
import warnings

from gpf.cli import info_plot as _module

warnings.warn("gpf.plot is deprecated and removed in the next release; import gpf.cli.info_plot",
              DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _module
