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

from anon_core.groundtruth import MotGroundTruth
from anon_core.media import VideoWriter
from anon_core.pipeline import Pipeline
from showcases.tracking.analysis import FrameDetector, FrameTracks, TrackingConfig, TrackingResult, run_tracking
from showcases.tracking.annotate import TrackPainter
from showcases.tracking.mot_eval import EvalConfig, compare
from showcases.tracking.zones import Zone


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


def run_job(source: str | Path, detect: FrameDetector, pipeline: Pipeline, config: TrackingConfig, job: TrackJob,
            gt: MotGroundTruth | None = None, progress: Callable[[int, int | None], None] | None = None,
            on_frame: Callable[[FrameTracks], None] | None = None) -> JobOutcome:
    if job.draw not in ("raw", "anonymized"):
        raise ValueError("draw must be 'raw' or 'anonymized'")
    painter = TrackPainter(job.trail, config.anchor, job.zones)
    writer: VideoWriter | None = None
    state = {"fps": None}

    def frame_hook(ft: FrameTracks) -> None:
        nonlocal writer
        if job.output is not None:
            if writer is None:
                writer = VideoWriter(job.output, state["fps"] or 25.0)
            rows = ft.raw if job.draw == "raw" else ft.anonymized
            writer.write(painter.draw(ft.frame, rows))
        if on_frame is not None:
            on_frame(ft)

    from anon_core.media import open_source

    src = open_source(source)
    state["fps"] = float(src.info.fps or 25.0)
    src.close()
    try:
        result = run_tracking(source, detect, pipeline, config, on_frame=frame_hook, progress=progress)
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    if writer is not None:
        writer.close()
    report = build_report(result, detect, pipeline, config, job, gt)
    return JobOutcome(result, report)


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
