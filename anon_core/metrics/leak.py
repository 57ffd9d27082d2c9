"""Model-free face leak metric: does the fine detail of a face survive anonymization?

No detector is involved, so a better detector cannot grade itself.  Definitions (issue #13):

* **detail NCC** of one face: input and output to grayscale float, high-pass = image minus its
  Gaussian blur (sigma 1.5), crop the inner 60 % of the face box (20 % of width and height trimmed on
  each side: eyes, nose, mouth, not hair or background), normalised cross-correlation of the two
  crops.  An untouched face scores ~1.0; a proper blur, pixelation or fill scores ~0.
* **leaked**: detail NCC > 0.5.
* **flat crops**: when either crop has (almost) no high-pass detail (std < 1e-3 grey levels) the NCC
  is undefined; it is defined here as 0.0.  A flat *input* crop has no detail that could identify
  anyone, and a flat *output* crop over a detailed input means the detail was removed.  A box that
  lies outside the image (empty crop) also scores 0.0: nothing of it is visible.
* **collateral**: share of the pixels outside every annotated face box grown by half its size on
  every side, that the output changes: after a Gaussian blur of sigma 1 on input and output, some
  channel differs by more than 25.
* **size buckets** by box width: 16-31, 32-63, 64+ px; faces narrower than 16 px are not scored.

Boxes are (N, 4) xyxy float pixels, images BGR (or grayscale) uint8 of equal shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from anon_core.detections import grow_boxes
from anon_core.metrics.anonymization import boxes_mask

HIGHPASS_SIGMA = 1.5
INNER_TRIM = 0.2
LEAK_NCC = 0.5
FLAT_STD = 1e-3
COLLATERAL_SIGMA = 1.0
COLLATERAL_DELTA = 25
COLLATERAL_GROW = 0.5
MIN_FACE_WIDTH = 16
# (name, min width, max width exclusive)
SIZE_BUCKETS = (("16-31", 16, 32), ("32-63", 32, 64), ("64+", 64, float("inf")))


def highpass(img: np.ndarray) -> np.ndarray:
    """Grayscale float32 image minus its Gaussian blur (sigma 1.5): the fine detail."""
    gray = img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    gray = gray.astype(np.float32)
    return gray - cv2.GaussianBlur(gray, (0, 0), HIGHPASS_SIGMA)


def _inner(box, shape: tuple[int, int]) -> tuple[slice, slice]:
    """Integer slices of the inner 60 % of an xyxy box, clipped to the image."""
    x1, y1, x2, y2 = (float(v) for v in box)
    dx, dy = (x2 - x1) * INNER_TRIM, (y2 - y1) * INNER_TRIM
    h, w = shape
    xa, xb = (int(np.clip(round(v), 0, w)) for v in (x1 + dx, x2 - dx))
    ya, yb = (int(np.clip(round(v), 0, h)) for v in (y1 + dy, y2 - dy))
    return slice(ya, yb), slice(xa, xb)


def _ncc(a: np.ndarray, b: np.ndarray) -> float:
    a = a.astype(np.float64).ravel()
    b = b.astype(np.float64).ravel()
    if a.size < 2:
        return 0.0
    a = a - a.mean()
    b = b - b.mean()
    sa, sb = np.sqrt((a * a).mean()), np.sqrt((b * b).mean())
    if sa < FLAT_STD or sb < FLAT_STD:
        return 0.0  # flat crop: no detail to leak, or all of it removed (see module docstring)
    return float((a * b).mean() / (sa * sb))


def detail_nccs(raw: np.ndarray, out: np.ndarray, boxes) -> np.ndarray:
    """Detail NCC of every box -> (N,) float64 (high-pass computed once per image)."""
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    if raw.shape != out.shape:
        raise ValueError(f"input {raw.shape} and output {out.shape} differ in shape")
    if not len(boxes):
        return np.zeros(0, np.float64)
    hp_raw, hp_out = highpass(raw), highpass(out)
    result = np.empty(len(boxes), np.float64)
    for i, box in enumerate(boxes):
        ys, xs = _inner(box, raw.shape[:2])
        result[i] = _ncc(hp_raw[ys, xs], hp_out[ys, xs])
    return result


def face_detail_ncc(raw: np.ndarray, out: np.ndarray, box) -> float:
    """Detail NCC of one xyxy face box: ~1.0 untouched, ~0 anonymized; > LEAK_NCC means leaked."""
    return float(detail_nccs(raw, out, [box])[0])


def collateral_counts(raw: np.ndarray, out: np.ndarray, boxes) -> tuple[int, int]:
    """(changed, total) pixels outside every face box grown by half its size (sum these over images)."""
    if raw.shape != out.shape:
        raise ValueError(f"input {raw.shape} and output {out.shape} differ in shape")
    # half the size on every side = twice as wide and tall around the centre
    away = ~boxes_mask(grow_boxes(boxes, 2 * COLLATERAL_GROW), raw.shape[:2])
    a = cv2.GaussianBlur(raw, (0, 0), COLLATERAL_SIGMA).astype(np.int16)
    b = cv2.GaussianBlur(out, (0, 0), COLLATERAL_SIGMA).astype(np.int16)
    diff = np.abs(a - b)
    changed = diff.max(2) > COLLATERAL_DELTA if diff.ndim == 3 else diff > COLLATERAL_DELTA
    return int((changed & away).sum()), int(away.sum())


def size_bucket(width: float) -> str | None:
    """Name of the size bucket of a face `width` px wide (None below MIN_FACE_WIDTH)."""
    for name, lo, hi in SIZE_BUCKETS:
        if lo <= width < hi:
            return name
    return None


@dataclass
class LeakCounts:
    """Scored faces and leaks, in all and per size bucket: one tally for a photo (leak_report), a photo
    set (`anon bench --target face`) and every face-frame of a video (`anon bench speed`)."""

    faces: int = 0
    leaks: int = 0
    buckets: dict = field(default_factory=lambda: {name: {"faces": 0, "leaks": 0} for name, _, _ in SIZE_BUCKETS})

    def add(self, width: float, leaked: bool) -> None:
        """One scored face; one narrower than the smallest bucket counts in the totals only."""
        self.faces += 1
        self.leaks += int(leaked)
        name = size_bucket(width)
        if name is not None:
            self.buckets[name]["faces"] += 1
            self.buckets[name]["leaks"] += int(leaked)

    def merge(self, counts: dict) -> None:
        """Add another tally in its dict form ({"faces", "leaks", "buckets"}, e.g. leak_report's)."""
        self.faces += counts["faces"]
        self.leaks += counts["leaks"]
        for name, b in counts["buckets"].items():
            self.buckets[name]["faces"] += b["faces"]
            self.buckets[name]["leaks"] += b["leaks"]

    def to_dict(self, bucket_rates: bool = False) -> dict:
        """{"faces", "leaks", "leak_rate" (None without faces), "buckets"}; with bucket_rates each bucket
        also carries its leak_rate."""
        buckets = {name: dict(b) for name, b in self.buckets.items()}
        if bucket_rates:
            for b in buckets.values():
                b["leak_rate"] = b["leaks"] / b["faces"] if b["faces"] else None
        return {"faces": self.faces, "leaks": self.leaks,
                "leak_rate": self.leaks / self.faces if self.faces else None, "buckets": buckets}


def leak_report(raw: np.ndarray, out: np.ndarray, boxes, scored=None) -> dict:
    """Leaks and collateral of one anonymized image against its annotated face boxes (xyxy).

    `scored` (bool per box) says which boxes are scored for leaks (default: width >= 16 px); every
    box, scored or not, is excluded from the collateral area.  Returns
    {"faces", "leaks", "ncc" (per box, NaN where not scored), "leaked" (per box), "buckets":
    {name: {"faces", "leaks"}}, "collateral_changed", "collateral_pixels", "collateral"}.
    """
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    widths = boxes[:, 2] - boxes[:, 0]
    scored = widths >= MIN_FACE_WIDTH if scored is None else np.asarray(scored, bool).reshape(-1)
    ncc = np.full(len(boxes), np.nan)
    ncc[scored] = detail_nccs(raw, out, boxes[scored])
    leaked = scored & (np.nan_to_num(ncc, nan=0.0) > LEAK_NCC)
    counts = LeakCounts()
    for w, lk in zip(widths[scored], leaked[scored]):
        counts.add(w, lk)
    changed, total = collateral_counts(raw, out, boxes)
    return {"faces": counts.faces, "leaks": counts.leaks, "ncc": ncc.tolist(),
            "leaked": leaked.tolist(), "buckets": counts.buckets, "collateral_changed": changed,
            "collateral_pixels": total, "collateral": changed / total if total else 0.0}
