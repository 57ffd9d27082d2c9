"""Track ids, boxes and trails drawn onto (anonymized) frames; a new frame is returned, the input is
never modified.  Colours are fixed per track id, so an id switch is visible as a colour change."""

from __future__ import annotations

from collections import defaultdict, deque

import cv2
import numpy as np

from anon_core.detections import Detections
from showcases.tracking.zones import Zone

ZONE_COLOR = (40, 210, 240)


def track_color(track_id: int) -> tuple[int, int, int]:
    """A stable, well-separated BGR colour per id (golden-ratio hue steps)."""
    hue = int((track_id * 0.618033988749895 % 1.0) * 179)
    hsv = np.uint8([[[hue, 200, 255]]])
    return tuple(int(v) for v in cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0])


def anchor_points(rows: Detections, anchor: str = "foot") -> np.ndarray:
    c = rows.centers
    if anchor == "foot":
        c[:, 1] = rows.xyxy[:, 3]
    return c


class TrackPainter:
    """Per-stream state: the last `trail` anchor points of every track id."""

    def __init__(self, trail: int = 30, anchor: str = "foot", zones: list[Zone] | None = None):
        self.trail, self.anchor = int(trail), anchor
        self.zones = list(zones or [])
        self.reset()

    def reset(self) -> None:
        self.history: dict[int, deque] = defaultdict(lambda: deque(maxlen=max(self.trail, 1)))

    def draw(self, frame: np.ndarray, rows: Detections | None) -> np.ndarray:
        out = frame.copy()
        h, w = out.shape[:2]
        scale = max(0.4, min(1.0, w / 1280))
        thick = max(1, round(2 * scale))
        for z in self.zones:
            pts = np.round(np.asarray(z.points)).astype(np.int32).reshape(-1, 1, 2)
            cv2.polylines(out, [pts], True, ZONE_COLOR, thick, cv2.LINE_AA)
            x, y = pts[:, 0].min(axis=0)
            cv2.putText(out, z.name, (int(x) + 4, int(y) + int(18 * scale)), cv2.FONT_HERSHEY_SIMPLEX, scale * 0.8,
                        ZONE_COLOR, thick, cv2.LINE_AA)
        if rows is None or not len(rows):
            return out
        rows = rows[rows.track_ids >= 0]
        points = anchor_points(rows, self.anchor)
        for i in range(len(rows)):
            tid = int(rows.track_ids[i])
            self.history[tid].append(tuple(int(round(v)) for v in points[i]))
        for i in range(len(rows)):
            tid = int(rows.track_ids[i])
            color = track_color(tid)
            trail = np.array(self.history[tid], np.int32)
            if self.trail and len(trail) > 1:
                cv2.polylines(out, [trail.reshape(-1, 1, 2)], False, color, thick, cv2.LINE_AA)
            x1, y1, x2, y2 = (int(round(v)) for v in rows.xyxy[i])
            dashed = rows.origin is not None and rows.origin[i] == "predicted"
            cv2.rectangle(out, (x1, y1), (x2, y2), color, 1 if dashed else thick, cv2.LINE_AA)
            text = f"{rows.labels[i]} {tid}"
            (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale * 0.6, 1)
            ty = max(y1, th + 4)
            cv2.rectangle(out, (x1, ty - th - 4), (min(x1 + tw + 4, w - 1), ty), color, -1)
            cv2.putText(out, text, (x1 + 2, ty - 3), cv2.FONT_HERSHEY_SIMPLEX, scale * 0.6, (0, 0, 0), 1, cv2.LINE_AA)
        return out
