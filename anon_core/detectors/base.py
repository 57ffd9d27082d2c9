"""Detector plug-in contract: `detector(frame) -> Detections`, plus what it finds and where its weights come from."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from anon_core.detections import Detections


class ModelUnavailableError(RuntimeError):
    """A model's weights are not on this machine and cannot be fetched; the message says how to fix it."""


@dataclass(frozen=True)
class DetectorInfo:
    name: str
    targets: tuple[str, ...]  # labels it can emit: ("face",), ("person",), or COCO class names
    source: str  # "embedded" (weights ship in a pip package), "download" (model dir), "torchvision"
    licence: str
    description: str
    default_threshold: float = 0.5
    weak: str | None = None  # shown in CLI and UI when the model is known to be weak
    extras: tuple[str, ...] = field(default=())  # "landmarks", "masks", "keypoints"
    scalable: bool = False  # accepts input_width (network input size chosen per call, any scale)

    @property
    def finds_faces(self) -> bool:
        return "face" in self.targets

    @property
    def finds_persons(self) -> bool:
        return "person" in self.targets


class Detector(ABC):
    """Base class: subclasses implement `detect` (and may override `detect_batch` for batching).

    Frames are OpenCV BGR uint8 (H, W, 3); adapters convert at the model boundary only.
    """

    info: DetectorInfo

    def __init__(self, threshold: float | None = None):
        self.threshold = self.info.default_threshold if threshold is None else float(threshold)

    def __call__(self, frame: np.ndarray) -> Detections:
        return self.detect_batch([frame])[0]

    @abstractmethod
    def detect(self, frame: np.ndarray) -> Detections: ...

    def detect_batch(self, frames: Sequence[np.ndarray]) -> list[Detections]:
        return [self.detect(f) for f in frames]

    def describe(self) -> dict:
        """Name, version and weight checksum for audit reports (subclasses add weight details)."""
        return {"name": self.info.name, "threshold": self.threshold, "source": self.info.source,
                "licence": self.info.licence}


def check_frame(frame: np.ndarray) -> np.ndarray:
    if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
        got = getattr(frame, "shape", type(frame).__name__), getattr(frame, "dtype", "")
        raise ValueError(f"detectors take BGR uint8 frames of shape (H, W, 3), got {got}; "
                         "convert with anon_core.media.images.to_bgr8 first")
    return frame
