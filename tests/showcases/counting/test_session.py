"""Pipeline wiring of the counting session."""

import hashlib
import json

import numpy as np
import pytest

from anon_core.detectors import create_detector
from anon_core.jobs import JobOptions
from anon_core.media import read_image
from anon_core.pipeline import Pipeline, PipelineConfig
from showcases.counting.counts import PersonCounter
from showcases.counting.session import (
    ANALYZER,
    CountOptions,
    CountSession,
    build_pipeline,
    json_safe,
    run_counting,
)


def test_person_detector_is_shared_only_at_the_pipelines_own_threshold():
    config = PipelineConfig(targets=("person",), person_detector="hog")
    default = PersonCounter(create_detector("hog"))
    assert build_pipeline(config, default).detectors["person"] is default.detector
    strict = PersonCounter(create_detector("hog", threshold=0.8))  # counting at 0.8 must not weaken anonymization
    pipe = build_pipeline(config, strict)
    assert pipe.detectors["person"] is not strict.detector
    assert pipe.detectors["person"].threshold == default.detector.threshold


def test_session_counts_raw_inside_the_plain_pipeline_and_overlays_the_output(tud_campus, yolox_counter):
    """The live path: a plain Pipeline built with the session's analyzer, then session.overlay on its result."""
    frame = read_image(tud_campus / "img1" / "000001.jpg")
    counter = yolox_counter
    session = CountSession(counter, CountOptions(overlay=True, line=(320, 0, 320, 480)))
    pipe = build_pipeline(PipelineConfig(targets=("person",), method="fill", person_detector="yolox-nano"), counter,
                          analyzers=session.analyzers)
    session.reuse_detections(pipe)
    assert type(pipe) is Pipeline and pipe.analyzers[ANALYZER] is session.analyzer
    assert session.analyzer.shared  # same model and threshold: the pipeline's detections are reused
    res = pipe.process(frame)
    out = session.overlay(res)
    fc = session.last
    assert fc.raw == counter.count(frame)  # counted on the raw frame inside the pipeline
    assert fc.raw >= 4  # TUD-Campus frame 1 has 6 annotated persons
    assert fc.anonymized < fc.raw  # filled persons are not counted any more
    assert out is fc.frame and not np.array_equal(out, frame) and not np.array_equal(out, res.frame)
    assert out[10:30, 10:60].mean() < 120  # the dark count panel
    # the frame's analytics entry carries both counts (what the webcam hands to the page)
    assert res.analytics[ANALYZER]["count"] == fc.raw and res.analytics[ANALYZER]["anonymized"] == fc.anonymized
    assert session.series().raw == [fc.raw]
    session.reset()
    assert session.raw == [] and session.last is None


def test_count_job_writes_the_counts_into_the_audit_report(tud_short, yolox_counter, tmp_path):
    """The job path: the same session through anon_core.jobs; the audit report carries the per-frame counts."""
    pipe = build_pipeline(PipelineConfig(targets=("face",), method="blur"), yolox_counter)
    series, report = run_counting(tud_short, pipe, yolox_counter, CountOptions(), output=tmp_path / "o.mp4",
                                  job=JobOptions(report_path=tmp_path / "r.json"))
    assert not pipe.analyzers  # the analyzer was given for the job only
    written = json.loads((tmp_path / "r.json").read_text())
    counts = written["analytics"][ANALYZER]
    assert [row["raw"] for row in counts["per_frame"]] == series.raw and len(series) == report.frame_count
    assert [row["anonymized"] for row in counts["per_frame"]] == series.anonymized
    assert counts["frames_counted"] == len(series) and counts["mean_raw"] == pytest.approx(np.mean(series.raw))
    assert written["output"]["sha256"] == hashlib.sha256((tmp_path / "o.mp4").read_bytes()).hexdigest()


def test_json_safe_replaces_infinities():
    assert json_safe({"a": [1.0, float("inf")], "b": float("nan"), "c": "x"}) == {"a": [1.0, None], "b": None,
                                                                                    "c": "x"}


def test_a_relative_line_is_placed_on_the_first_frame(tud_campus, yolox_counter):
    """The live webcam's line is given in fractions of the frame: placed in pixels on the first frame, drawn
    there, and placed again after a reset (the next stream may have another size)."""
    frame = read_image(tud_campus / "img1" / "000001.jpg")  # 640x480
    session = CountSession(yolox_counter, CountOptions(overlay=True, line=(0.5, 0.0, 0.5, 1.0), relative_line=True))
    pipe = build_pipeline(PipelineConfig(targets=("face",)), yolox_counter, analyzers=session.analyzers)
    assert session.raw_line is None  # not placed before a frame is seen
    out = session.overlay(pipe.process(frame))
    assert session.line == (320.0, 0.0, 320.0, 480.0) == session.raw_line.line
    assert session.analyzer.line is session.raw_line and session.anon_line is not None
    assert (out[200:300, 318:323].astype(int) - frame[200:300, 318:323]).any()  # the line is drawn at x = 320
    small = np.ascontiguousarray(frame[::2, ::2])
    pipe.reset()  # a new stream: the job loop and a new webcam stream start here
    session.reset()
    session.overlay(pipe.process(small))
    assert session.line == (160.0, 0.0, 160.0, 240.0)
