"""Scene kinds as parameterised functions: walkway, industrial, crowd (here) and faces, webcam (closeups.py).

A Scene is a background plus, for every frame, the list of placements (which sprite where, at which
depth).  Rendering a frame composes them and measures the ground truth (render.compose), so the
boxes are exactly where the alpha put pixels.  Everything is drawn from np.random.default_rng(seed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

import anon_core.synth.backgrounds as backgrounds
from anon_core.groundtruth import CLASS_IDS
from anon_core.synth.objects import OBJECT_KINDS, RELATIVE_HEIGHT, draw_object, object_class
from anon_core.synth.people import Sprite, body_sprite, load_people
from anon_core.synth.render import Placement, SpriteScaler, Truth, compose

KINDS = ("walkway", "industrial", "faces", "webcam", "crowd", "deboarding")
DEFAULT_SIZE = {"walkway": (960, 540), "industrial": (960, 540), "faces": (640, 480), "webcam": (640, 480),
                "crowd": (1920, 1080), "deboarding": (640, 360)}
DEFAULT_PEOPLE = {"walkway": 6, "industrial": 3, "faces": 2, "webcam": 1, "crowd": 45, "deboarding": 5}
DEFAULT_SECONDS = {"walkway": 8.0, "industrial": 8.0, "faces": 8.0, "webcam": 6.0, "crowd": 6.0, "deboarding": 6.0}


@dataclass(frozen=True)
class SceneConfig:
    """Parameters of a scene; None means the kind's default."""

    kind: str = "walkway"
    seconds: float | None = None
    fps: float = 15.0
    people: int | None = None
    size: tuple[int, int] | None = None  # (width, height)
    seed: int = 0
    line: bool = True  # walkway: paint a counting line and record crossings
    objects: int = 4  # industrial: moving boxes / pallets / carts

    def resolved(self) -> SceneConfig:
        if self.kind not in KINDS:
            raise ValueError(f"unknown scene kind {self.kind!r}; use one of {', '.join(KINDS)}")
        seconds = DEFAULT_SECONDS[self.kind] if self.seconds is None else self.seconds  # 0 is refused below
        cfg = SceneConfig(self.kind, float(seconds), float(self.fps),
                          int(DEFAULT_PEOPLE[self.kind] if self.people is None else self.people),
                          tuple(self.size or DEFAULT_SIZE[self.kind]), int(self.seed), self.line, int(self.objects))
        if cfg.fps <= 0 or cfg.seconds <= 0:
            raise ValueError("fps and seconds must be positive")
        if cfg.people < 0 or cfg.objects < 0:
            raise ValueError("people and objects must be >= 0")
        if min(cfg.size) < 32 or cfg.size[0] % 2 or cfg.size[1] % 2:
            raise ValueError(f"size {cfg.size[0]}x{cfg.size[1]}: width and height must be even and at least 32")
        return cfg

    @property
    def num_frames(self) -> int:
        return max(1, round(self.seconds * self.fps))


@dataclass
class Scene:
    config: SceneConfig
    background: np.ndarray
    placements: list[list[Placement]]  # per frame (0-based)
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.placements)

    def render(self, index: int) -> tuple[np.ndarray, list[Truth]]:
        """Frame `index` (0-based) as BGR uint8 and its ground truth."""
        return compose(self.background, self.placements[index])


def person_meta(sprite: Sprite) -> dict:
    p = sprite.person
    return {"identity": p.identity, "sex": p.sex, "age_range": p.age_range, "emotion": sprite.emotion}


def pick_identities(rng: np.random.Generator, n: int) -> list[str]:
    ids = [p.identity for p in load_people()]
    order = [ids[i] for i in rng.permutation(len(ids))]
    return [order[i % len(order)] for i in range(n)]


@dataclass
class _Mover:
    """Something crossing the ground plane horizontally at a fixed depth (foot row)."""

    track_id: int
    cls: int
    sprite: Sprite
    foot_y: float  # at t = 0
    drift: float  # foot row change per second (walking slightly towards/away from the camera)
    rel_height: float  # height relative to a person at the same depth
    direction: int  # +1 left to right, -1 right to left
    speed: float  # in person-heights per second
    t0: float  # seconds when its leading edge enters the frame
    bob: float  # vertical bobbing (share of height) for walkers


def _perspective_height(foot_y: float, horizon: int, height: int) -> float:
    """Height in pixels of a standing person whose feet are on row foot_y, seen by a camera above head
    height (heads of near people below the horizon)."""
    return max(8.0, 0.8 * (foot_y - horizon))


def _place_mover(m: _Mover, t: float, scaler: SpriteScaler, width: int, horizon: int, height: int):
    foot = m.foot_y + m.drift * t
    ph = _perspective_height(foot, horizon, height)
    h = max(6, int(round(ph * m.rel_height)))
    sc = scaler.get(m.sprite, h, flip=m.direction < 0)
    w = sc.on.shape[1]
    travel = (t - m.t0) * m.speed * ph
    x = -w + travel if m.direction > 0 else width - travel
    bob = m.bob * ph * abs(math.sin(math.pi * travel / max(1.0, 0.45 * ph)))
    if x > width + 1 or x + w < -1:
        return None
    meta = person_meta(m.sprite) if m.cls == CLASS_IDS["person"] else {"object": m.sprite.source}
    return Placement(m.track_id, m.cls, sc, int(round(x)), int(round(foot - h - bob)), depth=foot, meta=meta), \
        x + w / 2


def _walkers(rng, cfg: SceneConfig, horizon: int, first_id: int, n: int) -> list[_Mover]:
    width, height = cfg.size
    movers = []
    for k, identity in enumerate(pick_identities(rng, n)):
        foot = float(rng.uniform(horizon + 0.3 * (height - horizon), height * 1.04))
        speed = float(rng.uniform(0.45, 0.7))
        cross = (width / _perspective_height(foot, horizon, height) + 0.5) / speed  # seconds to cross
        lo, hi = -0.6 * cross, max(-0.6 * cross + 0.1, cfg.seconds - 0.4 * cross)
        t0 = float(lo + (hi - lo) * (k + rng.uniform(0.1, 0.9)) / max(1, n))
        drift = float(rng.uniform(-0.04, 0.04) * (height - horizon))
        movers.append(_Mover(first_id + k, CLASS_IDS["person"], body_sprite(identity), foot, drift, 1.0,
                             int(rng.choice([-1, 1])), speed, t0, 0.015))
    return movers


def _run(movers: list[_Mover], cfg: SceneConfig, horizon: int, scaler: SpriteScaler):
    """Per-frame placements and the horizontal centre of every mover per frame."""
    width, height = cfg.size
    frames, centres = [], []
    for i in range(cfg.num_frames):
        t = i / cfg.fps
        row, cx = [], {}
        for m in movers:
            placed = _place_mover(m, t, scaler, width, horizon, height)
            if placed is not None:
                row.append(placed[0])
                cx[m.track_id] = placed[1]
        frames.append(row)
        centres.append(cx)
    return frames, centres


def _crossings(centres: list[dict], line_x: float) -> list[dict]:
    """Frames (1-based) where a track's centre passes the vertical line x = line_x."""
    out, last = [], {}
    for i, cx in enumerate(centres):
        for tid, x in cx.items():
            if tid in last and (last[tid] < line_x) != (x < line_x):
                out.append({"track_id": tid, "frame": i + 1,
                            "direction": "left_to_right" if x >= line_x else "right_to_left"})
            last[tid] = x
    return out


def walkway(cfg: SceneConfig) -> Scene:
    """People walking across a paved walkway at different depths, entering, leaving and occluding
    each other; with `line`, a painted counting line at mid-width and the crossings in meta."""
    cfg = cfg.resolved()
    width, height = cfg.size
    bg_rng, rng = (np.random.default_rng(s) for s in np.random.SeedSequence(cfg.seed).spawn(2))
    horizon = int(0.3 * height)
    bg = backgrounds.walkway(bg_rng, width, height, horizon)
    meta: dict = {"horizon": horizon, "line": None, "crossings": []}
    scaler = SpriteScaler()
    frames, centres = _run(_walkers(rng, cfg, horizon, 1, cfg.people), cfg, horizon, scaler)
    if cfg.line:
        line_x = width // 2
        bg[horizon:, line_x - 1:line_x + 2] = (40, 210, 240)
        meta["line"] = [[line_x, horizon], [line_x, height - 1]]
        meta["crossings"] = _crossings(centres, line_x)
    return Scene(cfg, bg, frames, meta)


def industrial(cfg: SceneConfig) -> Scene:
    """Workers and moving cartons, loaded pallets and hand carts on a warehouse floor."""
    cfg = cfg.resolved()
    width, height = cfg.size
    bg_rng, rng, obj_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(cfg.seed).spawn(3))
    horizon = int(0.36 * height)
    bg = backgrounds.warehouse(bg_rng, width, height, horizon)
    movers = _walkers(rng, cfg, horizon, 1, cfg.people)
    for k in range(cfg.objects):
        kind = OBJECT_KINDS[k % len(OBJECT_KINDS)]
        foot = float(obj_rng.uniform(horizon + 0.2 * (height - horizon), height * 0.98))
        speed = float(obj_rng.uniform(0.25, 0.5))
        cross = (width / _perspective_height(foot, horizon, height) + 1.0) / speed
        t0 = float(obj_rng.uniform(-0.7 * cross, max(-0.6 * cross, cfg.seconds - 0.5 * cross)))
        movers.append(_Mover(cfg.people + 1 + k, object_class(kind), draw_object(kind, obj_rng), foot, 0.0,
                             RELATIVE_HEIGHT[kind], int(obj_rng.choice([-1, 1])), speed, t0, 0.0))
    frames, _ = _run(movers, cfg, horizon, SpriteScaler())
    return Scene(cfg, bg, frames, {"horizon": horizon, "line": None, "crossings": []})


MIN_HEIGHT, MAX_HEIGHT = 40, 150  # person heights in pixels at 1080p (scaled with the frame height)


def crowd(cfg: SceneConfig) -> Scene:
    """A 1080p street square with 30-60 small people (40-150 px tall) at once: where the fixed 416 px
    YOLOX-Nano input fails (people shrink 4.6x).  Everyone walks slowly (0.3-0.6 of their height per
    second) at a depth that makes them 40-150 px tall, most of them in view for the whole clip,
    occluding each other; the ground truth is exact (render.compose), with MOT17 visibility."""
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
