"""The rows of the benchmark table: bounds (Null, Perfect, Perfect black), detectors, detector +
tracker every N (the engine Pipeline) and external references (deface).

A method is run over a Sequence and yields, per frame, (output frame, anonymized regions or None,
count).  Regions None means "no boxes known" (external tools): the metrics then use the pixels that
changed between input and output.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from anon_core.anonymize.policy import Policy, region_defaults
from anon_core.bench.data import Sequence
from anon_core.detections import Detections
from anon_core.detectors.catalog import count_threshold
from anon_core.media.video import VideoReader
from anon_core.pipeline import Pipeline, PipelineConfig


@dataclass(frozen=True)
class Style:
    """How rows anonymize: shape/padding None are the target's defaults, as `anon video` uses them
    (faces ellipse 0.3, persons box 0.2: anonymize.policy.REGION_DEFAULTS)."""

    method: str = "blur"
    shape: str | None = None
    padding: float | None = None

    def region(self, target: str) -> tuple[str, float]:
        d = region_defaults(target, self.shape, self.padding)
        return d["shape"], d["padding"]

    def policy(self, target: str, method: str | None = None) -> Policy:
        shape, padding = self.region(target)
        return Policy.uniform((target,), method or self.method, shape=shape, padding=padding)


@dataclass
class FrameOut:
    frame: np.ndarray
    regions: Detections | None  # None: unknown, use changed pixels
    count: int | None  # objects reported on this frame; None = count the anonymized blobs


class Method:
    name = "method"
    kind = "detector"
    region_shape = "box"
    padding = 0.0

    def run(self, seq: Sequence, frames: Iterator[np.ndarray]) -> Iterator[FrameOut]:
        raise NotImplementedError

    def describe(self) -> dict:
        return {}

    def warmup(self, frame: np.ndarray) -> None:
        """Run the model once before timing (lazy initialisation, autotuning)."""


class NullMethod(Method):
    name, kind = "Null (anonymizes nothing)", "bound"

    def run(self, seq, frames):
        for frame in frames:
            yield FrameOut(frame.copy(), Detections.empty(), 0)


class PerfectMethod(Method):
    """Ground-truth boxes, blurred (or filled black): the upper bound of every metric."""

    kind = "bound"

    def __init__(self, style: Style, black: bool = False):
        self.name = "Perfect black (GT boxes, solid fill)" if black else "Perfect (GT boxes, blurred)"
        self.method = "fill" if black else style.method

    def run(self, seq, frames):
        policy = Policy.uniform((seq.target,), self.method, shape="box", padding=0.0)
        for i, frame in enumerate(frames):
            gt = Detections(seq.gt[i], np.ones(len(seq.gt[i])), seq.target)
            yield FrameOut(policy.apply(frame, gt), gt, len(gt))


class DetectorMethod(Method):
    """A detector on every frame, no tracker (the thesis's plain detector rows)."""

    def __init__(self, name: str, detector, target: str, style: Style):
        self.name, self.detector, self.target = name, detector, target
        self.policy = style.policy(target)
        self.region_shape, self.padding = style.region(target)

    def describe(self):
        return self.detector.describe()

    def warmup(self, frame):
        self.detector(frame)

    def run(self, seq, frames):
        counted = _count_threshold(self.detector)
        for frame in frames:
            dets = self.detector(frame)
            dets = dets[dets.labels == self.target]
            yield FrameOut(self.policy.apply(frame, dets), dets, int((dets.scores >= counted).sum()))


class PipelineMethod(Method):
    """The engine: detector every N frames + tracker + temporal hold (anon_core.pipeline.Pipeline)."""

    kind = "tracker"

    def __init__(self, name: str, detector, target: str, style: Style, every, hold_frames: int = 8):
        self.name = name
        self.target = target
        config = PipelineConfig(targets=(target,), detect_every=every, hold_frames=hold_frames,
                                method=style.method, shape=style.shape, padding=style.padding,
                                **{f"{target}_detector": detector.info.name})
        self.pipeline = Pipeline(config, detectors={target: detector})
        self.region_shape, self.padding = style.region(target)

    def describe(self):
        return self.pipeline.describe()

    def warmup(self, frame):
        self.pipeline.detectors[self.target](frame)

    def run(self, seq, frames):
        self.pipeline.reset()
        counted = _count_threshold(self.pipeline.detectors[self.target])
        for frame in frames:
            res = self.pipeline.process(frame)
            regions = res.regions
            live = regions.origin != "held" if regions.origin is not None else np.ones(len(regions), bool)
            yield FrameOut(res.frame, regions, int((live & (regions.scores >= counted)).sum()))


def _count_threshold(detector) -> float:
    """Persons are counted at the catalog's count threshold (above the anonymization threshold for the
    -hd detectors: partly hidden people score low); other targets at the detector's own."""
    return count_threshold(detector) if hasattr(detector, "info") else 0.0


def deface_regions(frames_bgr, in_shape: tuple[int, int] | None = None, threshold: float = 0.2,
                   mask_scale: float = 1.3) -> list[Detections]:
    """The regions deface blurs (ellipses inscribed in these boxes), from deface's own detector and box
    scaling (deface.centerface.CenterFace + deface.deface.scale_bb, defaults of deface 1.5)."""
    from deface.centerface import CenterFace as DefaceCenterFace
    from deface.deface import scale_bb

    net = DefaceCenterFace(in_shape=in_shape, backend="onnxrt")
    out = []
    for frame in frames_bgr:
        h, w = frame.shape[:2]
        dets, _ = net(np.ascontiguousarray(frame[:, :, ::-1]), threshold=threshold)  # deface reads RGB
        boxes = []
        for det in dets:
            x1, y1, x2, y2 = scale_bb(*det[:4].astype(int), mask_scale)
            boxes.append([max(0, x1), max(0, y1), min(w - 1, x2), min(h - 1, y2)])
        boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
        keep = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
        out.append(Detections(boxes[keep], np.asarray(dets[keep, 4] if len(dets) else [], np.float32), "face"))
    return out


class DefaceMethod(Method):
    """`deface` (CenterFace + ellipse blur) run as a subprocess on the same input, timed as a whole;
    its regions for the metrics come from deface's own detector run in-process (not timed)."""

    name, kind = "deface (reference)", "reference"
    region_shape = "ellipse"

    def __init__(self, extra_args: tuple[str, ...] = ()):
        self.extra_args = tuple(extra_args)
        self.seconds = 0.0

    @staticmethod
    def command() -> list[str]:
        exe = shutil.which("deface")
        return [exe] if exe else [sys.executable, "-m", "deface.deface"]

    def describe(self):
        from importlib.metadata import version

        return {"tool": "deface", "version": version("deface"), "args": list(self.extra_args)}

    def run(self, seq, frames):
        frames = list(frames)
        with tempfile.TemporaryDirectory(prefix="anon-bench-deface-") as tmp:
            tmp = Path(tmp)
            if seq.video is not None:
                out_path = tmp / "out.mp4"
                t0 = time.perf_counter()
                _run([*self.command(), *self.extra_args, "-o", str(out_path), str(seq.video)])
                self.seconds = time.perf_counter() - t0

                with VideoReader(out_path) as reader:
                    outs = list(reader.frames())
            else:
                src = tmp / "in"
                src.mkdir()
                names = [f"{i:06d}{p.suffix.lower()}" for i, p in enumerate(seq.images[: len(frames)])]
                for name, p in zip(names, seq.images):
                    shutil.copyfile(p, src / name)
                t0 = time.perf_counter()
                _run([*self.command(), *self.extra_args, str(src)])
                self.seconds = time.perf_counter() - t0
                outs = [cv2.imread(str(src / (Path(n).stem + "_anonymized" + Path(n).suffix))) for n in names]
        regions = deface_regions(frames)
        for raw, out, reg in zip(frames, outs, regions):
            if out is None or out.shape != raw.shape:
                raise RuntimeError("deface produced no/mismatched output; run it by hand to see why")
            yield FrameOut(out, reg, len(reg))


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:2])} ... failed ({proc.returncode}): {proc.stderr.strip()[-400:]}")
