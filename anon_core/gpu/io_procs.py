"""Decode and encode in their own processes for the GPU job, frames passed through shared memory.

In one process the PyAV decoder and the x264 encoder hold the GIL long enough to starve the thread
that drives the GPU (measured on an H200: 124 frames/s for one 1080p file with threads, while each
codec alone runs above 400).  Here each runs in a spawned process with its own interpreter:

    decoder process  -> input ring (shared memory, batch slots) -> main: copy to pinned, GPU
    main: pinned download -> output ring (shared memory) -> encoder process (VideoWriter)

Slots travel as small messages over queues (one per batch); the rings bound memory.  Errors in a
child come back as MediaError with the child's message; a dead child is noticed within a second.
The encoder child owns the VideoWriter, so the output file still appears only after a clean close.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import shutil
from dataclasses import dataclass
from multiprocessing.shared_memory import SharedMemory
from pathlib import Path

import numpy as np

from anon_core.media import MediaError

SLOTS = 4
POLL_S = 1.0


@dataclass(frozen=True)
class RingSpec:
    name: str
    shape: tuple[int, int, int, int]  # (slots, batch, I420 rows, width)


def _ring(spec: RingSpec) -> tuple[SharedMemory, np.ndarray]:
    """Attach a (spawned) child to a ring the main process owns and unlinks; spawned children share
    the main process's resource tracker, so attaching registers nothing new."""
    shm = SharedMemory(name=spec.name)
    return shm, np.ndarray(spec.shape, np.uint8, buffer=shm.buf)


def _failure(exc: BaseException) -> tuple:
    return ("error", type(exc).__name__, str(exc))


def decode_worker(path: str, spec: RingSpec, free: mp.Queue, full: mp.Queue) -> None:
    from anon_core.media.video import VideoReader

    shm, ring = _ring(spec)
    try:
        batch = spec.shape[1]
        slot, times = None, []
        with VideoReader(path) as reader:
            for t, planes in reader.timed_i420():
                if slot is None:
                    slot, times = free.get(), []
                    if slot is None:  # the main process stopped early
                        return
                if planes.shape != ring.shape[2:]:
                    raise MediaError(f"{path}: the frame size changes mid-stream ({planes.shape[::-1]}); "
                                     "re-encode it to one size first")
                ring[slot, len(times)] = planes
                times.append(t)
                if len(times) == batch:
                    full.put((slot, times))
                    slot = None
        if slot is not None and times:
            full.put((slot, times))
        full.put(None)
    except BaseException as exc:
        full.put(_failure(exc))
    finally:
        del ring
        shm.close()


def encode_worker(job: dict, spec: RingSpec, free: mp.Queue, full: mp.Queue, result: mp.Queue) -> None:
    from anon_core.media.video import VideoWriter

    shm, ring = _ring(spec)
    writer = None
    try:
        writer = VideoWriter(job["dst"], job["fps"], audio_from=job["audio_from"], options=job["encode"])
        while (item := full.get()) != "close":
            if item == "abort":
                writer.abort()
                result.put(("aborted",))
                return
            slot, times = item
            for k, t in enumerate(times):
                writer.write_i420(ring[slot, k], t)
            free.put(slot)
        writer.close()
        result.put(("done", writer.frames_written))
    except BaseException as exc:
        if writer is not None:
            writer.abort()
        result.put(_failure(exc))
    finally:
        del ring
        shm.close()


def shared_memory_room(nbytes: int) -> bool:
    """Whether /dev/shm can hold `nbytes` (containers often mount only 64 MB there; touching pages
    beyond it kills the process with SIGBUS instead of raising)."""
    try:
        return shutil.disk_usage("/dev/shm").free > nbytes * 1.2
    except OSError:
        return False


class ProcessIO:
    """`io = ProcessIO(src, (in_shape, out_shape), batch, writer_job)`; `for view, times, release in io.batches()`;
    `io.put(out_numpy, times)`; `io.finish()` -> frames written (or `io.abort()`)."""

    def __init__(self, src: Path, shapes: tuple[tuple[int, int], tuple[int, int]], batch: int, writer_job: dict):
        """shapes: (rows, width) of the decoded and of the encoded I420 frames (they differ when rotated)."""
        ctx = mp.get_context("spawn")  # never fork a process that holds a CUDA context
        specs = [(SLOTS, batch, *shape) for shape in shapes]
        self._shms = [SharedMemory(create=True, size=int(np.prod(spec))) for spec in specs]
        self.inp, self.out = (RingSpec(shm.name, spec) for shm, spec in zip(self._shms, specs))
        self._in_view, self._out_view = (np.ndarray(spec, np.uint8, buffer=shm.buf)
                                         for shm, spec in zip(self._shms, specs))
        self.in_free, self.in_full = ctx.Queue(), ctx.Queue()
        self.out_free, self.out_full, self.result = ctx.Queue(), ctx.Queue(), ctx.Queue()
        for k in range(SLOTS):
            self.in_free.put(k)
            self.out_free.put(k)
        self.decoder = ctx.Process(target=decode_worker, args=(str(src), self.inp, self.in_free, self.in_full),
                                   name="anon-decode", daemon=True)
        self.encoder = ctx.Process(target=encode_worker,
                                   args=(writer_job, self.out, self.out_free, self.out_full, self.result),
                                   name="anon-encode", daemon=True)
        self.decoder.start()
        self.encoder.start()
        self._closed = False

    def _get(self, q: mp.Queue, proc, what: str):
        while True:
            try:
                item = q.get(timeout=POLL_S)
            except queue.Empty:
                if not proc.is_alive():
                    raise MediaError(f"the {what} process stopped unexpectedly (exit code {proc.exitcode})") from None
                continue
            if isinstance(item, tuple) and item and item[0] == "error":
                raise MediaError(item[2] if item[1] == "MediaError" else f"{what}: {item[1]}: {item[2]}")
            return item

    def batches(self):
        """(view of n frames in shared memory, times, release) per batch; call release() once copied."""
        while (item := self._get(self.in_full, self.decoder, "decoder")) is not None:
            slot, times = item
            yield self._in_view[slot, : len(times)], times, lambda s=slot: self.in_free.put(s)

    def put(self, frames: np.ndarray, times: list) -> None:
        slot = self._get(self.out_free, self.encoder, "encoder")
        self._out_view[slot, : len(frames)] = frames
        self.out_full.put((slot, times))

    def finish(self) -> int:
        self.out_full.put("close")
        status = self._get(self.result, self.encoder, "encoder")
        self.close()
        return status[1]

    def abort(self) -> None:
        if self._closed:
            return
        self.decoder.kill()  # it writes nothing, so it can simply stop
        self.out_full.put("abort")
        try:
            self.result.get(timeout=30)
        except queue.Empty:
            pass
        self.close()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for proc in (self.decoder, self.encoder):
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()
                proc.join()
        del self._in_view, self._out_view
        for shm in self._shms:
            shm.close()
            shm.unlink()
