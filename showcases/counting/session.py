"""Counting while anonymizing: raw counts are computed inside the pipeline, on the raw frame, and only the
numbers leave (analyze-then-anonymize); the anonymized frame that leaves is counted again to show how
much counting survives anonymization.

    counter = PersonCounter.from_config(CounterConfig("yolox-nano-hd"))
    pipeline = build_pipeline(PipelineConfig(targets=("face",)), counter)
    series, report = run_counting("clip.mp4", pipeline, counter, CountOptions(line=(0, 300, 640, 300)),
                                  output="anon.mp4", job=JobOptions(report_path="anon.json"))
    series.metrics(gt)  ->  {"raw": CountMetrics, "anonymized": CountMetrics, "utility_retained": 1.02}
    report: the audit report of anon.mp4 (input/output sha256, per-frame regions) with the counts in
    report.analytics["person_count"]

A live stream (the counting page's webcam) uses the same two steps without a job: the plain Pipeline
built with the session's analyzer (build_pipeline(..., analyzers=session.analyzers)) and
session.overlay on each FrameResult.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from anon_core.detections import Detections
from anon_core.detectors import Detector, detector_info
from anon_core.groundtruth import load_mot
from anon_core.jobs import JobOptions, analyze_video, check_video_output, publish_job, video_job
from anon_core.jsonsafe import json_safe  # also re-exported: the counting CLI and tests use it
from anon_core.pipeline import FrameResult, Pipeline, PipelineConfig, build_detectors
from anon_core.report import Report
from showcases.counting.counts import PersonCounter, RunningSmoother, smooth_counts
from showcases.counting.lines import Crossing, LineCounter, LineCounts
from showcases.counting.metrics import count_metrics, utility_retained
from showcases.counting.overlay import count_lines, draw_counts

ANALYZER = "person_count"


@dataclass(frozen=True)
class CountOptions:
    count_anonymized: bool = True  # also count the anonymized frames (the regression comparison)
    line: tuple[float, float, float, float] | None = None  # counting line x1, y1, x2, y2 in pixels
    # line in fractions of the frame (0..1), placed on the first frame: a live camera's size is known only
    # then (the webcam asks for 640x480, but a camera may give another size)
    relative_line: bool = False
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


def count_detectors(config: PipelineConfig, counter: PersonCounter,
                    detectors: dict[str, Detector] | None = None) -> dict[str, Detector]:
    """The detectors a Pipeline for `config` needs: the counter's detector for persons when it is the same
    model and threshold, any already-loaded ones in `detectors` ({"face": ..., "person": ...}), the rest built."""
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
    return {t: given[t] for t in config.targets}


def build_pipeline(config: PipelineConfig, counter: PersonCounter, detectors: dict[str, Detector] | None = None,
                   analyzers: dict | None = None) -> Pipeline:
    """A Pipeline for `config` on count_detectors(...), with `analyzers` plugged in for its whole life (a live
    stream: CountSession.analyzers); jobs give theirs per job instead (count_job)."""
    return Pipeline(config, detectors=count_detectors(config, counter, detectors), analyzers=analyzers)


class CountAnalyzer:
    """The raw-frame count as a FrameAnalyzer (anon_core.analytics): runs inside the pipeline on the raw
    frame; only the count and the line-crossing events leave."""

    def __init__(self, counter: PersonCounter, line: LineCounter | None,
                 first_frame: Callable[[tuple], None] | None = None):
        self.counter, self.line = counter, line
        self.first_frame = first_frame  # called with the first frame's shape (CountSession places a relative line)
        self.shared = False  # CountSession.reuse_detections: the pipeline runs the counter's own detector
        self.frames = 0

    def reset(self) -> None:
        self.frames = 0
        if self.line is not None:
            self.line.reset()

    def __call__(self, raw_frame: np.ndarray, detections: Detections | None) -> dict:
        """When the pipeline anonymizes persons with the counter's own detector and ran it on this frame,
        its output is reused instead of detecting again (fresh detector output has no origin column)."""
        if self.frames == 0 and self.first_frame is not None:
            self.first_frame(raw_frame.shape)
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
    """Per-stream counting state, in two steps around the anonymization of each frame:

    - `analyzer` (a FrameAnalyzer, also as `analyzers`) counts the raw frame inside the pipeline: given per
      job (count_job: JobOptions.analyzers) or, for a stream without end (the webcam), at construction
      (build_pipeline(..., analyzers=session.analyzers));
    - `overlay(result)` counts what left the pipeline and returns the frame to show or write (with
      options.overlay the count drawn on it): anon_core.jobs' JobOptions.overlay, the webcam's overlay.

    Each frame's numbers (raw, anonymized, smoothed) end up in `result.analytics[ANALYZER]` and `last`."""

    def __init__(self, counter: PersonCounter, options: CountOptions | None = None):
        self.counter = counter
        self.options = options or CountOptions()
        self.smoother = RunningSmoother(self.options.smoothing, self.options.window)
        self.line = None if self.options.relative_line else self.options.line  # in pixels, once known
        self.raw_line = self._line_counter()
        self.anon_line = self._line_counter() if self.options.count_anonymized else None
        self.analyzer = CountAnalyzer(counter, self.raw_line, self._place_line if self.options.relative_line else None)
        self.reset()

    @property
    def analyzers(self) -> dict:
        return {ANALYZER: self.analyzer}

    def reuse_detections(self, pipeline: Pipeline) -> None:
        """Count from `pipeline`'s own person detections on the frames it detects when it runs the counter's
        detector object (same model and threshold): one detector run per frame instead of two."""
        self.analyzer.shared = pipeline.detectors.get("person") is self.counter.detector

    def _line_counter(self) -> LineCounter | None:
        return LineCounter(self.line, self.options.anchor) if self.line is not None else None

    def _place_line(self, shape: tuple) -> None:
        """A relative line in pixels of the first frame (of each stream: reset() forgets it)."""
        if self.options.line is None:
            return
        h, w = shape[:2]
        x1, y1, x2, y2 = self.options.line
        self.line = (x1 * w, y1 * h, x2 * w, y2 * h)
        self.raw_line = self.analyzer.line = self._line_counter()
        self.anon_line = self._line_counter() if self.options.count_anonymized else None

    def reset(self) -> None:
        self.analyzer.reset()
        self.smoother.reset()
        if self.anon_line is not None:
            self.anon_line.reset()
        self.raw: list[int | None] = []
        self.anonymized: list[int | None] = []
        self.last: FrameCount | None = None

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
        if out is not None:  # the frame's analytics entry gets the count of what left, too (live records)
            out.update(anonymized=anon, smoothed=smoothed)
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
            fc.frame = draw_counts(result.frame, text, self.line)
        self.last = fc
        return fc.frame

    def series(self, fps: float | None = None) -> CountSeries:
        return CountSeries(self.raw, self.anonymized if self.options.count_anonymized else None, fps,
                           self.raw_line.counts if self.raw_line else None,
                           self.anon_line.counts if self.anon_line else None)

    def summary(self, fps: float | None = None) -> dict:
        """The audit report's "analytics" entry: the analyzer's summary plus the per-frame counts of both sides."""
        series = self.series(fps)
        means = {key: (float(np.nanmean(arr)) if arr is not None and np.isfinite(arr).any() else None)
                 for key, arr in (("raw", series.raw_array), ("anonymized", series.anonymized_array))}
        return self.analyzer.summary() | {"mean_raw": means["raw"], "mean_anonymized": means["anonymized"]} \
            | json_safe(series.to_dict())


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


def count_job(src: str | Path, dst: str | Path | None, pipeline: Pipeline, session: CountSession,
              job: JobOptions | None = None) -> Report:
    """The job loop (anon_core.jobs) with the session's analyzer and overlay: the anonymized video written
    to `dst` directly (callers publish it, anon_core.outputs) or, without `dst`, analytics only.  The audit
    report's analytics[ANALYZER] carries the counts (CountSession.summary); job.report_path writes it."""
    job = job or JobOptions()
    session.reuse_detections(pipeline)
    session.reset()
    run = replace(job, analyzers={**job.analyzers, **session.analyzers}, overlay=session.overlay, report_path=None)
    report = video_job(Path(src), Path(dst), pipeline, run) if dst is not None else analyze_video(src, pipeline, run)
    report.analytics[ANALYZER] = session.summary(report.input.get("info", {}).get("fps"))
    if job.report_path:
        report.write(job.report_path)
    return report


def _then(first: Callable | None, second: Callable) -> Callable:
    def both(result: FrameResult) -> None:
        if first is not None:
            first(result)
        second(result)

    return both


def run_counting(src: str | Path, pipeline: Pipeline, counter: PersonCounter, options: CountOptions | None = None,
                 output: str | Path | None = None, on_count: Callable[[FrameCount], None] | None = None,
                 job: JobOptions | None = None) -> tuple[CountSeries, Report]:
    """Count persons over a whole video/frame folder: raw inside the pipeline, anonymized on what leaves.

    With `output` the anonymized video (H.264 MP4) and, with job.report_path, its audit report are
    published together (anon_core.jobs.publish_job: nothing half-written); `on_count` sees every
    FrameCount (e.g. to show a live preview).  Returns the counts and the audit report."""
    session = CountSession(counter, options)
    job = job or JobOptions()
    if on_count is not None:
        job = replace(job, on_frame=_then(job.on_frame, lambda _result: on_count(session.last)))
    if output is None:
        report = count_job(src, None, pipeline, session, job)
    else:
        check_video_output(Path(src), Path(output))
        report = publish_job(Path(src), Path(output), job, lambda tmp, opts: count_job(src, tmp, pipeline, session,
                                                                                          opts))
    return session.series(report.input.get("info", {}).get("fps")), report
