"""Labelled faces from openpeople: portraits, selfies and the 4x4 emotion sheets (16 expressions).

Each `LabelledFace` is a crop around one detected face (so that anonymizing and measuring it is
cheap) with its 1-row `Detections` in crop coordinates, the person's identity and demographics and,
for emotion-sheet faces, the expression shown.  Sheet cells are assigned to expressions by
clustering the detected face centres into 4 rows and 4 columns (the sheets' title bands differ).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import cv2
import numpy as np

from anon_core.detections import Detections
from anon_core.synth.emotions import EMOTIONS

#: the 16 expressions of an openpeople emotions sheet, row by row (as printed under each cell)
SHEET_EXPRESSIONS = EMOTIONS
#: sheet expressions whose FER-2013 class is clear; the others (confused, smug, ...) have none
SHEET_TO_FER = {
    "neutral": "neutral", "happy": "happy", "sad": "sad", "angry": "angry", "surprised": "surprise",
    "disgusted": "disgust", "scared": "fear", "shocked": "surprise",
}
PORTRAIT_ASSETS = ("studio_portrait", "amateur_selfie")
AGE_BANDS = ((0, 18), (18, 25), (25, 35), (35, 45), (45, 55), (55, 65), (65, 200))


@dataclass
class LabelledFace:
    image: np.ndarray  # BGR crop around the face
    det: Detections  # one row, crop coordinates, with landmarks
    person_id: str
    sex: str  # "female" / "male"
    age_range: str  # e.g. "35-45"
    asset: str  # openpeople asset name
    expression: str | None = None  # one of SHEET_EXPRESSIONS for sheet faces

    @property
    def fer_label(self) -> str | None:
        return SHEET_TO_FER.get(self.expression) if self.expression else None

    @property
    def age_mid(self) -> float:
        lo, hi = (float(v) for v in self.age_range.split("-"))
        return (lo + hi) / 2


def age_band(age: float) -> int:
    """Index into AGE_BANDS."""
    for i, (lo, hi) in enumerate(AGE_BANDS):
        if lo <= age < hi:
            return i
    return len(AGE_BANDS) - 1


def band_of_range(age_range: str) -> int:
    lo, hi = (float(v) for v in age_range.split("-"))
    return age_band((lo + hi) / 2)


def _groups(values: np.ndarray, k: int) -> np.ndarray:
    """1-D clustering into k ordered groups by splitting at the k-1 largest gaps."""
    order = np.argsort(values)
    if len(values) <= k:
        return np.argsort(order)
    gaps = np.diff(values[order])
    cuts = np.sort(np.argsort(gaps)[-(k - 1):])
    labels = np.zeros(len(values), int)
    for c in cuts:
        labels[order[c + 1:]] += 1
    return labels


def sheet_expressions(dets: Detections) -> list[str]:
    """Expression of each detected face of an emotions sheet, from its grid cell."""
    c = dets.centers
    rows, cols = _groups(c[:, 1], 4), _groups(c[:, 0], 4)
    return [SHEET_EXPRESSIONS[r * 4 + col] for r, col in zip(rows, cols)]


def crop_around(frame: np.ndarray, det: Detections, margin: float = 0.9) -> tuple[np.ndarray, Detections]:
    """A crop of `frame` around a 1-row face (box grown by `margin` per side) and the row moved into it."""
    h, w = frame.shape[:2]
    x1, y1, x2, y2 = det.xyxy[0]
    mw, mh = (x2 - x1) * margin, (y2 - y1) * margin
    cx1, cy1 = int(max(0, x1 - mw)), int(max(0, y1 - mh))
    cx2, cy2 = int(min(w, x2 + mw)), int(min(h, y2 + mh))
    shift = np.array([cx1, cy1, cx1, cy1], np.float32)
    lm = None if det.landmarks is None else det.landmarks - np.array([cx1, cy1], np.float32)
    return frame[cy1:cy2, cx1:cx2].copy(), det.with_(xyxy=det.xyxy - shift, landmarks=lm)


def _scaled(img: np.ndarray, max_side: int) -> np.ndarray:
    if max(img.shape[:2]) <= max_side:
        return img
    f = max_side / max(img.shape[:2])
    return cv2.resize(img, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)


def openpeople_faces(detector, people: Iterable | None = None, assets: Iterable[str] = PORTRAIT_ASSETS + (
        "emotions_sheet",), max_side: int = 1600) -> list[LabelledFace]:
    """Detect and label the faces of openpeople assets (the largest face of a portrait, 16 per sheet)."""
    if people is None:
        import openpeople

        people = openpeople.curated.list()
    faces = []
    for person in people:
        demo = person.demographics
        for asset in assets:
            img = cv2.imread(person.asset_path(asset))
            if img is None:
                continue
            img = _scaled(img, max_side)
            dets = detector(img)
            dets = dets[dets.labels == "face"]
            if not len(dets):
                continue
            if asset == "emotions_sheet":
                dets = dets[np.argsort(-dets.scores)[:16]]
                labels = sheet_expressions(dets)
            else:
                dets = dets[[int(np.argmax(dets.area))]]
                labels = [None]
            for i, expr in enumerate(labels):
                crop, row = crop_around(img, dets[i])
                faces.append(LabelledFace(crop, row, person.person_id, str(demo.sex), str(demo.age_range), asset,
                                          expr))
    return faces
