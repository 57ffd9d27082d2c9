"""Close-up scene kinds: `faces` (expressions cycling, for the age/sex/emotion showcase) and `webcam`
(one or two large faces moving, the live-demo fallback)."""

from __future__ import annotations

import math

import numpy as np

import anon_core.synth.backgrounds as backgrounds
from anon_core.groundtruth import CLASS_IDS
from anon_core.synth.emotions import EMOTIONS, emotion_sprites
from anon_core.synth.people import portrait_sprite
from anon_core.synth.render import Placement, SpriteScaler
from anon_core.synth.scenes import Scene, SceneConfig, person_meta, pick_identities

PERSON = CLASS_IDS["person"]


def _grid(n: int) -> tuple[int, int]:
    cols = math.ceil(math.sqrt(n))
    return cols, math.ceil(n / cols)


def faces(cfg: SceneConfig) -> Scene:
    """`people` close-up faces side by side (grid), each cycling through the 16 expressions of its
    emotion sheet (EMOTIONS order, from a random start), each expression held seconds/16."""
    cfg = cfg.resolved()
    width, height = cfg.size
    bg_rng, rng = (np.random.default_rng(s) for s in np.random.SeedSequence(cfg.seed).spawn(2))
    bg = backgrounds.backdrop(bg_rng, width, height)
    n = max(1, cfg.people)
    cols, rows = _grid(n)
    tile_w, tile_h = width / cols, height / rows
    hold = cfg.seconds / len(EMOTIONS)
    scaler = SpriteScaler()
    tracks = []
    for k, identity in enumerate(pick_identities(rng, n)):
        sprites = emotion_sprites(identity)
        tracks.append((k + 1, sprites, int(rng.integers(0, len(EMOTIONS))), float(rng.uniform(0, 2 * math.pi))))
    frames = []
    for i in range(cfg.num_frames):
        t = i / cfg.fps
        row = []
        for k, (tid, sprites, start, phase) in enumerate(tracks):
            sprite = sprites[(start + int(t / hold)) % len(EMOTIONS)]
            aspect = sprite.alpha.shape[1] / sprite.alpha.shape[0]
            h = int(round(min(tile_h * 0.86, tile_w * 0.92 / aspect)))
            sc = scaler.get(sprite, h)
            cx = (k % cols + 0.5) * tile_w + 0.04 * tile_w * math.sin(0.9 * t + phase)
            top = (k // cols + 1) * tile_h - h + 0.03 * tile_h * math.sin(0.6 * t + 2 * phase)
            x = int(round(cx - sc.on.shape[1] / 2))
            row.append(Placement(tid, PERSON, sc, x, int(round(top)), depth=float(k), meta=person_meta(sprite)))
        frames.append(row)
    return Scene(cfg, bg, frames, {"line": None, "crossings": [], "emotions": list(EMOTIONS), "hold_s": hold})


def webcam(cfg: SceneConfig) -> Scene:
    """One or two large head-and-shoulders moving in front of a room, as a webcam would see them:
    drifting sideways, leaning in and out; two people pass in front of each other."""
    cfg = cfg.resolved()
    width, height = cfg.size
    bg_rng, rng = (np.random.default_rng(s) for s in np.random.SeedSequence(cfg.seed).spawn(2))
    bg = backgrounds.room(bg_rng, width, height)
    n = min(2, max(1, cfg.people))
    scaler = SpriteScaler()
    tracks = []
    for k, identity in enumerate(pick_identities(rng, n)):
        home = 0.5 if n == 1 else (0.3 + 0.4 * k)
        tracks.append((k + 1, portrait_sprite(identity), home, rng.uniform(0.2, 0.45), rng.uniform(0, 2 * math.pi)))
    frames = []
    for i in range(cfg.num_frames):
        t = i / cfg.fps
        row = []
        for tid, sprite, home, freq, phase in tracks:
            lean = math.sin(2 * math.pi * 0.5 * freq * t + phase)  # -1 far .. 1 near
            h = int(round(height * (0.85 + 0.12 * lean) * (0.9 if n == 2 else 1.0)))
            sc = scaler.get(sprite, h)
            swing = 0.22 if n == 1 else 0.3
            cx = width * (home + swing * math.sin(2 * math.pi * freq * t + phase) * (1 if tid == 1 else -1))
            x = int(round(cx - sc.on.shape[1] / 2))
            y = int(round(height - 0.88 * h + 0.03 * height * math.sin(1.3 * t + phase)))
            row.append(Placement(tid, PERSON, sc, x, y, depth=lean, meta=person_meta(sprite)))
        frames.append(row)
    return Scene(cfg, bg, frames, {"line": None, "crossings": []})
