"""Run independent tasks in-process, on a local Dask cluster, or on an existing one.

Every scale-out command (``partition``, ``validate``, ``convert`` with ``--workers`` /
``--scheduler``) hands a list of tasks to :func:`run_tasks`.  A task is a module-level
function and small picklable arguments (paths, ints, small arrays); it reads and writes
files itself, so nothing large travels through the scheduler.

* ``workers=None, scheduler=None, client=None``: a plain loop in this process; Dask is
  never imported.
* ``workers=N``: a ``dask.distributed.LocalCluster`` of ``N`` single-threaded worker
  processes, closed afterwards.
* ``scheduler="tcp://host:8786"``: the existing cluster at that address; ``client=``: an
  existing ``dask.distributed.Client``.  Workers must see the same file system paths.

Results come back in task order.  The first failing task's exception is re-raised.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from gpf.errors import GpfError

__all__ = ["Runner", "run_tasks", "runner"]

Task = tuple[Callable[..., Any], tuple]


class Runner:
    """Where tasks run; use :func:`runner` to make one (a context manager)."""

    def __init__(self, client: Any = None) -> None:
        self.client = client

    @property
    def distributed(self) -> bool:
        return self.client is not None

    def map(self, fn: Callable[..., Any], arg_tuples: Sequence[tuple], *, description: str = "",
            progress: bool = False) -> list[Any]:
        """``[fn(*args) for args in arg_tuples]``, wherever this runner runs."""
        from gpf.progress import track

        arg_tuples = list(arg_tuples)
        if self.client is None:
            items = track(arg_tuples, total=len(arg_tuples), description=description) if progress else arg_tuples
            return [fn(*args) for args in items]
        from dask.distributed import as_completed

        # A bounded window of tasks in flight: results wait on the workers only until fetched, and each
        # future is dropped once fetched, so a worker holds a few results at a time, not all of them.
        window = max(2, 2 * len(self.client.scheduler_info().get("workers", {})))
        pending = iter(enumerate(arg_tuples))
        index: dict[str, int] = {}
        done = as_completed()
        for i, args in itertools.islice(pending, window):
            fut = self.client.submit(fn, *args, pure=False)
            index[fut.key] = i
            done.add(fut)
        out: list[Any] = [None] * len(arg_tuples)
        for fut in (track(done, total=len(arg_tuples), description=description) if progress else done):
            out[index.pop(fut.key)] = fut.result()  # re-raises the task's exception here
            fut.release()
            for i, args in itertools.islice(pending, 1):
                nxt = self.client.submit(fn, *args, pure=False)
                index[nxt.key] = i
                done.add(nxt)
        return out


@contextlib.contextmanager
def runner(workers: int | None = None, scheduler: str | None = None, client: Any = None) -> Iterator[Runner]:
    """A :class:`Runner` for the given choice (see module doc); closes what it opened."""
    if client is not None:
        yield Runner(client)
        return
    if workers is None and scheduler is None:
        yield Runner(None)
        return
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise GpfError("--workers/--scheduler need dask, which is not installed: pip install 'gpf[dask]'") from None
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="20s")
        except OSError as exc:
            raise GpfError(f"cannot reach the Dask scheduler at {scheduler} ({exc})") from None
        with client:
            yield Runner(client)
        return
    if not isinstance(workers, int) or workers < 1:
        raise GpfError(f"workers must be a positive integer, got {workers!r}")
    try:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=50)
    except Exception as exc:  # Dask raises RuntimeError/OSError/TimeoutError here
        raise GpfError(f"could not start a local Dask cluster of {workers} workers ({type(exc).__name__}: {exc})") from None
    with cluster, Client(cluster) as client:
        yield Runner(client)


def run_tasks(fn: Callable[..., Any], arg_tuples: Sequence[tuple], *, workers: int | None = None,
              scheduler: str | None = None, client: Any = None, description: str = "",
              progress: bool = False) -> list[Any]:
    """One-shot :meth:`Runner.map` on a runner made for this call."""
    with runner(workers, scheduler, client) as r:
        return r.map(fn, arg_tuples, description=description, progress=progress)
