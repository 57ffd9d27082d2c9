"""Signals as exceptions, so that `finally` blocks and `with Outputs(...)` remove temp files.

Light on purpose (standard library only): `anon`'s main() imports it before numpy, torch and the
models, so that Ctrl-C or SIGTERM during start-up also end in one line.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Terminated(SystemExit):
    """SIGTERM/SIGHUP turned into an exception so that `finally` blocks and `with` exits clean up."""


class _SignalState:
    """Where a signal may be raised.  Raising inside queue/lock internals of the worker-thread
    hand-offs can leave a lock held and hang the cleanup, so the frame loop of a job marks itself
    `deferred_signals()` and honours a signal at the next frame boundary (`check_signals()`)."""

    defer = 0
    pending: int | None = None
    received: int | None = None  # the last signal seen while signals_raise() was active


def _exception_for(signum: int) -> BaseException:
    return KeyboardInterrupt() if signum == signal.SIGINT else Terminated(128 + signum)


def _handler(signum, _frame):
    _SignalState.received = signum
    if _SignalState.defer:
        _SignalState.pending = signum
        return
    raise _exception_for(signum)


@contextmanager
def deferred_signals() -> Iterator[None]:
    """Inside, SIGINT/SIGTERM/SIGHUP are only recorded; call `check_signals()` at safe points.
    Signals are delivered to the main thread only: elsewhere (app worker threads) this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _SignalState.defer += 1
    try:
        yield
    finally:
        _SignalState.defer -= 1
    check_signals()


def check_signals() -> None:
    """Raise the exception of a signal recorded inside `deferred_signals()` (KeyboardInterrupt or Terminated)."""
    if threading.current_thread() is not threading.main_thread():
        return
    signum, _SignalState.pending = _SignalState.pending, None
    if signum is not None:
        raise _exception_for(signum)


def received_signal() -> int | None:
    """The last signal handled by signals_raise() in this process, if any.  An extension module being
    imported can turn our KeyboardInterrupt into its own error (pybind11: "ImportError: initialization
    failed"); the CLI uses this to still report the interruption as such."""
    return _SignalState.received


@contextmanager
def signals_raise() -> Iterator[None]:
    """While active, SIGTERM and SIGHUP raise `Terminated` (exit 128 + signal) and SIGINT raises
    KeyboardInterrupt in the main thread (deferred to the next safe point inside `deferred_signals`),
    so temp outputs are removed by their `with` blocks.  Handlers are restored on exit; outside the
    main thread this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {s: signal.signal(s, _handler) for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        _SignalState.pending = None
