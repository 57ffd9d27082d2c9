"""One tracking job from input to results, shared by `anon track` and the Industrial tracking page:
run both sides, write the annotated anonymized video, evaluate against ground truth, build the report.

    job = TrackJob(zones=[parse_zone("dock=0,200,300,360")], output="tracks.mp4", draw="anonymized")
    outcome = run_job("clip.mp4", detect, pipeline, TrackingConfig(classes=("person", "cart")), job, gt=gt)
    outcome.report  (JSON-friendly dict), outcome.result (TrackingResult with the TrackTables)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from anon_core.groundtruth import MotGroundTruth
from anon_core.jobs import JobOptions, analyze_video, video_job
from anon_core.pipeline import FrameResult, Pipeline
from anon_core.report import Report
from showcases.tracking.analysis import (
    FrameDetector,
    FrameTracks,
    RawSideAnalyzer,
    SideTracker,
    TrackingConfig,
    TrackingResult,
)
from showcases.tracking.annotate import TrackPainter
from showcases.tracking.mot_eval import EvalConfig, compare
from showcases.tracking.zones import Zone

RAW = "tracks_raw"  # the raw side's analyzer name (FrameResult.analytics, report "analytics")


@dataclass
class TrackJob:
    zones: list[Zone] = field(default_factory=list)
    output: str | Path | None = None  # annotated anonymized MP4
    draw: str = "anonymized"  # whose tracks are drawn on the output: raw (analyze-then-anonymize) or anonymized
    trail: int = 30  # trail length in frames
    include_rows: bool = True  # put every track row into the report
    eval_labels: tuple[str, ...] | None = None  # classes to evaluate (default: the tracked ones)


@dataclass
class JobOutcome:
    result: TrackingResult
    report: dict
    audit: Report | None = None  # the anonymized video's audit report (anon_core.report), when one was written


def run_job(source: str | Path, detect: FrameDetector, pipeline: Pipeline, config: TrackingConfig, job: TrackJob,
            gt: MotGroundTruth | None = None, progress: Callable[[int, int | None], None] | None = None,
            on_frame: Callable[[FrameTracks], None] | None = None) -> JobOutcome:
    """The job loop (anon_core.jobs: read-ahead, audit report in outcome.audit) with the raw side as an
    analyzer inside the pipeline and the anonymized side tracking what leaves; with job.output the
    annotated anonymized video is written (H.264), without it nothing is."""
    if job.draw not in ("raw", "anonymized"):
        raise ValueError("draw must be 'raw' or 'anonymized'")
    dst = None if job.output is None else Path(job.output)
    result, audit = _track_video(Path(source), dst, detect, pipeline, config, job, progress, on_frame)
    report = build_report(result, detect, pipeline, config, job, gt)
    return JobOutcome(result, report, audit)


def _track_video(src: Path, dst: Path | None, detect: FrameDetector, pipeline: Pipeline, config: TrackingConfig,
                 job: TrackJob, progress, on_frame) -> tuple[TrackingResult, Report]:
    painter = TrackPainter(job.trail, config.anchor, job.zones)
    raw_side = RawSideAnalyzer(detect, config) if "raw" in config.sides else None
    anon_side = SideTracker(detect, config, 25.0) if "anonymized" in config.sides else None
    state = {"failures": 0, "size": (0, 0)}

    def overlay(result: FrameResult) -> np.ndarray:
        raw_rows = result.analytics.get(RAW)
        if raw_side is not None and raw_rows is None:
            raw_side.skip()
        anon_rows = anon_side.step(result.frame, result.index) if anon_side is not None else None
        state["failures"] += result.error is not None
        state["size"] = (result.frame.shape[1], result.frame.shape[0])
        ft = FrameTracks(result.index, result.frame, raw_rows, anon_rows, result.regions, result.error)
        if on_frame is not None:
            on_frame(ft)
        if dst is None:
            return result.frame  # nothing is written: no drawing
        return painter.draw(result.frame, raw_rows if job.draw == "raw" else anon_rows)

    def step(done: int, total: int | None, _fps: float) -> None:
        if progress is not None:
            progress(done - 1, total)

    analyzers = {RAW: raw_side} if raw_side is not None else {}
    options = JobOptions(analyzers=analyzers, overlay=overlay, progress=step)
    audit = video_job(src, dst, pipeline, options) if dst is not None else analyze_video(src, pipeline, options)
    fps = float(audit.input.get("info", {}).get("fps") or 25.0)
    tables = {}
    if raw_side is not None:
        tables["raw"] = raw_side.side.table
    if anon_side is not None:
        tables["anonymized"] = anon_side.table
    for table in tables.values():
        table.set_fps(fps)
    return TrackingResult(tables, audit.frame_count, fps, state["size"], state["failures"]), audit


def build_report(result: TrackingResult, detect, pipeline: Pipeline, config: TrackingConfig, job: TrackJob,
                 gt: MotGroundTruth | None) -> dict:
    report = {"tracking": config.to_dict(),
              "detector": detect.describe() if hasattr(detect, "describe") else str(detect),
              "pipeline": pipeline.config.to_dict(),
              **result.summary(job.zones, config.anchor)}
    if job.output is not None:
        report["output"] = {"path": str(job.output), "tracks_drawn": job.draw}
    if gt is not None:
        labels = job.eval_labels or tuple(c for c in config.classes if c in set(gt.label.tolist()))
        if labels:
            report["metrics"] = compare(result.tables, gt, EvalConfig(labels=labels), result.frames)
            report["metrics_classes"] = list(labels)
        else:
            report["metrics_note"] = (f"the ground truth has none of the tracked classes {list(config.classes)}; "
                                      f"it has {sorted(set(gt.label.tolist()))}")
    if job.include_rows:
        report["tracks"] = {name: t.to_records() for name, t in result.tables.items()}
    return report
