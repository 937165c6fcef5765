"""Transitional: the module moved to :mod:`gpf.sdk.codecs.torch_unpickler` (split up in the next commit)."""

import sys

from gpf.sdk.codecs import torch_unpickler

sys.modules[__name__] = torch_unpickler
