"""Age, sex and emotion of each face in one call: `AttributeEstimator()(frame, face_dets) -> FaceAttributes`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from anon_core.detections import Detections
from showcases.attributes.age_gender import AgeSexEstimator
from showcases.attributes.emotion_net import FER_LABELS, EmotionEstimator


@dataclass
class FaceAttributes:
    sex: np.ndarray  # (N,) "female" / "male"
    p_male: np.ndarray  # (N,)
    age: np.ndarray  # (N,) years
    emotion_probs: np.ndarray  # (N, 7) in FER_LABELS order

    def __len__(self) -> int:
        return len(self.sex)

    @property
    def emotion(self) -> np.ndarray:
        if not len(self.emotion_probs):
            return np.zeros(0, dtype="<U8")
        return np.asarray(FER_LABELS)[self.emotion_probs.argmax(1)]

    def data(self) -> dict[str, np.ndarray]:
        """Per-row arrays for `Detections.data` (what the synthetic-face anonymizer reads)."""
        return {"sex": self.sex, "p_male": self.p_male, "age": self.age, "emotion": self.emotion}

    def records(self) -> list[dict]:
        out = []
        for i in range(len(self)):
            out.append({"sex": str(self.sex[i]), "p_male": round(float(self.p_male[i]), 3),
                        "age": round(float(self.age[i]), 1), "emotion": str(self.emotion[i]),
                        "emotion_scores": {k: round(float(v), 3) for k, v in zip(FER_LABELS, self.emotion_probs[i])}})
        return out

    @classmethod
    def concat(cls, parts: list[FaceAttributes]) -> FaceAttributes:
        if not parts:
            return cls(np.zeros(0, str), np.zeros(0, np.float32), np.zeros(0, np.float32),
                       np.zeros((0, len(FER_LABELS)), np.float32))
        return cls(*(np.concatenate([getattr(p, k) for p in parts]) for k in ("sex", "p_male", "age",
                                                                               "emotion_probs")))


class AttributeEstimator:
    """Loads the age/sex ONNX models and the emotion network once; estimates batches of faces."""

    def __init__(self, emotion_crop_scale: float = 1.2):
        self.age_sex = AgeSexEstimator()
        self.emotion = EmotionEstimator(crop_scale=emotion_crop_scale)

    def __call__(self, frame_bgr: np.ndarray, dets: Detections) -> FaceAttributes:
        return self.estimate_many([(frame_bgr, dets)])[0]

    def estimate_many(self, items: list[tuple[np.ndarray, Detections]]) -> list[FaceAttributes]:
        age_sex = self.age_sex.estimate_many(items)
        emotions = self.emotion.estimate_many(items)
        return [FaceAttributes(a.sex, a.p_male, a.age, np.asarray(e, np.float32)) for a, e in zip(age_sex, emotions)]

    def annotate(self, frame_bgr: np.ndarray, dets: Detections) -> Detections:
        """The face rows with their estimates in `dets.data` (sex, p_male, age, emotion)."""
        attrs = self(frame_bgr, dets)
        return dets.with_(data={**dets.data, **attrs.data()})
