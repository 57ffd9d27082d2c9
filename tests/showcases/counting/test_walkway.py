"""Counting and line crossing on the synthetic walkway (anon_core.synth), whose ground truth is exact:
boxes and visibility come from the composited alpha, crossings of the painted line from the walkers'
centres (scene meta).

Measured (seed 0, 4 s at 15 fps, 640x360, YOLOX-Nano default threshold): against persons at least half
visible, MAE 0.367, RMSE 0.632, bias -0.133, 98 % of frames within +-1; against every annotated person
(also those almost fully hidden or mostly outside the frame) the bias is -0.5, the counter does not see
what is hidden.  Line crossings: 1 in, 3 out, exactly as in the scene meta.
"""

import numpy as np
import pytest
from conftest import isolated_sample

from anon_core.groundtruth import load_mot
from anon_core.pipeline import PipelineConfig
from showcases.counting.session import CountOptions, build_pipeline, run_counting

MIN_VISIBILITY = 0.5


@pytest.fixture(scope="module")
def walkway(tmp_path_factory):
    return isolated_sample(tmp_path_factory, "walkway", seed=0, seconds=4, size=(640, 360))


@pytest.fixture(scope="module")
def walkway_run(walkway, yolox_counter):
    meta = walkway.load_meta()
    (x1, y1), (x2, y2) = meta["line"]
    pipeline = build_pipeline(PipelineConfig(targets=("person",), method="pixelate", person_detector="yolox-nano"),
                              yolox_counter)
    options = CountOptions(count_anonymized=False, line=(x1, y1, x2, y2), anchor="center")
    series, _ = run_counting(walkway.video, pipeline, yolox_counter, options)
    return series, meta


def test_counts_on_the_synthetic_walkway_match_its_ground_truth(walkway, walkway_run):
    series, _ = walkway_run
    gt = load_mot(walkway.gt).counts(len(series), min_visibility=MIN_VISIBILITY)
    assert len(series) == 60
    err = series.raw_array - gt
    m = series.metrics(gt)["raw"]
    print(f"walkway: MAE {m.mae:.3f} RMSE {m.rmse:.3f} bias {m.bias:+.3f} within 1: {np.mean(abs(err) <= 1):.2f}")
    assert m.mae <= 0.5
    assert abs(m.bias) <= 0.3
    assert np.mean(np.abs(err) <= 1) >= 0.95
    assert series.anonymized is None  # count_anonymized=False: only raw counts were made


def test_line_crossings_on_the_walkway_are_exact(walkway_run):
    series, meta = walkway_run
    expected = meta["crossings"]
    assert len(expected) >= 3  # the scene has walkers in both directions
    # The line is drawn top to bottom, so "in" is right to left.
    want_in = sum(c["direction"] == "right_to_left" for c in expected)
    want_out = sum(c["direction"] == "left_to_right" for c in expected)
    assert (series.raw_line.count_in, series.raw_line.count_out) == (want_in, want_out)
    got = sorted(e.frame + 1 for e in series.raw_line.events)  # events are 0-based, meta 1-based
    assert got == pytest.approx(sorted(c["frame"] for c in expected), abs=2)
