"""Whole-set operations on existing partition sets: ``convert`` (between storage backends),
``upgrade`` (older DGL configs to the canonical form), ``summary`` (the data behind ``gpf info``)."""
