"""Line crossing on a constructed scene: box trajectories with known crossings, through the real tracker."""

import numpy as np
import pytest

from anon_core.detections import Detections
from showcases.counting.lines import LineCounter, LineCrossings, anchor_points, parse_line, side

LINE = (300, 100, 300, 400)  # vertical, drawn top to bottom: "in" = moving right to left


def _box(cx, foot, w=40, h=60):
    return [cx - w / 2, foot - h, cx + w / 2, foot]


def constructed_scene():
    """Per-frame Detections of five walkers (boxes far apart so the tracker never confuses them).

    A: left to right through the segment           -> 1 out
    B: right to left through the segment           -> 1 in
    C: walks to and fro across the line 7 times   -> 1 out + 1 in (once per direction)
    D: crosses x=300 below the segment's end       -> nothing
    E: walks up to the line and stands on it        -> nothing
    """
    frames = []
    for t in range(40):
        boxes = [
            _box(100 + 10 * t, 140),  # A: x 100 -> 490, foot at y=140 (inside the segment's y range)
            _box(520 - 10 * t, 210),  # B: x 520 -> 130
            _box(290 + 4 * min(t % 10, 10 - t % 10), 370),  # C: 290 <-> 310 in 4 px steps
            _box(80 + 12 * t, 520, h=80),  # D: foot at y=520, below the segment (ends at y=400)
        ]
        e_x = min(200 + 10 * t, 300)
        boxes.append(_box(e_x, 280 if t < 20 else 281))  # E: stops exactly on the line
        frames.append(Detections(np.array(boxes, np.float32), np.full(len(boxes), 0.9), "person"))
    return frames


def test_line_counter_counts_exactly_on_a_constructed_scene():
    lc = LineCounter(LINE, anchor="foot")
    for dets in constructed_scene():
        lc.update(dets)
    assert (lc.counts.count_in, lc.counts.count_out) == (2, 2)
    # C first crosses L -> R at t = 3 (x 298 -> 302) and back at t = 8; A's foot is on the line at t = 20
    # (x = 300 keeps the side it came from) and past it at t = 21; B passes x = 300 at t = 22 -> 290 at t = 23
    assert sorted((e.frame, e.direction) for e in lc.counts.events) == [(3, "out"), (8, "in"), (21, "out"),
                                                                        (23, "in")]


def test_missed_detections_do_not_lose_a_crossing():
    """The walker is not detected on the frames around the line; the crossing is still counted once."""
    lc = LineCounter(LINE)
    for t in range(30):
        x = 150 + 10 * t
        lc.update(None if 13 <= t <= 17 else Detections(np.array([_box(x, 250)]), [0.9], "person"))
    assert (lc.counts.count_in, lc.counts.count_out) == (0, 1)


def test_line_crossings_with_given_ids_and_reset():
    lc = LineCrossings("0,0,100,0")  # horizontal, drawn left to right: "in" = moving down (y grows)
    for y in (-10, -5, 5, 10, -3):
        lc.update([7], [[50, y]])
    assert (lc.counts.count_in, lc.counts.count_out) == (1, 1)
    lc.reset()
    lc.update([7], [[50, 5]])
    assert (lc.counts.count_in, lc.counts.count_out) == (0, 0)


def test_side_and_anchor_points():
    assert side(LINE, [[100, 200], [500, 200], [300, 250]]).tolist() == [1, -1, 0]
    d = Detections(np.array([[10, 20, 30, 60]], np.float32), [1.0], "person")
    assert anchor_points(d, "foot").tolist() == [[20, 60]]
    assert anchor_points(d, "center").tolist() == [[20, 40]]


@pytest.mark.parametrize("text", ["1,2,3", "a,b,c,d", "5,5,5,5"])
def test_parse_line_rejects_bad_lines(text):
    with pytest.raises(ValueError, match="x1,y1,x2,y2|end points"):
        parse_line(text)
