"""Transitional: the module moved to :mod:`gpf.validators.part_data` (split up in the next commit)."""

import sys

from gpf.validators import part_data

sys.modules[__name__] = part_data
