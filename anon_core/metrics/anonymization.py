"""How well anonymized regions match ground truth: IoU pB, IoU pC, covered recall, count errors.

All functions are pure and vectorized (numpy); boxes are (N, 4) xyxy float pixels, masks are
(H, W) bool "this pixel was anonymized".  Definitions (also in docs/benchmark.md):

* IoU pB (per box): for each ground-truth box, the IoU with its matched anonymized region
  (one-to-one Hungarian matching on IoU; a ground-truth box with no overlapping region scores 0);
  the table reports the mean over all ground-truth boxes of all frames.
* IoU pC (per covered area): per frame, the pixel IoU of the anonymized area with the union of the
  ground-truth boxes; a frame where both are empty scores 1.  The table averages over frames.
* covered recall: share of ground-truth boxes of which at least 90 % of the pixels are anonymized.
* count RMSE / MAE / bias: per-frame predicted count minus ground-truth count.
* coverage (persons): covered recall restricted to the pedestrians at least `min_visibility`
  visible (MOT17 visibility column), i.e. the people one can actually recognise.
* collateral: share of the pixels outside every annotated person box (persons of any class and
  visibility and distractors excluded) that were anonymized.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy.optimize import linear_sum_assignment

from anon_core.detections import Detections, box_iou

COVER_FRACTION = 0.9


def _boxes(xyxy) -> np.ndarray:
    if isinstance(xyxy, Detections):
        xyxy = xyxy.xyxy
    return np.asarray(xyxy, np.float64).reshape(-1, 4)


def iou_per_box(gt_xyxy, region_xyxy) -> np.ndarray:
    """IoU of each ground-truth box with its one-to-one matched region (0 when unmatched) -> (N_gt,)."""
    gt, reg = _boxes(gt_xyxy), _boxes(region_xyxy)
    out = np.zeros(len(gt), np.float64)
    if not len(gt) or not len(reg):
        return out
    iou = box_iou(gt, reg).astype(np.float64)
    rows, cols = linear_sum_assignment(-iou)
    out[rows] = iou[rows, cols]
    return out


def _pixel_boxes(xyxy: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Boxes rounded to integer pixel bounds clipped to the frame (x1, y1, x2, y2 exclusive)."""
    h, w = shape
    b = np.round(_boxes(xyxy)).astype(np.int64)
    b[:, [0, 2]] = b[:, [0, 2]].clip(0, w)
    b[:, [1, 3]] = b[:, [1, 3]].clip(0, h)
    return b


def boxes_mask(xyxy, shape: tuple[int, int]) -> np.ndarray:
    """(H, W) bool union of boxes (a difference array + cumulative sums, no per-box painting loop)."""
    h, w = shape
    b = _pixel_boxes(xyxy, shape)
    b = b[(b[:, 2] > b[:, 0]) & (b[:, 3] > b[:, 1])]
    diff = np.zeros((h + 1, w + 1), np.int32)
    np.add.at(diff, (b[:, 1], b[:, 0]), 1)
    np.add.at(diff, (b[:, 1], b[:, 2]), -1)
    np.add.at(diff, (b[:, 3], b[:, 0]), -1)
    np.add.at(diff, (b[:, 3], b[:, 2]), 1)
    return diff.cumsum(0).cumsum(1)[:h, :w] > 0


def region_mask(dets: Detections, shape: tuple[int, int], region_shape: str = "box",
                padding: float = 0.0) -> np.ndarray:
    """Pixels an anonymizer with this shape/padding obscures for `dets` (instance masks used when present)."""
    h, w = shape
    if not len(dets):
        return np.zeros((h, w), bool)
    padded = dets.padded(padding)
    has_mask = np.zeros(len(dets), bool) if dets.masks is None else dets.masks.reshape(len(dets), -1).any(1)
    mask = np.zeros((h, w), bool)
    if has_mask.any():
        mask |= dets.masks[has_mask].any(0)[:h, :w]
    rest = padded[~has_mask]
    if region_shape == "box":
        return mask | boxes_mask(rest.xyxy, shape)
    canvas = np.zeros((h, w), np.uint8)
    for x1, y1, x2, y2 in rest.xyxy:
        centre = (round((x1 + x2) / 2), round((y1 + y2) / 2))
        axes = (max(1, round((x2 - x1) / 2)), max(1, round((y2 - y1) / 2)))
        cv2.ellipse(canvas, centre, axes, 0, 0, 360, 1, thickness=-1)
    return mask | canvas.astype(bool)


def iou_per_coverage(anon_mask: np.ndarray, gt_xyxy) -> float:
    """Pixel IoU of the anonymized area with the union of ground-truth boxes (1.0 when both are empty)."""
    anon_mask = np.asarray(anon_mask, bool)
    gt = boxes_mask(gt_xyxy, anon_mask.shape)
    union = np.count_nonzero(anon_mask | gt)
    if union == 0:
        return 1.0
    return float(np.count_nonzero(anon_mask & gt) / union)


def covered_fraction(gt_xyxy, anon_mask: np.ndarray) -> np.ndarray:
    """Share of each ground-truth box's pixels that are anonymized -> (N,), via one integral image.

    Boxes are measured inside the frame; a box entirely outside the frame counts as covered (1.0)."""
    anon_mask = np.asarray(anon_mask, bool)
    b = _pixel_boxes(gt_xyxy, anon_mask.shape)
    integral = np.zeros((anon_mask.shape[0] + 1, anon_mask.shape[1] + 1), np.int64)
    integral[1:, 1:] = anon_mask.cumsum(0).cumsum(1)
    x1, y1, x2, y2 = b.T
    inside = integral[y2, x2] - integral[y1, x2] - integral[y2, x1] + integral[y1, x1]
    area = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    return np.where(area > 0, inside / np.maximum(area, 1), 1.0)


def covered_recall(gt_xyxy, anon_mask: np.ndarray, min_cover: float = COVER_FRACTION) -> tuple[int, int]:
    """(ground-truth boxes at least `min_cover` anonymized, ground-truth boxes) for one frame."""
    frac = covered_fraction(gt_xyxy, anon_mask)
    return int(np.count_nonzero(frac >= min_cover - 1e-9)), int(len(frac))


def _errors(pred, gt) -> np.ndarray:
    pred, gt = np.asarray(pred, np.float64).ravel(), np.asarray(gt, np.float64).ravel()
    if pred.shape != gt.shape:
        raise ValueError(f"count arrays differ in length: {pred.shape} vs {gt.shape}")
    return pred - gt


def count_rmse(pred, gt) -> float:
    e = _errors(pred, gt)
    return float(np.sqrt(np.mean(e**2))) if e.size else 0.0


def count_mae(pred, gt) -> float:
    e = _errors(pred, gt)
    return float(np.mean(np.abs(e))) if e.size else 0.0


def count_bias(pred, gt) -> float:
    """Mean signed error (positive = over-counting)."""
    e = _errors(pred, gt)
    return float(np.mean(e)) if e.size else 0.0


def changed_mask(raw: np.ndarray, out: np.ndarray, threshold: int = 12, close: int = 9) -> np.ndarray:
    """Anonymized pixels of a black-box tool's output, from the difference to the raw frame.

    Pixels whose largest channel difference exceeds `threshold` (codec noise stays below it), with
    specks removed (3x3 opening), gaps closed (`close` px) and the holes of each changed blob filled,
    so that flat skin a blur barely changes still counts as anonymized."""
    diff = cv2.absdiff(np.asarray(raw, np.uint8), np.asarray(out, np.uint8))
    if diff.ndim == 3:
        diff = diff.max(axis=2)
    changed = (diff > threshold).astype(np.uint8)
    changed = cv2.morphologyEx(changed, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    if close > 1:
        changed = cv2.morphologyEx(changed, cv2.MORPH_CLOSE, np.ones((close, close), np.uint8))
    contours, _ = cv2.findContours(changed, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    filled = np.zeros_like(changed)
    cv2.drawContours(filled, contours, -1, 1, thickness=-1)
    return filled.astype(bool)


def collateral(anon_mask: np.ndarray, exclude_xyxy) -> float:
    """Share of the pixels outside every `exclude_xyxy` box (all annotated persons, of any class or
    visibility, and distractors) that were anonymized: what anonymization destroyed that no person
    explains.  0.0 when the excluded boxes cover the whole frame."""
    anon_mask = np.asarray(anon_mask, bool)
    outside = ~boxes_mask(exclude_xyxy, anon_mask.shape)
    n = np.count_nonzero(outside)
    return float(np.count_nonzero(anon_mask & outside) / n) if n else 0.0
