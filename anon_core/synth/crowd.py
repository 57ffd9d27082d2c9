"""The "crowd" scene: a 1080p street square with 30-60 small people (40-150 px tall) at once.

Made to measure person anonymization where the fixed 416 px YOLOX-Nano input fails (people shrink
4.6x): everyone walks slowly (0.3-0.6 of their height per second) at a depth that makes them 40-150
px tall, most of them in view for the whole clip, occluding each other; the ground truth is exact
(render.compose), with MOT17 visibility.
"""

from __future__ import annotations

import numpy as np

from anon_core.groundtruth import CLASS_IDS
from anon_core.synth import backgrounds
from anon_core.synth.people import body_sprite
from anon_core.synth.render import SpriteScaler

MIN_HEIGHT, MAX_HEIGHT = 40, 150  # person heights in pixels at 1080p (scaled with the frame height)


def crowd(cfg):
    from anon_core.synth.scenes import Scene, _Mover, _perspective_height, _run, pick_identities

    cfg = cfg.resolved()
    width, height = cfg.size
    bg_rng, rng = (np.random.default_rng(s) for s in np.random.SeedSequence(cfg.seed).spawn(2))
    horizon = int(0.3 * height)
    bg = backgrounds.walkway(bg_rng, width, height, horizon)
    k = height / 1080
    # _perspective_height = 0.8 * (foot - horizon): feet rows giving 40-150 px tall people.
    lo, hi = horizon + MIN_HEIGHT * k / 0.8, horizon + MAX_HEIGHT * k / 0.8
    movers = []
    for i, identity in enumerate(pick_identities(rng, cfg.people)):
        foot = float(rng.uniform(lo, hi))
        ph = _perspective_height(foot, horizon, height)
        speed = float(rng.uniform(0.3, 0.6))
        cross = (width / ph + 0.5) / speed  # seconds to cross the frame
        t0 = float(rng.uniform(-0.95 * cross, -0.05 * cross))  # mostly in view throughout
        movers.append(_Mover(i + 1, CLASS_IDS["person"], body_sprite(identity), foot, 0.0, 1.0,
                             int(rng.choice([-1, 1])), speed, t0, 0.015))
    frames, _ = _run(movers, cfg, horizon, SpriteScaler())
    return Scene(cfg, bg, frames, {"horizon": horizon, "line": None, "crossings": []})
