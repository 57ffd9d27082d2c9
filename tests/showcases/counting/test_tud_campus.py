"""Counting on TUD-Campus (MOT15, 71 frames 640x480, 4-6 annotated persons per frame) with YOLOX-Nano.

Measured on this sequence (YOLOX-Nano at its default score threshold 0.35, onnxruntime CPU):
raw RMSE 1.444, MAE 1.014, bias +0.648 (over-counting: YOLOX also finds people seated behind the
glass front and passers-by at the image edge that the MOT15 ground truth does not annotate, plus the
odd duplicate box in the occluded crowd).  The assertion uses 1.6 = measured + ~10 %: inference is
deterministic, the margin absorbs float differences between onnxruntime builds / thread counts that
flip a few borderline detections (each frame that gets one person worse adds ~0.015 to the RMSE).
The thesis reported 0.96 with a larger detector; see test_smoothing_brings_rmse_near_the_thesis_value.
"""

import numpy as np
import pytest

from anon_core.groundtruth import load_mot
from anon_core.media import open_source
from anon_core.pipeline import PipelineConfig
from showcases.counting.lines import gt_line_counts
from showcases.counting.metrics import count_rmse
from showcases.counting.session import CountOptions, build_pipeline, run_counting
from showcases.counting.study import Setting, run_study

RAW_RMSE_MAX = 1.6
RAW_MAE_MAX = 1.12  # measured 1.014 + ~10 %, same margin as the RMSE
FACE_ONLY_MAX_RELATIVE_CHANGE = 0.10
# Absolute floor for the face-only check: 10 % of a tiny RMSE would be below one frame's worth of error.
# It only binds when the raw RMSE is under 0.5; on TUD-Campus (1.44) the relative 10 % rule binds.
FACE_ONLY_ABS_FLOOR = 0.05
LINE = (320, 0, 320, 480)  # vertical through the middle, drawn downwards: "in" = right to left


@pytest.fixture(scope="module")
def gt(tud_campus):
    return load_mot(tud_campus)


@pytest.fixture(scope="module")
def face_run(tud_campus, yolox_counter):
    """Face-only anonymization (CenterFace, blur, ellipse), counting raw inside the pipeline."""
    pipeline = build_pipeline(PipelineConfig(targets=("face",), method="blur", shape="ellipse"), yolox_counter)
    frames = []
    series, _ = run_counting(tud_campus, pipeline, yolox_counter, CountOptions(line=LINE),
                             on_count=lambda fc: frames.append(fc.frame))
    return series, frames


def test_raw_rmse_on_tud_campus_is_below_the_measured_threshold(face_run, gt):
    series, _ = face_run
    assert len(series) == 71
    gt_counts = gt.counts(len(series))
    m = series.metrics(gt_counts)
    print(f"TUD-Campus YOLOX-Nano raw: RMSE {m['raw'].rmse:.3f} MAE {m['raw'].mae:.3f} bias {m['raw'].bias:+.3f}")
    assert m["frames_scored"] == 71
    assert m["raw"].rmse < RAW_RMSE_MAX
    assert m["raw"].mae < RAW_MAE_MAX
    # the documented over-counting (people behind the glass and at the edge the GT does not annotate)
    assert m["raw"].bias > 0
    per_frame = np.abs(series.raw_array - np.asarray(gt_counts, float))
    assert m["raw"].mae == pytest.approx(per_frame.mean())


def test_face_only_anonymization_changes_count_rmse_by_less_than_10_percent(face_run, gt):
    series, _ = face_run
    m = series.metrics(gt.counts(len(series)))
    raw, anon = m["raw"].rmse, m["anonymized"].rmse
    print(f"TUD-Campus face-only blur: anonymized RMSE {anon:.3f} vs raw {raw:.3f}, "
          f"utility retained {m['utility_retained']:.3f}")
    assert abs(anon - raw) < max(FACE_ONLY_MAX_RELATIVE_CHANGE * raw, FACE_ONLY_ABS_FLOOR)


def test_raw_counts_inside_the_pipeline_equal_counting_the_raw_frames(face_run, tud_campus, yolox_counter):
    """Analyze-then-anonymize: the count computed on the raw frame inside the pipeline is the raw count,
    while the frames that leave are anonymized (faces blurred, so they differ from the raw frames)."""
    series, frames = face_run
    source = open_source(tud_campus)
    raw_frames = [f for _, f in source.timed_frames()]
    direct = [yolox_counter.count(f) for f in raw_frames[:10]]
    assert series.raw[:10] == direct
    changed = [int(np.count_nonzero(out != raw)) for out, raw in zip(frames, raw_frames)]
    assert sum(c > 0 for c in changed) >= 60  # CenterFace finds faces on nearly every frame
    assert max(changed) < 0.2 * raw_frames[0].size  # but only small face regions change


def test_line_crossings_on_raw_frames_match_the_ground_truth_tracks(face_run, gt):
    series, _ = face_run
    expected = gt_line_counts(gt, LINE, num_frames=len(series))
    assert (expected.count_in, expected.count_out) == (1, 4)  # by the annotation: one walks right to left
    assert (series.raw_line.count_in, series.raw_line.count_out) == (1, 4)
    assert [e.frame for e in series.raw_line.events] == pytest.approx([e.frame for e in expected.events], abs=3)


def test_whole_person_fill_destroys_counting_and_the_metrics_show_it(tud_campus, yolox_counter, gt, face_run):
    series, _ = face_run
    study = run_study(tud_campus, yolox_counter, [Setting(("person",), "fill", "box")], gt=gt.counts(71),
                      raw=series.raw)
    row = study.table()[1]
    print(f"TUD-Campus person fill box: {row}")
    assert row["bias"] < -4  # almost every person is gone for the counter
    assert row["utility_retained"] > 3
    assert study.table()[0]["rmse"] == pytest.approx(count_rmse(study.raw, gt.counts(71)), abs=1e-4)
    assert row["failed_frames"] == 0


def test_smoothing_brings_rmse_near_the_thesis_value(face_run, gt):
    """Median smoothing over 9 frames lowers the raw RMSE (measured 1.444 -> 1.163); the thesis' 0.96 needs
    a stronger detector or a higher count threshold (0.45: 1.20, with median-9: 0.97)."""
    series, _ = face_run
    gt_counts = gt.counts(len(series))
    plain = series.metrics(gt_counts)["raw"].rmse
    smooth = series.smoothed("median", 9).metrics(gt_counts)["raw"].rmse
    print(f"TUD-Campus raw RMSE {plain:.3f}, median-9 smoothed {smooth:.3f}")
    assert smooth < plain
    assert np.isnan(series.raw_array).sum() == 0
