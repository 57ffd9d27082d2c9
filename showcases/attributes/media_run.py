"""Run the attribute showcase on an image or a video: per-face estimates, a method comparison and,
for video, the emotion timeline (the "deboarding passengers" view).

Images and video go through the engine's Pipeline with an analyzer that estimates age/sex/emotion on
the RAW frame inside the pipeline (analyze-then-anonymize); only the estimates and the anonymized frames
leave.  Files run through the job loop (anon_core.jobs), which writes the audit report; a photo in
memory is one still (Pipeline.process(still=True)).  The raw frames sampled for the method comparison
stay in memory.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from anon_core import plugins
from anon_core.anonymize import Policy, Rule
from anon_core.detections import Detections
from anon_core.jobs import JobOptions, analyze_video, image_job, video_job
from anon_core.media import probe
from anon_core.pipeline import FrameResult, Pipeline, PipelineConfig
from anon_core.report import Report
from showcases.attributes.analysis import ANALYZE_THEN_ANONYMIZE, METHODS, Analyzer, Comparison, Item
from showcases.attributes.emotion_net import FER_LABELS
from showcases.attributes.estimators import FaceAttributes


@dataclass
class RunConfig:
    method: str = ANALYZE_THEN_ANONYMIZE  # what the written output uses
    methods: tuple[str, ...] = METHODS  # compared
    compare_every_s: float = 1.0  # video: sample a frame for the comparison this often
    max_compare_frames: int = 12
    overlay: bool = True  # draw the estimates on the output


@dataclass
class RunResult:
    comparison: Comparison | None
    timeline: list[dict] = field(default_factory=list)
    output: np.ndarray | None = None  # anonymized image (image input)
    audit: Report | None = None  # the video job's audit report (anon_core.report)

    def to_json(self) -> dict:
        out = {"timeline": self.timeline}
        if self.comparison is not None:
            out |= {"methods": self.comparison.table(), "raw_vs_labels": self.comparison.raw_scores,
                    "faces": self.comparison.face_records()}
        return out


def faces_of(dets: Detections | None) -> Detections:
    if dets is None:
        return Detections.empty(5)
    return dets[dets.labels == "face"]


def draw_attributes(frame: np.ndarray, dets: Detections, attrs: FaceAttributes) -> np.ndarray:
    """Estimates written above each face box (on a copy)."""
    out = frame.copy()
    scale = max(0.4, frame.shape[1] / 1600)
    for i in range(len(dets)):
        x1, y1 = (int(v) for v in dets.xyxy[i, :2])
        text = f"{attrs.sex[i][0].upper()} {attrs.age[i]:.0f} {attrs.emotion[i]}"
        cv2.putText(out, text, (x1, max(12, y1 - 6)), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 4, cv2.LINE_AA)
        cv2.putText(out, text, (x1, max(12, y1 - 6)), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1,
                    cv2.LINE_AA)
    return out


def timeline_entry(seconds: float, attrs: FaceAttributes) -> dict:
    emotions = Counter(attrs.emotion.tolist())
    return {"t": round(float(seconds), 3), "faces": len(attrs),
            "emotions": {k: emotions.get(k, 0) for k in FER_LABELS},
            "female": int((attrs.sex == "female").sum()), "male": int((attrs.sex == "male").sum()),
            "mean_age": round(float(attrs.age.mean()), 1) if len(attrs) else None}


ATTRIBUTES = "attributes"  # the analyzer's name (FrameResult.analytics, audit report "analytics")


class AttributesAnalyzer:
    """FrameAnalyzer (anon_core.analytics): age, sex and emotion estimated inside the pipeline on the raw
    frame; the timeline and the faces sampled for the method comparison stay in this process (the sampled
    raw frames never leave it: the comparison reports numbers only)."""

    def __init__(self, analyzer: Analyzer, config: RunConfig, fps: float):
        self.analyzer, self.config, self.fps = analyzer, config, fps
        self.reset()

    def reset(self) -> None:
        self.index, self.next_sample = 0, 0.0
        self.timeline: list[dict] = []
        self.samples: list[Item] = []

    def __call__(self, frame: np.ndarray, detections: Detections) -> tuple[Detections, FaceAttributes]:
        faces = faces_of(detections)
        attrs = self.analyzer.estimator(frame, faces)
        t = self.index / self.fps
        self.index += 1
        self.timeline.append(timeline_entry(t, attrs))
        if t >= self.next_sample and len(faces) and len(self.samples) < self.config.max_compare_frames:
            self.samples.append(Item(frame, faces))
            self.next_sample = t + self.config.compare_every_s
        return faces, attrs

    def summary(self) -> dict:
        return {"frames": self.index, "faces": sum(row["faces"] for row in self.timeline),
                "compare_frames": len(self.samples)}


def attributes_pipeline(detector, analyzer: Analyzer, method: str) -> Pipeline:
    """The engine's Pipeline anonymizing faces found by `detector` with `method` (analyze-then-anonymize:
    fill; synthetic-face gets the analyzer's estimator and embedder)."""
    plugins.load()  # synthetic-face is a plug-in (idempotent)
    name = "fill" if method == ANALYZE_THEN_ANONYMIZE else method
    policy = Policy({"face": Rule(name, {"estimator": analyzer.estimator, "embedder": analyzer.embedder}
                                  if name == "synthetic-face" else {})})
    return Pipeline(PipelineConfig(policy=policy), detectors={"face": detector})


def _overlay(config: RunConfig):
    """JobOptions.overlay: the estimates made on the raw faces inside the pipeline, written on the
    anonymized frame (never on a withheld one)."""
    def overlay(result: FrameResult) -> np.ndarray:
        if not config.overlay or result.error is not None or ATTRIBUTES not in result.analytics:
            return result.frame
        return draw_attributes(result.frame, *result.analytics[ATTRIBUTES])

    return overlay


def run_image(image: np.ndarray, detector, analyzer: Analyzer, config: RunConfig = RunConfig()) -> RunResult:
    """One photo in memory (an upload, a browser snapshot) through the engine's Pipeline as a still
    (Pipeline.process(still=True), as anon_core.api.anonymize_image: nothing carried over from another
    photo) with the attributes analyzer on the raw photo inside it; the method comparison runs on the
    faces the pipeline found.  Files go through the job loop instead (run_image_file)."""
    pipe = attributes_pipeline(detector, analyzer, config.method)
    with pipe.analyzing({ATTRIBUTES: AttributesAnalyzer(analyzer, config, 1.0)}):
        result = pipe.process(image, still=True)  # still: the analyzer is reset after, its output is here
    faces, attrs = result.analytics.get(ATTRIBUTES, (Detections.empty(5), None))
    output = _overlay(config)(result)
    if not len(faces):
        return RunResult(None, [], output)
    comparison = analyzer.compare([Item(image, faces)], config.methods)
    return RunResult(comparison, [timeline_entry(0.0, attrs)], output)


def run_image_file(src: str | Path, dst: str | Path, detector, analyzer: Analyzer,
                   config: RunConfig = RunConfig()) -> RunResult:
    """An image file through the job loop (anon_core.jobs.image_job: EXIF orientation applied, metadata
    stripped) writing `dst` directly; RunResult.audit is its audit report (input/output sha256 ...)."""
    return _job(image_job, Path(src), Path(dst), detector, analyzer, config, fps=1.0)


def run_video(src: str | Path, dst: str | Path | None, detector, analyzer: Analyzer,
              config: RunConfig = RunConfig(), progress=None) -> RunResult:
    """The job loop (anon_core.jobs) over the whole clip with the attributes analyzer on raw frames,
    writing `dst` (H.264) when given; RunResult.audit is its audit report (input/output sha256...)."""
    def body(src: Path, dst: Path | None, pipe: Pipeline, options: JobOptions) -> Report:
        return video_job(src, dst, pipe, options) if dst is not None else analyze_video(src, pipe, options)

    return _job(body, Path(src), None if dst is None else Path(dst), detector, analyzer, config,
                probe(src).fps or 25.0, progress)


def _job(body, src: Path, dst: Path | None, detector, analyzer: Analyzer, config: RunConfig, fps: float,
         progress=None) -> RunResult:
    pipe = attributes_pipeline(detector, analyzer, config.method)
    attributes = AttributesAnalyzer(analyzer, config, fps)
    options = JobOptions(analyzers={ATTRIBUTES: attributes}, overlay=_overlay(config),
                         # a callable (the page's bar) gets the frame index; True is the CLI's tqdm bar
                         progress=(lambda done, _total, _fps: progress(done - 1)) if callable(progress)
                         else bool(progress))
    audit = body(src, dst, pipe, options)
    samples = attributes.samples
    comparison = analyzer.compare(samples, config.methods) if samples else None
    return RunResult(comparison, attributes.timeline, audit=audit)


def emotion_share(timeline: list[dict], window_s: float = 1.0) -> list[dict]:
    """Timeline rows binned into windows: share of each emotion among the faces seen in the window."""
    bins: dict[int, Counter] = {}
    for row in timeline:
        b = int(row["t"] // window_s)
        bins.setdefault(b, Counter()).update(row["emotions"])
    out = []
    for b, counts in sorted(bins.items()):
        total = sum(counts.values())
        out.extend({"t": b * window_s, "emotion": k, "share": (counts[k] / total) if total else 0.0}
                   for k in FER_LABELS)
    return out


def image_from_bytes(data: bytes) -> np.ndarray:
    """A BGR frame from encoded image bytes (e.g. a browser camera snapshot)."""
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError("the snapshot is not a decodable image; take it again")
    return img
