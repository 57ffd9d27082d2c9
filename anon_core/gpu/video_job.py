"""Face anonymization of a video on a CUDA GPU (or torch on the CPU): `anon video --device cuda`.

    decoder         PyAV -> I420 planes (no colour conversion) -> batches
    main            pinned upload -> rotate -> BGR view -> CenterFace (torch, fp16) -> hold missed faces
                    -> obscure the regions in the Y and UV planes -> pinned download
    encoder         PyAV libx264 from the I420 planes

Decoder and encoder are threads (PyAV and x264 work outside the GIL; the GIL switch interval is
shortened during a job so they get their turns promptly).  Measured on an H200 (device_check): one
1920x1080 file at 354 frames/s.  Running them as separate processes over shared memory was tried
and measured slower there (65 frames/s), so it was dropped.  Every batch has the configured size
(the last one is padded on the device), so cuDNN tunes its kernels once per resolution.

Frames stay YUV end to end, so the CPU never converts colours and pixels outside anonymized
regions come out as decoded.  Fail closed: a batch whose device step fails leaves as uniform grey
frames, listed in the report.  The CPU pipeline (`anon_core.pipeline`) stays the reference: it has
every detector, tracker and policy; this path is the face/CenterFace subset built for throughput.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from anon_core.detections import Detections, box_iou
from anon_core.detectors.catalog import detector_info
from anon_core.gpu.anonymize import GpuStyle, obscure_planes
from anon_core.gpu.centerface import TorchCenterFace
from anon_core.gpu.yuv import UV_NEUTRAL, Y_BLACK, i420_to_bgr, join_i420, rotate_planes, split_i420
from anon_core.gpu.zones import GpuZones
from anon_core.jobs import JobOptions, ProgressSink, check_video_output, finish_report
from anon_core.media import MediaError, VideoWriter
from anon_core.media.video import VideoReader
from anon_core.pipeline import FrameResult
from anon_core.prefetch import WriteBehind, read_ahead
from anon_core.report import Report, file_entry

log = logging.getLogger(__name__)
RING = 5  # pinned buffers per direction: 2 queued + 1 filling + 1 in use + 1 spare
MAX_BATCH_BYTES = 128 << 20
SWITCH_INTERVAL = 0.0005  # s; short GIL turns keep the decode and encode threads fed


@dataclass
class GpuJobOptions:
    device: str | None = None  # "cuda" (default when a GPU is present) or "cpu"
    batch: int = 16
    input_width: int | None = 1280  # detector input width (like the CPU path's --detect-width)
    threshold: float | None = None  # None: CenterFace's catalog default, as on the CPU path
    hold: int = 8  # frames a face the detector missed stays obscured at its last box
    style: GpuStyle = field(default_factory=lambda: GpuStyle(padding=0.3))
    zones: tuple = ()  # anon_core.zones.Zone: always-zones obscured, never-zones left (anon_core/gpu/zones.py)
    # cuDNN benchmark mode: faster kernels once tuned, at a one-off cost per resolution and process
    cudnn_tune: bool = field(default_factory=lambda: os.environ.get("ANON_CUDNN_TUNE", "1") != "0")

    def __post_init__(self):
        if self.batch < 1:
            raise ValueError("batch must be >= 1")
        if self.hold < 0:
            raise ValueError("hold must be >= 0")



class FaceHold:
    """Keeps a face the detector missed obscured at its last box for up to `frames` frames."""

    def __init__(self, frames: int):
        self.frames = frames
        self.boxes = np.zeros((0, 4), np.float32)
        self.age = np.zeros(0, int)

    def update(self, boxes: np.ndarray, scores: np.ndarray) -> Detections:
        held, age = self.boxes, self.age + 1
        if len(held) and len(boxes):
            fresh = box_iou(held, boxes).max(1) <= 0.0  # overlapping a detection: it was seen again
            held, age = held[fresh], age[fresh]
        ok = age <= self.frames
        held, age = held[ok], age[ok]
        self.boxes = np.concatenate([boxes, held]).astype(np.float32)
        self.age = np.concatenate([np.zeros(len(boxes), int), age])
        origin = ["detected"] * len(boxes) + ["held"] * len(held)
        return Detections(self.boxes, np.concatenate([scores, np.zeros(len(held), np.float32)]), "face",
                          origin=np.array(origin, str))


class _Ring:
    """RING pinned (on CUDA) host buffers of one shape, handed out in turn."""

    def __init__(self, shape: tuple[int, ...], pin: bool):
        self.buffers = [torch.empty(shape, dtype=torch.uint8, pin_memory=pin) for _ in range(RING)]
        self.next = 0

    def take(self) -> torch.Tensor:
        buf = self.buffers[self.next]
        self.next = (self.next + 1) % RING
        return buf


def _plane_shape(info) -> tuple[int, int]:
    """(rows, width) of the stored (unrotated) frames as even-sized I420 planes."""
    w, h = (info.height, info.width) if info.rotation in (90, 270) else (info.width, info.height)
    w, h = w + w % 2, h + h % 2
    return h * 3 // 2, w


def _batches(frames: Iterator, batch: int, pin: bool) -> Iterator[tuple[torch.Tensor, list]]:
    """Group (t, I420 planes) into pinned (n, H*3/2, W) buffers. Consumers must be done with a buffer
    before RING - 1 later ones are produced (read_ahead depth 2 + the one in use guarantee it)."""
    ring, buf, times = None, None, []
    for t, planes in frames:
        if ring is None:
            ring = _Ring((batch, *planes.shape), pin)
        if buf is None:
            buf, times = ring.take(), []
        buf[len(times)].numpy()[:] = planes
        times.append(t)
        if len(times) == len(buf):
            yield buf, times
            buf = None
    if buf is not None and times:
        yield buf[: len(times)], times


class _ShortGilTurns:
    """Shorten the interpreter's GIL switch interval while at least one job runs (it is process-wide,
    so concurrent jobs share one reference count and the last to finish restores the old value)."""

    _lock = threading.Lock()
    _active = 0
    _saved = 0.005

    def __enter__(self):
        with self._lock:
            if _ShortGilTurns._active == 0:
                _ShortGilTurns._saved = sys.getswitchinterval()
                sys.setswitchinterval(min(_ShortGilTurns._saved, SWITCH_INTERVAL))
            _ShortGilTurns._active += 1

    def __exit__(self, *exc):
        with self._lock:
            _ShortGilTurns._active -= 1
            if _ShortGilTurns._active == 0:
                sys.setswitchinterval(_ShortGilTurns._saved)


class GpuVideoJob:
    """One loaded model for many files: `GpuVideoJob(GpuJobOptions(device="cuda")).run(src, dst)`."""

    def __init__(self, options: GpuJobOptions | None = None, model: TorchCenterFace | None = None):
        self.options = options or GpuJobOptions()
        o = self.options
        threshold = detector_info("centerface").default_threshold if o.threshold is None else o.threshold
        self.model = model or TorchCenterFace(device=o.device, input_width=o.input_width, threshold=threshold)
        self.pin = self.model.device.type == "cuda"
        self._batch = o.batch
        if self.pin:  # tuned once per resolution (batches all have one size)
            torch.backends.cudnn.benchmark = o.cudnn_tune
        self._out_ring: _Ring | None = None
        self.zones = GpuZones(list(o.zones), o.style) if o.zones else None
        self._kept: list[list] = []  # per frame of the last device step: regions left visible by a never-zone
        self.timing: dict = {}  # where the main thread's time went in the last run (seconds)

    def describe(self) -> dict:
        o = self.options
        return {"engine": "gpu-i420", "device": str(self.model.device),
                "gpu": torch.cuda.get_device_name(self.model.device) if self.pin else None,
                "detector": {"name": "centerface", "backend": "torch", "fp16": self.model.half,
                             "input_width": self.model.input_width, "threshold": self.model.threshold,
                             "weights": str(self.model.path)},
                "anonymizer": o.style.to_dict(), "batch": o.batch, "hold_frames": o.hold,
                "cudnn_tune": o.cudnn_tune} | ({"controls": {"zones": self.zones.describe()}} if self.zones else {})

    def run(self, src: str | Path, dst: str | Path, job: JobOptions | None = None) -> Report:
        job = job or JobOptions()
        src, dst = Path(src), Path(dst)
        check_video_output(src, dst)
        if src.is_dir():
            raise MediaError(f"{src} is a folder; the GPU path takes video files (use --device cpu for frames)")
        reader = VideoReader(src)
        info = reader.info
        report = Report("video", input=file_entry(src, info=info.to_dict()), pipeline=self.describe())
        audio = src if job.keep_audio and info.has_audio else None
        progress = ProgressSink(job.progress, info.frame_count, dst.name)
        shape, batch = _plane_shape(info), self.options.batch
        batch = self._batch = max(1, min(batch, MAX_BATCH_BYTES // (shape[0] * shape[1])))
        start = time.perf_counter()
        try:
            with _ShortGilTurns(), VideoWriter(dst, info.fps, audio_from=audio, options=job.encode) as writer:
                self._with_threads(reader, writer, batch, report, progress)
        finally:
            progress.close()
            reader.close()
        report.seconds = time.perf_counter() - start
        return finish_report(report, dst, job, has_audio=info.has_audio)

    def _with_threads(self, reader: VideoReader, writer: VideoWriter, batch: int, report: Report,
                      progress: ProgressSink) -> None:
        batches = read_ahead(_batches(reader.timed_i420(), batch, self.pin), depth=2)
        sink = WriteBehind(lambda out, times: [writer.write_i420(f, t) for f, t in zip(out.numpy(), times)],
                           depth=2)
        try:
            self._loop(batches, sink.put, reader.info.rotation, report, progress)
        finally:
            batches.close()
            sink.close()

    def _loop(self, batches, put, rotation: int, report: Report, progress: ProgressSink) -> None:
        """Device step per batch (grey frames if it fails), report entries, hand-off to the encoder."""
        hold = FaceHold(self.options.hold)
        clock = self.timing = {"wait_decode_s": 0.0, "device_s": 0.0, "wait_encode_s": 0.0, "batches": 0}
        t = time.perf_counter()
        for host, times in batches:
            index = report.frame_count
            clock["wait_decode_s"] += time.perf_counter() - t
            t = time.perf_counter()
            try:
                out, regions = self._device_step(host, rotation, hold)
                error = None
            except Exception as exc:  # fail closed: the whole batch leaves grey
                log.warning("device step failed on frames %d-%d: %s", index, index + len(times) - 1, exc)
                out = self._output(host.shape[0], self._rotated_shape(host, rotation))
                out.fill_(128)
                regions, error = [Detections.empty()] * len(times), f"{type(exc).__name__}: {exc}"
            kept = self._kept if error is None and len(self._kept) == len(regions) else [[]] * len(regions)
            for k, r in enumerate(regions):
                report.add(FrameResult(index + k, None, r, None, detected=error is None, error=error, kept=kept[k]))
            clock["device_s"] += time.perf_counter() - t
            t = time.perf_counter()
            put(out, times)
            clock["wait_encode_s"] += time.perf_counter() - t
            clock["batches"] += 1
            progress.step(len(times))
            t = time.perf_counter()

    @staticmethod
    def _rotated_shape(host: torch.Tensor, rotation: int) -> tuple[int, int]:
        rows, w = host.shape[1:]
        h = rows * 2 // 3
        return (w * 3 // 2, h) if rotation in (90, 270) else (rows, w)

    def _output(self, n: int, shape: tuple[int, int]) -> torch.Tensor:
        if self._out_ring is None or tuple(self._out_ring.buffers[0].shape[1:]) != shape or \
                self._out_ring.buffers[0].shape[0] < n:
            self._out_ring = _Ring((n, *shape), self.pin)
        return self._out_ring.take()[:n]

    @torch.inference_mode()
    def _device_step(self, host: torch.Tensor, rotation: int, hold: FaceHold):
        dev, n = self.model.device, len(host)
        frames = host.to(dev, non_blocking=True)
        if n < self._batch:  # keep one shape per video: no new cuDNN tuning for the last batch
            frames = torch.cat([frames, frames[-1:].expand(self._batch - n, *frames.shape[1:])])
        y, uv = rotate_planes(*split_i420(frames), rotation)
        dets = self.model.detect(i420_to_bgr(y, uv))[:n]  # waits for the device: boxes come to the host
        y, uv = y[:n], uv[:n]
        regions = [hold.update(boxes, scores) for boxes, scores, _ in dets]
        self._kept = [[] for _ in regions]
        if self.zones is not None:
            regions, self._kept = self.zones.select(regions, y.shape[2], y.shape[3])
        boxes = [r.xyxy for r in regions]
        style = self.options.style
        y = obscure_planes(y, boxes, style, fill=(Y_BLACK,))
        uv = obscure_planes(uv, [b / 2 for b in boxes], style, fill=(UV_NEUTRAL, UV_NEUTRAL))
        if self.zones is not None:
            y, uv = self.zones.cover(y, uv)
        planes = join_i420(y, uv)
        out = self._output(len(planes), tuple(planes.shape[1:]))
        out.copy_(planes, non_blocking=self.pin)
        if self.pin:
            torch.cuda.current_stream(dev).synchronize()
        return out, regions
