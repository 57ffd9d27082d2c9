"""Tracking on raw and on anonymized frames, side by side.

For every frame the raw frame goes (1) to the detector + tracker of the "raw" side, inside the process
(analyze-then-anonymize: only boxes and ids leave), and (2) through the anonymization Pipeline; the
anonymized frame then goes to a second detector + tracker, the "anonymized" side.  Both sides use the
same detector and the same tracker settings (anon_core.tracking, the tracker the engine itself uses).

    detect = ModelDetector(create_detector("yolox-nano", threshold=0.1), classes=("person", "car"))
    pipeline = Pipeline(PipelineConfig(targets=("face",), method="blur"))
    result = run_tracking("clip.mp4", detect, pipeline, TrackingConfig(classes=("person", "car")))
    result.raw.counts(), result.anonymized.trajectories(), result.summary(zones)

Raw frames stay in memory; `on_frame` only ever receives the anonymized frame.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from anon_core.detections import Detections
from anon_core.media import open_source
from anon_core.pipeline import Pipeline
from anon_core.tracking.tracker import Tracker, TrackerConfig
from showcases.tracking.tracks import TrackTable
from showcases.tracking.zones import Zone, zone_report

FrameDetector = Callable[[np.ndarray, int], Detections]
SIDES = ("raw", "anonymized")
# Detector score threshold for tracking: low, so ByteTrack's second stage sees the weak boxes of
# partly hidden objects; tracks start only from boxes >= high_score (0.6, as ByteTrack on MOT17: on
# TUD-Campus with YOLOX-Nano 0.5 lets false positives start tracks, precision 0.77 vs 0.91).
TRACK_THRESHOLD = 0.1
HIGH_SCORE = 0.6
# Detectors whose scores need other tracking settings.  YOLOX at the "-hd" input (the default person
# detector) sees a 640x480 frame at 640 px, 1.5x the 416 px scale the 416 px export sees it at, and
# its clutter boxes score higher: on TUD-Campus at 0.1 / 0.6 precision was 0.70 (416 px: 0.91) and
# MOTA/IDF1 0.443/0.580.  Tracks start at 0.7 and boxes under 0.5 are dropped (recall fell 0.788 ->
# 0.760): TUD-Campus MOTA/IDF1 0.696/0.747 (yolox-nano at 0.1/0.6: 0.671/0.766), synthetic 1080p
# crowd 0.718/0.830 (0.1/0.6: 0.782/0.868; yolox-nano 0.173/0.300).  README "Tracking".
TRACK_SETTINGS = {f"yolox-{size}-hd": {"threshold": 0.5, "high_score": 0.7} for size in ("nano", "tiny", "s")}


def track_threshold(detector: str | None = None) -> float:
    """Default detector score threshold for tracking with `detector` (None: the 416 px models')."""
    return TRACK_SETTINGS.get(detector or "", {}).get("threshold", TRACK_THRESHOLD)


def default_tracker(detector: str | None = None) -> TrackerConfig:
    """Default tracker settings for boxes of `detector` (None: the 416 px models')."""
    return TrackerConfig(max_age=30, min_hits=3,
                         high_score=TRACK_SETTINGS.get(detector or "", {}).get("high_score", HIGH_SCORE))


@dataclass(frozen=True)
class TrackingConfig:
    classes: tuple[str, ...] = ("person",)  # tracked classes (per-class tracks)
    tracker: TrackerConfig = field(default_factory=default_tracker)
    predicted_rows: int = 0  # also store tracker predictions up to this many frames after a detection
    anchor: str = "foot"  # trajectory / zone point: foot (bottom centre) or center
    sides: tuple[str, ...] = SIDES  # which inputs to track: raw, anonymized or both

    def __post_init__(self):
        bad = set(self.sides) - set(SIDES)
        if bad or not self.sides:
            raise ValueError(f"sides must be a non-empty subset of {SIDES}, got {self.sides}")
        if not self.classes:
            raise ValueError("classes must name at least one class, e.g. ('person',)")

    def to_dict(self) -> dict:
        return {"classes": list(self.classes), "tracker": asdict(self.tracker), "predicted_rows": self.predicted_rows,
                "anchor": self.anchor, "sides": list(self.sides)}


@dataclass
class FrameTracks:
    """What leaves for one frame: the anonymized frame and the tracked rows of each side."""

    index: int
    frame: np.ndarray  # anonymized (fully obscured if the pipeline failed on this frame)
    raw: Detections | None
    anonymized: Detections | None
    regions: Detections | None = None  # what the pipeline anonymized on this frame
    error: str | None = None


@dataclass
class TrackingResult:
    tables: dict[str, TrackTable]
    frames: int
    fps: float
    size: tuple[int, int]  # (width, height)
    failures: int = 0

    @property
    def raw(self) -> TrackTable | None:
        return self.tables.get("raw")

    @property
    def anonymized(self) -> TrackTable | None:
        return self.tables.get("anonymized")

    def summary(self, zones: Iterable[Zone] = (), anchor: str = "foot") -> dict:
        """Counts per class, track spans and zone statistics of every side (JSON-friendly)."""
        zones = list(zones)
        out = {"frames": self.frames, "fps": self.fps, "size": list(self.size), "failed_frames": self.failures,
               "sides": {}}
        for name, table in self.tables.items():
            side = {"tracks_per_class": table.counts(), "rows": len(table),
                    "per_frame_counts": table.per_frame_counts(self.frames),
                    "spans": table.spans().to_dict(orient="records")}
            if zones:
                side["zones"] = zone_report(table.trajectories(anchor), zones, self.fps)
            out["sides"][name] = side
        return out


class SideTracker:
    """One side: detector -> tracker (the engine's) -> table."""

    def __init__(self, detect: FrameDetector, config: TrackingConfig, fps: float):
        self.detect, self.config = detect, config
        self.tracker = Tracker(config.tracker)
        self.table = TrackTable(fps)

    def step(self, frame: np.ndarray, index: int) -> Detections:
        dets = self.detect(frame, index)
        dets = dets[np.isin(dets.labels, self.config.classes)]
        return self.table.add(index, self.tracker.update(dets), self.config.predicted_rows)


class RawSideAnalyzer:
    """The raw side as a FrameAnalyzer (anon_core.analytics): tracks inside the pipeline on the raw frame,
    so only boxes and ids leave.  Frames the pipeline failed on (analyzers not run) are `skip`ped so the
    tracker's clock stays in step with the video."""

    def __init__(self, detect: FrameDetector, config: TrackingConfig):
        self.detect, self.config = detect, config
        self.reset()

    def reset(self) -> None:
        self.side = SideTracker(self.detect, self.config, 25.0)  # re-timed by set_fps once the fps is known
        self.index = 0

    def __call__(self, frame: np.ndarray, _detections: Detections) -> Detections:
        rows = self.side.step(frame, self.index)
        self.index += 1
        return rows

    def skip(self) -> None:
        self.side.table.add(self.index, self.side.tracker.update(None), self.config.predicted_rows)
        self.index += 1

    def summary(self) -> dict:
        return {"side": "raw", "tracks_per_class": self.side.table.counts(), "rows": len(self.side.table)}


def run_frames(frames: Iterable[np.ndarray], detect: FrameDetector, pipeline: Pipeline | None,
               config: TrackingConfig, fps: float = 25.0,
               on_frame: Callable[[FrameTracks], None] | None = None) -> TrackingResult:
    """Track every frame of `frames` (BGR).  Without a pipeline only the raw side can run and
    `on_frame` is not called (raw frames never leave)."""
    sides = {s: SideTracker(detect, config, fps) for s in config.sides if s == "raw" or pipeline is not None}
    if pipeline is not None:
        pipeline.reset()
    n, failures, size = 0, 0, (0, 0)
    for i, frame in enumerate(frames):
        size = (frame.shape[1], frame.shape[0])
        raw_rows = sides["raw"].step(frame, i) if "raw" in sides else None
        if pipeline is None:
            n = i + 1
            continue
        res = pipeline.process(frame)
        failures += res.error is not None
        anon_rows = sides["anonymized"].step(res.frame, i) if "anonymized" in sides else None
        if on_frame is not None:
            on_frame(FrameTracks(i, res.frame, raw_rows, anon_rows, res.regions, res.error))
        n = i + 1
    return TrackingResult({k: v.table for k, v in sides.items()}, n, fps, size, failures)


def run_tracking(source: str | Path, detect: FrameDetector, pipeline: Pipeline | None, config: TrackingConfig,
                 on_frame: Callable[[FrameTracks], None] | None = None,
                 progress: Callable[[int, int | None], None] | None = None) -> TrackingResult:
    """`run_frames` over a video file, frame folder or image (anon_core.media.open_source)."""
    src = open_source(source)
    try:
        fps = float(src.info.fps or 25.0)
        total = src.info.frame_count

        def frames():
            for i, (_, frame) in enumerate(src.timed_frames()):
                if progress is not None:
                    progress(i, total)
                yield frame

        return run_frames(frames(), detect, pipeline, config, fps, on_frame)
    finally:
        src.close()
