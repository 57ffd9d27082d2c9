"""Tracking persons on TUD-Campus (MOT15, 71 frames, 640x480) with `anon track`'s defaults, on the raw
frames and on frames whose faces were blurred (CenterFace + blur ellipse, the engine's default face pipeline).

Measured with the default person detector yolox-nano-hd at its tracking settings (threshold 0.5,
tracks start at 0.7; showcases.tracking.analysis.TRACK_SETTINGS), tracker max_age 30, min_hits 3:
    raw         MOTA 0.696  IDF1 0.747  ID switches 2  precision 0.929  recall 0.760
    anonymized  MOTA 0.699  IDF1 0.715  ID switches 2  precision 0.932  recall 0.760
The floors are the previous default's (yolox-nano, threshold 0.1, start 0.6: raw MOTA 0.671, IDF1
0.766) minus 4 points (MOTA) and 5 points (IDF1): the new default must hold them.  onnxruntime builds
and OpenCV resize kernels shift a few boxes across the score thresholds, and one changed association
moves IDF1 by a few points on a sequence this short (8 persons).  The face-only anonymized input must
stay within 5 points of raw: blurring faces must not cost person tracking.
yolox-nano-hd at yolox-nano's settings (0.1 / 0.6) gave MOTA 0.443, IDF1 0.580 (precision 0.70).
"""

import pytest

from anon_core.detectors import create_detector
from anon_core.detectors.catalog import DEFAULT_PERSON_DETECTOR
from anon_core.groundtruth import load_mot
from anon_core.pipeline import Pipeline, PipelineConfig
from showcases.tracking.analysis import TrackingConfig, default_tracker, run_tracking, track_threshold
from showcases.tracking.detect import ModelDetector
from showcases.tracking.mot_eval import compare

RAW_MOTA, RAW_IDF1 = 0.671 - 0.04, 0.766 - 0.05
MAX_GAP_POINTS = 5.0


@pytest.fixture(scope="module")
def tud_run(tud_campus, yolox_nano_path):
    # `anon track`'s defaults: the default person detector with its tracking threshold and start score
    detector = create_detector(DEFAULT_PERSON_DETECTOR, path=yolox_nano_path,
                               threshold=track_threshold(DEFAULT_PERSON_DETECTOR))
    pipeline = Pipeline(PipelineConfig(targets=("face",), method="blur"),
                        detectors={"face": create_detector("centerface", input_width=1280)})
    regions = []
    config = TrackingConfig(tracker=default_tracker(DEFAULT_PERSON_DETECTOR))
    result = run_tracking(tud_campus, ModelDetector(detector, ("person",)), pipeline, config,
                          on_frame=lambda ft: regions.append(len(ft.regions)))
    rows = compare(result.tables, load_mot(tud_campus), num_frames=result.frames)
    for r in rows:
        print("TUD-Campus", r)
    return result, {r["input"]: r for r in rows}, regions


def test_tud_campus_tracking_on_raw_frames_reaches_the_measured_mota_and_idf1(tud_run):
    result, rows, _ = tud_run
    assert result.frames == 71 and result.size == (640, 480) and result.failures == 0
    raw = rows["raw"]
    assert raw["mota"] >= RAW_MOTA
    assert raw["idf1"] >= RAW_IDF1
    assert raw["id_switches"] <= 3
    assert result.raw.counts()["person"] <= 14  # 8 annotated persons (+ a few unannotated passers-by)


def test_face_anonymized_tracking_stays_within_5_points_of_raw(tud_run):
    result, rows, regions = tud_run
    # the comparison is not vacuous: faces were found and blurred on almost every frame
    assert sum(n > 0 for n in regions) >= 0.9 * result.frames and sum(regions) >= 3 * result.frames
    delta = rows["anonymized - raw (points)"]
    assert abs(delta["mota"]) <= MAX_GAP_POINTS
    assert abs(delta["idf1"]) <= MAX_GAP_POINTS
    assert rows["anonymized"]["mota"] >= RAW_MOTA - MAX_GAP_POINTS / 100
