"""The pipeline's video job with batched stages on a device: `anon video --device cuda` (or "cpu-torch").

    decoder         PyAV -> I420 planes (no colour conversion) -> batches
    main            pinned upload -> rotate -> BGR view -> each target's torch port (CenterFace, YOLOX; fp16
                       on CUDA) on the whole batch
                    -> per frame, the pipeline's own region stage (Pipeline.follow: tracker, hold,
                       region growth, zones / consent list / review, analyzers)
                    -> obscure the regions in the Y and UV planes with the policy's RegionStyle
                    -> always-zones -> pinned download
    encoder         PyAV libx264 from the I420 planes

The job is `anon_core.jobs`' video job with its detection and anonymization stages batched on the
device: same Pipeline (built with PipelineConfig.device), same report, progress, output checks and
atomic publishing (`anonymize_video_on_device` has anonymize_video's signature).  What the device
cannot do is refused by anon_core.devices.device_support when the config is made.  Frames reach the
host only where a control reads pixels (the consent list embeds faces): then the batch's BGR view
is downloaded once.

Decoder and encoder are threads (PyAV and x264 work outside the GIL; the GIL switch interval is
shortened during a job so they get their turns promptly).  Measured on an H200 (device_check) before
the region stage was shared with the CPU pipeline: one 1920x1080 file at 354 frames/s; not re-measured
since.  Running decoder and encoder as separate processes over shared memory was tried and measured
slower there (65 frames/s), so it was dropped.  Every batch has the configured size (the last one is
padded on the device), so cuDNN tunes its kernels once per resolution.

Frames stay YUV end to end, so the CPU never converts colours and pixels outside anonymized
regions come out as decoded.  Fail closed: a batch whose device step fails leaves as uniform grey
frames, listed in the report.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from anon_core.detections import Detections
from anon_core.devices import on_device
from anon_core.gpu.anonymize import DeviceRegion, obscure_planes
from anon_core.gpu.yuv import i420_to_bgr, join_i420, rotate_planes, split_i420, yuv_fill
from anon_core.gpu.zones import DeviceZones
from anon_core.jobs import JobOptions, ProgressSink, check_complete, check_video_output, finish_report, publish_job
from anon_core.media import MediaError, VideoWriter
from anon_core.media.video import VideoReader
from anon_core.pipeline import FrameResult, Pipeline
from anon_core.prefetch import WriteBehind, read_ahead
from anon_core.report import Report, file_entry
from anon_core.zones import ZoneControl

log = logging.getLogger(__name__)
RING = 5  # pinned buffers per direction: 2 queued + 1 filling + 1 in use + 1 spare
MAX_BATCH_BYTES = 128 << 20
SWITCH_INTERVAL = 0.0005  # s; short GIL turns keep the decode and encode threads fed


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
    """One pipeline (models loaded once) for many files: `GpuVideoJob(Pipeline(PipelineConfig(device="cuda")))
    .run(src, dst)`.  The pipeline's state (tracker, controls) is reset at the start of every file."""

    def __init__(self, pipeline: Pipeline, batch: int = 16, cudnn_tune: bool | None = None):
        if not on_device(pipeline.config):
            raise ValueError("the device job needs a pipeline built with a device (PipelineConfig.device)")
        if batch < 1:
            raise ValueError("batch must be >= 1")
        self.pipeline = pipeline
        self.detectors = pipeline.detectors
        for det in self.detectors.values():
            if not hasattr(det, "detect_tensor"):
                raise ValueError(f"{det.info.name} has no batched torch port for the device job")
        self.model = next(iter(self.detectors.values())).model  # where the batches go
        # each target's region anonymizer from the policy, in its drawing order (persons, then faces on top)
        targets = pipeline.config.targets
        self.regions = {label: DeviceRegion.of(a) for label, a in pipeline.policy.anonymizers.items()
                        if label in targets}
        zones = [c for c in pipeline.controls if isinstance(c, ZoneControl)]
        covering = [c.name for c in pipeline.controls if not isinstance(c, ZoneControl) and getattr(c, "covers", True)]
        if covering:
            raise ValueError(f"controls {covering} draw on the frame; the device job cannot run them "
                             "(use --device cpu)")
        self.zones = DeviceZones(zones[0]) if zones else None
        self.pin = self.model.device.type == "cuda"
        self.batch = self._batch = batch
        # cuDNN benchmark mode: faster kernels once tuned, at a one-off cost per resolution and process
        self.cudnn_tune = os.environ.get("ANON_CUDNN_TUNE", "1") != "0" if cudnn_tune is None else cudnn_tune
        if self.pin:  # tuned once per resolution (batches all have one size)
            torch.backends.cudnn.benchmark = self.cudnn_tune
        self._out_ring: _Ring | None = None
        self.timing: dict = {}  # where the main thread's time went in the last run (seconds)

    def describe(self) -> dict:
        return self.pipeline.describe() | {
            "engine": "gpu-i420", "device": str(self.model.device),
            "gpu": torch.cuda.get_device_name(self.model.device) if self.pin else None,
            "anonymizers": {label: r.describe() for label, r in self.regions.items()}, "batch": self.batch,
            "cudnn_tune": self.cudnn_tune}

    def run(self, src: str | Path, dst: str | Path, job: JobOptions | None = None) -> Report:
        job = job or JobOptions()
        if job.overlay is not None:
            raise ValueError("overlays draw on numpy frames; run them with --device cpu")
        src, dst = Path(src), Path(dst)
        check_video_output(src, dst)
        if src.is_dir():
            raise MediaError(f"{src} is a folder; the GPU path takes video files (use --device cpu for frames)")
        reader = VideoReader(src)
        info = reader.info
        report = Report("video", input=file_entry(src, info=info.to_dict()), pipeline=self.describe())
        audio = src if job.keep_audio and info.has_audio else None
        progress = ProgressSink(job.progress, info.frame_count, dst.name)
        shape, batch = _plane_shape(info), self.batch
        batch = self._batch = max(1, min(batch, MAX_BATCH_BYTES // (shape[0] * shape[1])))
        start = time.perf_counter()
        self.pipeline.reset()
        try:
            with _ShortGilTurns(), self.pipeline.analyzing(job.analyzers), \
                    VideoWriter(dst, info.fps, audio_from=audio, options=job.encode) as writer:
                self._with_threads(reader, writer, batch, report, progress, job)
                report.analytics = self.pipeline.analytics_summary()
        finally:
            progress.close()
            reader.close()
        report.seconds = time.perf_counter() - start
        check_complete(reader, report, job)  # a truncated input is never silent (as on the CPU path)
        return finish_report(report, dst, job, has_audio=info.has_audio)

    def _with_threads(self, reader: VideoReader, writer: VideoWriter, batch: int, report: Report,
                      progress: ProgressSink, job: JobOptions) -> None:
        batches = read_ahead(_batches(reader.timed_i420(), batch, self.pin), depth=2)
        sink = WriteBehind(lambda out, times: [writer.write_i420(f, t) for f, t in zip(out.numpy(), times)],
                           depth=2)
        try:
            self._loop(batches, sink.put, reader.info.rotation, report, progress, job)
        finally:
            batches.close()
            sink.close()

    def _loop(self, batches, put, rotation: int, report: Report, progress: ProgressSink, job: JobOptions) -> None:
        """Device step per batch (grey frames if it fails), report entries, hand-off to the encoder."""
        clock = self.timing = {"wait_decode_s": 0.0, "device_s": 0.0, "wait_encode_s": 0.0, "batches": 0}
        t = time.perf_counter()
        for host, times in batches:
            index = self.pipeline.index
            clock["wait_decode_s"] += time.perf_counter() - t
            t = time.perf_counter()
            try:
                out, results = self._device_step(host, rotation)
            except Exception as exc:  # fail closed: the whole batch leaves grey
                error = self.pipeline.withheld(index, exc)
                self.pipeline.index = index + len(times)  # the frames the batch did not follow to the end
                out = self._output(host.shape[0], self._rotated_shape(host, rotation))
                out.fill_(128)
                results = [FrameResult(index + k, None, Detections.empty(), None, False, error)
                           for k in range(len(times))]
            for r in results:
                report.add(r)
                if job.on_frame is not None:
                    job.on_frame(r)
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
    def _device_step(self, host: torch.Tensor, rotation: int) -> tuple[torch.Tensor, list[FrameResult]]:
        dev, n = self.model.device, len(host)
        frames = host.to(dev, non_blocking=True)
        if n < self._batch:  # keep one shape per video: no new cuDNN tuning for the last batch
            frames = torch.cat([frames, frames[-1:].expand(self._batch - n, *frames.shape[1:])])
        y, uv = rotate_planes(*split_i420(frames), rotation)
        bgr = i420_to_bgr(y, uv)
        # each target's detector on the whole batch (waits for the device: boxes come to the host)
        found = [det.detect_tensor(bgr)[:n] for det in self.detectors.values()]
        dets = [Detections.concat(per_frame) for per_frame in zip(*found)]
        y, uv = y[:n], uv[:n]
        h, w = y.shape[2:]
        # the BGR frames come to the host only for a control that reads pixels (the consent list)
        pixels = bgr[:n].cpu().numpy() if self.pipeline.needs_pixels else None
        shape_only = np.broadcast_to(np.zeros((1, 1, 3), np.uint8), (h, w, 3))
        results = [self.pipeline.follow(shape_only if pixels is None else pixels[k], d) for k, d in enumerate(dets)]
        for label, region in self.regions.items():
            boxes = [r.regions.xyxy[r.regions.labels == label] for r in results]
            fy, fu, fv = yuv_fill(region.style.colour)
            y = obscure_planes(y, boxes, region, fill=(fy,))
            uv = obscure_planes(uv, [b / 2 for b in boxes], region, fill=(fu, fv))
        if self.zones is not None:
            y, uv = self.zones.cover(y, uv)
        planes = join_i420(y, uv)
        out = self._output(len(planes), tuple(planes.shape[1:]))
        out.copy_(planes, non_blocking=self.pin)
        if self.pin:
            torch.cuda.current_stream(dev).synchronize()
        return out, results


def anonymize_video_on_device(src: str | Path, dst: str | Path, pipeline: Pipeline, options: JobOptions | None = None,
                              batch: int = 16) -> Report:
    """anonymize_video for a pipeline with a device: same checks, report and atomic publishing."""
    options = options or JobOptions()
    src, dst = Path(src), Path(dst)
    check_video_output(src, dst)
    job = GpuVideoJob(pipeline, batch)
    return publish_job(src, dst, options, lambda tmp, opts: job.run(src, tmp, opts))
