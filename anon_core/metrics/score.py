"""Accumulate per-frame anonymization metrics into one table row."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from anon_core.metrics.anonymization import (
    COVER_FRACTION,
    collateral,
    count_bias,
    count_mae,
    count_rmse,
    covered_fraction,
    iou_per_box,
    iou_per_coverage,
)


@dataclass
class AnonymizationScore:
    """`add(gt_xyxy, region_xyxy, anon_mask, count)` per frame, then `summary()`.

    region_xyxy: the boxes of the anonymized regions (for IoU pB; None when a tool gives no boxes,
    e.g. deface, whose regions are then taken from the connected blobs of `anon_mask`).
    count: the number of objects the method reports on this frame (for RMSE).
    `add_persons(visible_xyxy, exclude_xyxy, anon_mask, count)` adds, per frame, the coverage of the
    visible pedestrians, the collateral damage outside `exclude_xyxy` and the count error against
    the visible pedestrians (see anon_core.metrics.anonymization)."""

    min_cover: float = COVER_FRACTION
    _box_iou: list = field(default_factory=list)
    _frame_iou: list = field(default_factory=list)
    _cover: list = field(default_factory=list)
    _pred: list = field(default_factory=list)
    _gt: list = field(default_factory=list)
    _visible_cover: list = field(default_factory=list)
    _collateral: list = field(default_factory=list)
    _visible_pred: list = field(default_factory=list)
    _visible_gt: list = field(default_factory=list)

    def add(self, gt_xyxy, region_xyxy, anon_mask: np.ndarray, count: int | None = None) -> None:
        gt = np.asarray(gt_xyxy, np.float64).reshape(-1, 4)
        if region_xyxy is None:
            region_xyxy = mask_blobs(anon_mask)
        region = np.asarray(region_xyxy, np.float64).reshape(-1, 4)
        self._box_iou.append(iou_per_box(gt, region))
        self._frame_iou.append(iou_per_coverage(anon_mask, gt))
        self._cover.append(covered_fraction(gt, anon_mask))
        self._pred.append(len(region) if count is None else int(count))
        self._gt.append(len(gt))

    def add_persons(self, visible_xyxy, exclude_xyxy, anon_mask: np.ndarray, count: int) -> None:
        self._visible_cover.append(covered_fraction(np.asarray(visible_xyxy, np.float64).reshape(-1, 4), anon_mask))
        self._collateral.append(collateral(anon_mask, exclude_xyxy))
        self._visible_pred.append(int(count))
        self._visible_gt.append(len(np.asarray(visible_xyxy).reshape(-1, 4)))

    def _persons_summary(self) -> dict:
        if not self._visible_gt:
            return {}
        cover = np.concatenate(self._visible_cover)
        return {"coverage": float(np.mean(cover >= self.min_cover - 1e-9)) if cover.size else float("nan"),
                "visible_covered": int(np.count_nonzero(cover >= self.min_cover - 1e-9)),
                "visible_boxes": int(cover.size), "collateral": float(np.mean(self._collateral)),
                "count_rmse_visible": count_rmse(self._visible_pred, self._visible_gt)}

    @property
    def frames(self) -> int:
        return len(self._gt)

    def summary(self) -> dict:
        box = np.concatenate(self._box_iou) if self._box_iou else np.zeros(0)
        cover = np.concatenate(self._cover) if self._cover else np.zeros(0)
        return {
            "frames": self.frames,
            "gt_boxes": int(box.size),
            "iou_pb": float(box.mean()) if box.size else float("nan"),
            "iou_pc": float(np.mean(self._frame_iou)) if self._frame_iou else float("nan"),
            "recall90": float(np.mean(cover >= self.min_cover - 1e-9)) if cover.size else float("nan"),
            "count_rmse": count_rmse(self._pred, self._gt),
            "count_mae": count_mae(self._pred, self._gt),
            "count_bias": count_bias(self._pred, self._gt),
            **self._persons_summary(),
        }


def mask_blobs(mask: np.ndarray) -> np.ndarray:
    """Bounding boxes (xyxy) of the connected blobs of a bool mask."""
    import cv2

    n, _, stats, _ = cv2.connectedComponentsWithStats(np.asarray(mask, np.uint8), connectivity=8)
    s = stats[1:n]
    return np.stack([s[:, 0], s[:, 1], s[:, 0] + s[:, 2], s[:, 1] + s[:, 3]], axis=1).astype(np.float64) \
        if n > 1 else np.zeros((0, 4))
