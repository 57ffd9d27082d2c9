"""Counting while anonymizing: raw counts are computed inside the pipeline, on the raw frame, and only the
numbers leave (analyze-then-anonymize); the anonymized frame that leaves is counted again to show how
much counting survives anonymization.

    counter = PersonCounter.from_config(CounterConfig("yolox-nano-hd"))
    pipeline = build_pipeline(PipelineConfig(targets=("face",)), counter)
    series = run_counting("clip.mp4", pipeline, counter, CountOptions(line=(0, 300, 640, 300)),
                          output="anon.mp4")
    series.metrics(gt)  ->  {"raw": CountMetrics, "anonymized": CountMetrics, "utility_retained": 1.02}
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from anon_core.detections import Detections
from anon_core.detectors import Detector, detector_info
from anon_core.groundtruth import load_mot
from anon_core.jobs import JobOptions, analyze_video, anonymize_video
from anon_core.jsonsafe import json_safe  # noqa: F401  (re-exported: the counting CLI and tests use it)
from anon_core.pipeline import FrameResult, Pipeline, PipelineConfig, build_detectors
from showcases.counting.counts import PersonCounter, RunningSmoother, smooth_counts
from showcases.counting.lines import Crossing, LineCounter, LineCounts
from showcases.counting.metrics import count_metrics, utility_retained
from showcases.counting.overlay import count_lines, draw_counts

ANALYZER = "person_count"


@dataclass(frozen=True)
class CountOptions:
    count_anonymized: bool = True  # also count the anonymized frames (the regression comparison)
    line: tuple[float, float, float, float] | None = None  # counting line x1, y1, x2, y2 in pixels
    anchor: str = "foot"  # foot | center: the track point that crosses the line
    smoothing: str = "none"  # none | median | ema (causal, for the live overlay)
    window: int = 5
    overlay: bool = False  # draw the count (and line) onto the frames that leave


@dataclass
class FrameCount:
    """One processed frame: the anonymized frame and the numbers (no raw pixels)."""

    index: int
    frame: np.ndarray  # anonymized (or fully obscured when the pipeline failed on it)
    raw: int | None  # persons counted on the raw frame inside the pipeline; None if the frame failed
    anonymized: int | None  # persons counted on the anonymized frame
    smoothed: float | None  # causal smoothing of the raw count (what a live display shows)
    crossings: list[Crossing] = field(default_factory=list)  # raw-frame line crossings on this frame
    anon_detections: Detections | None = None  # person boxes found on the anonymized frame (for overlays)
    error: str | None = None


def build_pipeline(config: PipelineConfig, counter: PersonCounter,
                   detectors: dict[str, Detector] | None = None) -> Pipeline:
    """A Pipeline for `config` that reuses the counter's detector for persons when it is the same model
    and threshold, and any already-loaded detectors in `detectors` ({"face": ..., "person": ...})."""
    given = dict(detectors or {})
    # Share only at the threshold the pipeline would use anyway: a counter tuned to a higher threshold
    # must not make person anonymization miss people.
    wanted = config.threshold
    if wanted is None:
        wanted = detector_info(config.person_detector).default_threshold
    same = config.person_detector == counter.name and counter.detector.threshold == wanted
    if "person" in config.targets and "person" not in given and same:
        given["person"] = counter.detector
    missing = [t for t in config.targets if t not in given]
    if missing:
        given.update(build_detectors(replace(config, targets=tuple(missing), policy=None)))
    return Pipeline(config, detectors={t: given[t] for t in config.targets})


class CountAnalyzer:
    """The raw-frame count as a FrameAnalyzer (anon_core.analytics): runs inside the pipeline on the raw
    frame; only the count and the line-crossing events leave."""

    def __init__(self, counter: PersonCounter, line: LineCounter | None, shared_detector: bool):
        self.counter, self.line, self.shared = counter, line, shared_detector
        self.frames = 0

    def reset(self) -> None:
        self.frames = 0
        if self.line is not None:
            self.line.reset()

    def __call__(self, raw_frame: np.ndarray, detections: Detections | None) -> dict:
        """When the pipeline anonymizes persons with the counter's own detector and ran it on this frame,
        its output is reused instead of detecting again (fresh detector output has no origin column)."""
        if self.shared and detections is not None and detections.origin is None:
            persons = self.counter.select(detections)
        else:
            persons = self.counter.detect(raw_frame)
        self.frames += 1
        crossings = self.line.update(persons) if self.line is not None else []
        return {"count": len(persons), "crossings": crossings}

    def summary(self) -> dict:
        out = {"counter": self.counter.name, "frames_counted": self.frames}
        if self.line is not None:
            out |= {"line_in": self.line.counts.count_in, "line_out": self.line.counts.count_out}
        return out


class CountSession:
    """Per-stream state: the raw-frame CountAnalyzer and the count of what leaves the pipeline.

    `process(frame)` runs the pipeline with the analyzer for one frame and returns a FrameCount;
    `observe(result)` counts a FrameResult produced by the job loop (anon_core.jobs, with `analyzer`
    in JobOptions.analyzers).  The pipeline itself is never edited.
    """

    def __init__(self, pipeline: Pipeline, counter: PersonCounter, options: CountOptions | None = None):
        self.pipeline, self.counter = pipeline, counter
        self.options = options or CountOptions()
        self.smoother = RunningSmoother(self.options.smoothing, self.options.window)
        self.raw_line = self._line_counter()
        self.anon_line = self._line_counter() if self.options.count_anonymized else None
        shared = pipeline.detectors.get("person") is counter.detector
        self.analyzer = CountAnalyzer(counter, self.raw_line, shared)
        self.reset()

    def _line_counter(self) -> LineCounter | None:
        return LineCounter(self.options.line, self.options.anchor) if self.options.line is not None else None

    def reset(self) -> None:
        self.pipeline.reset()
        self.analyzer.reset()
        self.smoother.reset()
        if self.anon_line is not None:
            self.anon_line.reset()
        self.raw: list[int | None] = []
        self.anonymized: list[int | None] = []
        self.last: FrameCount | None = None

    def process(self, frame: np.ndarray) -> FrameCount:
        return self.observe(self.run(frame))

    def run(self, frame: np.ndarray) -> FrameResult:
        """One frame through the pipeline with the count analyzer attached for that frame only."""
        with self.pipeline.analyzing({ANALYZER: self.analyzer}):
            return self.pipeline.process(frame)

    def observe(self, result: FrameResult) -> FrameCount:
        out = result.analytics.get(ANALYZER)
        raw = None if out is None else int(out["count"])
        anon, anon_dets = None, None
        if self.options.count_anonymized and result.error is None:
            anon_dets = self.counter.detect(result.frame)
            anon = len(anon_dets)
            if self.anon_line is not None:
                self.anon_line.update(anon_dets)
        elif self.anon_line is not None:
            self.anon_line.update(None)
        if raw is None and self.raw_line is not None:
            self.raw_line.update(None)  # keep the raw tracker's clock in step with the video
        self.raw.append(raw)
        self.anonymized.append(anon)
        smoothed = self.smoother.update(raw) if raw is not None else None
        return FrameCount(result.index, result.frame, raw, anon, smoothed,
                          list(out["crossings"]) if out else [], anon_dets, result.error)

    def overlay(self, result: FrameResult) -> np.ndarray:
        """Counts `result` (observe) and returns the frame to write: with options.overlay the count (and
        the line) drawn on the anonymized frame.  The job loop's JobOptions.overlay; `last` is the count."""
        fc = self.observe(result)
        if self.options.overlay and result.error is None:
            lc = self.raw_line
            text = count_lines(fc.smoothed, fc.anonymized, lc.counts.count_in if lc else None,
                               lc.counts.count_out if lc else None)
            fc.frame = draw_counts(result.frame, text, self.options.line)
        self.last = fc
        return fc.frame

    def series(self, fps: float | None = None) -> CountSeries:
        return CountSeries(self.raw, self.anonymized if self.options.count_anonymized else None, fps,
                           self.raw_line.counts if self.raw_line else None,
                           self.anon_line.counts if self.anon_line else None)


class CountingPipeline:
    """A Pipeline look-alike (reset / process / describe) around a CountSession, for anon_core.jobs and the
    webcam: `process(frame)` counts as CountSession does and returns the FrameResult, its frame carrying
    the count overlay when options.overlay is set.  `last` is the newest FrameCount; `history` keeps the
    last `history` (index, raw, anonymized, smoothed) tuples for live charts."""

    def __init__(self, session: CountSession, history: int = 3000):
        self.session = session
        self.last: FrameCount | None = None
        self.history: collections.deque = collections.deque(maxlen=history)

    @property
    def config(self) -> PipelineConfig:
        return self.session.pipeline.config

    @property
    def analyzers(self) -> dict:
        return self.session.pipeline.analyzers

    def reset(self) -> None:
        self.session.reset()
        self.last = None
        self.history.clear()

    def describe(self) -> dict:
        return {**self.session.pipeline.describe(), "counter": self.session.counter.describe()}

    def process(self, frame: np.ndarray) -> FrameResult:
        result = self.session.run(frame)
        result.frame = self.session.overlay(result)
        self.last = self.session.last
        self.history.append((self.last.index, self.last.raw, self.last.anonymized, self.last.smoothed))
        return result


@dataclass
class CountSeries:
    """Per-frame counts of one run (None = frame withheld by the pipeline) and line totals."""

    raw: list[int | None]
    anonymized: list[int | None] | None = None
    fps: float | None = None
    raw_line: LineCounts | None = None
    anon_line: LineCounts | None = None

    def __len__(self) -> int:
        return len(self.raw)

    @staticmethod
    def _array(values) -> np.ndarray:
        return np.array([np.nan if v is None else v for v in values], np.float64)

    @property
    def raw_array(self) -> np.ndarray:
        return self._array(self.raw)

    @property
    def anonymized_array(self) -> np.ndarray | None:
        return None if self.anonymized is None else self._array(self.anonymized)

    def smoothed(self, method: str = "median", window: int = 5) -> CountSeries:
        """A copy whose counts are smoothed offline (centred median / EMA); failed frames stay None."""
        def sm(values):
            if values is None:
                return None
            arr = self._array(values)
            ok = ~np.isnan(arr)
            arr[ok] = smooth_counts(arr[ok], method, window)
            return [None if np.isnan(v) else float(v) for v in arr]

        return CountSeries(sm(self.raw), sm(self.anonymized), self.fps, self.raw_line, self.anon_line)

    def metrics(self, gt) -> dict:
        """MAE/RMSE/bias of raw and anonymized counts against per-frame ground truth counts, on the frames
        where both series exist, plus utility retained (anonymized RMSE / raw RMSE)."""
        gt = np.asarray(gt, np.float64).ravel()
        if len(gt) != len(self):
            raise ValueError(f"ground truth covers {len(gt)} frames but the video has {len(self)}; "
                             "is the gt.txt for this video?")
        raw, anon = self.raw_array, self.anonymized_array
        ok = ~np.isnan(raw) & (np.ones_like(raw, bool) if anon is None else ~np.isnan(anon))
        out = {"frames_scored": int(ok.sum()), "raw": count_metrics(raw[ok], gt[ok])}
        if anon is not None:
            out["anonymized"] = count_metrics(anon[ok], gt[ok])
            out["utility_retained"] = utility_retained(out["raw"].rmse, out["anonymized"].rmse)
        return out

    def to_dict(self, gt=None) -> dict:
        """JSON-friendly: per-frame rows (frame, raw, anonymized, gt), line totals and metrics."""
        gt_list = None if gt is None else [int(v) for v in np.asarray(gt).ravel()]
        rows = []
        for i, r in enumerate(self.raw):
            row = {"frame": i + 1, "raw": r}
            if self.anonymized is not None:
                row["anonymized"] = self.anonymized[i]
            if gt_list is not None:
                row["gt"] = gt_list[i] if i < len(gt_list) else None
            rows.append(row)
        out: dict = {"frames": len(self), "fps": self.fps, "per_frame": rows}
        if self.raw_line is not None:
            out["line"] = {"raw": self.raw_line.to_dict()}
            if self.anon_line is not None:
                out["line"]["anonymized"] = self.anon_line.to_dict()
        if gt is not None:
            m = self.metrics(gt)
            out["metrics"] = {k: (v.to_dict() if hasattr(v, "to_dict") else v) for k, v in m.items()}
        return out


MIN_VISIBILITY = 0.5  # count the people one can see (MOT17 visibility column; files without it: all)


def gt_counts(path: str | Path, num_frames: int, min_visibility: float = MIN_VISIBILITY) -> np.ndarray:
    """Persons per frame at least `min_visibility` visible, from a MOTChallenge gt.txt (or a sequence
    folder holding gt/gt.txt)."""
    gt = load_mot(path)
    if gt.num_frames > num_frames:
        raise ValueError(f"{path} annotates {gt.num_frames} frames but the video has {num_frames}; "
                         "is the ground truth for this video?")
    return gt.counts(num_frames, min_visibility=min_visibility)


def run_counting(src: str | Path, pipeline: Pipeline, counter: PersonCounter, options: CountOptions | None = None,
                 output: str | Path | None = None, on_count: Callable[[FrameCount], None] | None = None,
                 progress: bool | Callable = False) -> CountSeries:
    """Count persons over a whole video/frame folder: raw inside the pipeline, anonymized on what leaves.

    With `output` the anonymized video is written (H.264 MP4, through anon_core.jobs); `on_count` sees
    every FrameCount (e.g. to show a live preview)."""
    session = CountSession(pipeline, counter, options)

    def overlay(result: FrameResult) -> np.ndarray:
        frame = session.overlay(result)
        if on_count is not None:
            on_count(session.last)
        return frame

    job = JobOptions(progress=progress, analyzers={ANALYZER: session.analyzer}, overlay=overlay)
    if output is not None:
        report = anonymize_video(src, output, pipeline, job)
    else:
        report = analyze_video(src, pipeline, job)
    return session.series(report.input.get("info", {}).get("fps"))
