"""Moving batches to the device: pinned host memory, a side stream, a prefetch thread.

The CUDA rules this module follows (and why each is needed):

* Host arrays are pinned **once**, when the loader loads them (:meth:`Transfer.host_table`);
  per-batch gather outputs are written into pinned buffers taken from PyTorch's caching
  host allocator (:meth:`Transfer.empty`), so a ``non_blocking`` copy of them is a real
  asynchronous DMA.  The caching allocator records an event on the copying stream and
  does not hand the buffer out again before the copy has finished, so dropping the host
  buffer right after issuing the copy is safe.
* Every copy and every device op of a batch runs on one **side stream**
  (:meth:`Transfer.stream_context`), so it overlaps with the training step on the
  current stream.  When the batch is built, an event is recorded on the side stream.
* The consumer (:meth:`Transfer.hand_over`) makes its current stream wait on that
  event before touching the batch, and calls ``record_stream`` on every batch tensor:
  memory allocated on the side stream is then not reused by the caching allocator
  until the work queued on the consumer's stream has finished with it.

On the CPU (or without CUDA) every one of these steps is a no-op: no pinning, no
streams, no events; the same code path runs.

:class:`Prefetcher` runs a build function in one background **thread** (not a forked
process: storage backends such as zarr and memory-mapped files are not fork-safe, and
torch releases the GIL in its copy and gather kernels), keeping up to ``depth`` built
batches ready.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np
import torch

__all__ = ["Transfer", "Prefetcher"]


class Transfer:
    """Host→device transfer policy for one target device."""

    def __init__(self, device: str | torch.device, pin_memory: bool = True) -> None:
        try:
            self.device = torch.device(device)
        except (RuntimeError, TypeError):
            raise ValueError(f"device {device!r} is not a device torch knows: use 'cpu', 'cuda' or 'cuda:N'") from None
        self.is_cuda = self.device.type == "cuda"
        if self.is_cuda:
            if not torch.cuda.is_available():
                raise RuntimeError(f"device {self.device} requested but torch.cuda.is_available() is False")
            if self.device.index is None:
                self.device = torch.device("cuda", torch.cuda.current_device())
        self.pin = bool(pin_memory) and self.is_cuda
        self.stream = torch.cuda.Stream(self.device) if self.is_cuda else None

    # -- host memory ----------------------------------------------------------------------
    def empty(self, shape, dtype: torch.dtype) -> torch.Tensor:
        """A host buffer for one batch's gather output (pinned when copies go to CUDA)."""
        return torch.empty(shape, dtype=dtype, pin_memory=self.pin)

    def host_table(self, shape, dtype: np.dtype) -> tuple[torch.Tensor, np.ndarray]:
        """A long-lived host table (pinned once when copies go to CUDA) and a numpy view to fill it."""
        t = torch.empty(tuple(shape), dtype=torch.from_numpy(np.zeros(0, dtype)).dtype, pin_memory=self.pin)
        return t, t.numpy()

    # -- device side ----------------------------------------------------------------------
    def stream_context(self):
        """Context in which a batch's copies and device ops are queued (the side stream on CUDA)."""
        return torch.cuda.stream(self.stream) if self.is_cuda else contextlib.nullcontext()

    def to_device(self, t: torch.Tensor) -> torch.Tensor:
        """Asynchronous copy to the target device (a no-op when already there)."""
        return t.to(self.device, non_blocking=True)

    def record(self) -> torch.cuda.Event | None:
        """An event marking the end of the work queued so far on the side stream."""
        if not self.is_cuda:
            return None
        event = torch.cuda.Event()
        event.record(self.stream)
        return event

    def hand_over(self, event: torch.cuda.Event | None, tensors: Iterable[torch.Tensor]) -> None:
        """Make the consumer's current stream wait for a batch and own its memory."""
        if event is None:
            return
        current = torch.cuda.current_stream(self.device)
        current.wait_event(event)
        for t in tensors:
            if t.is_cuda:
                t.record_stream(current)

    def synchronize(self) -> None:
        """Wait for all work on the device (used once, after loading tables to the device)."""
        if self.is_cuda:
            torch.cuda.synchronize(self.device)


_DONE = object()


class Prefetcher(Iterator):
    """Iterate ``build(item)`` for ``item in items`` in a background thread, ``depth`` ahead.

    Exceptions raised by ``build`` are re-raised by ``__next__``; :meth:`close` (also
    called when the iterator is garbage-collected) stops the thread.
    """

    def __init__(self, items: Iterable[Any], build: Callable[[Any], Any], depth: int) -> None:
        if depth < 1:
            raise ValueError(f"prefetch depth must be >= 1, got {depth}")
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(iter(items), build), daemon=True,
                                        name="gpf-loader-prefetch")
        self._finished = False
        self._thread.start()

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, items: Iterator[Any], build: Callable[[Any], Any]) -> None:
        try:
            for item in items:
                if self._stop.is_set() or not self._put((True, build(item))):
                    return
        except BaseException as exc:  # handed to the consumer
            self._put((False, exc))
            return
        self._put((True, _DONE))

    def __next__(self) -> Any:
        if self._finished:
            raise StopIteration
        ok, value = self._queue.get()
        if value is _DONE:
            self._finished = True
            self._thread.join()
            raise StopIteration
        if not ok:
            self.close()
            raise value
        return value

    def close(self) -> None:
        self._finished = True
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout=10)

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass
