"""What a batch worker (a pool process or a Ray actor) does: load the models once, on the first file
that needs them, then per file decide skip or redo, run the single-file job, and return the
manifest entry.  Entries go back to the driver, which alone writes the manifest."""

from __future__ import annotations

import argparse
import os
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from anon_core.batch.discovery import BatchItem
from anon_core.batch.manifest import is_current
from anon_core.batch.outputs import UnsafeOutput, may_replace
from anon_core.cli.options import pipeline_from_args
from anon_core.jobs import JobOptions, anonymize_image, anonymize_video
from anon_core.media import EncodeOptions, MediaError
from anon_core.models.checksums import sha256_file

FrameSink = Callable[[int], None]  # frames done since the last call
TICK_FRAMES = 10  # frame-progress messages per worker: one per 10 frames keeps the queue traffic small


@dataclass(frozen=True)
class WorkSpec:
    """Everything a worker needs, picklable: the parsed CLI options and the settings hash."""

    options: dict  # argparse values: pipeline options, crf, preset, keep_audio, device, batch
    settings: str
    threads: int = 1


@dataclass(frozen=True)
class WorkItem:
    item: BatchItem
    prev: dict | None = None  # the manifest's last entry for this input, if any
    fresh: bool = False  # neither output nor report existed when this run planned the batch


def limit_threads(n: int) -> None:
    """N workers on C cores: each gets C/N threads (onnxruntime via ANON_THREADS, OpenMP, OpenCV, torch),
    instead of each starting C threads and all of them fighting over the cores."""
    n = max(1, int(n))
    for var in ("ANON_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(n)
    import cv2

    cv2.setNumThreads(n)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)


class _Ticker:
    """JobOptions.progress callable that forwards frame counts in chunks."""

    def __init__(self, sink: FrameSink):
        self.sink, self.sent, self.done = sink, 0, 0

    def __call__(self, done: int, total, fps) -> None:
        self.done = done
        if done - self.sent >= TICK_FRAMES:
            self.flush()

    def flush(self) -> None:
        if self.done > self.sent:
            self.sink(self.done - self.sent)
            self.sent = self.done


class BatchWorker:
    def __init__(self, spec: WorkSpec, frames: FrameSink | None = None):
        limit_threads(spec.threads)
        self.spec = spec
        self.args = argparse.Namespace(**spec.options)
        self.frames = frames
        self._pipeline = None
        self._torch_limited = False
        self.where = f"{socket.gethostname()}:{os.getpid()}"

    def pipeline(self):
        if self._pipeline is None:
            self._pipeline = pipeline_from_args(self.args)
        return self._pipeline

    def device_video(self, src: str, dst: str, options: JobOptions):
        """A video through the batched device job over this worker's pipeline (its config carries the
        device), published as `anon video --device` publishes it: atomically, a truncated input refused."""
        from anon_core.gpu.video_job import anonymize_video_on_device

        pipeline = self.pipeline()
        if not self._torch_limited:
            limit_threads(self.spec.threads)  # torch is loaded now
            self._torch_limited = True
        return anonymize_video_on_device(src, dst, pipeline, options, batch=self.args.batch)

    def run_task(self, work: list[WorkItem]) -> list[dict]:
        return [self.process(w) for w in work]

    def process(self, w: WorkItem) -> dict:
        start = time.perf_counter()
        it = w.item
        entry = {"input": it.src, "rel": it.rel, "kind": it.kind, "settings": self.spec.settings,
                 "output": it.dst, "report": it.report, "worker": self.where}
        try:
            if it.kind == "unknown":
                raise UnsupportedFile(f"{it.src}: not a photo or video (unknown suffix {Path(it.src).suffix!r})")
            entry["input_sha256"] = sha256_file(it.src)
            dst = Path(it.dst)
            if is_current(w.prev, entry["input_sha256"], self.spec.settings) and dst.is_file() \
                    and sha256_file(dst) == w.prev["output_sha256"]:
                keep = {k: w.prev.get(k) for k in ("output_sha256", "frames", "regions", "failed_frames")}
                return entry | keep | {"status": "skipped", "error": None,
                                       "seconds": round(time.perf_counter() - start, 3), "time": _now()}
            refusal = may_replace(it, w.prev, w.fresh)
            if refusal:
                raise UnsafeOutput(refusal)
            report = self._job(it)
            s = report.summary()
            error = (f"{s['failed_frames']} frame(s) failed and were fully obscured (see the report)"
                     if s["failed_frames"] else None)
            return entry | {"status": "failed" if error else "done", "output_sha256": report.output.get("sha256"),
                            "frames": s["frames"], "regions": s["regions"], "failed_frames": s["failed_frames"],
                            "seconds": round(time.perf_counter() - start, 3), "error": error, "time": _now()}
        except Exception as exc:  # one bad file is recorded and the batch goes on
            return entry | {"status": "failed", "error": _describe(exc),
                            "seconds": round(time.perf_counter() - start, 3), "time": _now()}

    def _job(self, it: BatchItem):
        a = self.args
        ticker = _Ticker(self.frames) if self.frames is not None else None
        options = JobOptions(keep_audio=bool(getattr(a, "keep_audio", False)), report_path=it.report,
                             progress=ticker or False, encode=EncodeOptions(crf=a.crf, preset=a.preset))
        try:
            if it.kind == "image":
                return anonymize_image(it.src, it.dst, self.pipeline(), options)
            if getattr(a, "device", "cpu") != "cpu":
                return self.device_video(it.src, it.dst, options)
            return anonymize_video(it.src, it.dst, self.pipeline(), options)
        finally:
            if ticker is not None:
                ticker.flush()


class UnsupportedFile(ValueError):
    pass


def _describe(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    known = (MediaError, UnsafeOutput, UnsupportedFile)
    return text if isinstance(exc, known) else f"{type(exc).__name__}: {text}"


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def lost(work: list[WorkItem], why: str) -> list[dict]:
    """Entries for a task whose worker died and was not brought back (the driver records them as failed)."""
    return [{"input": w.item.src, "rel": w.item.rel, "kind": w.item.kind, "output": w.item.dst,
             "report": w.item.report, "status": "failed", "error": why, "seconds": 0.0, "time": _now()}
            for w in work]
