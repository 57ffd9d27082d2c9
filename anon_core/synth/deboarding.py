"""`deboarding`: passengers stepping out of a gangway door at the far end and walking towards the
camera, each with their own mood that shifts on the way (for the emotion-over-time view).

Each passenger appears small in the door (2 % of the frame below the horizon), grows as they approach
(head-and-shoulders sprite up to ~60 % of the frame height) and leaves the frame to the left or right of
the camera; their expression changes once, half-way, from one EMOTIONS entry to another, so the mix
over time really moves. Ground truth is exact (render.compose), like every scene.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from anon_core.groundtruth import CLASS_IDS
from anon_core.synth import backgrounds
from anon_core.synth.emotions import EMOTIONS, emotion_sprites
from anon_core.synth.render import Placement, SpriteScaler
from anon_core.synth.scenes import Scene, SceneConfig, person_meta, pick_identities

WALK_SECONDS = 3.2  # door to leaving the frame
NEAR_HEIGHT = 0.62  # sprite height / frame height when closest


def _gangway(rng: np.random.Generator, width: int, height: int, horizon: int) -> tuple[np.ndarray, tuple]:
    """The walkway background with a lit gangway door centred on the horizon."""
    bg = backgrounds.walkway(rng, width, height, horizon)
    dw, dh = int(0.12 * width), int(0.3 * height)
    x1, y2 = width // 2 - dw // 2, horizon + int(0.04 * height)
    cv2.rectangle(bg, (x1 - 8, y2 - dh - 8), (x1 + dw + 8, y2), (70, 70, 80), -1)  # frame
    cv2.rectangle(bg, (x1, y2 - dh), (x1 + dw, y2), (205, 220, 235), -1)  # lit doorway
    return bg, (width / 2, y2)


def deboarding(cfg: SceneConfig) -> Scene:
    """Passengers leave the door one after another (every seconds/people) and walk to the camera."""
    cfg = cfg.resolved()
    width, height = cfg.size
    bg_rng, rng = (np.random.default_rng(s) for s in np.random.SeedSequence(cfg.seed).spawn(2))
    horizon = int(0.3 * height)
    bg, (door_x, door_y) = _gangway(bg_rng, width, height, horizon)
    n = max(1, cfg.people)
    gap = max(0.4, (cfg.seconds - 0.6 * WALK_SECONDS) / n)  # passengers leave the door one after another
    passengers = []
    for k, identity in enumerate(pick_identities(rng, n)):
        first, second = rng.choice(len(EMOTIONS), 2, replace=False)
        side = (-1) ** k * float(rng.uniform(0.25, 0.55))  # where they leave the frame, in half-widths
        passengers.append((k + 1, emotion_sprites(identity), int(first), int(second), k * gap, side))
    scaler = SpriteScaler()
    frames = []
    for i in range(cfg.num_frames):
        t = i / cfg.fps
        row = []
        for tid, sprites, first, second, t0, side in passengers:
            s = (t - t0) / WALK_SECONDS  # 0 in the door .. 1 leaving the frame
            if not 0.0 <= s <= 1.0:
                continue
            near = s**1.6  # perspective: slow growth far away, fast close by
            h = max(12, int(round(height * (0.06 + (NEAR_HEIGHT - 0.06) * near))))
            sprite = sprites[first if s < 0.5 else second]
            sc = scaler.get(sprite, h)
            cx = door_x + side * (width / 2) * near * 1.4
            bottom = door_y + (height * 1.05 - door_y) * near + 0.01 * height * math.sin(7 * t + tid)
            x, y = int(round(cx - sc.on.shape[1] / 2)), int(round(bottom - h))
            row.append(Placement(tid, CLASS_IDS["person"], sc, x, y, depth=near, meta=person_meta(sprite)))
        frames.append(row)
    return Scene(cfg, bg, frames, {"horizon": horizon, "line": None, "crossings": [], "door": [door_x, door_y]})
