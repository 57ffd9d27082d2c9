"""Shared fixtures: paths to ../shared data (skipped with a reason when absent) and openpeople media."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ANON_SHARED_DIR", ROOT.parent / "shared"))


def _shared(rel: str) -> Path:
    path = SHARED / rel
    if not path.exists():
        pytest.skip(f"{path} not present (CI and the dev machines have ../shared; a user's checkout may not)")
    return path


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    return _shared("")


@pytest.fixture(scope="session")
def tud_campus() -> Path:
    """TUD-Campus MOT15: img1/000001.jpg..000071.jpg, gt/gt.txt (640x480, 8 persons)."""
    return _shared("data/tud_campus")


TUD_SHORT_FRAMES = 12


@pytest.fixture()
def tud_short(tmp_path, tud_campus) -> Path:
    """The first TUD_SHORT_FRAMES frames of TUD-Campus as a MOT sequence (img1/ symlinks + cut gt/gt.txt)."""
    seq = tmp_path / "tud12"
    (seq / "img1").mkdir(parents=True)
    (seq / "gt").mkdir()
    for i in range(1, TUD_SHORT_FRAMES + 1):
        (seq / "img1" / f"{i:06d}.jpg").symlink_to(tud_campus / "img1" / f"{i:06d}.jpg")
    rows = [r for r in (tud_campus / "gt" / "gt.txt").read_text().splitlines()
            if int(r.split(",")[0]) <= TUD_SHORT_FRAMES]
    (seq / "gt" / "gt.txt").write_text("\n".join(rows) + "\n")
    return seq


def isolated_sample(tmp_path_factory, kind: str, **params):
    """A synthetic sample generated into a fresh temp cache (never the user's cache dir)."""
    from anon_core.synth import ensure_sample

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ANON_CACHE_DIR", str(tmp_path_factory.mktemp("synth-cache")))
        return ensure_sample(kind, **params)


@pytest.fixture(scope="session")
def mot17_02() -> Path:
    """MOT17-02 frames 1-4 (1920x1080 crowded street): img1/, gt/gt.txt with class and visibility."""
    return _shared("data/mot17_02")


@pytest.fixture(scope="session")
def dlib_faces() -> Path:
    """9 PASCAL VOC photos with 43 labelled faces: images/*.jpg, gt/faces.csv."""
    return _shared("data/dlib_faces")


@pytest.fixture(scope="session")
def yolox_nano_path() -> Path:
    return _shared("models/yolox_nano.onnx")


@pytest.fixture()
def model_dir(tmp_path, monkeypatch, yolox_nano_path) -> Path:
    """An ANON_MODEL_DIR holding the shared YOLOX-Nano (symlinked, as a user would drop it in)."""
    d = tmp_path / "models"
    d.mkdir()
    (d / "yolox_nano.onnx").symlink_to(yolox_nano_path)
    monkeypatch.setenv("ANON_MODEL_DIR", str(d))
    return d


@pytest.fixture(scope="session")
def people():
    import openpeople

    return openpeople.curated.list()


def load_person_image(person, asset: str, max_side: int | None = None) -> np.ndarray:
    img = cv2.imread(person.asset_path(asset))
    assert img is not None, person.asset_path(asset)
    if max_side and max(img.shape[:2]) > max_side:
        f = max_side / max(img.shape[:2])
        img = cv2.resize(img, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    return img


def facial_detail(frame, boxes) -> float:
    """Laplacian energy inside the central part of face boxes (what anonymization must remove)."""
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    lap = np.abs(cv2.Laplacian(gray, cv2.CV_32F))
    total = 0.0
    for x1, y1, x2, y2 in boxes:  # the central part of the face: eyes, nose, mouth (not the region's rim)
        dx, dy = (x2 - x1) * 0.2, (y2 - y1) * 0.2
        y1, y2, x1, x2 = (max(0, round(v)) for v in (y1 + dy, y2 - dy, x1 + dx, x2 - dx))
        total += float(lap[y1:y2, x1:x2].sum())
    return total
