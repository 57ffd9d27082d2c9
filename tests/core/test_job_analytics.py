"""Analytics plug into the one job loop through the FrameAnalyzer protocol: the analyzer sees the raw
frame inside the pipeline, its summary lands in the audit report, the overlay draws on what leaves, and
the pipeline is left as it was."""

import json

import numpy as np
from media_factory import make_clip

from anon_core.analytics import FrameAnalyzer
from anon_core.detections import Detections
from anon_core.detectors.base import Detector, DetectorInfo
from anon_core.jobs import JobOptions, analyze_video, anonymize_video
from anon_core.media import VideoReader
from anon_core.pipeline import Pipeline, PipelineConfig


class BrightBlock(Detector):
    """The clip's bright block (value 220) as a "face"."""

    info = DetectorInfo("bright-block", ("face",), "embedded", "test", "test detector", 0.5)

    def detect(self, frame):
        ys, xs = np.nonzero(frame[..., 1] > 180)
        if not len(xs):
            return Detections.empty()
        return Detections([[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]], [0.9], "face")


class RawBrightness:
    """Records the brightness of the raw block (gone from the anonymized frame)."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.values = []

    def __call__(self, frame, detections):
        x1, y1, x2, y2 = detections.xyxy[0].astype(int)
        self.values.append(float(frame[y1:y2, x1:x2].mean()))
        return self.values[-1]

    def summary(self):
        return {"frames": len(self.values), "max_raw_brightness": max(self.values)}


def test_analyzer_summary_lands_in_the_audit_report_and_the_pipeline_is_unchanged(tmp_path):
    src = make_clip(tmp_path / "in.mp4", frames=12)
    pipe = Pipeline(PipelineConfig(method="fill", shape="box", padding=0.0), detectors={"face": BrightBlock()})
    analyzer = RawBrightness()
    assert isinstance(analyzer, FrameAnalyzer)
    seen = []

    def overlay(result):
        seen.append(result.analytics["raw"])
        out = result.frame.copy()
        out[:4, -4:] = 255  # a mark only the overlay puts there
        return out

    report = anonymize_video(src, tmp_path / "out.mp4", pipe,
                             JobOptions(analyzers={"raw": analyzer}, overlay=overlay, report_path=tmp_path / "r.json"))
    assert pipe.analyzers == {}  # the job's analyzer was removed again
    assert report.frame_count == 12 and seen == analyzer.values
    assert min(analyzer.values) > 150  # the analyzer saw the raw (bright) block
    audit = json.loads((tmp_path / "r.json").read_text())
    assert audit["analytics"]["raw"] == {"frames": 12, "max_raw_brightness": max(analyzer.values)}
    with VideoReader(tmp_path / "out.mp4") as reader:
        frames = list(reader.frames())
    assert len(frames) == 12
    assert all(f[:4, -4:].mean() > 200 for f in frames)  # overlay drawn on what was written
    # the 20x20 bright block is filled (a few codec-blurred edge pixels may stay above the threshold)
    assert all((f[20:, :, 1] > 180).sum() < 20 for f in frames)


def test_analyze_video_runs_the_same_loop_without_writing(tmp_path):
    src = make_clip(tmp_path / "in.mp4", frames=8)
    pipe = Pipeline(PipelineConfig(method="fill", shape="box"), detectors={"face": BrightBlock()})
    analyzer = RawBrightness()
    report = analyze_video(src, pipe, JobOptions(analyzers={"raw": analyzer}))
    assert report.frame_count == 8 and report.analytics["raw"]["frames"] == 8
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mp4"]
