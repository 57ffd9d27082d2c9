"""Multi-object tracker: SORT-style Kalman boxes, Hungarian assignment (scipy), ByteTrack-style
two-stage association of high- and low-confidence detections, per-class tracks and re-entry.

Privacy contract: `update` never drops a detection.  Every input row comes back (track id -1
while its track is unconfirmed), and live tracks the detector missed come back as "predicted"
rows, so a face is anonymized from its very first frame and through short detector misses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from anon_core.detections import UNCONFIRMED, Detections, box_iou
from anon_core.tracking.kalman_box import KalmanBox


@dataclass(frozen=True)
class TrackerConfig:
    max_age: int = 30  # frames a lost track is kept (for re-entry and predicted rows)
    min_hits: int = 3  # matched detections before a track id is reported
    iou_threshold: float = 0.3  # stage-1 match (high-confidence detections)
    low_iou_threshold: float = 0.5  # stage-2 match (low-confidence detections)
    high_score: float = 0.5  # detections at or above start tracks and match first
    reentry_distance: float = 1.0  # stage-3: centre distance / box diagonal for re-entry of lost tracks
    per_class: bool = True

    def __post_init__(self):
        if self.max_age < 0 or self.min_hits < 1:
            raise ValueError("max_age must be >= 0 and min_hits >= 1")


def _assign(cost: np.ndarray, limit: float) -> tuple[list[tuple[int, int]], set[int], set[int]]:
    """Hungarian assignment of a cost matrix; pairs above `limit` are rejected."""
    rows, cols = (linear_sum_assignment(cost) if cost.size else ([], []))
    pairs = [(r, c) for r, c in zip(rows, cols) if cost[r, c] <= limit]
    return pairs, {r for r, _ in pairs}, {c for _, c in pairs}


class Tracker:
    """`update(dets)` once per frame: with the frame's detections, or None on frames where no
    detector ran (detect-every-N), which only advances the tracks.  `reset()` forgets all."""

    def __init__(self, config: TrackerConfig | None = None, **options):
        self.config = config or TrackerConfig(**options)
        self.reset()

    def reset(self) -> None:
        self.tracks: list[KalmanBox] = []
        self._next_id = 1
        self.frame_count = 0

    # ------------------------------------------------------------------ public
    def update(self, dets: Detections | None) -> Detections:
        self.frame_count += 1
        for t in self.tracks:
            t.predict()
        if dets is None:
            self._expire()
            return self._predicted_rows(self.tracks)

        cfg = self.config
        row_track = np.full(len(dets), -1, np.int64)  # index into self.tracks
        high = np.nonzero(dets.scores >= cfg.high_score)[0]
        low = np.nonzero(dets.scores < cfg.high_score)[0]
        free = list(range(len(self.tracks)))

        # Stage 1: high-confidence detections against all tracks, by IoU.
        free = self._match(dets, high, free, row_track, cfg.iou_threshold)
        # Stage 2: low-confidence detections against tracks still unmatched (ByteTrack).
        free = self._match(dets, low, free, row_track, cfg.low_iou_threshold)
        # Stage 3: re-entry, unmatched high detections against lost tracks by centre distance.
        rest = np.array([i for i in high if row_track[i] < 0], np.int64)
        lost = [k for k in free if self.tracks[k].since_update > 1]
        free_after = self._match_distance(dets, rest, lost, row_track)
        free = [k for k in free if k not in lost or k in free_after]

        for i in np.nonzero(row_track >= 0)[0]:
            self.tracks[row_track[i]].update(dets.xyxy[i], dets.scores[i])
        new_tracks = []
        for i in high:
            if row_track[i] < 0:
                t = KalmanBox(dets.xyxy[i], self._new_id(), str(dets.labels[i]), dets.scores[i])
                new_tracks.append(t)
                row_track[i] = len(self.tracks) + len(new_tracks) - 1
        self.tracks.extend(new_tracks)

        ids = np.array([self._public_id(self.tracks[k]) if k >= 0 else UNCONFIRMED for k in row_track], np.int64)
        speed = np.array([np.linalg.norm(self.tracks[k].velocity) if k >= 0 else 0.0 for k in row_track], np.float32)
        detected = dets.with_(track_ids=ids, origin=np.full(len(dets), "detected"),
                              data={**dets.data, "age": np.zeros(len(dets), np.int64), "speed": speed,
                                    "seen_box": dets.xyxy.astype(np.float32),
                                    "hits": np.array([self.tracks[k].hits if k >= 0 else 0 for k in row_track])})
        missed = [self.tracks[k] for k in free]
        self._expire()
        predicted = self._predicted_rows([t for t in missed if t in self.tracks])
        return Detections.concat([detected, predicted])

    @property
    def confirmed(self) -> list[KalmanBox]:
        return [t for t in self.tracks if self._confirmed(t)]

    # ------------------------------------------------------------------ internals
    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    def _confirmed(self, t: KalmanBox) -> bool:
        return t.hits >= self.config.min_hits or self.frame_count <= self.config.min_hits

    def _public_id(self, t: KalmanBox) -> int:
        return t.id if self._confirmed(t) else UNCONFIRMED

    def _class_gate(self, dets: Detections, rows: np.ndarray, tracks: list[int]) -> np.ndarray:
        if not self.config.per_class:
            return np.ones((len(rows), len(tracks)), bool)
        labels = np.array([self.tracks[k].label for k in tracks])
        return dets.labels[rows][:, None] == labels[None, :]

    def _match(self, dets, rows, free, row_track, threshold) -> list[int]:
        if not len(rows) or not free:
            return free
        boxes = np.stack([self.tracks[k].box for k in free])
        cost = 1 - box_iou(dets.xyxy[rows], boxes)
        cost[~self._class_gate(dets, rows, free)] = 2.0
        pairs, _, used = _assign(cost, 1 - threshold)
        for r, c in pairs:
            row_track[rows[r]] = free[c]
        return [k for j, k in enumerate(free) if j not in used]

    def _match_distance(self, dets, rows, lost, row_track) -> list[int]:
        if not len(rows) or not lost:
            return lost
        boxes = np.stack([self.tracks[k].box for k in lost])
        centres = (boxes[:, :2] + boxes[:, 2:]) / 2
        diag = np.linalg.norm(boxes[:, 2:] - boxes[:, :2], axis=1)
        dist = np.linalg.norm(dets.centers[rows][:, None] - centres[None], axis=2) / np.maximum(diag, 1)[None]
        size = np.abs(np.log(np.maximum(dets.area[rows][:, None], 1) / np.maximum(
            (boxes[:, 2:] - boxes[:, :2]).prod(axis=1)[None], 1)))
        cost = dist + 0.5 * size
        cost[~self._class_gate(dets, rows, lost)] = 99.0
        pairs, _, used = _assign(cost, self.config.reentry_distance)
        for r, c in pairs:
            row_track[rows[r]] = lost[c]
        return [k for j, k in enumerate(lost) if j not in used]

    def _expire(self) -> None:
        self.tracks = [t for t in self.tracks if t.since_update <= self.config.max_age]

    def _predicted_rows(self, tracks: list[KalmanBox]) -> Detections:
        if not tracks:
            return Detections.empty().with_(track_ids=np.zeros(0, np.int64), origin=np.zeros(0, str),
                                            data={"age": np.zeros(0, np.int64), "speed": np.zeros(0, np.float32),
                                                  "seen_box": np.zeros((0, 4), np.float32),
                                                  "hits": np.zeros(0, np.int64)})
        return Detections(
            xyxy=np.stack([t.box for t in tracks]),
            scores=np.array([t.score for t in tracks], np.float32),
            labels=np.array([t.label for t in tracks]),
            track_ids=np.array([self._public_id(t) for t in tracks], np.int64),
            origin=np.full(len(tracks), "predicted"),
            data={"age": np.array([t.since_update for t in tracks], np.int64),
                  "speed": np.array([np.linalg.norm(t.velocity) for t in tracks], np.float32),
                  "seen_box": np.stack([t.seen_box for t in tracks]).astype(np.float32),
                  "hits": np.array([t.hits for t in tracks], np.int64)},
        )

