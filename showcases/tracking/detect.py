"""What the tracker is fed, per frame: a real detector (YOLOX, torchvision ...) or a "GT detector".

`FrameDetector(frame, index) -> Detections` is the one interface.  `ModelDetector` wraps a registry
detector and keeps only the tracked classes.  `GtDetector` turns MOTChallenge ground truth into
noisy detections (jitter, random misses, occlusion drop-outs, scores falling with visibility): it
evaluates the *tracker* on classes no COCO detector knows (the synthetic scene's boxes, pallets and
carts).  It never looks at the pixels, so raw and anonymized input give the same tracks with it; it
measures the tracker, not what anonymization does to detection.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from anon_core.detections import Detections
from anon_core.detectors import DETECTORS, Detector, create_detector, detector_info
from anon_core.groundtruth import MotGroundTruth

GT_DETECTOR = "gt"


def tracking_detectors() -> list[str]:
    """Registry detectors that emit more than faces (COCO object detectors and person detectors)."""
    return [n for n in DETECTORS.names() if set(detector_info(n).targets) - {"face"}]


def check_classes(name: str, classes: Sequence[str]) -> None:
    """ValueError (saying what to use instead) when registry detector `name` cannot emit `classes`."""
    known = set(detector_info(name).targets)
    unknown = [c for c in classes if c not in known]
    if unknown:
        hint = "COCO names such as person, car, truck" if len(known) > 1 else ", ".join(sorted(known))
        raise ValueError(f"{name} cannot detect {', '.join(unknown)}; use {hint}, or the 'gt' detector "
                         "with --gt for classes of your ground truth (box, pallet, cart ...)")


def make_detector(name: str, classes: Sequence[str], threshold: float | None = None,
                  gt: MotGroundTruth | None = None, noise: GtNoise | None = None, **options):
    """The FrameDetector called `name` ("gt" needs `gt`); raises ValueError for classes it cannot find,
    ModelUnavailableError when its weights are missing."""
    if name == GT_DETECTOR:
        if gt is None:
            raise ValueError("detector 'gt' needs ground truth (--gt GT.txt): it feeds the tracker noisy "
                             "ground-truth boxes to evaluate the tracker on classes no detector knows")
        return GtDetector(gt, classes, noise)
    check_classes(name, classes)
    if threshold is not None:
        options["threshold"] = threshold
    return ModelDetector(create_detector(name, **options), classes)


class ModelDetector:
    """A registry detector restricted to `classes` (None = every label it emits)."""

    def __init__(self, detector: Detector, classes: Sequence[str] | None = None):
        self.detector = detector
        self.classes = tuple(classes) if classes else None
        self.name = detector.info.name

    def __call__(self, frame: np.ndarray, index: int) -> Detections:
        dets = self.detector(frame)
        return dets[np.isin(dets.labels, self.classes)] if self.classes else dets

    def describe(self) -> dict:
        return {**self.detector.describe(), "classes": list(self.classes) if self.classes else None}


@dataclass(frozen=True)
class GtNoise:
    jitter: float = 0.04  # std of box corner noise, as a share of the box size
    miss_rate: float = 0.05  # random misses of visible objects
    min_visibility: float = 0.35  # objects less visible than this are not detected (occlusion drop-out)
    gaps: tuple[tuple[int, int, int], ...] = ()  # constructed occlusions: (gt id, first frame, last frame), 1-based
    seed: int = 0


class GtDetector:
    """Noisy detections from ground truth (see the module doc); score = 0.3 + 0.65 * visibility, so
    partly hidden objects come in as low-confidence rows (ByteTrack's second stage)."""

    name = GT_DETECTOR

    def __init__(self, gt: MotGroundTruth, classes: Sequence[str] | None = None, noise: GtNoise | None = None):
        self.gt = gt
        self.classes = tuple(classes) if classes else tuple(sorted(set(gt.label.tolist())))
        self.noise = noise or GtNoise()

    def __call__(self, frame: np.ndarray | None, index: int) -> Detections:
        n = self.noise
        rng = np.random.default_rng([n.seed, index])  # same output for the same frame, whatever the input
        g = self.gt.at(index + 1, labels=self.classes)
        vis = g.data["visibility"]
        keep = (vis >= n.min_visibility) & (rng.random(len(g)) >= n.miss_rate)
        for gid, first, last in n.gaps:
            if first <= index + 1 <= last:
                keep &= g.track_ids != gid
        g = g[keep]
        xyxy = g.xyxy + rng.normal(0, n.jitter, (len(g), 4)).astype(np.float32) * np.tile(g.wh, 2)
        lo = np.minimum(xyxy[:, :2], xyxy[:, 2:] - 1)
        xyxy = np.concatenate([lo, np.maximum(xyxy[:, 2:], lo + 1)], axis=1)
        scores = np.clip(0.3 + 0.65 * g.data["visibility"], 0, 1)
        return Detections(xyxy, scores, g.labels)

    def describe(self) -> dict:
        n = self.noise
        return {"name": GT_DETECTOR, "classes": list(self.classes), "jitter": n.jitter, "miss_rate": n.miss_rate,
                "min_visibility": n.min_visibility, "gaps": [list(g) for g in n.gaps], "seed": n.seed,
                "note": "ground truth with noise: evaluates the tracker, not the detector"}
