"""Run one check so that nothing it raises escapes the validator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gpf.validators.report import Report

__all__ = ["guarded"]


def guarded(rep: Report, name: str, fn: Callable[..., Any], *args: Any, partition: int | None = None) -> Any:
    """Call ``fn(*args)``; an unexpected exception becomes a ``check.crashed`` problem (never a traceback).

    Checks report every defect they expect as a problem with its own code; this is the net under
    them, so a gpf bug on strange input still ends in a report (and exit status 1), not a crash.
    """
    try:
        return fn(*args)
    except Exception as exc:  # noqa: BLE001 - the net: anything becomes a problem
        text = " ".join(str(exc).split())[:300]
        rep.error("check.crashed", f"{name} failed: {type(exc).__name__}: {text}", partition=partition)
        return None
    finally:
        _report_changed(rep, name, partition)


def _report_changed(rep: Report, name: str, partition: int | None) -> None:
    """``file.changed`` for each memory-mapped file truncated while ``name`` ran (SIGBUS caught, mapped.py)."""
    from gpf.sdk.codecs.mapped import changed_files

    for path in changed_files():
        rep.error("file.changed", f"the file was truncated or replaced while {name} read it (memory-mapped); "
                  "what was read from it is not valid", partition=partition, path=path)
