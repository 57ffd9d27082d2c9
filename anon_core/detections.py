"""The one detection type that flows through detectors, tracker, anonymizers and showcases.

`Detections` holds N rows: boxes (xyxy, float32 pixels), scores, string labels and optional
per-row extras (landmarks, masks, track ids, origin).  It is immutable in spirit: every
operation returns a new object.  Filter it with boolean masks or index arrays, as in
supervision::

    faces = dets[dets.labels == "face"]
    confident = dets[dets.scores >= 0.5]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

#: origin values: found by a detector on this frame, predicted by the tracker between
#: detections, kept on screen by the temporal hold after the last detection, or added by a
#: reviewer (anon_core/review.py).
ORIGINS = ("detected", "predicted", "held", "manual")
UNCONFIRMED = -1


def _as_rows(name: str, value: Any, n: int, dtype, shape_tail: tuple = ()) -> np.ndarray:
    arr = np.asarray(value, dtype=dtype)
    if arr.shape[:1] != (n,) or (shape_tail and arr.shape[1:] != shape_tail):
        raise ValueError(f"Detections.{name} has shape {arr.shape}, expected ({n}, ...{shape_tail})")
    return arr


@dataclass(frozen=True, eq=False)
class Detections:
    """N detections of one frame.

    xyxy: (N, 4) float32 boxes in pixels (x1, y1, x2, y2), x2 >= x1, y2 >= y1.
    scores: (N,) float32 confidences in [0, 1].
    labels: (N,) str labels, e.g. "face", "person", "car" (COCO names for object detectors).
    landmarks: optional (N, K, 2) float32 keypoints (CenterFace gives K=5: eyes, nose, mouth corners).
    masks: optional (N, H, W) bool instance masks in frame coordinates.
    track_ids: optional (N,) int64; -1 means "not (yet) confirmed by the tracker".
    origin: optional (N,) str, one of ORIGINS.
    data: further per-row arrays (attributes, class ids ...), each of length N.
    """

    xyxy: np.ndarray
    scores: np.ndarray
    labels: np.ndarray
    landmarks: np.ndarray | None = None
    masks: np.ndarray | None = None
    track_ids: np.ndarray | None = None
    origin: np.ndarray | None = None
    data: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        xyxy = np.asarray(self.xyxy, dtype=np.float32).reshape(-1, 4)
        n = len(xyxy)
        if n and not np.isfinite(xyxy).all():
            raise ValueError("Detections.xyxy contains NaN or infinite coordinates")
        if n and ((xyxy[:, 2] < xyxy[:, 0]).any() or (xyxy[:, 3] < xyxy[:, 1]).any()):
            raise ValueError("Detections.xyxy must be (x1, y1, x2, y2) with x2 >= x1 and y2 >= y1")
        set_ = object.__setattr__
        set_(self, "xyxy", xyxy)
        set_(self, "scores", _as_rows("scores", self.scores, n, np.float32))
        labels = np.asarray(self.labels)
        if labels.shape == ():  # one label for all rows
            labels = np.full(n, str(labels))
        set_(self, "labels", _as_rows("labels", labels.astype(str), n, str))
        if self.landmarks is not None:
            lm = np.asarray(self.landmarks, dtype=np.float32)
            lm = lm.reshape(n, -1, 2) if n else lm.reshape(0, lm.shape[1] if lm.ndim == 3 else 0, 2)
            set_(self, "landmarks", _as_rows("landmarks", lm, n, np.float32))
        if self.masks is not None:
            masks = np.asarray(self.masks, dtype=bool)
            if masks.ndim != 3 or len(masks) != n:
                raise ValueError(f"Detections.masks has shape {masks.shape}, expected (N, H, W)")
            set_(self, "masks", masks)
        if self.track_ids is not None:
            set_(self, "track_ids", _as_rows("track_ids", self.track_ids, n, np.int64))
        if self.origin is not None:
            origin = _as_rows("origin", self.origin, n, str)
            bad = set(origin.tolist()) - set(ORIGINS)
            if bad:
                raise ValueError(f"Detections.origin has unknown values {sorted(bad)}; use {ORIGINS}")
            set_(self, "origin", origin)
        set_(self, "data", {k: _as_rows(f"data[{k!r}]", v, n, None) for k, v in self.data.items()})

    # ----------------------------------------------------------------- constructors
    @classmethod
    def empty(cls, with_landmarks: int = 0) -> Detections:
        lm = np.zeros((0, with_landmarks, 2), np.float32) if with_landmarks else None
        return cls(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, str), landmarks=lm)

    @classmethod
    def concat(cls, parts: Sequence[Detections]) -> Detections:
        """Stack detections of the same frame.  An optional field that only some parts have is kept and
        filled for the others (landmarks NaN, masks empty, track id -1, origin "detected")."""
        parts = [p for p in parts if p is not None]
        if not parts:
            return cls.empty()
        if len(parts) == 1:
            return parts[0]

        def cat(name, fill):
            values = [getattr(p, name) for p in parts]
            if all(v is None for v in values):
                return None
            template = next(v for v in values if v is not None)
            filled = []
            for p, v in zip(parts, values):
                if v is None:  # rows without this field get a neutral value instead of losing the field
                    v = np.full((len(p),) + template.shape[1:], fill, dtype=template.dtype)
                elif v.shape[1:] != template.shape[1:]:
                    return None
                filled.append(v)
            return np.concatenate(filled)

        keys = set.intersection(*(set(p.data) for p in parts))
        return cls(
            xyxy=np.concatenate([p.xyxy for p in parts]),
            scores=np.concatenate([p.scores for p in parts]),
            labels=np.concatenate([p.labels for p in parts]),
            landmarks=cat("landmarks", np.nan),
            masks=cat("masks", False),  # an empty mask means "no mask": anonymizers fall back to the box
            track_ids=cat("track_ids", UNCONFIRMED),
            origin=cat("origin", "detected"),
            data={k: np.concatenate([p.data[k] for p in parts]) for k in keys},
        )

    # ----------------------------------------------------------------- container protocol
    def __len__(self) -> int:
        return len(self.xyxy)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i : i + 1]

    def __getitem__(self, index) -> Detections:
        """Filter by boolean mask, index array, slice or int (an int keeps a 1-row Detections)."""
        if isinstance(index, (int, np.integer)):
            index = [int(index)]
        index = np.asarray(index) if not isinstance(index, slice) else index
        if isinstance(index, np.ndarray) and index.dtype == bool and index.shape != (len(self),):
            raise IndexError(f"boolean mask of shape {index.shape} for {len(self)} detections")

        def pick(v):
            return None if v is None else v[index]

        return Detections(
            xyxy=self.xyxy[index],
            scores=self.scores[index],
            labels=self.labels[index],
            landmarks=pick(self.landmarks),
            masks=pick(self.masks),
            track_ids=pick(self.track_ids),
            origin=pick(self.origin),
            data={k: v[index] for k, v in self.data.items()},
        )

    def with_(self, **changes) -> Detections:
        """A copy with some fields replaced (validated again)."""
        return replace(self, **changes)

    # ----------------------------------------------------------------- geometry
    @property
    def wh(self) -> np.ndarray:
        return self.xyxy[:, 2:] - self.xyxy[:, :2]

    @property
    def area(self) -> np.ndarray:
        wh = self.wh
        return wh[:, 0] * wh[:, 1]

    @property
    def centers(self) -> np.ndarray:
        return (self.xyxy[:, :2] + self.xyxy[:, 2:]) / 2

    def clip(self, width: int, height: int) -> Detections:
        """Boxes clipped to the frame; rows that end up empty are dropped."""
        xyxy = self.xyxy.copy()
        xyxy[:, [0, 2]] = xyxy[:, [0, 2]].clip(0, width)
        xyxy[:, [1, 3]] = xyxy[:, [1, 3]].clip(0, height)
        keep = (xyxy[:, 2] > xyxy[:, 0]) & (xyxy[:, 3] > xyxy[:, 1])
        return self.with_(xyxy=xyxy)[keep]

    def scaled(self, sx: float, sy: float | None = None) -> Detections:
        """Boxes and landmarks multiplied by (sx, sy), e.g. to map from a resized frame."""
        sy = sx if sy is None else sy
        s = np.array([sx, sy, sx, sy], np.float32)
        lm = None if self.landmarks is None else self.landmarks * np.array([sx, sy], np.float32)
        return self.with_(xyxy=self.xyxy * s, landmarks=lm)

    def shifted(self, dx: float, dy: float) -> Detections:
        """Boxes and landmarks translated by (dx, dy), e.g. from a crop back to the frame."""
        lm = None if self.landmarks is None else self.landmarks + np.array([dx, dy], np.float32)
        return self.with_(xyxy=self.xyxy + np.array([dx, dy, dx, dy], np.float32), landmarks=lm)

    def padded(self, factor: float) -> Detections:
        """Boxes grown around their centre by `factor` (0.2 = 20 % wider and taller)."""
        if factor == 0 or not len(self):
            return self
        return self.with_(xyxy=grow_boxes(self.xyxy, factor))

    def to_records(self) -> list[dict]:
        """JSON-friendly rows (used by reports and exports)."""
        rows = []
        for i in range(len(self)):
            row = {
                "box": [round(float(v), 1) for v in self.xyxy[i]],
                "label": str(self.labels[i]),
                "score": round(float(self.scores[i]), 4),
            }
            if self.track_ids is not None:
                row["track_id"] = int(self.track_ids[i])
            if self.origin is not None:
                row["origin"] = str(self.origin[i])
            rows.append(row)
        return rows


def grow_boxes(xyxy: np.ndarray, factor: float) -> np.ndarray:
    """(N, 4) xyxy boxes grown around their centre by `factor` (0.2 = 20 % wider and taller)."""
    xyxy = np.asarray(xyxy, np.float32).reshape(-1, 4)
    c = (xyxy[:, :2] + xyxy[:, 2:]) / 2
    half = (xyxy[:, 2:] - xyxy[:, :2]) * (1 + factor) / 2
    return np.concatenate([c - half, c + half], axis=1)


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU of (N, 4) and (M, 4) xyxy boxes -> (N, M)."""
    a = np.asarray(a, np.float32).reshape(-1, 4)
    b = np.asarray(b, np.float32).reshape(-1, 4)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=2)
    area_a = np.prod(a[:, 2:] - a[:, :2], axis=1)
    area_b = np.prod(b[:, 2:] - b[:, :2], axis=1)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0).astype(np.float32)


def nms(xyxy: np.ndarray, scores: np.ndarray, iou_threshold: float) -> np.ndarray:
    """Greedy non-maximum suppression; returns kept indices sorted by descending score."""
    order = np.argsort(-np.asarray(scores))
    xyxy = np.asarray(xyxy, np.float32)
    keep: list[int] = []
    while order.size:
        i = int(order[0])
        keep.append(i)
        if order.size == 1:
            break
        ious = box_iou(xyxy[i : i + 1], xyxy[order[1:]])[0]
        order = order[1:][ious <= iou_threshold]
    return np.asarray(keep, dtype=np.int64)

