"""Line-crossing counts (in / out) from anon_core.tracking tracks.

A counting line is a segment (x1, y1) -> (x2, y2) in frame pixels.  Each confirmed track's anchor point
(the foot point, bottom centre of the box, by default; or the box centre) is followed from frame to
frame.  A crossing happens when the anchor moves from one side of the line to the other, as the sign
change of the cross product d x (p - a) with d = b - a, *and* the movement passes through the segment
itself (not its extension).  Direction:

* "in":  from the negative to the positive side.  With image coordinates (y down) and a line drawn
  left to right, that is moving downwards (towards the camera in a typical view); a line drawn top to
  bottom counts right-to-left movement as "in".  Swap the end points to swap in and out.
* "out": the other way.

Each track is counted at most once per direction, so a person who dithers on the line is not counted
again and again.  Points exactly on the line keep the side they came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from anon_core.detections import Detections
from anon_core.tracking.tracker import Tracker, TrackerConfig

ANCHORS = ("foot", "center")


def parse_line(text: str) -> tuple[float, float, float, float]:
    """'x1,y1,x2,y2' -> a tuple of four floats, with a message that says what is wrong."""
    try:
        values = tuple(float(v) for v in str(text).split(","))
    except ValueError:
        values = ()
    if len(values) != 4:
        raise ValueError(f"a counting line is four numbers x1,y1,x2,y2 in pixels, got {text!r}")
    if values[:2] == values[2:]:
        raise ValueError(f"the counting line {text!r} has two equal end points; give two different points")
    return values  # type: ignore[return-value]


def anchor_points(dets: Detections, anchor: str = "foot") -> np.ndarray:
    """(N, 2) points that cross the line: bottom centre ("foot") or centre of each box."""
    if anchor not in ANCHORS:
        raise ValueError(f"unknown anchor {anchor!r}; use one of {', '.join(ANCHORS)}")
    if anchor == "center":
        return dets.centers
    return np.stack([(dets.xyxy[:, 0] + dets.xyxy[:, 2]) / 2, dets.xyxy[:, 3]], axis=1)


def side(line, points) -> np.ndarray:
    """Sign (-1, 0, +1) of the cross product (b - a) x (p - a) for each point."""
    ax, ay, bx, by = line
    p = np.asarray(points, np.float64).reshape(-1, 2)
    cross = (bx - ax) * (p[:, 1] - ay) - (by - ay) * (p[:, 0] - ax)
    return np.sign(cross).astype(np.int64)


def crosses_segment(line, p, q) -> bool:
    """Does the movement p -> q pass through the segment (end points included)?

    Called only when p and q are on opposite sides of the line, so it remains to check that the line's
    end points are not both strictly on the same side of the movement."""
    ax, ay, bx, by = line
    s = side((p[0], p[1], q[0], q[1]), [(ax, ay), (bx, by)])
    return not (s[0] == s[1] != 0)


@dataclass(frozen=True)
class Crossing:
    frame: int
    track_id: int
    direction: str  # "in" | "out"


@dataclass
class LineCounts:
    count_in: int = 0
    count_out: int = 0
    events: list[Crossing] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"in": self.count_in, "out": self.count_out,
                "events": [{"frame": e.frame, "track_id": e.track_id, "direction": e.direction}
                           for e in self.events]}


class LineCrossings:
    """The counting logic for given track ids and anchor points (no tracker): `update(ids, points)` per frame."""

    def __init__(self, line):
        self.line = parse_line(line if isinstance(line, str) else ",".join(map(str, line)))
        self.reset()

    def reset(self) -> None:
        self.counts = LineCounts()
        self.frame = -1
        self._last: dict[int, tuple[int, np.ndarray]] = {}  # track id -> (last side, +1/-1; last point)
        self._done: set[tuple[int, str]] = set()

    def update(self, track_ids, points, frame: int | None = None) -> list[Crossing]:
        """Advance to the next frame (or to `frame`); returns the crossings that happened on it."""
        self.frame = self.frame + 1 if frame is None else int(frame)
        points = np.asarray(points, np.float64).reshape(-1, 2)
        events = []
        for tid, s, p in zip(np.asarray(track_ids).tolist(), side(self.line, points), points):
            prev = self._last.get(tid)
            if s == 0:  # on the line: keep the side it came from, remember where it is
                if prev is not None:
                    self._last[tid] = (prev[0], p)
                continue
            if prev is not None and prev[0] != s and crosses_segment(self.line, prev[1], p):
                direction = "in" if s > 0 else "out"
                if (tid, direction) not in self._done:
                    self._done.add((tid, direction))
                    events.append(Crossing(self.frame, int(tid), direction))
            self._last[tid] = (int(s), p)
        for e in events:
            if e.direction == "in":
                self.counts.count_in += 1
            else:
                self.counts.count_out += 1
            self.counts.events.append(e)
        return events


class LineCounter:
    """Feed it each frame's person detections (`update(dets)`); it tracks them and counts crossings.

    Only confirmed tracks on frames where the detector saw them count (tracker predictions are not
    evidence that someone crossed).  One LineCounter per video stream; `reset()` starts over.
    """

    def __init__(self, line, anchor: str = "foot", tracker: TrackerConfig | None = None):
        self.crossings = LineCrossings(line)
        self.line = self.crossings.line
        anchor_points(Detections.empty(), anchor)  # validates
        self.anchor = anchor
        self.tracker = Tracker(tracker or TrackerConfig(max_age=15, min_hits=2))
        self.reset()

    @property
    def counts(self) -> LineCounts:
        return self.crossings.counts

    def reset(self) -> None:
        self.tracker.reset()
        self.crossings.reset()

    def update(self, dets: Detections | None) -> list[Crossing]:
        """Advance one frame (None = no detections available for it); returns the crossings on it."""
        tracked = self.tracker.update(dets)
        if len(tracked):
            tracked = tracked[(tracked.track_ids >= 0) & (tracked.origin == "detected")]
        ids = tracked.track_ids if len(tracked) else np.zeros(0, np.int64)
        return self.crossings.update(ids, anchor_points(tracked, self.anchor))


def gt_line_counts(gt, line, anchor: str = "foot", num_frames: int | None = None) -> LineCounts:
    """Line crossings of the ground-truth tracks of a MotGroundTruth (ids from the annotation, no tracker)."""
    crossings = LineCrossings(line)
    for f in range(1, (num_frames or gt.num_frames) + 1):
        dets = gt.at(f)
        crossings.update(dets.track_ids, anchor_points(dets, anchor), frame=f - 1)
    return crossings.counts
