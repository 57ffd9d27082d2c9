"""The engine's tracker (anon_core.tracking) on constructed box streams: every scenario is built so
that a wrong association, a lost id or a dropped row changes the outcome."""

import numpy as np
import pytest

from anon_core.detections import Detections, box_iou
from anon_core.tracking.tracker import Tracker, TrackerConfig


def dets(boxes, scores=0.9, labels="person") -> Detections:
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    scores = np.broadcast_to(np.asarray(scores, np.float32), (len(boxes),))
    return Detections(boxes, scores, np.broadcast_to(np.asarray(labels), (len(boxes),)))


def box_at(cx, cy, w=40, h=80):
    return [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]


def detected(out: Detections) -> Detections:
    return out[out.origin == "detected"]


def test_crossing_paths_keep_their_ids():
    """Two persons walk towards each other and cross (boxes overlap with IoU up to 0.6); the Kalman
    velocity keeps each id on its own walker."""
    tr = Tracker(TrackerConfig(min_hits=2))
    ids_a, ids_b, max_iou = [], [], 0.0
    for f in range(40):
        a = box_at(50 + 8 * f, 100)  # left to right
        b = box_at(370 - 8 * f, 112)  # right to left, slightly lower
        max_iou = max(max_iou, float(box_iou([a], [b])[0, 0]))
        out = detected(tr.update(dets([a, b])))
        ids_a.append(int(out.track_ids[0]))
        ids_b.append(int(out.track_ids[1]))
    assert max_iou > 0.5  # they really overlap while crossing
    assert len(set(ids_a)) == 1 and len(set(ids_b)) == 1
    assert ids_a[0] != ids_b[0]


def test_missed_detections_come_back_as_predicted_rows_with_the_same_id():
    tr = Tracker(TrackerConfig(min_hits=2, max_age=10))
    for f in range(10):
        out = tr.update(dets([box_at(100 + 5 * f, 200)]))
    tid = int(out.track_ids[0])
    assert tid >= 0
    for f in range(10, 14):  # detector misses the object (empty output) or did not run (None)
        out = tr.update(Detections.empty() if f % 2 else None)
        assert len(out) == 1 and out.origin[0] == "predicted" and out.track_ids[0] == tid
        assert out.data["age"][0] == f - 9
        # the prediction follows the motion (5 px per frame)
        assert out.centers[0, 0] == pytest.approx(100 + 5 * f, abs=3)
    out = tr.update(dets([box_at(100 + 5 * 14, 200)]))
    assert out.origin.tolist() == ["detected"] and out.track_ids[0] == tid


def test_low_score_detections_extend_tracks_but_never_start_them():
    cfg = TrackerConfig(min_hits=2, high_score=0.5)
    tr = Tracker(cfg)
    for f in range(6):
        out = tr.update(dets([box_at(100 + 4 * f, 200)], 0.9))
    tid = int(out.track_ids[0])
    # The object gets partly hidden: scores drop below high_score; stage 2 keeps the id.
    # A lone low-score box elsewhere (clutter) must not start a track.
    clutter_ids = []
    for f in range(6, 16):
        out = tr.update(dets([box_at(100 + 4 * f, 200), box_at(500, 300)], [0.3, 0.3]))
        assert out.origin.tolist() == ["detected", "detected"]
        assert out.track_ids[0] == tid
        clutter_ids.append(int(out.track_ids[1]))
    assert clutter_ids == [-1] * 10
    assert len(tr.tracks) == 1


def test_low_score_rows_need_a_closer_match_than_high_score_rows():
    """Stage 2 uses the stricter low_iou_threshold: a weak box that only loosely overlaps the track
    is not taken as the tracked object."""
    tr = Tracker(TrackerConfig(min_hits=1, iou_threshold=0.3, low_iou_threshold=0.6))
    for _ in range(4):
        out = tr.update(dets([box_at(200, 200)]))
    tid = int(out.track_ids[0])
    shifted = box_at(200 + 16, 200)  # IoU with the track ~0.43: between the two thresholds
    weak = tr.update(dets([shifted], 0.3))
    assert weak.track_ids[0] == -1 and "predicted" in weak.origin.tolist()
    strong = tr.update(dets([box_at(200 + 16, 200)], 0.9))
    assert strong.track_ids[0] == tid


def test_classes_are_tracked_separately():
    """A person pushing a cart: the two boxes overlap heavily but never share a track, and a box whose
    label changes does not inherit the other class's id."""
    tr = Tracker(TrackerConfig(min_hits=1))
    for f in range(10):
        person = box_at(100 + 6 * f, 200)
        cart = box_at(100 + 6 * f + 10, 210, 50, 60)
        out = detected(tr.update(dets([person, cart], 0.9, ["person", "cart"])))
        assert out.track_ids[0] != out.track_ids[1]
    person_id, cart_id = int(out.track_ids[0]), int(out.track_ids[1])
    # Only a "cart"-labelled box exactly where the person walks: it goes to the cart track (lower IoU)
    # and the person's track is carried as a prediction.
    out = tr.update(dets([box_at(160, 200)], 0.9, "cart"))
    assert detected(out).track_ids.tolist() == [cart_id]
    assert out.track_ids[out.origin == "predicted"].tolist() == [person_id]
    # per_class=False lets the classes share tracks (documented switch).
    mixed = Tracker(TrackerConfig(min_hits=1, per_class=False))
    mixed.update(dets([box_at(100, 200)], 0.9, "person"))
    out = mixed.update(dets([box_at(102, 200)], 0.9, "cart"))
    assert out.track_ids.tolist() == [1]


def test_reentry_after_occlusion_keeps_the_id_within_max_age():
    """An object walks behind a pillar for 15 frames and comes out where its motion says: same id.
    With max_age below the gap the track is gone and the object gets a new id."""

    def run(max_age):
        tr = Tracker(TrackerConfig(min_hits=3, max_age=max_age))
        ids = []
        for f in range(45):
            hidden = 15 <= f < 30
            out = tr.update(Detections.empty() if hidden else dets([box_at(60 + 6 * f, 200)]))
            if not hidden:
                ids.append(int(detected(out).track_ids[0]))
        return ids

    ids = run(max_age=30)
    assert set(ids) == {ids[0]} and ids[0] >= 0
    short = run(max_age=5)
    assert short[0] != short[-1] and short[-1] >= 0


def test_reentry_by_distance_when_the_box_no_longer_overlaps():
    """A fast object with a velocity change during the gap: IoU with the prediction is 0, stage 3
    re-associates by centre distance relative to the box size."""
    tr = Tracker(TrackerConfig(min_hits=2, max_age=30))
    for f in range(8):
        out = tr.update(dets([box_at(100 + 10 * f, 200)]))
    tid = int(out.track_ids[0])
    for _ in range(6):
        tr.update(None)
    # The prediction is at x ~ 238; the object slowed down and is at 195: 43 px away, more than the box
    # width (IoU 0), but only 0.5 box diagonals.
    out = tr.update(dets([box_at(195, 200)]))
    assert box_iou(tr.tracks[0].box[None], out.xyxy[:1])[0, 0] > 0.5  # updated onto the detection
    assert detected(out).track_ids[0] == tid
    # The same stream with a tight re-entry radius starts a new (unconfirmed) track instead.
    strict = Tracker(TrackerConfig(min_hits=2, max_age=30, reentry_distance=0.1))
    for f in range(8):
        strict.update(dets([box_at(100 + 10 * f, 200)]))
    for _ in range(6):
        strict.update(None)
    assert detected(strict.update(dets([box_at(195, 200)]))).track_ids[0] == -1


def test_every_row_comes_back_in_order_and_new_tracks_are_unconfirmed():
    rng = np.random.default_rng(1)
    tr = Tracker(TrackerConfig(min_hits=3))
    for _ in range(5):  # establish one track past the start-up frames
        tr.update(dets([box_at(300, 300)]))
    for _ in range(5, 30):
        n = int(rng.integers(0, 6))
        boxes = np.array([box_at(*rng.uniform(50, 600, 2)) for _ in range(n)]).reshape(-1, 4)
        d = dets(boxes, rng.uniform(0.05, 1.0, n))
        out = tr.update(d)
        got = detected(out)
        assert len(got) == n
        np.testing.assert_allclose(got.xyxy, d.xyxy)
        np.testing.assert_allclose(got.scores, d.scores)
        assert set(out.origin.tolist()) <= {"detected", "predicted"}
    # a brand-new object is -1 until it has min_hits detections, then gets an id
    ids = [int(detected(tr.update(dets([box_at(700, 50), box_at(300, 300)])))[0].track_ids[0])
           for _ in range(4)]
    assert ids[:2] == [-1, -1] and ids[2] > 0 and ids[3] == ids[2]


def test_tracks_expire_after_max_age_and_reset_forgets_everything():
    tr = Tracker(TrackerConfig(min_hits=1, max_age=3))
    tr.update(dets([box_at(100, 100), box_at(300, 100)]))
    for k in range(3):
        out = tr.update(None)
        assert len(out) == 2 and (out.data["age"] == k + 1).all()
    assert len(tr.update(None)) == 0  # age 4 > max_age
    tr.update(dets([box_at(100, 100)]))
    assert tr._next_id == 4  # ids are never reused within a stream
    tr.reset()
    assert tr.tracks == [] and tr.frame_count == 0
    out = tr.update(dets([box_at(100, 100)]))
    assert out.track_ids.tolist() == [1]


def test_options_and_config_are_validated():
    assert Tracker(max_age=7).config.max_age == 7
    with pytest.raises(ValueError):
        TrackerConfig(min_hits=0)
    with pytest.raises(ValueError):
        TrackerConfig(max_age=-1)
