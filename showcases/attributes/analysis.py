"""Both sides of the trade-off for each anonymization method: what survives of age, sex and emotion,
and how much identity remains.

For every face: attributes on the raw face, the face anonymized by each method, attributes on the
anonymized face, and the dlib embedding distance between raw and anonymized face (re-identified when
< 0.6).  `analyze-then-anonymize` fills the face but reports the attributes computed on the raw face
inside the pipeline, so its utility is the raw estimators' and its identity leakage is fill's.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np

from anon_core import plugins
from anon_core.anonymize.catalog import ANONYMIZERS
from anon_core.detections import Detections
from showcases.attributes.estimators import AttributeEstimator, FaceAttributes
from showcases.attributes.methods import ANALYZE_THEN_ANONYMIZE, METHODS  # noqa: F401  (re-exported)
from showcases.attributes.reid import REID_THRESHOLD, FaceEmbedder, distances


@dataclass
class Item:
    """One image with its face rows; labels (optional, per row): {"sex", "age", "emotion", "person_id"}."""

    image: np.ndarray
    dets: Detections
    labels: list[dict] = field(default_factory=list)


@dataclass
class MethodScore:
    method: str
    faces: int
    reid_rate: float
    mean_distance: float
    sex_agreement: float
    age_mae: float  # anonymized vs raw estimate, years
    emotion_agreement: float
    sex_accuracy: float | None = None  # anonymized estimate vs label
    age_mae_labels: float | None = None
    emotion_accuracy: float | None = None
    seconds_per_face: float = 0.0

    def record(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


@dataclass
class Comparison:
    raw: FaceAttributes
    raw_scores: dict  # accuracy of raw estimates vs labels
    scores: list[MethodScore]
    anonymized: dict[str, FaceAttributes]
    distances: dict[str, np.ndarray]
    images: dict[str, list[np.ndarray]]  # method -> anonymized image per item (kept when asked)

    def table(self) -> list[dict]:
        return [s.record() for s in self.scores]

    def face_records(self) -> list[dict]:
        """Per face: raw estimates and, per method, anonymized estimates and embedding distance."""
        rows = []
        raw = self.raw.records()
        for i, r in enumerate(raw):
            row = {"face": i, "raw": r, "methods": {}}
            for m, attrs in self.anonymized.items():
                row["methods"][m] = {**attrs.records()[i], "distance": round(float(self.distances[m][i]), 4),
                                     "reidentified": bool(self.distances[m][i] < REID_THRESHOLD)}
            rows.append(row)
        return rows


class Analyzer:
    """Holds the loaded models: `compare(items, methods) -> Comparison`."""

    def __init__(self, estimator: AttributeEstimator | None = None, embedder: FaceEmbedder | None = None,
                 anonymizer_options: dict | None = None):
        self.estimator = estimator or AttributeEstimator()
        self.embedder = embedder or FaceEmbedder()
        self.anonymizer_options = anonymizer_options or {}
        self._anonymizers: dict = {}

    def anonymizer(self, method: str):
        if method not in self._anonymizers:
            name = "fill" if method == ANALYZE_THEN_ANONYMIZE else method
            if name == "synthetic-face":
                opts = {"estimator": self.estimator, "embedder": self.embedder,
                        **self.anonymizer_options.get(name, {})}
            else:
                opts = dict(self.anonymizer_options.get(name, {}))
            plugins.load()  # synthetic-face is a plug-in (idempotent; the CLI and the app loaded it already)
            self._anonymizers[method] = ANONYMIZERS.create(name, **opts)
        return self._anonymizers[method]

    def anonymize(self, method: str, image: np.ndarray, dets: Detections, raw: FaceAttributes | None) -> np.ndarray:
        """The image anonymized by `method`; estimates computed on the raw image ride along in dets.data."""
        rows = dets if raw is None else dets.with_(data={**dets.data, **raw.data()})
        return self.anonymizer(method).apply(image, rows)

    def compare(self, items: list[Item], methods=METHODS, keep_images: bool = False) -> Comparison:
        items = [it for it in items if len(it.dets)]
        raw_parts = self.estimator.estimate_many([(it.image, it.dets) for it in items])
        raw = FaceAttributes.concat(raw_parts)
        emb_raw = np.concatenate([self.embedder(it.image, it.dets) for it in items]) if items else np.zeros((0, 128))
        labels = [(it.labels[i] if i < len(it.labels) else {}) for it in items for i in range(len(it.dets))]
        scores, anonymized, dists, images = [], {}, {}, {}
        for method in methods:
            start = time.perf_counter()
            outs = []
            for it, r in zip(items, raw_parts):
                rows = it.dets
                if "person_id" in (it.labels[0] if it.labels else {}):
                    rows = rows.with_(data={**rows.data, "person_id": np.array([lb.get("person_id", "")
                                                                                  for lb in it.labels])})
                outs.append(self.anonymize(method, it.image, rows, r))
            seconds = time.perf_counter() - start
            if method == ANALYZE_THEN_ANONYMIZE:
                anon = raw  # attributes computed on the raw face travel with the output
            else:
                anon = FaceAttributes.concat(self.estimator.estimate_many(
                    [(o, it.dets) for o, it in zip(outs, items)]))
            emb = np.concatenate([self.embedder(o, it.dets) for o, it in zip(outs, items)]) if items \
                else np.zeros((0, 128))
            d = distances(emb_raw, emb)
            anonymized[method], dists[method] = anon, d
            if keep_images:
                images[method] = outs
            scores.append(_score(method, raw, anon, d, labels, seconds))
        return Comparison(raw, _label_scores(raw, labels), scores, anonymized, dists, images)


def _mean(values) -> float:
    values = np.asarray(values, dtype=float)
    return float(values.mean()) if len(values) else float("nan")


def _label_scores(attrs: FaceAttributes, labels: list[dict]) -> dict:
    sex = [attrs.sex[i] == lb["sex"] for i, lb in enumerate(labels) if lb.get("sex")]
    age = [abs(attrs.age[i] - lb["age"]) for i, lb in enumerate(labels) if lb.get("age") is not None]
    emo = [attrs.emotion[i] == lb["emotion"] for i, lb in enumerate(labels) if lb.get("emotion")]
    return {"sex_accuracy": _mean(sex) if sex else None, "sex_faces": len(sex),
            "age_mae_labels": _mean(age) if age else None, "age_faces": len(age),
            "emotion_accuracy": _mean(emo) if emo else None, "emotion_faces": len(emo)}


def _score(method: str, raw: FaceAttributes, anon: FaceAttributes, d: np.ndarray, labels: list[dict],
           seconds: float) -> MethodScore:
    vs_labels = _label_scores(anon, labels)
    n = len(raw)
    return MethodScore(
        method=method, faces=n, reid_rate=float((d < REID_THRESHOLD).mean()) if n else 0.0,
        mean_distance=_mean(d), sex_agreement=_mean(raw.sex == anon.sex), age_mae=_mean(np.abs(raw.age - anon.age)),
        emotion_agreement=_mean(raw.emotion == anon.emotion), sex_accuracy=vs_labels["sex_accuracy"],
        age_mae_labels=vs_labels["age_mae_labels"], emotion_accuracy=vs_labels["emotion_accuracy"],
        seconds_per_face=seconds / n if n else 0.0)


def labelled_items(faces) -> list[Item]:
    """Items from dataset.LabelledFace (one face each) with sex, age (band middle), FER emotion, person id."""
    return [Item(f.image, f.det, [{"sex": f.sex, "age": f.age_mid, "emotion": f.fer_label,
                                   "person_id": f.person_id}]) for f in faces]
