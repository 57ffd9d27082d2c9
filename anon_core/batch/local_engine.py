"""`--engine local`: a process pool on this machine, one loaded model set per worker process.

Workers are started with `spawn` (a fork of a process that already runs onnxruntime/torch threads can
deadlock); each initializes one BatchWorker, which loads its models on the first file that needs them.
Frame progress comes back over a queue.  A worker that dies (killed, out of memory) breaks the pool:
the pool is rebuilt and its unfinished tasks are retried, up to MAX_ATTEMPTS times each.
"""

from __future__ import annotations

import multiprocessing
import os
import queue as queue_mod
import signal
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from anon_core.batch.work import BatchWorker, FrameSink, WorkItem, WorkSpec, lost
from anon_core.interrupts import signals_raise

MAX_ATTEMPTS = 3
POLL_S = 0.5

_worker: BatchWorker | None = None  # one per pool process, set by _init (never at import)


def _exit_now(signum, frame):
    os._exit(128 + signum)  # idle: nothing of ours to clean up


def _init(spec: WorkSpec, frames) -> None:
    global _worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the driver, which stops workers with SIGTERM
    signal.signal(signal.SIGTERM, _exit_now)
    _worker = BatchWorker(spec, frames=frames.put if frames is not None else None)


def _run_task(work: list[WorkItem]) -> list[dict]:
    try:
        with signals_raise():  # while a job runs, SIGTERM ends it at a frame boundary and its temps are removed
            return _worker.run_task(work)
    except (KeyboardInterrupt, SystemExit):
        os._exit(143)  # the job's cleanup has run while unwinding; leave without taking another task


def _stop(pool: ProcessPoolExecutor) -> None:
    """Stop running jobs now (SIGTERM: each removes its temp output), not after the current file."""
    procs = list((getattr(pool, "_processes", None) or {}).values())  # the executor has no public handle
    for p in procs:
        if p.is_alive():
            p.terminate()
    for p in procs:
        p.join(timeout=10)
    pool.shutdown(wait=False, cancel_futures=True)


def _drain(frames, sink: FrameSink) -> None:
    n = 0
    while True:
        try:
            n += frames.get_nowait()
        except (queue_mod.Empty, OSError, ValueError):
            break
    if n:
        sink(n)


class LocalEngine:
    name = "local"

    def __init__(self, spec: WorkSpec, workers: int):
        self.spec, self.workers = spec, max(1, workers)

    def start(self, out_dir, root) -> None:
        pass

    def close(self) -> None:
        pass

    def run(self, tasks: list[list[WorkItem]], on_result: Callable[[int, list[dict]], None],
            on_frames: FrameSink, tick: Callable[[], None]) -> None:
        ctx = multiprocessing.get_context("spawn")
        frames = ctx.Queue()
        attempts = [0] * len(tasks)
        todo = list(range(len(tasks)))
        while todo:
            pool = ProcessPoolExecutor(min(self.workers, len(todo)), mp_context=ctx, initializer=_init,
                                       initargs=(self.spec, frames))
            running = {pool.submit(_run_task, tasks[i]): i for i in todo}
            todo = []
            try:
                while running:
                    done, _ = wait(running, timeout=POLL_S, return_when=FIRST_COMPLETED)
                    _drain(frames, on_frames)
                    tick()
                    for fut in done:
                        i = running.pop(fut)
                        try:
                            entries = fut.result()
                        except BrokenProcessPool:
                            attempts[i] += 1
                            if attempts[i] < MAX_ATTEMPTS:
                                todo.append(i)
                                continue
                            entries = lost(tasks[i], f"worker process died {MAX_ATTEMPTS} times on this task")
                        on_result(i, entries)
            except BaseException:
                _stop(pool)
                raise
            pool.shutdown(wait=True)
        _drain(frames, on_frames)
