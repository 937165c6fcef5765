"""``gpf validate``: every invariant of spec/SPEC.md section 10, checked from the files alone.

    >>> import gpf
    >>> report = gpf.validate("out/graph.json")
    >>> report.valid, report.codes, report.exit_code

Modules, one job each: :mod:`report` (Problem, Report, the problem codes), :mod:`config_checks`
(C1-C12, P1-P2), :mod:`partition_checks` (G1-G9 per partition), :mod:`set_checks` (across
partitions, HALO hops, warnings), :mod:`feature_checks` (F1-F4, M1-M2), :mod:`against`
(``--against ORIGINAL``), :mod:`core` (the order they run in).  The command is :mod:`gpf.cli.validate`.
"""

from gpf.validators.core import validate
from gpf.validators.report import CODES, Problem, Report

__all__ = ["validate", "Report", "Problem", "CODES"]
