"""Overlap I/O with processing: decode ahead and encode behind in worker threads.

PyAV, OpenCV and onnxruntime release the GIL, so on two cores decoding frame i+1 and encoding
frame i-1 run while the detector works on frame i.  Queues are small, so memory stays bounded,
and order is kept; an exception in a worker is re-raised in the caller.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
_DONE = object()
DEPTH = 3


class _Failure:
    def __init__(self, exc: BaseException):
        self.exc = exc


def read_ahead(items: Iterable[T], depth: int = DEPTH) -> Iterator[T]:
    """Iterate `items` in a worker thread, `depth` items ahead of the consumer."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def work():
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        q.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(_DONE)
        except BaseException as exc:  # handed to the consumer
            q.put(_Failure(exc))

    thread = threading.Thread(target=work, name="anon-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.exc
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)


class WriteBehind:
    """Calls `sink(*args)` in a worker thread, in order; `close()` waits and re-raises errors."""

    def __init__(self, sink: Callable[..., None], depth: int = DEPTH):
        self._sink = sink
        self._q: queue.Queue = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, name="anon-write-behind", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while True:
            args = self._q.get()
            if args is _DONE:
                return
            if self._error is None:
                try:
                    self._sink(*args)
                except BaseException as exc:
                    self._error = exc

    def put(self, *args) -> None:
        if self._error is not None:
            self.close()
        self._q.put(args)

    def close(self) -> None:
        if self._thread.is_alive():
            self._q.put(_DONE)
            self._thread.join()
        if self._error is not None:
            error, self._error = self._error, None
            raise error
