"""Drawn industrial objects (cartons, loaded pallets, hand carts) as sprites with exact alpha.

Each is drawn at a base height with OpenCV, textured with noise, and deterministic for a random
generator.  Their MOT classes come from anon_core.groundtruth.CLASS_IDS.
"""

from __future__ import annotations

import cv2
import numpy as np

from anon_core.groundtruth import CLASS_IDS
from anon_core.synth.people import Sprite

OBJECT_KINDS = ("box", "pallet", "cart")
#: object height relative to a person standing at the same depth
RELATIVE_HEIGHT = {"box": 0.32, "pallet": 0.5, "cart": 0.55}
BASE = 160


def _texture(rng: np.random.Generator, img: np.ndarray, amp: float) -> np.ndarray:
    n = rng.standard_normal(img.shape[:2]).astype(np.float32)
    n = cv2.GaussianBlur(n, (0, 0), 1.0) * amp
    return np.clip(img.astype(np.float32) + n[..., None], 0, 255).astype(np.uint8)


def _carton(img, alpha, x, y, w, h, color, rng) -> None:
    """A carton seen slightly from above: front face, lighter top face, tape stripe."""
    top = max(3, h // 6)
    front = np.array(color, np.float32)
    pts_top = np.array([[x, y + top], [x + top, y], [x + w, y], [x + w - top, y + top]], np.int32)
    cv2.fillConvexPoly(img, pts_top, tuple(int(c) for c in np.clip(front * 1.2, 0, 255)))
    cv2.fillConvexPoly(alpha, pts_top, 255)
    cv2.rectangle(img, (x, y + top), (x + w - top, y + h), tuple(int(c) for c in front), -1)
    cv2.rectangle(alpha, (x, y + top), (x + w - top, y + h), 255, -1)
    side = np.array([[x + w - top, y + top], [x + w, y], [x + w, y + h - top], [x + w - top, y + h]], np.int32)
    cv2.fillConvexPoly(img, side, tuple(int(c) for c in front * 0.75))
    cv2.fillConvexPoly(alpha, side, 255)
    tx = x + (w - top) // 2
    cv2.rectangle(img, (tx - max(1, w // 20), y + top), (tx + max(1, w // 20), y + h // 3), (150, 170, 190), -1)
    cv2.rectangle(img, (x, y + top), (x + w - top, y + h), tuple(int(c) for c in front * 0.55), 1)
    if rng.random() < 0.7:  # a shipping label
        lx, ly = x + w // 8, y + h // 2
        cv2.rectangle(img, (lx, ly), (lx + w // 4, ly + h // 6), (235, 235, 235), -1)


def draw_object(kind: str, rng: np.random.Generator) -> Sprite:
    """One object sprite of `kind` ("box", "pallet", "cart")."""
    if kind == "box":
        h, w = BASE, int(BASE * rng.uniform(1.0, 1.5))
        img, alpha = np.zeros((h, w, 3), np.uint8), np.zeros((h, w), np.uint8)
        _carton(img, alpha, 0, 0, w - 1, h - 1, (60, 120, 175) * rng.uniform(0.8, 1.1, 3), rng)
    elif kind == "pallet":
        h, w = BASE, int(BASE * rng.uniform(1.4, 1.8))
        img, alpha = np.zeros((h, w, 3), np.uint8), np.zeros((h, w), np.uint8)
        deck = h // 5
        wood = (100, 160, 205)
        cv2.rectangle(img, (0, h - deck), (w - 1, h - 1), wood, -1)
        cv2.rectangle(alpha, (0, h - deck), (w - 1, h - 1), 255, -1)
        for i in range(3):  # openings for the forks: see-through
            bx = int(w * (0.08 + 0.31 * i))
            cv2.rectangle(img, (bx + w // 10, h - deck + deck // 3), (bx + w // 4, h - 4), 0, -1)
            cv2.rectangle(alpha, (bx + w // 10, h - deck + deck // 3), (bx + w // 4, h - 4), 0, -1)
        cv2.line(img, (0, h - deck), (w - 1, h - deck), (60, 110, 150), 2)
        x = 2
        while x < w - 10:  # a load of cartons
            bw = int(rng.integers(w // 4, w // 2))
            bw = min(bw, w - 2 - x)
            bh = int((h - deck) * rng.uniform(0.6, 0.98))
            _carton(img, alpha, x, h - deck - bh, bw, bh - 1, (60, 120, 175) * rng.uniform(0.75, 1.1, 3), rng)
            x += bw + 1
    elif kind == "cart":
        h, w = BASE, int(BASE * 1.2)
        img, alpha = np.zeros((h, w, 3), np.uint8), np.zeros((h, w), np.uint8)
        blue = tuple(int(c) for c in rng.integers([120, 60, 20], [200, 110, 60]))
        wheel = h // 9
        deck_y = h - 2 * wheel - h // 14
        for part in (img, alpha):
            color = blue if part is img else 255
            cv2.rectangle(part, (0, deck_y), (w - 1, deck_y + h // 14), color, -1)  # platform
            cv2.rectangle(part, (w - w // 12, 0), (w - 1, deck_y), color, -1)  # handle post
            cv2.rectangle(part, (w - w // 4, 0), (w - 1, h // 16), color, -1)  # handle bar
            for cx in (wheel + 2, w - wheel - 3):
                cv2.circle(part, (cx, h - wheel - 1), wheel, (30, 30, 30) if part is img else 255, -1)
        _carton(img, alpha, w // 10, deck_y - int(deck_y * 0.7), int(w * 0.55), int(deck_y * 0.7) - 1,
                (60, 120, 175) * rng.uniform(0.8, 1.1, 3), rng)
    else:
        raise ValueError(f"unknown object kind {kind!r}; use one of {OBJECT_KINDS}")
    img = _texture(rng, img, 6.0)
    alpha = cv2.GaussianBlur(alpha, (3, 3), 0.6)
    img.flags.writeable = alpha.flags.writeable = False
    return Sprite(img, alpha, None, None, None, kind)


def object_class(kind: str) -> int:
    return CLASS_IDS[kind]
