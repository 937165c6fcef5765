"""Converters between gpf partition sets and other formats and frameworks.

One module per framework or format, each with the same verbs (``from_<x>``/``to_<x>``);
import the module you need, e.g. ``from gpf.converters import pyg``.  This package
imports nothing itself, so ``import gpf.converters`` stays light.
"""
