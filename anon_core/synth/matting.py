"""Cut a person out of a studio shot on a plain grey backdrop: smooth backdrop model + GrabCut.

The backdrop of the openpeople studio images is a smooth grey gradient.  A quadratic colour surface
is fitted robustly to the border bands (left, right, top; the bottom too when the subject does not
touch it), pixels far from it seed GrabCut as foreground, and the largest component becomes the
matte, feathered by ~1 px for clean compositing edges.
"""

from __future__ import annotations

import cv2
import numpy as np


def _design(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    return np.stack([np.ones_like(xs), xs, ys, xs * xs, xs * ys, ys * ys], axis=1)


def backdrop_model(img: np.ndarray, bottom: bool = False, band: float = 0.04) -> np.ndarray:
    """A smooth (quadratic) estimate of the backdrop colour at every pixel, float32 (H, W, 3).
    Without `bottom` (a bust that touches the lower edge) only the upper 60 % of the side bands is used."""
    h, w = img.shape[:2]
    b = max(2, int(round(band * min(h, w))))
    sel = np.zeros((h, w), bool)
    side_end = h if bottom else int(0.6 * h)
    sel[:side_end, :b] = sel[:side_end, -b:] = True
    if bottom:  # a full-body shot: the top and bottom bands are backdrop too (a bust's hair may touch the top)
        sel[-b:, :] = sel[:b, :] = True
    ys, xs = np.nonzero(sel)
    step = max(1, len(xs) // 20000)
    ys, xs = ys[::step], xs[::step]
    vals = img[ys, xs].astype(np.float64)
    a = _design(xs / w, ys / h)
    keep = np.ones(len(xs), bool)
    for _ in range(3):  # refit without the outliers (hair, shoulders touching the border)
        coef, *_ = np.linalg.lstsq(a[keep], vals[keep], rcond=None)
        res = np.abs(a @ coef - vals).max(axis=1)
        keep = res < max(6.0, 3.0 * float(np.median(res[keep])) * 1.4826)
    gy, gx = np.mgrid[0:h, 0:w]
    full = _design(gx.ravel() / w, gy.ravel() / h) @ coef
    return full.reshape(h, w, 3).astype(np.float32)


def row_backdrop_model(img: np.ndarray, band: float = 0.05) -> np.ndarray:
    """Backdrop of a full-body shot: per row, a linear blend between the left and right band medians
    (follows the wall/floor transition that a smooth surface cannot)."""
    h, w = img.shape[:2]
    b = max(2, int(round(band * w)))
    left = np.median(img[:, :b].astype(np.float32), axis=1)
    right = np.median(img[:, -b:].astype(np.float32), axis=1)
    k = max(3, h // 60) | 1
    left = cv2.GaussianBlur(left[:, None, :], (1, k), 0)[:, 0]
    right = cv2.GaussianBlur(right[:, None, :], (1, k), 0)[:, 0]
    t = (np.arange(w, dtype=np.float32) / max(1, w - 1))[None, :, None]
    return left[:, None, :] * (1 - t) + right[:, None, :] * t


def cut_out(img: np.ndarray, bottom_is_backdrop: bool = True, iterations: int = 4) -> np.ndarray:
    """Alpha matte (H, W) uint8 of the subject of a plain-backdrop studio image.

    `bottom_is_backdrop=True` is the full-body case (feet on a grey floor): grey, colourless pixels
    below the hips are floor and contact shadow, and the hips (shorts may be grey too) are seeded
    as the subject."""
    h, w = img.shape[:2]
    bg = row_backdrop_model(img) if bottom_is_backdrop else backdrop_model(img)
    dist = np.abs(img.astype(np.float32) - bg).max(axis=2)
    mask = np.full((h, w), cv2.GC_PR_BGD, np.uint8)
    mask[dist > 22] = cv2.GC_PR_FGD
    mask[dist > 45] = cv2.GC_FGD
    if bottom_is_backdrop:
        chroma = img.max(axis=2).astype(np.int16) - img.min(axis=2)
        floor = np.zeros((h, w), bool)
        floor[int(0.68 * h):] = True
        mask[floor & (chroma < 10)] = cv2.GC_BGD
        cols = np.nonzero((dist[int(0.2 * h):int(0.5 * h)] > 45).any(axis=0))[0]
        if len(cols):
            cx, half = int(np.median(cols)), max(2, int(0.06 * w))
            mask[int(0.45 * h):int(0.57 * h), cx - half:cx + half] = cv2.GC_FGD
    b = max(2, int(0.01 * min(h, w)))
    edge = np.zeros((h, w), bool)
    edge[:, :b] = edge[:, -b:] = edge[:b, :] = True
    if bottom_is_backdrop:
        edge[-b:, :] = True
    mask[edge & (dist < 22)] = cv2.GC_BGD
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(0)
    cv2.grabCut(img, mask, None, bgd, fgd, iterations, cv2.GC_INIT_WITH_MASK)
    fg = np.isin(mask, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.uint8)
    fg = cv2.morphologyEx(fg, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    n, lab, stats, _ = cv2.connectedComponentsWithStats(fg, connectivity=8)
    if n > 1:  # the subject, plus large parts the floor rule may have separated (legs below grey shorts)
        areas = stats[1:, cv2.CC_STAT_AREA]
        keep = 1 + np.nonzero(areas >= 0.05 * areas.max())[0]
        fg = np.isin(lab, keep).astype(np.uint8)
    fg = _fill_holes(fg)
    alpha = cv2.GaussianBlur(fg.astype(np.float32), (0, 0), 0.8)
    return np.clip(alpha * 255 + 0.5, 0, 255).astype(np.uint8)


def _fill_holes(fg: np.ndarray) -> np.ndarray:
    """Fill background pockets not connected to the image border (gaps between arms and torso stay)."""
    h, w = fg.shape
    inv = (1 - fg).astype(np.uint8)
    n, lab, stats, _ = cv2.connectedComponentsWithStats(inv, connectivity=4)
    border = set(np.unique(np.concatenate([lab[0], lab[-1], lab[:, 0], lab[:, -1]])).tolist())
    out = fg.copy()
    small = max(30, h * w // 2000)  # real gaps (arm-torso) are big; holes in a GrabCut matte are small
    for i in range(1, n):
        if i not in border and stats[i, cv2.CC_STAT_AREA] < small:
            out[lab == i] = 1
    return out
