"""Test marks shared by the test modules."""

import os

import pytest

#: Set by `make test`'s core-only run (a venv with `pip install .` and no extra): tests marked
#: ``@pytest.mark.extra(...)`` are deselected there (tests/conftest.py); they run, and must pass,
#: in the full venv.
CORE_ONLY = os.environ.get("GPF_TEST_CORE") == "1"


def extra(*names: str):
    """``pytest.param(..., marks=extra("hdf5"))``: this case needs these extras (deselected in the
    core-only run, see tests/conftest.py)."""
    return pytest.mark.extra(*names)
