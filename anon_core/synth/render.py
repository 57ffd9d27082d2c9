"""Alpha compositing of sprites with exact, occlusion-aware ground truth.

A frame is a background plus placements.  Placements are painted far to near (painter's order by
`depth`, larger = nearer).  For every placement the ground truth is measured from the alpha actually
pasted: body box = tight box of alpha > 0.5 inside the frame; visibility = pixels of alpha > 0.5 that
are inside the frame and not covered (alpha > 0.5) by a nearer placement, divided by all of its
alpha > 0.5 pixels (also those outside the frame).  Face boxes follow the sprite's scale and position.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from anon_core.synth.people import Sprite

ALPHA_ON = 0.5


@dataclass(frozen=True, eq=False)
class Scaled:
    """A sprite resized to one height (and maybe mirrored): float alpha, its pixel count, face box."""

    bgr: np.ndarray  # (h, w, 3) float32
    alpha: np.ndarray  # (h, w) float32 in 0..1
    on: np.ndarray  # (h, w) bool, alpha > 0.5
    area: int  # on.sum()
    face: tuple[float, float, float, float] | None  # (x, y, w, h) in scaled sprite pixels


class SpriteScaler:
    """Resizes sprites to integer heights, remembering the results (one per generator, not global)."""

    def __init__(self) -> None:
        self._memo: dict[tuple[int, int, bool], Scaled] = {}

    def get(self, sprite: Sprite, height: int, flip: bool = False) -> Scaled:
        key = (id(sprite), int(height), bool(flip))
        hit = self._memo.get(key)
        if hit is None:
            hit = self._memo[key] = scale_sprite(sprite, height, flip)
        return hit


def scale_sprite(sprite: Sprite, height: int, flip: bool = False) -> Scaled:
    sh, sw = sprite.alpha.shape
    height = max(2, int(height))
    width = max(1, round(sw * height / sh))
    interp = cv2.INTER_AREA if height < sh else cv2.INTER_LINEAR
    bgr = cv2.resize(sprite.bgr, (width, height), interpolation=interp)
    alpha = cv2.resize(sprite.alpha, (width, height), interpolation=interp)
    if flip:
        bgr, alpha = bgr[:, ::-1], alpha[:, ::-1]
    a = alpha.astype(np.float32) / 255.0
    on = a > ALPHA_ON
    face = None
    if sprite.face is not None:
        fx, fy = width / sw, height / sh
        x, y, w, h = sprite.face
        x = (sw - x - w) if flip else x
        face = (x * fx, y * fy, w * fx, h * fy)
    return Scaled(np.ascontiguousarray(bgr, dtype=np.float32), np.ascontiguousarray(a),
                  np.ascontiguousarray(on), int(on.sum()), face)


@dataclass(frozen=True, eq=False)
class Placement:
    """One sprite on one frame: top-left corner (x, y) in integer pixels, painted by depth (larger = nearer)."""

    track_id: int
    cls: int  # MOT class: 1 person, 100 box, 101 pallet, 102 cart ...
    scaled: Scaled
    x: int
    y: int
    depth: float
    meta: dict = field(default_factory=dict)  # identity, sex, age_range, emotion for persons


@dataclass(frozen=True)
class Truth:
    """Ground truth of one placement on one frame."""

    track_id: int
    cls: int
    box: tuple[int, int, int, int] | None  # (x, y, w, h) of visible-in-frame alpha (ignoring occlusion)
    visibility: float
    face: tuple[float, float, float, float] | None  # face box clipped to the frame
    face_visibility: float
    meta: dict


def _window(p: Placement, width: int, height: int):
    """Frame slice and sprite slice of the part of a placement inside the frame (None when outside)."""
    h, w = p.scaled.on.shape
    x1, y1 = max(p.x, 0), max(p.y, 0)
    x2, y2 = min(p.x + w, width), min(p.y + h, height)
    if x2 <= x1 or y2 <= y1:
        return None
    return (slice(y1, y2), slice(x1, x2)), (slice(y1 - p.y, y2 - p.y), slice(x1 - p.x, x2 - p.x))


def _box(on: np.ndarray, ox: int, oy: int) -> tuple[int, int, int, int] | None:
    rows = np.flatnonzero(on.any(axis=1))
    if not len(rows):
        return None
    cols = np.flatnonzero(on.any(axis=0))
    return (ox + int(cols[0]), oy + int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1))


def _face_truth(p: Placement, visible: np.ndarray, width: int, height: int):
    """Face box in frame pixels clipped to the frame, and the share of its alpha pixels left visible."""
    if p.scaled.face is None:
        return None, 0.0
    fx, fy, fw, fh = p.scaled.face
    x1, y1, x2, y2 = p.x + fx, p.y + fy, p.x + fx + fw, p.y + fy + fh
    cx1, cy1, cx2, cy2 = max(x1, 0.0), max(y1, 0.0), min(x2, float(width)), min(y2, float(height))
    if cx2 <= cx1 or cy2 <= cy1:
        return None, 0.0
    h, w = p.scaled.on.shape
    sx1, sy1 = int(np.clip(np.floor(fx), 0, w)), int(np.clip(np.floor(fy), 0, h))
    sx2, sy2 = int(np.clip(np.ceil(fx + fw), 0, w)), int(np.clip(np.ceil(fy + fh), 0, h))
    total = int(p.scaled.on[sy1:sy2, sx1:sx2].sum())
    seen = int(visible[sy1:sy2, sx1:sx2].sum())
    return (cx1, cy1, cx2 - cx1, cy2 - cy1), (seen / total if total else 0.0)


def compose(background: np.ndarray, placements: list[Placement]) -> tuple[np.ndarray, list[Truth]]:
    """Paint placements over a copy of `background` (BGR uint8) and measure their ground truth.

    Returns the frame and one Truth per placement that has any pixel inside the frame, in input order."""
    height, width = background.shape[:2]
    frame = background.astype(np.float32)
    for p in sorted(placements, key=lambda q: q.depth):  # far to near; stable for equal depths
        win = _window(p, width, height)
        if win is None:
            continue
        (fr, sp) = win
        a = p.scaled.alpha[sp][..., None]
        roi = frame[fr]
        roi += (p.scaled.bgr[sp] - roi) * a
    truths: dict[int, Truth] = {}
    covered = np.zeros((height, width), bool)
    for idx, p in sorted(enumerate(placements), key=lambda q: -q[1].depth):  # near to far
        win = _window(p, width, height)
        if win is None:
            continue
        fr, sp = win
        on = p.scaled.on[sp]
        box = _box(on, fr[1].start, fr[0].start)
        if box is None:
            continue
        vis_on = on & ~covered[fr]
        visible = np.zeros_like(p.scaled.on)
        visible[sp] = vis_on
        covered[fr] |= on
        face, face_vis = _face_truth(p, visible, width, height)
        truths[idx] = Truth(p.track_id, p.cls, box, int(vis_on.sum()) / max(1, p.scaled.area), face, face_vis,
                            p.meta)
    out = np.clip(frame + 0.5, 0, 255).astype(np.uint8)
    return out, [truths[i] for i in sorted(truths)]
