"""Per-frame person counts from any registered person detector, and count smoothing.

`PersonCounter(detector)` counts the rows labelled "person" at or above a score threshold.  It also
has the analyzer signature of anon_core.pipeline (`counter(raw_frame, detections) -> int`), so the
pipeline can count on the raw frame before anonymizing it (analyze-then-anonymize).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import median_filter
from scipy.signal import lfilter

from anon_core.detections import Detections
from anon_core.detectors import Detector, create_detector, detector_info
from anon_core.detectors.catalog import COUNT_THRESHOLDS, DEFAULT_PERSON_DETECTOR, count_threshold

SMOOTHING = ("none", "median", "ema")
__all__ = ["COUNT_THRESHOLDS", "SMOOTHING", "CounterConfig", "PersonCounter", "RunningSmoother", "smooth_counts"]


@dataclass(frozen=True)
class CounterConfig:
    person_detector: str = DEFAULT_PERSON_DETECTOR
    threshold: float | None = None  # None = catalog.COUNT_THRESHOLDS, else the detector's default threshold
    label: str = "person"
    auto_download: bool = False  # the CLI's default (README, Models): fetch missing weights on first use

    def __post_init__(self):
        info = detector_info(self.person_detector)  # raises with the list of names when unknown
        if self.label not in info.targets:
            raise ValueError(f"detector {self.person_detector!r} does not find {self.label}s; "
                             "pick a person detector (see `anon models list`)")
        if self.threshold is not None and not 0 <= self.threshold <= 1:
            raise ValueError(f"count threshold must be in [0, 1], got {self.threshold}")


class PersonCounter:
    """Counts persons in a frame.  `detector` may be shared with a Pipeline (detectors are stateless)."""

    def __init__(self, detector: Detector, threshold: float | None = None, label: str = "person"):
        self.detector = detector
        self.threshold = count_threshold(detector) if threshold is None else float(threshold)
        self.label = label
        if self.threshold < detector.threshold:
            raise ValueError(f"count threshold {self.threshold} is below the detector's own threshold "
                             f"{detector.threshold}; build the detector with threshold={self.threshold}")

    @classmethod
    def from_config(cls, config: CounterConfig) -> PersonCounter:
        options = {} if config.threshold is None else {"threshold": config.threshold}
        if config.auto_download and detector_info(config.person_detector).source in ("download", "torchvision"):
            options["auto_download"] = True
        return cls(create_detector(config.person_detector, **options), config.threshold, config.label)

    @property
    def name(self) -> str:
        return self.detector.info.name

    def select(self, dets: Detections) -> Detections:
        """The rows this counter counts: its label, score at or above its threshold."""
        return dets[(dets.labels == self.label) & (dets.scores >= self.threshold)]

    def detect(self, frame: np.ndarray) -> Detections:
        return self.select(self.detector(frame))

    def count(self, frame: np.ndarray) -> int:
        return len(self.detect(frame))

    def __call__(self, frame: np.ndarray, detections: Detections | None = None) -> int:
        """Analyzer signature; the pipeline's own detections are ignored (they are of the targets, e.g. faces)."""
        return self.count(frame)

    def describe(self) -> dict:
        return {**self.detector.describe(), "count_threshold": self.threshold, "label": self.label}


def smooth_counts(counts, method: str = "median", window: int = 5, causal: bool = False) -> np.ndarray:
    """Smoothed count series (float).

    median: running median over `window` frames (centred; trailing when `causal`, as on a live stream).
    ema: exponential moving average with alpha = 2 / (window + 1) (always causal).
    none: the counts as floats.
    """
    x = np.asarray(counts, np.float64).ravel()
    if method not in SMOOTHING:
        raise ValueError(f"unknown smoothing {method!r}; use one of {', '.join(SMOOTHING)}")
    if window < 1:
        raise ValueError("smoothing window must be >= 1 frame")
    if method == "none" or window == 1 or not x.size:
        return x
    if method == "median":
        if not causal:
            return median_filter(x, size=window, mode="nearest")
        padded = np.concatenate([np.full(window - 1, x[0]), x])
        return np.median(np.lib.stride_tricks.sliding_window_view(padded, window), axis=1)
    alpha = 2.0 / (window + 1)
    y, _ = lfilter([alpha], [1, alpha - 1], x, zi=[(1 - alpha) * x[0]])
    return y


class RunningSmoother:
    """Causal smoothing of a live count stream, one value at a time (same results as smooth_counts(causal=True))."""

    def __init__(self, method: str = "median", window: int = 5):
        smooth_counts([0], method, window)  # validates
        self.method, self.window = method, window
        self.reset()

    def reset(self) -> None:
        self._values: list[float] = []
        self._ema: float | None = None

    def update(self, count: float) -> float:
        if self.method == "none":
            return float(count)
        if self.method == "ema":
            alpha = 2.0 / (self.window + 1)
            self._ema = float(count) if self._ema is None else alpha * count + (1 - alpha) * self._ema
            return self._ema
        if not self._values:
            self._values = [float(count)] * (self.window - 1)
        self._values = (self._values + [float(count)])[-self.window:]
        return float(np.median(self._values))
