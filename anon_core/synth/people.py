"""The ten synthetic openpeople identities as cut-out sprites (colour + alpha + face box + metadata).

Sprites are cut once from the package's studio images (see matting.py), their face located once with
CenterFace, and cached as .npz files in the cache dir (never in the repository).  Nobody in them exists.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from anon_core.detectors import create_detector
from anon_core.synth.cache import cache_dir
from anon_core.synth.matting import cut_out

log = logging.getLogger(__name__)
SPRITE_VERSION = 1
BODY_HEIGHT = 640  # full-body sprites are stored at this height (the largest a 1080p walkway needs)
PORTRAIT_HEIGHT = 480


@dataclass(frozen=True)
class PersonInfo:
    identity: str  # "P001" .. "P010"
    sex: str  # "female" | "male"
    age_range: str  # e.g. "35-45"


@dataclass(frozen=True, eq=False)
class Sprite:
    """A cut-out: BGR uint8 (h, w, 3), alpha uint8 (h, w), face box (x, y, w, h) in sprite pixels or None."""

    bgr: np.ndarray
    alpha: np.ndarray
    face: tuple[float, float, float, float] | None
    person: PersonInfo | None  # None for objects
    emotion: str | None = None
    source: str = ""  # "studio_posture", "studio_portrait", "emotions_sheet"

    @property
    def size(self) -> tuple[int, int]:
        return self.bgr.shape[1], self.bgr.shape[0]


def _openpeople():
    try:
        import openpeople
    except ImportError:
        raise RuntimeError("the synthetic scenes need the `openpeople` package: pip install openpeople") from None
    return openpeople


@functools.lru_cache(maxsize=1)
def load_people() -> tuple[PersonInfo, ...]:
    """The openpeople identities with sex and age range, sorted by identity."""
    out = []
    for p in _openpeople().curated.list():
        demo = p.demographics
        out.append(PersonInfo(p.person_id, (demo.sex or "unknown") if demo else "unknown",
                              (demo.age_range or "unknown") if demo else "unknown"))
    return tuple(out)


def person_info(identity: str) -> PersonInfo:
    for p in load_people():
        if p.identity == identity:
            return p
    raise KeyError(f"unknown identity {identity!r}; use one of {[p.identity for p in load_people()]}")


def asset_image(identity: str, asset: str) -> np.ndarray:
    path = _openpeople().curated.get(identity).asset_path(asset)
    img = cv2.imread(path)
    if img is None:
        raise RuntimeError(f"cannot read {path}; reinstall openpeople (pip install --force-reinstall openpeople)")
    return img


def resize_to_height(img: np.ndarray, height: int) -> np.ndarray:
    f = height / img.shape[0]
    return cv2.resize(img, (max(1, round(img.shape[1] * f)), height), interpolation=cv2.INTER_AREA)


@functools.lru_cache(maxsize=1)
def _face_detector():
    return create_detector("centerface", input_width=None)


def locate_face(img: np.ndarray) -> tuple[float, float, float, float] | None:
    """The most confident CenterFace box (x, y, w, h) in `img`, or None."""
    dets = _face_detector()(img)
    if not len(dets):
        return None
    i = int(np.argmax(dets.scores))
    x1, y1, x2, y2 = (float(v) for v in dets.xyxy[i])
    return (x1, y1, x2 - x1, y2 - y1)


def make_sprite(img: np.ndarray, person: PersonInfo, source: str, full_body: bool,
                emotion: str | None = None) -> Sprite:
    """Cut `img` out of its backdrop, crop to the matte (+2 px) and locate the face."""
    alpha = cut_out(img, bottom_is_backdrop=full_body)
    ys, xs = np.nonzero(alpha > 0)
    if not len(xs):
        raise RuntimeError(f"{person.identity} {source}: the cut-out is empty")
    h, w = alpha.shape
    x1, y1 = max(0, xs.min() - 2), max(0, ys.min() - 2)
    x2, y2 = min(w, xs.max() + 3), min(h, ys.max() + 3)
    bgr, alpha = img[y1:y2, x1:x2].copy(), alpha[y1:y2, x1:x2].copy()
    face = locate_face(img)  # on the uncut image: the backdrop is what the detector was made for
    if face is not None:
        face = (float(face[0] - x1), float(face[1] - y1), float(face[2]), float(face[3]))
    return Sprite(bgr, alpha, face, person, emotion, source)


def save_sprites(path: Path, sprites: list[Sprite]) -> None:
    arrays = {}
    for i, s in enumerate(sprites):
        arrays[f"bgr{i}"], arrays[f"alpha{i}"] = s.bgr, s.alpha
        arrays[f"face{i}"] = np.array(s.face if s.face is not None else (np.nan,) * 4, np.float64)
        arrays[f"meta{i}"] = np.array([s.person.identity, s.emotion or "", s.source])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(tmp, count=len(sprites), **arrays)
    tmp.replace(path)


def load_sprites(path: Path) -> list[Sprite]:
    with np.load(path) as z:
        out = []
        for i in range(int(z["count"])):
            face = z[f"face{i}"]
            identity, emotion, source = (str(v) for v in z[f"meta{i}"])
            bgr, alpha = z[f"bgr{i}"], z[f"alpha{i}"]
            bgr.flags.writeable = alpha.flags.writeable = False
            out.append(Sprite(bgr, alpha, None if np.isnan(face).any() else tuple(float(v) for v in face),
                              person_info(identity), emotion or None, source))
        return out


def cached_sprites(name: str, build) -> list[Sprite]:
    """Sprites from `<cache>/sprites-v{N}/{name}.npz`, built with `build()` and stored on first use."""
    path = cache_dir() / f"sprites-v{SPRITE_VERSION}" / f"{name}.npz"
    if path.exists():
        try:
            return load_sprites(path)
        except Exception as exc:  # a truncated or stale cache file is rebuilt
            log.warning("rebuilding %s (%s)", path, exc)
    sprites = build()
    save_sprites(path, sprites)
    return sprites


def _studio_sprite(identity: str, asset: str, height: int, full_body: bool, name: str) -> Sprite:
    def build():
        img = resize_to_height(asset_image(identity, asset), height)
        return [make_sprite(img, person_info(identity), asset, full_body=full_body)]

    return cached_sprites(f"{identity}_{name}", build)[0]


@functools.cache
def body_sprite(identity: str) -> Sprite:
    """Full-body cut-out from the studio posture shot (BODY_HEIGHT px image height, cropped to the body)."""
    return _studio_sprite(identity, "studio_posture", BODY_HEIGHT, True, "body")


@functools.cache
def portrait_sprite(identity: str) -> Sprite:
    """Head-and-shoulders cut-out from the studio portrait (PORTRAIT_HEIGHT px)."""
    return _studio_sprite(identity, "studio_portrait", PORTRAIT_HEIGHT, False, "portrait")
