"""Procedural backgrounds (numpy + OpenCV only), deterministic for a given random generator.

Each returns a BGR uint8 image; the ground plane of the walkway and the warehouse starts at
`horizon` (a row) and things standing on it are scaled by their distance below it (see scenes.py).
"""

from __future__ import annotations

import cv2
import numpy as np


def _noise(rng: np.random.Generator, h: int, w: int, scale: float, amp: float) -> np.ndarray:
    """Smooth value noise (h, w) float32 with about `amp` amplitude and blobs of ~`scale` px."""
    sh, sw = max(2, int(h / scale) + 2), max(2, int(w / scale) + 2)
    small = rng.standard_normal((sh, sw)).astype(np.float32)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC) * amp


def _grain(rng: np.random.Generator, img: np.ndarray, amp: float = 3.0) -> np.ndarray:
    g = rng.standard_normal(img.shape[:2]).astype(np.float32)[..., None] * amp
    return np.clip(img.astype(np.float32) + g, 0, 255).astype(np.uint8)


def _vertical_gradient(h: int, w: int, top, bottom) -> np.ndarray:
    t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    img = np.asarray(top, np.float32) * (1 - t) + np.asarray(bottom, np.float32) * t
    return np.repeat(img, w, axis=1)


def _floor(rng, h: int, w: int, horizon: int, base, tile: int, line_color, texture: float) -> np.ndarray:
    """A ground plane below `horizon` with perspective tile joints converging to (w/2, horizon - h/3)."""
    gh = h - horizon
    floor = _vertical_gradient(gh, w, np.asarray(base) * 0.82, base)
    floor += _noise(rng, gh, w, 6, texture)[..., None] + _noise(rng, gh, w, 60, texture * 2)[..., None]
    img = np.clip(floor, 0, 255).astype(np.uint8)
    vx, vy = w / 2, -h / 3  # vanishing point, relative to the horizon row
    for x in range(-3 * w, 4 * w, tile * 2):  # joints running away from the viewer
        x_far = vx + (x - vx) * (0 - vy) / (gh - vy)
        cv2.line(img, (int(x_far), 0), (int(x), gh), line_color, 1, cv2.LINE_AA)
    d = 1.0
    while True:  # joints across: spacing shrinks with distance
        y = int(gh - gh * (1 - 1 / d) * 1.15)
        if y <= 2:
            break
        cv2.line(img, (0, y), (w, y), line_color, 1, cv2.LINE_AA)
        d += tile / 60
    return img


def walkway(rng: np.random.Generator, w: int, h: int, horizon: int) -> np.ndarray:
    """A building front with windows over a paved walkway."""
    wall_color = np.array([150, 170, 185]) + rng.integers(-20, 20, 3)
    img = _vertical_gradient(horizon, w, wall_color * 0.85, wall_color)
    img += _noise(rng, horizon, w, 40, 6)[..., None]
    top = np.clip(img, 0, 255).astype(np.uint8)
    win_w, win_h = max(8, w // 14), max(8, horizon // 4)
    glass = (95, 80, 60) + rng.integers(-15, 15, 3)
    for row, y in enumerate(range(horizon // 10, horizon - win_h - horizon // 6, win_h + horizon // 8)):
        for x in range(w // 30, w - win_w, win_w + w // 22):
            shade = rng.uniform(0.8, 1.2)
            cv2.rectangle(top, (x, y), (x + win_w, y + win_h), tuple(int(c * shade) for c in glass), -1)
            cv2.rectangle(top, (x, y), (x + win_w, y + win_h), (210, 215, 220), 2)
            cv2.line(top, (x + win_w // 2, y), (x + win_w // 2, y + win_h), (210, 215, 220), 1)
        if row > 3:
            break
    base_y = horizon - horizon // 12
    cv2.rectangle(top, (0, base_y), (w, horizon), (110, 120, 128), -1)  # plinth
    ground = _floor(rng, h, w, horizon, np.array([120, 128, 135]) + rng.integers(-10, 10, 3), max(12, w // 16),
                    (92, 98, 104), 5)
    return _grain(rng, np.vstack([top, ground]))


def warehouse(rng: np.random.Generator, w: int, h: int, horizon: int) -> np.ndarray:
    """A warehouse: pallet racks with stock against a wall, concrete floor with yellow lane marks."""
    top = np.clip(_vertical_gradient(horizon, w, (120, 118, 112), (150, 148, 140))
                  + _noise(rng, horizon, w, 50, 5)[..., None], 0, 255).astype(np.uint8)
    bay = max(40, w // 6)
    levels = [int(horizon * f) for f in (0.12, 0.42, 0.72, 0.97)]
    for x0 in range(0, w, bay):
        for y_top, y_bot in zip(levels[:-1], levels[1:]):
            x = x0 + 6
            while x < x0 + bay - 12:  # stock on the shelf: cartons of random widths
                bw = int(rng.integers(bay // 6, bay // 3))
                bh = int((y_bot - y_top) * rng.uniform(0.45, 0.85))
                color = tuple(int(c) for c in (np.array([70, 120, 170]) * rng.uniform(0.7, 1.15)))
                if rng.random() < 0.15:
                    color = tuple(int(c) for c in rng.integers(60, 200, 3))
                cv2.rectangle(top, (x, y_bot - bh), (min(x + bw, x0 + bay - 8), y_bot - 4), color, -1)
                cv2.rectangle(top, (x, y_bot - bh), (min(x + bw, x0 + bay - 8), y_bot - 4), (40, 60, 80), 1)
                x += bw + int(rng.integers(2, 8))
        for y in levels:
            cv2.rectangle(top, (x0, y - 4), (x0 + bay, y), (40, 110, 230), -1)  # orange beams
        cv2.rectangle(top, (x0, levels[0] - 4), (x0 + 5, horizon), (150, 80, 30), -1)  # blue uprights
    ground = _floor(rng, h, w, horizon, np.array([135, 140, 140]), max(16, w // 8), (120, 124, 124), 3)
    gh = h - horizon
    for frac in (0.18, 0.78):  # yellow lane lines along the floor
        y = int(gh * frac)
        cv2.line(ground, (0, y), (w, y), (0, 200, 235), max(2, gh // 60), cv2.LINE_AA)
    return _grain(rng, np.vstack([top, ground]))


def room(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """An indoor wall with a door frame, a picture and a bookshelf (webcam-like)."""
    wall = np.array([175, 190, 200]) + rng.integers(-25, 25, 3)
    img = _vertical_gradient(h, w, wall * 1.02, wall * 0.8)
    img += _noise(rng, h, w, 80, 8)[..., None]
    img = np.clip(img, 0, 255).astype(np.uint8)
    dx = int(w * rng.uniform(0.05, 0.2))
    cv2.rectangle(img, (dx, int(h * 0.08)), (dx + w // 5, h), (70, 95, 120), -1)  # door
    cv2.rectangle(img, (dx, int(h * 0.08)), (dx + w // 5, h), (225, 230, 232), 6)
    sx = int(w * rng.uniform(0.65, 0.75))
    cv2.rectangle(img, (sx, int(h * 0.15)), (w, h), (50, 75, 105), -1)  # bookshelf
    for y in range(int(h * 0.15) + 8, h, max(20, h // 6)):
        x = sx + 6
        while x < w - 8:
            bw = int(rng.integers(5, 14))
            color = tuple(int(c) for c in rng.integers(40, 220, 3))
            cv2.rectangle(img, (x, y + int(rng.integers(0, 10))), (x + bw, y + max(14, h // 6) - 8), color, -1)
            x += bw + 1
        cv2.rectangle(img, (sx, y + max(14, h // 6) - 8), (w, y + max(14, h // 6) - 3), (35, 55, 80), -1)
    px, py = int(w * 0.42), int(h * 0.1)
    cv2.rectangle(img, (px, py), (px + w // 7, py + h // 6), (60, 60, 60), 4)  # a picture
    cv2.rectangle(img, (px + 4, py + 4), (px + w // 7 - 4, py + h // 6 - 4), (120, 160, 110), -1)
    return _grain(rng, cv2.GaussianBlur(img, (0, 0), 1.2))  # a webcam's soft focus on the background


def backdrop(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """A soft studio backdrop with out-of-focus light spots (close-up faces)."""
    base = np.array([120, 115, 110]) + rng.integers(-30, 30, 3)
    img = _vertical_gradient(h, w, base * 1.1, base * 0.75)
    spots = np.zeros((h, w), np.float32)
    for _ in range(12):
        c = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        cv2.circle(spots, c, int(rng.integers(h // 20, h // 7)), float(rng.uniform(15, 40)), -1)
    img += cv2.GaussianBlur(spots, (0, 0), h / 40)[..., None]
    return _grain(rng, np.clip(img, 0, 255).astype(np.uint8), 2.0)
