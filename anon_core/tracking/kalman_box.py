"""One tracked box: a constant-velocity Kalman filter (filterpy) over centre, width and height."""

from __future__ import annotations

import numpy as np
from filterpy.kalman import KalmanFilter


def xyxy_to_z(box: np.ndarray) -> np.ndarray:
    x1, y1, x2, y2 = box
    return np.array([(x1 + x2) / 2, (y1 + y2) / 2, max(x2 - x1, 1.0), max(y2 - y1, 1.0)], np.float64)


def x_to_xyxy(x: np.ndarray) -> np.ndarray:
    cx, cy, w, h = x[:4]
    w, h = max(w, 1.0), max(h, 1.0)
    return np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], np.float32)


class KalmanBox:
    """State (cx, cy, w, h, vcx, vcy, vw, vh); noise scaled with the box height as in ByteTrack."""

    def __init__(self, box: np.ndarray, track_id: int, label: str, score: float):
        kf = KalmanFilter(dim_x=8, dim_z=4)
        kf.F = np.eye(8)
        kf.F[:4, 4:] = np.eye(4)
        kf.H = np.eye(4, 8)
        z = xyxy_to_z(box)
        kf.x[:4, 0] = z
        h = z[3]
        kf.P = np.diag(np.square([h / 10, h / 10, h / 10, h / 10, h / 6, h / 6, h / 6, h / 6]))
        self.kf = kf
        self.id = track_id
        self.label = label
        self.score = float(score)
        self.hits = 1  # detections matched so far
        self.age = 0  # frames since creation
        self.since_update = 0  # frames since the last matched detection
        self.landmarks = None
        self.seen_box = np.asarray(box, np.float32).copy()  # the last detected box (where it surely was)

    def _noise(self) -> None:
        h = max(self.kf.x[3, 0], 1.0)
        self.kf.Q = np.diag(np.square([h / 20, h / 20, h / 20, h / 20, h / 160, h / 160, h / 160, h / 160]))
        self.kf.R = np.diag(np.square([h / 20, h / 20, h / 20, h / 20]))

    def predict(self) -> np.ndarray:
        if self.kf.x[2, 0] + self.kf.x[6, 0] <= 1:
            self.kf.x[6, 0] = 0.0
        if self.kf.x[3, 0] + self.kf.x[7, 0] <= 1:
            self.kf.x[7, 0] = 0.0
        self._noise()
        self.kf.predict()
        self.age += 1
        self.since_update += 1
        return self.box

    def update(self, box: np.ndarray, score: float) -> None:
        self._noise()
        self.kf.update(xyxy_to_z(box))
        self.seen_box = np.asarray(box, np.float32).copy()
        self.hits += 1
        self.since_update = 0
        self.score = float(score)

    @property
    def box(self) -> np.ndarray:
        return x_to_xyxy(self.kf.x[:, 0])

    @property
    def velocity(self) -> np.ndarray:
        """Pixels per frame of (cx, cy)."""
        return self.kf.x[4:6, 0].astype(np.float32)
