"""The tracker on the synthetic industrial scene (workers, cartons, pallets, carts with exact ground
truth).  No COCO detector knows cartons, pallets or hand carts, so the tracker is fed the "GT detector":
ground-truth boxes with jitter, random misses, drop-outs where an object is less than 35 % visible
(the scene's own occlusions) and one constructed occlusion per object (10 frames without any box)."""

import numpy as np
import pytest

from anon_core.groundtruth import load_mot
from anon_core.tracking.tracker import TrackerConfig
from showcases.tracking.analysis import TrackingConfig, default_tracker, run_frames
from showcases.tracking.detect import GtDetector, GtNoise
from showcases.tracking.mot_eval import EvalConfig, accumulate, id_map, summary

CLASSES = ("person", "box", "pallet", "cart")
GAP = 10


def constructed_gaps(gt) -> tuple[tuple[int, int, int], ...]:
    """Every object disappears for GAP frames around the middle of its time on screen."""
    gaps = []
    for tid in np.unique(gt.track_id):
        frames = gt.frame[gt.track_id == tid]
        mid = int(np.median(frames))
        gaps.append((int(tid), mid - GAP // 2, mid + GAP // 2 - 1))
    return tuple(gaps)


def track(gt, tracker: TrackerConfig, predicted_rows: int = 0):
    det = GtDetector(gt, CLASSES, GtNoise(gaps=constructed_gaps(gt), seed=3))
    frames = [np.zeros((360, 640, 3), np.uint8)] * gt.num_frames  # the GT detector never looks at pixels
    cfg = TrackingConfig(classes=CLASSES, tracker=tracker, predicted_rows=predicted_rows, sides=("raw",))
    return run_frames(frames, det, None, cfg, fps=15.0).raw


@pytest.fixture(scope="module")
def gt(industrial):
    gt = load_mot(industrial.gt)
    assert set(gt.label.tolist()) == set(CLASSES)
    return gt


def test_every_object_keeps_one_id_through_the_occlusion(gt):
    table = track(gt, default_tracker(), predicted_rows=GAP)
    acc = accumulate(gt, table, EvalConfig(labels=CLASSES))
    ids = id_map(acc)
    m = summary(acc)
    print("industrial (GT detector):", m)
    assert sorted(ids) == sorted(np.unique(gt.track_id).tolist())  # every object was tracked
    assert all(len(h) == 1 for h in ids.values()), ids  # ... with one id from start to end
    assert len({next(iter(h)) for h in ids.values()}) == len(ids)  # and no two objects share an id
    assert m["id_switches"] == 0
    # Predicted rows carry the boxes through the gaps: recall stays high, nothing spurious appears.
    assert m["recall"] >= 0.9 and m["precision"] >= 0.95
    # the labels of the tracks are the labels of their objects
    labels = table.df.groupby("track_id")["label"].unique()
    assert all(len(v) == 1 for v in labels)
    assert table.counts() == {c: len(np.unique(gt.track_id[gt.label == c])) for c in CLASSES}


def test_the_occlusion_is_real_a_short_max_age_loses_the_ids(gt):
    """Same stream with max_age shorter than the gap: objects come back with a new id, so the test
    above measures re-entry, not a gap the tracker could not notice."""
    table = track(gt, TrackerConfig(max_age=GAP // 2, min_hits=3, high_score=0.6))
    ids = id_map(accumulate(gt, table, EvalConfig(labels=CLASSES)))
    assert sum(len(h) > 1 for h in ids.values()) >= len(ids) // 2


def test_gt_detector_is_deterministic_and_noisy(gt):
    det = GtDetector(gt, CLASSES, GtNoise(gaps=constructed_gaps(gt)))
    a, b = det(None, 10), det(np.zeros((4, 4, 3), np.uint8), 10)
    np.testing.assert_array_equal(a.xyxy, b.xyxy)  # pixels do not matter, the frame index does
    truth = gt.at(11, labels=CLASSES)
    assert 0 < len(a) <= len(truth)
    assert not np.allclose(a.xyxy, truth.xyxy[: len(a)])  # jittered
    assert (a.scores < 1).all() and (a.scores >= 0.3).all()
