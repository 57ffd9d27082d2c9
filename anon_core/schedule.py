"""When to run the detectors: every N frames, or "auto".

"auto" detects on every frame while any track is new, unconfirmed or fast, and otherwise lets
the tracker carry regions for up to `max_every` frames, scaled so that no tracked region moves
more than a quarter of its size between detections.  A cheap motion check (downscaled frame
difference outside the tracked regions) forces a detection as soon as something new moves into
view, so a face entering the frame is found on its first frames, not N frames later.
"""

from __future__ import annotations

import cv2
import numpy as np

from anon_core.detections import Detections

MOTION_SIDE = 96  # width of the motion-check thumbnail
MOTION_DELTA = 18  # grey-level change that counts as motion
MOTION_SHARE = 0.004  # share of changed thumbnail pixels outside tracked regions that triggers detection


class DetectionSchedule:
    def __init__(self, every: int | str = 1, max_every: int = 8):
        if every != "auto" and (not isinstance(every, int) or every < 1):
            raise ValueError(f"detect_every must be a positive integer or 'auto', got {every!r}")
        self.every = every
        self.max_every = max_every
        self.reset()

    def reset(self) -> None:
        self.last_detect = -(10**9)
        self.current_every = 1 if self.every == "auto" else self.every
        self._thumb = None

    def should_detect(self, index: int, frame: np.ndarray, regions: Detections | None) -> bool:
        if self.every != "auto":
            return index - self.last_detect >= self.every
        thumb = self._thumbnail(frame)
        due = index - self.last_detect >= self.current_every
        moved = self._thumb is not None and self._motion_outside(thumb, regions, frame.shape)
        if due or moved:
            self._thumb = thumb  # compare later frames with the last analysed one
        return due or moved

    def detected(self, index: int, tracked: Detections) -> None:
        """Record a detection run and adapt N from the tracks it produced."""
        self.last_detect = index
        if self.every != "auto":
            return
        self.current_every = self._adaptive_every(tracked)

    def _adaptive_every(self, tracked: Detections) -> int:
        det = tracked[tracked.origin == "detected"] if tracked.origin is not None else tracked
        if len(det) and det.track_ids is not None and (det.track_ids < 0).any():
            return 1  # unconfirmed tracks: confirm them before predicting
        speed = tracked.data.get("speed")
        if speed is None or not len(tracked):
            return min(3, self.max_every)
        size = np.maximum(tracked.wh.max(axis=1), 1.0)
        rel = float((speed / size).max())  # share of its own size a region moves per frame
        if rel <= 0:
            return self.max_every
        return int(np.clip(np.floor(0.25 / rel), 1, self.max_every))

    def _thumbnail(self, frame: np.ndarray) -> np.ndarray:
        h, w = frame.shape[:2]
        th = max(1, round(h * MOTION_SIDE / w))
        step = max(1, w // (MOTION_SIDE * 4))  # subsample first: INTER_AREA on a full 4K frame is costly
        small = cv2.resize(frame[::step, ::step], (MOTION_SIDE, th), interpolation=cv2.INTER_AREA)
        return cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), (3, 3), 0)

    def _motion_outside(self, thumb: np.ndarray, regions: Detections | None, shape) -> bool:
        changed = cv2.absdiff(thumb, self._thumb) > MOTION_DELTA
        if regions is not None and len(regions):
            f = thumb.shape[1] / shape[1]
            for x1, y1, x2, y2 in regions.padded(0.5).xyxy * f:
                changed[max(0, int(y1)):int(np.ceil(y2)), max(0, int(x1)):int(np.ceil(x2))] = False
        return changed.mean() > MOTION_SHARE
