"""Pipeline wiring of the counting session."""

import numpy as np

from anon_core.detectors import create_detector
from anon_core.media import read_image
from anon_core.pipeline import PipelineConfig
from showcases.counting.counts import PersonCounter
from showcases.counting.session import CountingPipeline, CountOptions, CountSession, build_pipeline, json_safe


def test_person_detector_is_shared_only_at_the_pipelines_own_threshold():
    config = PipelineConfig(targets=("person",), person_detector="hog")
    default = PersonCounter(create_detector("hog"))
    assert build_pipeline(config, default).detectors["person"] is default.detector
    strict = PersonCounter(create_detector("hog", threshold=0.8))  # counting at 0.8 must not weaken anonymization
    pipe = build_pipeline(config, strict)
    assert pipe.detectors["person"] is not strict.detector
    assert pipe.detectors["person"].threshold == default.detector.threshold


def test_session_counts_raw_inside_the_pipeline_and_overlays_the_output(tud_campus, yolox_counter):
    frame = read_image(tud_campus / "img1" / "000001.jpg")
    counter = yolox_counter
    pipe = build_pipeline(PipelineConfig(targets=("person",), method="fill", person_detector="yolox-nano"), counter)
    session = CountSession(pipe, counter, CountOptions(overlay=True, line=(320, 0, 320, 480)))
    counting = CountingPipeline(session)
    res = counting.process(frame)
    fc = counting.last
    assert fc.raw == counter.count(frame)  # counted on the raw frame inside the pipeline
    assert pipe.detectors["person"] is counter.detector  # same model and threshold: detections are reused
    assert fc.raw >= 4  # TUD-Campus frame 1 has 6 annotated persons
    assert fc.anonymized < fc.raw  # filled persons are not counted any more
    assert res.frame is fc.frame and not np.array_equal(res.frame, frame)
    assert res.frame[10:30, 10:60].mean() < 120  # the dark count panel
    assert counting.history[-1][:3] == (0, fc.raw, fc.anonymized)
    counting.reset()
    assert session.raw == [] and len(counting.history) == 0


def test_json_safe_replaces_infinities():
    assert json_safe({"a": [1.0, float("inf")], "b": float("nan"), "c": "x"}) == {"a": [1.0, None], "b": None,
                                                                                    "c": "x"}
