"""The one extension point for analytics: a FrameAnalyzer runs inside the pipeline, after detection and
before anonymization, so it sees the raw frame and the detections; only what it returns leaves (into
FrameResult.analytics[name] per frame, and its summary() into the job's audit report "analytics").

Counting, tracking and attributes plug in here; the job loop (anon_core.jobs) is the same for all.
A plain function `fn(frame, detections) -> data` is an analyzer too (as_analyzer wraps it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import numpy as np

from anon_core.detections import Detections


@runtime_checkable
class FrameAnalyzer(Protocol):
    def __call__(self, frame: np.ndarray, detections: Detections) -> Any:
        """Per frame: the raw BGR frame and this frame's detections (or the tracked regions on frames
        without a detector run); returns JSON-friendly data, never pixels of the raw frame."""

    def reset(self) -> None:
        """Forget the previous stream (called by Pipeline.reset, i.e. at the start of every job)."""

    def summary(self) -> dict:
        """What goes into the audit report's "analytics" section and the showcase result."""


class FunctionAnalyzer:
    """A stateless function as a FrameAnalyzer (no reset, empty summary)."""

    def __init__(self, fn: Callable[[np.ndarray, Detections], Any]):
        self.fn = fn

    def __call__(self, frame: np.ndarray, detections: Detections) -> Any:
        return self.fn(frame, detections)

    def reset(self) -> None:
        pass

    def summary(self) -> dict:
        return {}


def as_analyzer(obj: FrameAnalyzer | Callable) -> FrameAnalyzer:
    return obj if isinstance(obj, FrameAnalyzer) else FunctionAnalyzer(obj)
