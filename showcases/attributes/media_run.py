"""Run the attribute showcase on an image or a video: per-face estimates, a method comparison and,
for video, the emotion timeline (the "deboarding passengers" view).

Video goes through the engine's Pipeline with an analyzer that estimates age/sex/emotion on the RAW
frame inside the pipeline (analyze-then-anonymize); only the estimates and the anonymized frames
leave.  The raw frames sampled for the method comparison stay in memory.
"""

from __future__ import annotations

from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from anon_core import plugins
from anon_core.anonymize import Policy, Rule
from anon_core.detections import Detections
from anon_core.media import VideoReader, VideoWriter
from anon_core.pipeline import Pipeline, PipelineConfig
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


def run_image(image: np.ndarray, detector, analyzer: Analyzer, config: RunConfig = RunConfig()) -> RunResult:
    faces = faces_of(detector(image))
    methods = tuple(dict.fromkeys((*config.methods, config.method)))
    comparison = analyzer.compare([Item(image, faces)], methods, keep_images=True) if len(faces) else None
    if comparison is None:
        return RunResult(None, [], image.copy())
    out = comparison.images[config.method][0]
    if config.overlay:
        out = draw_attributes(out, faces, comparison.anonymized[config.method])
    return RunResult(comparison, [timeline_entry(0.0, comparison.raw)], out)


def run_video(src: str | Path, dst: str | Path | None, detector, analyzer: Analyzer,
              config: RunConfig = RunConfig(), progress=None) -> RunResult:
    """Pipeline over the whole clip (analyzer on raw frames), writing `dst` when given."""
    plugins.load()  # synthetic-face is a plug-in (idempotent)
    name = "fill" if config.method == ANALYZE_THEN_ANONYMIZE else config.method
    policy = Policy({"face": Rule(name, {"estimator": analyzer.estimator, "embedder": analyzer.embedder}
                                  if name == "synthetic-face" else {})})
    pipe = Pipeline(PipelineConfig(policy=policy), detectors={"face": detector},
                    analyzers={"attributes": lambda frame, dets: (faces_of(dets), analyzer.estimator(
                        frame, faces_of(dets)))})
    timeline, samples, next_sample = [], [], 0.0
    with VideoReader(src) as reader:
        fps = reader.info.fps or 25.0
        with VideoWriter(dst, fps) if dst else nullcontext() as writer:
            for i, (t, frame) in enumerate(reader.timed_frames()):
                t = i / fps if t is None else t
                res = pipe.process(frame)
                faces, attrs = res.analytics.get("attributes", (Detections.empty(5), FaceAttributes.concat([])))
                timeline.append(timeline_entry(t, attrs))
                if t >= next_sample and len(faces) and len(samples) < config.max_compare_frames:
                    samples.append(Item(frame, faces))
                    next_sample = t + config.compare_every_s
                if writer is not None:
                    out = draw_attributes(res.frame, faces, attrs) if config.overlay and res.error is None \
                        else res.frame
                    writer.write(out, t)
                if progress is not None:
                    progress(i)
    comparison = analyzer.compare(samples, config.methods) if samples else None
    return RunResult(comparison, timeline)


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
