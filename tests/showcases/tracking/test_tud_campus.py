"""Tracking persons on TUD-Campus (MOT15, 71 frames, 640x480) with YOLOX-Nano, on the raw frames and on
frames whose faces were blurred (CenterFace + blur ellipse, the engine's default face pipeline).

Measured (YOLOX-Nano threshold 0.1, tracker max_age 30, min_hits 3, high_score 0.6, IoU 0.5 matching):
    raw         MOTA 0.671  IDF1 0.766  ID switches 1  precision 0.909  recall 0.749
    anonymized  MOTA 0.680  IDF1 0.802  ID switches 0  precision 0.915  recall 0.749
The floors below are those values minus 4 points (MOTA) and 5 points (IDF1): onnxruntime builds and
OpenCV resize kernels shift a few YOLOX boxes across the 0.1 / 0.6 score thresholds, and one changed
association moves IDF1 by a few points on a sequence this short (8 persons).  The face-only anonymized
input must stay within 5 points of raw: blurring faces must not cost person tracking.
With high_score 0.5 instead, precision falls to 0.77 (false positives start tracks) and MOTA to 0.54:
hence the 0.6 default, as ByteTrack on MOT17.
"""

import pytest

from anon_core.detectors import create_detector
from anon_core.groundtruth import load_mot
from anon_core.pipeline import Pipeline, PipelineConfig
from showcases.tracking.analysis import TrackingConfig, run_tracking
from showcases.tracking.detect import ModelDetector
from showcases.tracking.mot_eval import compare

RAW_MOTA, RAW_IDF1 = 0.671 - 0.04, 0.766 - 0.05
MAX_GAP_POINTS = 5.0


@pytest.fixture(scope="module")
def tud_run(tud_campus, yolox_tracking):
    pipeline = Pipeline(PipelineConfig(targets=("face",), method="blur"),
                        detectors={"face": create_detector("centerface", input_width=1280)})
    regions = []
    result = run_tracking(tud_campus, ModelDetector(yolox_tracking, ("person",)), pipeline, TrackingConfig(),
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
